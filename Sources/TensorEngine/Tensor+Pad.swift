import Kernels

extension Tensor {
    /// Zero padding of the two spatial axes of an NCHW tensor, each side on its own.
    public func padded2d(top: Int, bottom: Int, left: Int, right: Int) -> Tensor {
        precondition(rank == 4 && min(top, bottom, left, right) >= 0, "padded2d of \(shape)")
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let oh = h + top + bottom, ow = w + left + right
        let out = Tensor.zeros([shape[0], shape[1], oh, ow])
        let x = pointer, o = out.pointer
        parallelFor(planes, grain: max(1, 4096 / max(h * w, 1))) { r in
            for p in r {
                for y in 0..<h { (o + p * oh * ow + (y + top) * ow + left).update(from: x + p * h * w + y * w, count: w) }
            }
        }
        let n = shape[0], c = shape[1]
        return Tensor.record(out, inputs: [self]) { g in
            let gx = Tensor(uninitialized: [n, c, h, w])
            let gp = g.pointer, d = gx.pointer
            parallelFor(planes, grain: max(1, 4096 / max(h * w, 1))) { r in
                for p in r {
                    for y in 0..<h { (d + p * h * w + y * w).update(from: gp + p * oh * ow + (y + top) * ow + left, count: w) }
                }
            }
            return [gx]
        }
    }
}
