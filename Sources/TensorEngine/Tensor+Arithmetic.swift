import Kernels

/// Elementwise binary operation with broadcasting.
enum BinaryOp { case add, sub, mul }

extension Tensor {
    static func broadcasting(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) -> Tensor {
        guard let shape = broadcastShape(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let out = Tensor(uninitialized: shape)
        let o = out.pointer, x = a.pointer, y = b.pointer
        if a.shape == b.shape {
            parallelFor(out.count) { r in
                switch op {
                case .add: for i in r { o[i] = x[i] + y[i] }
                case .sub: for i in r { o[i] = x[i] - y[i] }
                case .mul: for i in r { o[i] = x[i] * y[i] }
                }
            }
        } else {
            let walk = StridedWalk(shape: shape, operands: [a.shape, b.shape])
            let n = walk.inner, sa = walk.strides[0].last!, sb = walk.strides[1].last!
            parallelFor(walk.rows, grain: max(1, 4096 / max(n, 1))) { rows in
                var offs = [0, 0]
                for row in rows {
                    walk.rowOffsets(row, into: &offs)
                    let dst = o + row * n, p = x + offs[0], q = y + offs[1]
                    switch op {
                    case .add: for i in 0..<n { dst[i] = p[i * sa] + q[i * sb] }
                    case .sub: for i in 0..<n { dst[i] = p[i * sa] - q[i * sb] }
                    case .mul: for i in 0..<n { dst[i] = p[i * sa] * q[i * sb] }
                    }
                }
            }
        }
        return out
    }

    /// Elementwise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcasting(a, b, .add)
        let (aShape, bShape) = gradientShapes(a, b)
        return record(out, inputs: [a, b]) { g in [aShape.map { g.sum(toShape: $0) }, bShape.map { g.sum(toShape: $0) }] }
    }

    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcasting(a, b, .sub)
        let (aShape, bShape) = gradientShapes(a, b)
        return record(out, inputs: [a, b]) { g in [aShape.map { g.sum(toShape: $0) }, bShape.map { (g * -1).sum(toShape: $0) }] }
    }

    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcasting(a, b, .mul)
        let (aShape, bShape) = gradientShapes(a, b)
        let keptA = a.kept(forGradientOf: b), keptB = b.kept(forGradientOf: a)
        return record(out, inputs: [a, b]) { g in
            [aShape.flatMap { s in keptB.map { broadcasting(g, $0, .mul).sum(toShape: s) } },
             bShape.flatMap { s in keptA.map { broadcasting(g, $0, .mul).sum(toShape: s) } }]
        }
    }

    /// The shapes of `a` and `b` where each needs a gradient, nil where it does not: what a
    /// backward closure captures instead of the operands (see ``kept(forGradientOf:)``).
    static func gradientShapes(_ a: Tensor, _ b: Tensor) -> ([Int]?, [Int]?) {
        (a.requiresGrad ? a.shape : nil, b.requiresGrad ? b.shape : nil)
    }

    /// `a * scale + shift` elementwise.
    public func affine(scale: Float, shift: Float = 0) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let o = out.pointer, x = pointer
        parallelFor(count) { r in for i in r { o[i] = x[i] * scale + shift } }
        return Tensor.record(out, inputs: [self]) { g in [g.affine(scale: scale)] }
    }

    /// Every element times `s`.
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s) }
    /// Every element times `s`.
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s) }
    /// Every element plus `s`.
    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    /// Negation.
    public static prefix func - (a: Tensor) -> Tensor { a.affine(scale: -1) }

    /// Sums this (broadcast) gradient down to `target`, the shape of the operand it flows to.
    public func sum(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        let out = Tensor.zeros(target)
        let walk = StridedWalk(shape: shape, operands: [shape, target])
        let n = walk.inner, st = walk.strides[1].last!
        var offs = [0, 0]
        let o = out.pointer, x = pointer
        for row in 0..<walk.rows {
            walk.rowOffsets(row, into: &offs)
            let src = x + offs[0], dst = o + offs[1]
            if st == 0 {
                var s: Float = 0
                for i in 0..<n { s += src[i] }
                dst[0] += s
            } else {
                for i in 0..<n { dst[i * st] += src[i] }
            }
        }
        let inShape = shape
        return Tensor.record(out, inputs: [self]) { g in [g.broadcast(to: inShape)] }
    }

    /// This tensor repeated along broadcast axes to `target`.
    public func broadcast(to target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(broadcastShape(shape, target) == target, "\(shape) does not broadcast to \(target)")
        return Tensor.zeros(target).detached + self
    }
}
