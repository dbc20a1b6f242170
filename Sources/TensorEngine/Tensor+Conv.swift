import Kernels

extension Tensor {
    /// 2-D convolution (cross-correlation, as in PyTorch) of this NCHW input [N, C, H, W] with
    /// `weight` [O, C, kh, kw] plus an optional `bias` [O], giving [N, O, outH, outW] where
    /// `outH = (H + 2 * padding - kh) / stride + 1` (likewise for the width). Zero padding.
    ///
    /// Each image is unfolded with im2col into a `[C * kh * kw, outH * outW]` matrix and
    /// multiplied by the weight as an `[O, C * kh * kw]` matrix with one SGEMM; a 1x1 kernel with
    /// stride 1 and no padding multiplies the image directly. The backward pass computes only
    /// what is needed: the input gradient (Wᵀ·dOut folded back with col2im) when the input
    /// requires a gradient, the weight gradient (dOut·colᵀ summed over the batch) when the
    /// weight does, and the bias gradient when the bias does. A frozen weight costs no
    /// weight-gradient work.
    ///
    /// 3x3 kernels with stride 1 and padding 1 run as Winograd F(2x2, 3x3) convolutions
    /// (``winogradConvolution(_:channels:tiling:weights:outChannels:bias:out:scratch:turned:)``: 16
    /// multiply-adds per tile and channel pair instead of 36) when the output has at least
    /// ``winogradMinimumTiles`` 2x2 tiles, or a quarter of that with `winograd` kernels of this
    /// `weight` that are kept (``WinogradKernels/keepsTransforms``: transformed once, so small
    /// images pay no transform). The input gradient of such
    /// a convolution is computed the same way (a 3x3 convolution with the kernels turned).
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                       winograd: WinogradKernels? = nil) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && weight.shape[1] == shape[1],
                     "conv2d: input \(shape) and weight \(weight.shape)")
        let batch = shape[0], outC = weight.shape[0]
        let geo = ConvGeometry(channels: shape[1], height: shape[2], width: shape[3],
                               kernelH: weight.shape[2], kernelW: weight.shape[3],
                               strideH: stride, strideW: stride, padH: padding, padW: padding)
        let out = Tensor(uninitialized: [batch, outC, geo.outH, geo.outW])
        if let bias { precondition(bias.shape == [outC], "conv2d: bias \(bias.shape) for \(outC) output channels") }
        if let plan = Tensor.winogradPlan(for: geo, weight: weight, prepared: winograd) {
            Tensor.convolveByWinograd(pointer, channels: geo.channels, plan: plan, weight: weight, outChannels: outC,
                                      bias: bias, into: out.pointer, batch: batch, geometry: geo)
        } else {
            convolveByColumns(out, weight: weight, bias: bias, geometry: geo)
        }
        return recordConvolution(out, weight: weight, bias: bias, geometry: geo, winograd: winograd)
    }

    /// Tiles (2x2 output pixels) from which a 3x3 convolution runs as Winograd F(2x2, 3x3) when
    /// its kernels must be transformed for the call; a quarter of this with kept kernels.
    public static let winogradMinimumTiles = 64

    /// How a 3x3 convolution runs by Winograd (the forward and, turned, the input gradient).
    enum WinogradPlan {
        /// With the whole transform a layer's ``WinogradKernels`` keeps.
        case kept(Tensor)
        /// Transforming the weight block by block inside the call (``WinogradWeightSource/untransformed(_:)``).
        case perCall
    }

    /// The Winograd plan for a convolution of `weight` over `geo`, or nil for im2col.
    static func winogradPlan(for geo: ConvGeometry, weight: Tensor, prepared: WinogradKernels?) -> WinogradPlan? {
        guard WinogradTiling.applies(to: geo) else { return nil }
        let tiles = WinogradTiling(height: geo.outH, width: geo.outW).count
        if let prepared, prepared.belongs(to: weight), prepared.keepsTransforms, tiles >= winogradMinimumTiles / 4 {
            return .kept(prepared.transformed())
        }
        return tiles >= winogradMinimumTiles ? .perCall : nil
    }

    /// Convolves each of `batch` images of `channels` planes (the extents of `geo`, stride 1 and
    /// padding 1) by Winograd (`plan`, for the kernels of `weight`) into `outChannels` planes
    /// each, images split over cores as in im2col's path. Serves the forward and, `turned`, the
    /// input gradient.
    static func convolveByWinograd(_ src: UnsafePointer<Float>, channels: Int, plan: WinogradPlan, weight: Tensor,
                                   outChannels: Int, bias: Tensor?, into dst: UnsafeMutablePointer<Float>, batch: Int,
                                   geometry geo: ConvGeometry, turned: Bool = false) {
        let tiling = WinogradTiling(height: geo.outH, width: geo.outW), pixels = geo.outH * geo.outW
        let b = bias?.pointer
        let source: WinogradWeightSource, untransformed: Bool
        switch plan {
        case .kept(let u): (source, untransformed) = (.transformed(u.pointer), false)
        case .perCall: (source, untransformed) = (.untransformed(weight.pointer), true)
        }
        let count = tiling.scratchCount(channels: channels, outChannels: outChannels, untransformed: untransformed)
        forEachImage(batch, work: outChannels * pixels * channels * 9) { images in
            let scratch = Tensor(uninitialized: [count])
            for n in images {
                winogradConvolution(src + n * channels * pixels, channels: channels, tiling: tiling, weights: source,
                                    outChannels: outChannels, bias: b, out: dst + n * outChannels * pixels,
                                    scratch: scratch.pointer, turned: turned)
            }
        }
        withExtendedLifetime((plan, weight)) {}
    }

    /// The im2col + GEMM forward of ``conv2d(weight:bias:stride:padding:winograd:)`` into `out`.
    private func convolveByColumns(_ out: Tensor, weight: Tensor, bias: Tensor?, geometry geo: ConvGeometry) {
        let batch = shape[0], outC = weight.shape[0]
        let ckk = geo.colRows, ohw = geo.colColumns, inPlane = geo.channels * geo.height * geo.width
        if let bias {
            let o = out.pointer, b = bias.pointer
            parallelFor(batch * outC, grain: max(1, 16_384 / max(1, ohw))) { r in
                for i in r { (o + i * ohw).update(repeating: b[i % outC], count: ohw) }
            }
        }
        let beta: Float = bias == nil ? 0 : 1
        let src = pointer, wp = weight.pointer, dst = out.pointer
        // Several small images: one image per core at a time (im2col and GEMM stay on that core).
        Tensor.forEachImage(batch, work: outC * ohw * ckk) { images in
            let col = geo.isPointwise ? nil : Tensor(uninitialized: [ckk, ohw])
            for n in images {
                var cols = src + n * inPlane
                if let col {
                    im2col(cols, geo, col.pointer)
                    cols = col.pointer
                }
                sgemm(m: outC, n: ohw, k: ckk, a: wp, lda: ckk, b: cols, ldb: ohw,
                      beta: beta, c: dst + n * outC * ohw, ldc: ohw)
            }
        }
    }

    /// Records the backward of ``conv2d(weight:bias:stride:padding:winograd:)`` for `out`.
    private func recordConvolution(_ out: Tensor, weight: Tensor, bias: Tensor?, geometry geo: ConvGeometry,
                                   winograd: WinogradKernels?) -> Tensor {
        let batch = shape[0], outC = weight.shape[0]
        let ckk = geo.colRows, ohw = geo.colColumns, inPlane = geo.channels * geo.height * geo.width
        let needB = bias?.requiresGrad ?? false
        let inShape = shape, x = kept(forGradientOf: weight), w = weight.kept(forGradientOf: self)
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight], withBias = bias != nil
        return Tensor.record(out, inputs: inputs) { g in
            var gx: Tensor?, gw: Tensor?, gb: Tensor?
            if let x {
                let col = geo.isPointwise ? nil : Tensor(uninitialized: [ckk, ohw])
                // dW [O, CKK] = Σ_n dOut[n] [O, OHW] · col[n]ᵀ [OHW, CKK]
                let t = Tensor(uninitialized: [outC, geo.channels, geo.kernelH, geo.kernelW])
                for n in 0..<batch {
                    var cols = x.pointer + n * inPlane
                    if let col {
                        im2col(cols, geo, col.pointer)
                        cols = col.pointer
                    }
                    sgemm(transB: .transposed, m: outC, n: ckk, k: ohw, a: g.pointer + n * outC * ohw, lda: ohw,
                          b: cols, ldb: ohw, beta: n == 0 ? 0 : 1, c: t.pointer, ldc: ckk)
                }
                gw = t
            }
            if let w, let plan = Tensor.winogradPlan(for: geo, weight: w, prepared: winograd) {
                // Stride 1, padding 1: the input gradient is the output gradient convolved with the
                // turned kernels, by Winograd like the forward (from the forward's kernels).
                let t = Tensor(uninitialized: inShape)
                Tensor.convolveByWinograd(g.pointer, channels: outC, plan: plan, weight: w, outChannels: geo.channels,
                                          bias: nil, into: t.pointer, batch: batch, geometry: geo, turned: true)
                gx = t
            } else if let w {
                // dcol [CKK, OHW] = Wᵀ [CKK, O] · dOut[n] [O, OHW], folded back with col2im.
                let t = Tensor(uninitialized: inShape)
                let tp = t.pointer, wp = w.pointer, gp = g.pointer
                Tensor.forEachImage(batch, work: outC * ohw * ckk) { images in
                    let dcol = geo.isPointwise ? nil : Tensor(uninitialized: [ckk, ohw])
                    for n in images {
                        sgemm(transA: .transposed, m: ckk, n: ohw, k: outC, a: wp, lda: ckk,
                              b: gp + n * outC * ohw, ldb: ohw, c: dcol?.pointer ?? tp + n * inPlane, ldc: ohw)
                        if let dcol { col2im(dcol.pointer, geo, tp + n * inPlane) }
                    }
                }
                gx = t
            }
            if needB { gb = Tensor.channelSums(g, batch: batch, channels: outC, pixels: ohw) }
            return withBias ? [gx, gw, gb] : [gx, gw]
        }
    }

    /// Runs `body` over the images `0..<batch`, split over cores when the images divide evenly
    /// (or are many) and each is worth dispatching (`work` multiply-adds per image); otherwise
    /// inline, where the kernels inside split one image's work instead.
    static func forEachImage(_ batch: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let even = batch % coreCount == 0 || batch >= 4 * coreCount
        parallelFor(batch, grain: even && work >= 1 << 16 ? 1 : batch, body)
    }

    /// Σ over batch and pixels of a [batch, channels, pixels] gradient, as a [channels] tensor.
    static func channelSums(_ g: Tensor, batch: Int, channels: Int, pixels: Int) -> Tensor {
        var partial = [Double](repeating: 0, count: batch * channels)
        partial.withUnsafeMutableBufferPointer { rowSums(g.pointer, rows: batch * channels, length: pixels, $0.baseAddress!) }
        let out = Tensor(uninitialized: [channels])
        for c in 0..<channels {
            var s: Double = 0
            for n in 0..<batch { s += partial[n * channels + c] }
            out.pointer[c] = Float(s)
        }
        return out
    }
}
