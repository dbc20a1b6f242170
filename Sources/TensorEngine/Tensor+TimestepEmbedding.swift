import Foundation

extension Tensor {
    /// Sinusoidal timestep embeddings [N, dim], computed as diffusers' `get_timestep_embedding`.
    ///
    /// With `half = dim / 2`, frequency `k` is `exp(-ln(maxPeriod) * k / (half - downscaleFreqShift))`
    /// and row `i` is `[sin(t_i * f_k) for all k, cos(t_i * f_k) for all k]`, or cosines first when
    /// `flipSinToCos`; an odd `dim` gets one trailing zero. Arithmetic is float32 in the same order
    /// as the PyTorch code. The result is a constant (no gradient).
    public static func timestepEmbedding(timesteps: [Float], dim: Int, flipSinToCos: Bool,
                                         downscaleFreqShift: Float, maxPeriod: Float = 10000) -> Tensor {
        precondition(dim >= 1, "timestepEmbedding: dim \(dim)")
        let half = dim / 2
        let out = Tensor.zeros([timesteps.count, dim])
        let logPeriod = -Float(Foundation.log(Double(maxPeriod)))
        var freqs = [Float](repeating: 0, count: half)
        for k in 0..<half {
            let exponent = logPeriod * Float(k) / (Float(half) - downscaleFreqShift)
            freqs[k] = Foundation.exp(exponent)
        }
        let sinOffset = flipSinToCos ? half : 0, cosOffset = flipSinToCos ? 0 : half
        let p = out.pointer
        for (i, t) in timesteps.enumerated() {
            let row = p + i * dim
            for k in 0..<half {
                let arg = t * freqs[k]
                row[sinOffset + k] = Foundation.sin(arg)
                row[cosOffset + k] = Foundation.cos(arg)
            }
        }
        return out
    }
}
