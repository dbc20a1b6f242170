import CKernels

// Chunked multi-head scaled-dot-product attention over [B, T, H*D] row-major buffers.
//
// Heads are column blocks of width D inside rows of width H*D, so every GEMM reads Q, K, V and
// writes O (and their gradients) in place through a row stride of H*D: no transposes or copies.
// Scores exist only for one chunk of queries at a time, `chunk x Tk` floats per worker.
//
// The probabilities are never normalized in memory: a chunk holds `E = e^(S - rowmax)` and the
// row factors `1 / rowsum(E)` are applied to the D-wide rows that come out of (or go into) the
// GEMMs instead of to the Tk-wide rows of E, which saves a pass over the scores.

/// The geometry of one attention call.
public struct AttentionProblem: Sendable {
    /// Batch size B.
    public var batch: Int
    /// Number of queries Tq per batch item.
    public var queries: Int
    /// Number of keys (and values) Tk per batch item.
    public var keys: Int
    /// Number of heads H.
    public var heads: Int
    /// Width D of one head; rows of Q, K, V and O hold H*D floats.
    public var headDim: Int
    /// Whether query `i` sees only keys `j <= i`.
    public var causal: Bool
    /// Factor applied to the dot products before the softmax (usually 1/sqrt(D)).
    public var scale: Float
    /// Queries per chunk: the score scratch holds `chunk x Tk` floats per worker.
    public var chunk: Int

    /// Describes an attention call; `chunk` defaults to 256 queries.
    public init(batch: Int, queries: Int, keys: Int, heads: Int, headDim: Int,
                causal: Bool, scale: Float, chunk: Int = 256) {
        precondition(batch >= 0 && queries >= 0 && keys >= 1 && heads >= 1 && headDim >= 1 && chunk >= 1,
                     "attention: bad geometry")
        self.batch = batch
        self.queries = queries
        self.keys = keys
        self.heads = heads
        self.headDim = headDim
        self.causal = causal
        self.scale = scale
        self.chunk = chunk
    }

    /// Row stride H*D of every operand.
    public var width: Int { heads * headDim }
    /// Number of query chunks per (batch, head).
    public var chunksPerHead: Int { (queries + chunk - 1) / chunk }
    /// Rows in the largest chunk.
    var chunkRows: Int { min(chunk, queries) }

    /// Rows `q0 ..< q0 + n` of chunk `c` and the number of keys any of them can see.
    @inline(__always)
    func chunkBounds(_ c: Int) -> (q0: Int, n: Int, keyEnd: Int) {
        let q0 = c * chunk
        let n = min(chunk, queries - q0)
        return (q0, n, causal ? min(keys, q0 + n) : keys)
    }

    /// Keys visible to query `q` among the first `keyEnd`.
    @inline(__always)
    func visibleKeys(query q: Int, keyEnd: Int) -> Int {
        causal ? min(keyEnd, q + 1) : keyEnd
    }
}

/// Runs `items` independent work items, each with a `perItemScratch`-float buffer of its worker.
///
/// Items are split over cores (the GEMMs inside run single-threaded then, see ``sgemm``): the
/// GEMMs are small enough that threading inside them gains little, and this way the softmax
/// between the GEMMs runs on all cores too. A single item runs on the calling thread, where its
/// GEMMs may split. Each item writes only its own outputs, so reruns are bit-identical.
func runAttentionItems(_ items: Int, scratch perItemScratch: Int,
                       _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
    guard items > 0 else { return }
    parallelFor(items, grain: 1) { range in
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, perItemScratch))
        defer { buffer.deallocate() }
        for item in range { body(item, buffer) }
    }
}

/// Exponentiated scores of one query chunk of one head: `e[r, j] = exp(S[r, j] - max_j S[r, j])`
/// with `S = scale * Q_chunk K^T`, masked keys at 0, as `n x keyEnd` floats; `inv[r]` receives
/// `1 / sum_j e[r, j]`, so that the probabilities are `inv[r] * e[r, j]`.
///
/// Heads of at most ``smallHeadDim`` floats take the AVX2 path when ``KernelISA/active`` is AVX2
/// or AVX-512 (this kernel has no 512-bit version): the
/// head's keys are transposed into `kt` (``transposedKeysScratch(_:)`` floats) and the scores
/// computed directly, without the packing and clearing of C a GEMM spends more time on than on
/// the products at these widths.
@inline(__always)
func attentionScores(_ s: AttentionProblem, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                     batch b: Int, head h: Int, q0: Int, n: Int, keyEnd: Int,
                     e: UnsafeMutablePointer<Float>, inv: UnsafeMutablePointer<Float>,
                     kt: UnsafeMutablePointer<Float>) {
    let w = s.width, d = s.headDim
    let qChunk = q + (b * s.queries + q0) * w + h * d, kHead = k + b * s.keys * w + h * d
    if s.usesSmallHeadScores {
        let ldk = (keyEnd + 7) / 8 * 8
        transposeHead(kHead, rows: keyEnd, width: d, stride: w, into: kt, ld: ldk)
        membrane_attention_scores_avx2(qChunk, w, kt, ldk, keyEnd, d, s.scale, e, keyEnd, n)
    } else {
        sgemm(transB: .transposed, m: n, n: keyEnd, k: d, alpha: s.scale, a: qChunk, lda: w,
              b: kHead, ldb: w, c: e, ldc: keyEnd)
    }
    for r in 0..<n {
        inv[r] = softmaxRowUnnormalized(e + r * keyEnd, valid: s.visibleKeys(query: q0 + r, keyEnd: keyEnd),
                                        count: keyEnd)
    }
}

/// Where an attention forward leaves its probabilities for the backward: for each (batch item,
/// head, query) in that order, the row's unnormalized probabilities `e^(s - max)`
/// (``AttentionProblem/probabilityRowStride`` floats apart) and `1 / rowsum` in `inv`.
public struct AttentionProbabilities {
    /// ``AttentionProblem/probabilityCount`` floats.
    public var e: UnsafeMutablePointer<Float>
    /// ``AttentionProblem/probabilityRows`` floats.
    public var inv: UnsafeMutablePointer<Float>

    public init(e: UnsafeMutablePointer<Float>, inv: UnsafeMutablePointer<Float>) {
        self.e = e
        self.inv = inv
    }
}

extension AttentionProblem {
    /// Whether the forward can keep its probabilities: small heads on AVX2 (the fused forward
    /// computes them row by row anyway), without a causal mask.
    public var keepsProbabilities: Bool { usesSmallHeadScores && !causal }
    /// Floats between two kept probability rows: the keys rounded up to a multiple of 8.
    public var probabilityRowStride: Int { (keys + 7) / 8 * 8 }
    /// Kept probability rows: one per (batch item, head, query).
    public var probabilityRows: Int { batch * heads * queries }
    /// Floats of kept probabilities.
    public var probabilityCount: Int { probabilityRows * probabilityRowStride }
}

/// Head widths up to which scores skip the GEMM (see ``attentionScores``).
let smallHeadDim = 32

extension AttentionProblem {
    /// Whether ``attentionScores`` computes scores directly rather than with a GEMM.
    var usesSmallHeadScores: Bool { headDim <= smallHeadDim && KernelISA.active >= .avx2 }
    /// Floats of the transposed-keys scratch ``attentionScores`` needs.
    var transposedKeysScratch: Int { usesSmallHeadScores ? headDim * ((keys + 7) / 8 * 8) : 0 }
}

/// Attention forward: `out = softmax(scale * Q K^T [+ causal mask]) V` for every batch item and
/// head. `q`, `out` are [B, Tq, H*D]; `k`, `v` are [B, Tk, H*D].
///
/// With `keep` (only where ``AttentionProblem/keepsProbabilities``), the probabilities are left
/// there for ``attentionBackward(_:q:k:v:out:dOut:dq:dk:dv:kept:logSumExp:)``, which then need
/// not recompute them. Where ``AttentionProblem/usesFlash``, the flash kernel runs, and
/// `logSumExp` (``AttentionProblem/logSumExpCount`` floats) receives what its backward needs.
public func attentionForward(_ s: AttentionProblem, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                             v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                             keep: AttentionProbabilities? = nil, logSumExp: UnsafeMutablePointer<Float>? = nil) {
    precondition(keep == nil || s.keepsProbabilities, "attention: this problem cannot keep its probabilities")
    if s.usesFlash { return flashForward(s, q: q, k: k, v: v, out: out, logSumExp: logSumExp) }
    if s.usesSmallHeadScores { return fusedSmallHeadForward(s, q: q, k: k, v: v, out: out, keep: keep) }
    let chunks = s.chunksPerHead, w = s.width, d = s.headDim, rows = s.chunkRows
    runAttentionItems(s.batch * s.heads * chunks, scratch: rows * s.keys + rows + s.transposedKeysScratch) { item, buffer in
        let c = item % chunks, h = (item / chunks) % s.heads, b = item / (chunks * s.heads)
        let (q0, n, keyEnd) = s.chunkBounds(c)
        let e = buffer, inv = buffer + rows * s.keys, kt = inv + rows
        attentionScores(s, q: q, k: k, batch: b, head: h, q0: q0, n: n, keyEnd: keyEnd, e: e, inv: inv, kt: kt)
        let o = out + (b * s.queries + q0) * w + h * d
        sgemm(m: n, n: d, k: keyEnd, a: e, lda: keyEnd, b: v + b * s.keys * w + h * d, ldb: w, c: o, ldc: w)
        for r in 0..<n {
            let row = o + r * w, f = inv[r]
            for j in 0..<d { row[j] *= f }
        }
    }
}

/// ``attentionForward(_:q:k:v:out:)`` for heads of at most ``smallHeadDim`` floats on AVX2: per
/// (batch, head, query chunk) the head's keys and values are transposed once, then every query
/// row runs scores, softmax and the weighted sum of values in one pass over an L1-sized row
/// (`membrane_attention_rows_avx2`), with no score matrix and no GEMM packing. Each row's sums run
/// in a fixed order, whatever the number of cores.
func fusedSmallHeadForward(_ s: AttentionProblem, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                           v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, keep: AttentionProbabilities?) {
    let chunks = s.chunksPerHead, w = s.width, d = s.headDim, ldk = s.probabilityRowStride
    runAttentionItems(s.batch * s.heads * chunks, scratch: (2 * d + 2) * ldk) { item, buffer in
        let c = item % chunks, h = (item / chunks) % s.heads, b = item / (chunks * s.heads)
        let (q0, n, keyEnd) = s.chunkBounds(c)
        let kt = buffer, vt = buffer + d * ldk, row = vt + d * ldk
        transposeHead(k + b * s.keys * w + h * d, rows: keyEnd, width: d, stride: w, into: kt, ld: ldk)
        transposeHead(v + b * s.keys * w + h * d, rows: keyEnd, width: d, stride: w, into: vt, ld: ldk)
        let offset = (b * s.queries + q0) * w + h * d
        let firstRow = (b * s.heads + h) * s.queries + q0
        membrane_attention_rows_avx2(q + offset, w, kt, vt, ldk, keyEnd, d, s.scale, s.causal ? q0 : -1, n,
                                     out + offset, w, keep.map { $0.e + firstRow * ldk } ?? row, keep == nil ? 0 : ldk,
                                     keep.map { $0.inv + firstRow })
    }
}

/// Writes the `rows x width` block at `src` (rows `stride` floats apart) transposed into `dst`:
/// `width` rows of `ld` floats, zero past `rows`.
@inline(__always)
func transposeHead(_ src: UnsafePointer<Float>, rows: Int, width: Int, stride: Int,
                   into dst: UnsafeMutablePointer<Float>, ld: Int) {
    for j in 0..<rows {
        let from = src + j * stride
        for c in 0..<width { dst[c * ld + j] = from[c] }
    }
    for c in 0..<width { (dst + c * ld + rows).update(repeating: 0, count: ld - rows) }
}

/// Attention backward, flash-style: probabilities are recomputed chunk by chunk (unless the
/// forward kept them, see `kept`). From the inputs, the forward output `out` and its gradient `dOut`, writes
///
/// - `dq = scale * dS K` (overwritten),
/// - `dk = scale * dS^T Q` and `dv = P^T dOut` (both must be zeroed by the caller),
///
/// where `dS = P * (dOut V^T - rowsum(dOut * out))`. Any of `dq`, `dk`, `dv` may be `nil` to
/// skip that gradient and the work only it needs (with only `dv`, no `dS` is formed).
///
/// With `kept` (filled by the forward), the probabilities are read from there instead; with
/// `logSumExp` from a flash forward, the flash backward runs.
public func attentionBackward(_ s: AttentionProblem, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                              v: UnsafePointer<Float>, out: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                              dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?,
                              dv: UnsafeMutablePointer<Float>?, kept: AttentionProbabilities? = nil,
                              logSumExp: UnsafePointer<Float>? = nil) {
    let needScores = dq != nil || dk != nil
    if !needScores && dv == nil { return }
    if s.usesFlash, let logSumExp {
        return flashBackward(s, q: q, k: k, v: v, out: out, dOut: dOut, dq: dq, dk: dk, dv: dv, logSumExp: logSumExp)
    }
    let chunks = s.chunksPerHead, w = s.width, d = s.headDim, rows = s.chunkRows
    let block = rows * s.keys
    // Per worker: diag(inv) dO and dS, then (only when recomputing) E, 1 / rowsum and K^T.
    let recompute = kept == nil ? block + rows + s.transposedKeysScratch : 0
    let scratch = rows * d + (needScores ? block : 0) + recompute
    // One item per (batch, head): dK and dV accumulate over all query chunks of that head, so
    // the chunks of a head run in order on one thread.
    runAttentionItems(s.batch * s.heads, scratch: scratch) { item, buffer in
        let h = item % s.heads, b = item / s.heads
        let scaledDOut = buffer, ds = scaledDOut + rows * d
        let recomputed = ds + (needScores ? block : 0), kt = recomputed + block + rows
        let kHead = k + b * s.keys * w + h * d, vHead = v + b * s.keys * w + h * d
        for c in 0..<chunks {
            let (q0, n, keyEnd) = s.chunkBounds(c)
            let rowOffset = (b * s.queries + q0) * w + h * d
            // E and 1 / rowsum(E): kept by the forward (rows lde floats apart) or recomputed.
            let e: UnsafeMutablePointer<Float>, inv: UnsafeMutablePointer<Float>, lde: Int
            if let kept {
                let firstRow = (b * s.heads + h) * s.queries + q0
                (e, inv, lde) = (kept.e + firstRow * s.probabilityRowStride, kept.inv + firstRow, s.probabilityRowStride)
            } else {
                (e, inv, lde) = (recomputed, recomputed + block, keyEnd)
                attentionScores(s, q: q, k: k, batch: b, head: h, q0: q0, n: n, keyEnd: keyEnd, e: e, inv: inv, kt: kt)
            }
            if let dv {
                // P^T dO = E^T (diag(inv) dO).
                for r in 0..<n {
                    let src = dOut + rowOffset + r * w, dst = scaledDOut + r * d, f = inv[r]
                    for j in 0..<d { dst[j] = src[j] * f }
                }
                sgemm(transA: .transposed, m: keyEnd, n: d, k: n, a: e, lda: lde,
                      b: scaledDOut, ldb: d, beta: 1, c: dv + b * s.keys * w + h * d, ldc: w)
            }
            guard needScores else { continue }
            // dP = dO V^T, then dS = P * (dP - rowsum(dO * O)) in place (masked keys have E = 0).
            sgemm(transB: .transposed, m: n, n: keyEnd, k: d, a: dOut + rowOffset, lda: w,
                  b: vHead, ldb: w, c: ds, ldc: keyEnd)
            for r in 0..<n {
                let delta = rowDot(dOut + rowOffset + r * w, out + rowOffset + r * w, d)
                let er = e + r * lde, dr = ds + r * keyEnd, f = inv[r]
                var j = 0
                while j + 8 <= keyEnd { store8(load8(er + j) * f * (load8(dr + j) - delta), dr + j); j += 8 }
                while j < keyEnd { dr[j] = er[j] * f * (dr[j] - delta); j += 1 }
            }
            if let dq {
                sgemm(m: n, n: d, k: keyEnd, alpha: s.scale, a: ds, lda: keyEnd, b: kHead, ldb: w,
                      c: dq + rowOffset, ldc: w)
            }
            if let dk {
                sgemm(transA: .transposed, m: keyEnd, n: d, k: n, alpha: s.scale, a: ds, lda: keyEnd,
                      b: q + rowOffset, ldb: w, beta: 1, c: dk + b * s.keys * w + h * d, ldc: w)
            }
        }
    }
}
