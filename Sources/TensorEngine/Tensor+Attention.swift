import Kernels

extension Tensor {
    /// Multi-head scaled-dot-product attention,
    /// `softmax(scale * Q_h K_h^T [+ causal mask]) V_h` for each head h, heads side by side.
    ///
    /// - Parameters:
    ///   - query: [B, Tq, H*D].
    ///   - key: [B, Tk, H*D].
    ///   - value: [B, Tk, H*D].
    ///   - heads: H; head h is the column block `h*D ..< (h+1)*D` of every row.
    ///   - causal: when true, query `i` attends only to keys `j <= i`.
    ///   - scale: factor on the dot products; `nil` means `1 / sqrt(D)`.
    /// - Returns: [B, Tq, H*D].
    ///
    /// Queries are processed in chunks, so memory beyond the inputs and output is
    /// O(chunk x Tk) per core, never Tq x Tk, except that a forward whose result will be
    /// differentiated keeps its probabilities for the backward when they fit
    /// ``keptProbabilityLimit`` floats (small heads, no causal mask); otherwise the backward
    /// recomputes them chunk by chunk. Gradients are computed only for inputs that require them.
    public static func attention(query: Tensor, key: Tensor, value: Tensor, heads: Int,
                                 causal: Bool = false, scale: Float? = nil) -> Tensor {
        attention(query: query, key: key, value: value, heads: heads, causal: causal, scale: scale, chunk: 256)
    }

    /// ``attention(query:key:value:heads:causal:scale:)`` with an explicit query chunk size.
    static func attention(query: Tensor, key: Tensor, value: Tensor, heads: Int,
                          causal: Bool, scale: Float?, chunk: Int) -> Tensor {
        precondition(query.rank == 3 && key.rank == 3 && value.shape == key.shape,
                     "attention: query \(query.shape), key \(key.shape), value \(value.shape)")
        precondition(query.shape[0] == key.shape[0] && query.shape[2] == key.shape[2],
                     "attention: query \(query.shape) and key \(key.shape) differ in batch or width")
        let width = query.shape[2]
        precondition(heads >= 1 && width % heads == 0, "attention: width \(width) not divisible by \(heads) heads")
        precondition(key.shape[1] >= 1, "attention: no keys")
        let headDim = width / heads
        let problem = AttentionProblem(batch: query.shape[0], queries: query.shape[1], keys: key.shape[1],
                                       heads: heads, headDim: headDim, causal: causal,
                                       scale: scale ?? 1 / Float(headDim).squareRoot(), chunk: chunk)
        let out = Tensor(uninitialized: query.shape)
        let needQ = query.requiresGrad, needK = key.requiresGrad, needV = value.requiresGrad
        // A forward that will be differentiated keeps its probabilities when they are small
        // enough: the backward then reads them instead of recomputing scores and exponentials.
        let keeping = GradientMode.isRecording && (needQ || needK || needV) && problem.keepsProbabilities
            && problem.probabilityCount <= keptProbabilityLimit
        let kept = keeping ? Tensor(uninitialized: [problem.probabilityCount + problem.probabilityRows]) : nil
        let keep = kept.map { AttentionProbabilities(e: $0.pointer, inv: $0.pointer + problem.probabilityCount) }
        // The flash kernel keeps one log-sum-exp per row instead (see Kernels' Attention+Flash).
        let logSumExp = GradientMode.isRecording && (needQ || needK || needV) && problem.usesFlash
            ? Tensor(uninitialized: [problem.logSumExpCount]) : nil
        attentionForward(problem, q: query.pointer, k: key.pointer, v: value.pointer, out: out.pointer, keep: keep,
                         logSumExp: logSumExp?.pointer)

        let q = query.detached, k = key.detached, v = value.detached, o = out.detached
        return Tensor.record(out, inputs: [query, key, value]) { g in
            let dq = needQ ? Tensor(uninitialized: q.shape) : nil
            let dk = needK ? Tensor.zeros(k.shape) : nil
            let dv = needV ? Tensor.zeros(v.shape) : nil
            withExtendedLifetime((kept, logSumExp)) {
                attentionBackward(problem, q: q.pointer, k: k.pointer, v: v.pointer, out: o.pointer,
                                  dOut: g.pointer, dq: dq?.pointer, dk: dk?.pointer, dv: dv?.pointer, kept: keep,
                                  logSumExp: logSumExp.map { UnsafePointer($0.pointer) })
            }
            return [dq, dk, dv]
        }
    }
}

/// Largest number of floats an attention forward keeps for its backward (16 MB; a ShapesWorld
/// self-attention keeps 1 MB per batch row, an SD v1.5 one at 64x64 latents would need 512 MB
/// and recomputes instead).
public let keptProbabilityLimit = 1 << 22
