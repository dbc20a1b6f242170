import Foundation
import Images

/// Structural similarity (Wang et al. 2004) of two pictures of the same size: local means,
/// variances and covariance under an 11x11 Gaussian window (sigma 1.5, cut at the border as
/// a normalised partial window), constants K1 = 0.01, K2 = 0.03 for samples in [0, 1], averaged
/// over pixels and then over channels. Identical pictures give 1.
public enum SSIM {
    static let radius = 5
    static let sigma = 1.5

    /// The mean SSIM of `picture` against `reference` (same width, height and channels).
    public static func mean(_ picture: Image, _ reference: Image) throws -> Double {
        guard picture.width == reference.width, picture.height == reference.height, picture.channels == reference.channels else {
            throw ImageError(kind: .invalidArgument, path: nil,
                             message: "SSIM of pictures of different sizes (\(picture.width)x\(picture.height)x\(picture.channels) and \(reference.width)x\(reference.height)x\(reference.channels))")
        }
        let weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let c1 = 0.01 * 0.01, c2 = 0.03 * 0.03
        let width = picture.width, height = picture.height, channels = picture.channels
        var total = 0.0
        for c in 0..<channels {
            func plane(_ image: Image) -> [Double] {
                (0..<(width * height)).map { Double(image.pixels[$0 * channels + c]) / 255 }
            }
            let x = plane(picture), y = plane(reference)
            let products = [x, y, zip(x, x).map(*), zip(y, y).map(*), zip(x, y).map(*)]
            let blurred = products.map { blur($0, width: width, height: height, weights: weights) }
            var sum = 0.0
            for i in 0..<(width * height) {
                let mx = blurred[0][i], my = blurred[1][i]
                let vx = blurred[2][i] - mx * mx, vy = blurred[3][i] - my * my, cov = blurred[4][i] - mx * my
                sum += ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
            }
            total += sum / Double(width * height)
        }
        return total / Double(channels)
    }

    /// A separable Gaussian blur; near the border the window is cut and renormalised.
    static func blur(_ values: [Double], width: Int, height: Int, weights: [Double]) -> [Double] {
        func pass(_ input: [Double], along horizontal: Bool) -> [Double] {
            var output = [Double](repeating: 0, count: input.count)
            for y in 0..<height {
                for x in 0..<width {
                    var sum = 0.0, weight = 0.0
                    for k in -radius...radius {
                        let (sx, sy) = horizontal ? (x + k, y) : (x, y + k)
                        guard sx >= 0, sx < width, sy >= 0, sy < height else { continue }
                        sum += weights[k + radius] * input[sy * width + sx]
                        weight += weights[k + radius]
                    }
                    output[y * width + x] = sum / weight
                }
            }
            return output
        }
        return pass(pass(values, along: true), along: false)
    }
}
