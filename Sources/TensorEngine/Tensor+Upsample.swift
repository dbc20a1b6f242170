import Kernels

extension Tensor {
    /// Nearest-neighbour 2x upsampling of an NCHW tensor: [N, C, H, W] -> [N, C, 2H, 2W], each
    /// pixel repeated over a 2x2 block. The backward pass sums each 2x2 block of the gradient.
    public func upsampleNearest2x() -> Tensor {
        precondition(rank == 4, "upsampleNearest2x: input \(shape) is not NCHW")
        let planes = shape[0] * shape[1], h = shape[2], w = shape[3]
        let out = Tensor(uninitialized: [shape[0], shape[1], 2 * h, 2 * w])
        Kernels.upsampleNearest2x(pointer, planes: planes, height: h, width: w, out.pointer)
        let inShape = shape
        return Tensor.record(out, inputs: [self]) { g in
            let gx = Tensor(uninitialized: inShape)
            sumBlocks2x2(g.pointer, planes: planes, height: h, width: w, gx.pointer)
            return [gx]
        }
    }
}
