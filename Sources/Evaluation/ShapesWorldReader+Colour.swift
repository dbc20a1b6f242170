import Foundation

/// The colour of an object as measured from its pixels.
struct ColourMeasurement {
    /// The nearest reference colour, `nil` when the object has too little chroma.
    var colour: ColourKind?
    /// 1 when the hue sits on a reference hue, 0 halfway between two.
    var confidence: Double
    /// Hue angle in the opponent plane, degrees in 0..<360.
    var hueAngle: Double
    /// Length of the mean opponent vector: about the chroma (max - min) of the object colour.
    var chroma: Double
    /// HSV of the mean RGB of the measured pixels.
    var hsv: HSV
}

extension ShapesWorldReader {
    /// Objects whose mean opponent vector is shorter than this read as colourless.
    static let minimumChroma = 0.06

    /// The opponent-plane vector (a, b) of an RGB colour: a = r - (g + b) / 2,
    /// b = (g - b) * sqrt(3) / 2. Mixing a colour with any grey (shades, tints towards white,
    /// anti-aliased edges) scales the vector without turning it, so its angle is a hue that
    /// survives textures, pastel tints and soft edges.
    @inline(__always)
    static func opponent(red: Double, green: Double, blue: Double) -> (a: Double, b: Double) {
        (red - (green + blue) / 2, (green - blue) * 0.866_025_403_784_438_6)
    }

    /// Angle of (a, b) in degrees, 0..<360.
    static func angle(a: Double, b: Double) -> Double {
        var degrees = atan2(b, a) * 180 / Double.pi
        if degrees < 0 { degrees += 360 }
        if degrees >= 360 { degrees -= 360 }
        return degrees
    }

    /// Absolute difference of two angles in degrees, 0...180.
    static func angularDistance(_ first: Double, _ second: Double) -> Double {
        let difference = abs(first - second).truncatingRemainder(dividingBy: 360)
        return min(difference, 360 - difference)
    }

    /// Opponent-plane hue of each reference colour, in ``ColourKind`` order.
    static let referenceAngles: [Double] = ColourKind.allCases.map { colour in
        let rgb = colour.rgb
        let vector = opponent(red: rgb.red, green: rgb.green, blue: rgb.blue)
        return angle(a: vector.a, b: vector.b)
    }

    /// Measures the colour of the pixels where `mask` is set: the angle of their mean opponent
    /// vector, matched to the nearest reference hue.
    static func measureColour(_ image: WorkingImage, mask: [Bool]) -> ColourMeasurement {
        var sumA = 0.0, sumB = 0.0
        var sumRed = 0.0, sumGreen = 0.0, sumBlue = 0.0
        var count = 0
        for index in 0..<mask.count where mask[index] {
            let red = image.red[index], green = image.green[index], blue = image.blue[index]
            let vector = opponent(red: red, green: green, blue: blue)
            sumA += vector.a
            sumB += vector.b
            sumRed += red
            sumGreen += green
            sumBlue += blue
            count += 1
        }
        guard count > 0 else {
            return ColourMeasurement(colour: nil, confidence: 0, hueAngle: 0, chroma: 0,
                                     hsv: HSV(red: 0, green: 0, blue: 0))
        }
        let n = Double(count)
        let meanA = sumA / n
        let meanB = sumB / n
        let chroma = (meanA * meanA + meanB * meanB).squareRoot()
        let hueAngle = angle(a: meanA, b: meanB)
        let hsv = HSV(red: sumRed / n, green: sumGreen / n, blue: sumBlue / n)
        guard chroma >= minimumChroma else {
            return ColourMeasurement(colour: nil, confidence: 0, hueAngle: hueAngle, chroma: chroma, hsv: hsv)
        }
        let match = nearestColour(hueAngle: hueAngle)
        return ColourMeasurement(colour: match.colour, confidence: match.confidence, hueAngle: hueAngle,
                                 chroma: chroma, hsv: hsv)
    }

    /// The reference colour whose hue is nearest to `hueAngle`, with a confidence of
    /// (d2 - d1) / (d2 + d1) from the distances to the nearest and second nearest hues.
    static func nearestColour(hueAngle: Double) -> (colour: ColourKind, confidence: Double) {
        var best = 0
        var nearest = Double.infinity
        var second = Double.infinity
        for (index, reference) in referenceAngles.enumerated() {
            let distance = angularDistance(hueAngle, reference)
            if distance < nearest {
                second = nearest
                nearest = distance
                best = index
            } else if distance < second {
                second = distance
            }
        }
        let confidence = (second - nearest) / max(second + nearest, 1e-9)
        return (ColourKind.allCases[best], confidence)
    }
}
