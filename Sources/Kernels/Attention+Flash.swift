import CKernels

// Flash attention for heads wider than `smallHeadDim` on AVX-512 (`FlashAttention512.c`):
// scores exist only for 8 queries x 64 keys at a time, the softmax runs online, and the
// backward recomputes probabilities from each row's log-sum-exp, kept by the forward.

extension AttentionProblem {
    /// Whether the flash kernels run this problem: heads wider than ``smallHeadDim`` while
    /// ``KernelISA/active`` is AVX-512 (narrower heads keep their fused row kernel, and the
    /// AVX2 and generic paths keep the chunked GEMMs).
    public var usesFlash: Bool { headDim > smallHeadDim && KernelISA.active == .avx512 }
    /// Keys of one packed head (``packKeyBlocks(_:rows:width:stride:into:)``): a multiple of 64.
    var flashKeyStride: Int { (keys + 63) / 64 * 64 }
    /// Floats of log-sum-exp a flash forward leaves for its backward: one per (batch item,
    /// head, query), in that order.
    public var logSumExpCount: Int { batch * heads * queries }
}

/// Writes one head's `rows x width` block at `src` (rows `stride` floats apart) into `dst` in
/// the flash kernels' key blocks: key `j0 + j` (`j0` a multiple of 64), element `c` at
/// `dst[j0 * width + c * 64 + j]`, zero past `rows` up to ``AttentionProblem/flashKeyStride``.
func packKeyBlocks(_ src: UnsafePointer<Float>, rows: Int, width: Int, stride: Int, into dst: UnsafeMutablePointer<Float>) {
    let padded = (rows + 63) / 64 * 64
    for j0 in Swift.stride(from: 0, to: padded, by: 64) {
        let block = dst + j0 * width
        for j in 0..<min(64, rows - j0) {
            let from = src + (j0 + j) * stride
            for c in 0..<width { block[c * 64 + j] = from[c] }
        }
        if rows - j0 < 64 {
            for c in 0..<width { (block + c * 64 + (rows - j0)).update(repeating: 0, count: 64 - (rows - j0)) }
        }
    }
}

/// Copies one head's `rows x width` block (rows `stride` floats apart) into contiguous rows.
@inline(__always)
func packRows(_ src: UnsafePointer<Float>, rows: Int, width: Int, stride: Int, into dst: UnsafeMutablePointer<Float>) {
    for j in 0..<rows { (dst + j * width).update(from: src + j * stride, count: width) }
}

/// ``attentionForward(_:q:k:v:out:keep:logSumExp:)`` on the flash kernel: each head's keys
/// are packed once (``packKeyBlocks(_:rows:width:stride:into:)``) and its values into
/// contiguous rows, then every (batch item, head, query chunk) runs on one core. With
/// `logSumExp` (``AttentionProblem/logSumExpCount`` floats), each row's log-sum-exp is left
/// there for ``flashBackward(_:q:k:v:out:dOut:dq:dk:dv:logSumExp:)``.
func flashForward(_ s: AttentionProblem, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                  out: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>?) {
    let ldk = s.flashKeyStride, w = s.width, d = s.headDim, chunks = s.chunksPerHead
    let perHead = d * ldk + s.keys * d
    let packed = UnsafeMutablePointer<Float>.allocate(capacity: s.batch * s.heads * perHead)
    defer { packed.deallocate() }
    parallelFor(s.batch * s.heads, grain: 1) { range in
        for head in range {
            let h = head % s.heads, b = head / s.heads, from = b * s.keys * w + h * d, to = packed + head * perHead
            packKeyBlocks(k + from, rows: s.keys, width: d, stride: w, into: to)
            packRows(v + from, rows: s.keys, width: d, stride: w, into: to + d * ldk)
        }
    }
    runAttentionItems(s.batch * s.heads * chunks, scratch: 64 * d + 512) { item, scratch in
        let c = item % chunks, head = item / chunks, h = head % s.heads, b = head / s.heads
        let (q0, n, _) = s.chunkBounds(c)
        let offset = (b * s.queries + q0) * w + h * d, kt = packed + head * perHead
        membrane_flash_forward_avx512(q + offset, w, kt, kt + d * ldk, d, s.keys, d, s.scale, s.causal ? q0 : -1, n,
                                      out + offset, w, logSumExp.map { $0 + head * s.queries + q0 }, scratch)
    }
}

/// ``attentionBackward(_:q:k:v:out:dOut:dq:dk:dv:kept:logSumExp:)`` on the flash kernel, from
/// the rows' log-sum-exp a flash forward kept: one work item per (batch item, head), since key
/// and value gradients gather over all its queries (into contiguous rows, added to `dk` and
/// `dv` at the end). `dq` is overwritten; `dk` and `dv` are added to (the caller zeroes them).
func flashBackward(_ s: AttentionProblem, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                   out: UnsafePointer<Float>, dOut: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>?,
                   dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?, logSumExp: UnsafePointer<Float>) {
    let ldk = s.flashKeyStride, w = s.width, d = s.headDim, head = ldk * d
    let scores = dq != nil || dk != nil
    // Per worker: keys in blocks, values in blocks, keys in rows, key and value gradients (rows
    // up to the padded key count, which the kernel writes), scratch.
    let scratch = 5 * head + 96 * d + 4096
    runAttentionItems(s.batch * s.heads, scratch: scratch) { item, buffer in
        let h = item % s.heads, b = item / s.heads
        let rows = (b * s.queries) * w + h * d, keyRows = b * s.keys * w + h * d
        let kt = buffer, vt = kt + d * ldk, kRows = vt + d * ldk, gk = kRows + head, gv = gk + head
        packKeyBlocks(k + keyRows, rows: s.keys, width: d, stride: w, into: kt)
        if scores { packKeyBlocks(v + keyRows, rows: s.keys, width: d, stride: w, into: vt) }
        if dq != nil { packRows(k + keyRows, rows: s.keys, width: d, stride: w, into: kRows) }
        gk.update(repeating: 0, count: 2 * head)
        membrane_flash_backward_avx512(q + rows, kRows, out + rows, dOut + rows, w, d, kt, vt, s.queries,
                                       s.keys, d, s.scale, s.causal ? 0 : -1, logSumExp + item * s.queries,
                                       dq.map { $0 + rows }, dk == nil ? nil : gk, dv == nil ? nil : gv, gv + head)
        for (gradient, local) in [(dk, gk), (dv, gv)] {
            guard let gradient else { continue }
            for j in 0..<s.keys {
                let row = gradient + keyRows + j * w, from = local + j * d
                for c in 0..<d { row[c] += from[c] }
            }
        }
    }
}
