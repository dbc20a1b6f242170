import Kernels

extension Tensor {
    /// `self` [..., M, K] times `b` [K, N] -> [..., M, N] (leading axes are folded into rows).
    public func matmul(_ b: Tensor) -> Tensor {
        precondition(rank >= 1 && b.rank == 2 && shape.last == b.shape[0],
                     "matmul of \(shape) and \(b.shape)")
        let k = b.shape[0], n = b.shape[1], m = count / max(k, 1)
        let out = Tensor(uninitialized: Array(shape.dropLast()) + [n])
        sgemm(m: m, n: n, k: k, a: pointer, lda: k, b: b.pointer, ldb: n, c: out.pointer, ldc: n)
        let aShape = shape, keptA = kept(forGradientOf: b), keptB = b.kept(forGradientOf: self)
        return Tensor.record(out, inputs: [self, b]) { g in
            var ga: Tensor?, gb: Tensor?
            if let keptB {
                let t = Tensor(uninitialized: aShape)
                sgemm(transB: .transposed, m: m, n: k, k: n, a: g.pointer, lda: n, b: keptB.pointer, ldb: n, c: t.pointer, ldc: k)
                ga = t
            }
            if let keptA {
                let t = Tensor(uninitialized: [k, n])
                sgemm(transA: .transposed, m: k, n: n, k: m, a: keptA.pointer, lda: k, b: g.pointer, ldb: n, c: t.pointer, ldc: n)
                gb = t
            }
            return [ga, gb]
        }
    }

    /// Batched product: `self` [B, M, K] times `b` [B, K, N] -> [B, M, N].
    public func batchedMatmul(_ b: Tensor) -> Tensor {
        precondition(rank == 3 && b.rank == 3 && shape[0] == b.shape[0] && shape[2] == b.shape[1],
                     "batchedMatmul of \(shape) and \(b.shape)")
        let batch = shape[0], m = shape[1], k = shape[2], n = b.shape[2]
        let out = Tensor(uninitialized: [batch, m, n])
        for i in 0..<batch {
            sgemm(m: m, n: n, k: k, a: pointer + i * m * k, lda: k, b: b.pointer + i * k * n, ldb: n,
                  c: out.pointer + i * m * n, ldc: n)
        }
        let aShape = shape, keptA = kept(forGradientOf: b), keptB = b.kept(forGradientOf: self)
        return Tensor.record(out, inputs: [self, b]) { g in
            var ga: Tensor?, gb: Tensor?
            if let keptB {
                let t = Tensor(uninitialized: aShape)
                for i in 0..<batch {
                    sgemm(transB: .transposed, m: m, n: k, k: n, a: g.pointer + i * m * n, lda: n,
                          b: keptB.pointer + i * k * n, ldb: n, c: t.pointer + i * m * k, ldc: k)
                }
                ga = t
            }
            if let keptA {
                let t = Tensor(uninitialized: [batch, k, n])
                for i in 0..<batch {
                    sgemm(transA: .transposed, m: k, n: n, k: m, a: keptA.pointer + i * m * k, lda: k,
                          b: g.pointer + i * m * n, ldb: n, c: t.pointer + i * k * n, ldc: n)
                }
                gb = t
            }
            return [ga, gb]
        }
    }

    /// A fully connected layer: `self` [..., in] times `weight` [out, in] transposed, plus `bias` [out].
    ///
    /// A frozen weight (no autodiff node) costs nothing in the backward pass beyond the input
    /// gradient, and that too is skipped when the input needs none.
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(weight.rank == 2 && shape.last == weight.shape[1],
                     "linear: input \(shape) and weight \(weight.shape)")
        let nIn = weight.shape[1], nOut = weight.shape[0], rows = count / max(nIn, 1)
        let out = Tensor(uninitialized: Array(shape.dropLast()) + [nOut])
        if let bias {
            precondition(bias.shape == [nOut], "linear: bias \(bias.shape) for \(nOut) outputs")
            let o = out.pointer, b = bias.pointer
            for r in 0..<rows { (o + r * nOut).update(from: b, count: nOut) }
        }
        sgemm(transB: .transposed, m: rows, n: nOut, k: nIn, a: pointer, lda: nIn,
              b: weight.pointer, ldb: nIn, beta: bias == nil ? 0 : 1, c: out.pointer, ldc: nOut)
        let inShape = shape, x = kept(forGradientOf: weight), w = weight.kept(forGradientOf: self)
        let needB = bias?.requiresGrad ?? false
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight], withBias = bias != nil
        return Tensor.record(out, inputs: inputs) { g in
            var gx: Tensor?, gw: Tensor?, gb: Tensor?
            if let w {
                let t = Tensor(uninitialized: inShape)
                sgemm(m: rows, n: nIn, k: nOut, a: g.pointer, lda: nOut, b: w.pointer, ldb: nIn, c: t.pointer, ldc: nIn)
                gx = t
            }
            if let x {
                let t = Tensor(uninitialized: [nOut, nIn])
                sgemm(transA: .transposed, m: nOut, n: nIn, k: rows, a: g.pointer, lda: nOut,
                      b: x.pointer, ldb: nIn, c: t.pointer, ldc: nIn)
                gw = t
            }
            if needB { gb = g.sum(toShape: [nOut]) }
            return withBias ? [gx, gw, gb] : [gx, gw]
        }
    }
}
