import Images

/// Reads which colour and shape a ShapesWorld picture shows, without any ML framework: the
/// project's own independent reader for measuring what a (membrane-modified) model draws.
///
/// 1. The picture is block-averaged to a working size of 32 to 63 pixels on its smaller side.
/// 2. The background is the per-channel median of the border ring; the object mask is the
///    pixels that differ from it by more than max(0.1, 5 noise deviations), cleaned (isolated
///    pixels dropped, closed with a 5x5 square, largest component kept, holes filled).
/// 3. Colour: the angle of the mean opponent-colour vector of the unclosed mask's pixels
///    (shades, pastel tints and soft edges keep that angle), matched to the nearest reference
///    hue; too little chroma reads as no colour.
/// 4. Shape: size-independent geometry of the mask (fill ratio of the bounding box, aspect,
///    top/bottom asymmetry, band and 5x5-grid fills, after turning the heavier half down) fed
///    to a Gaussian classifier trained on first use on ``ShapesWorldDrawer`` pictures of a fixed
///    seed (``trainingSeed``). Deterministic; thousands of pictures per second in release builds.
public enum ShapesWorldReader {
    /// What the reader saw in one picture.
    public struct Reading: Sendable {
        /// The object's colour, `nil` when there is no object or it is colourless.
        public var colour: ColourKind?
        /// The object's shape, `nil` when there is no object.
        public var shape: ShapeKind?
        /// min(colourConfidence, shapeConfidence): 0 when either is unknown.
        public var confidence: Double
        /// 1 when the hue sits on the reference hue, 0 halfway to the next one.
        public var colourConfidence: Double
        /// Posterior probability of the shape under the shape classifier.
        public var shapeConfidence: Double
        /// The background estimated from the border, channels in 0...1.
        public var background: (red: Double, green: Double, blue: Double)
        /// Fraction of the picture covered by the object mask (0 without an object).
        public var objectFraction: Double
        /// Bounding box of the object in input pixels, `nil` without an object.
        public var boundingBox: (x: Int, y: Int, width: Int, height: Int)?
        /// Object pixels / bounding-box pixels (square ~1, circle ~0.79, cross ~0.56,
        /// triangle and diamond ~0.5); 0 without an object.
        public var fillRatio: Double
        /// Opponent-plane hue angle of the object's pixels in degrees (red 0, orange ~30,
        /// yellow ~54, green ~128, blue ~229, purple ~285).
        public var hue: Double
        /// HSV saturation of the mean colour of the object's pixels.
        public var saturation: Double
        /// HSV value (largest channel) of the mean colour of the object's pixels.
        public var value: Double
    }

    /// Seed of the drawer whose pictures train the shape classifier.
    public static let trainingSeed: UInt64 = 0x5EED_0001
    /// Number of training pictures (equal numbers of each shape).
    public static let trainingSamples = 1500

    /// Objects smaller than this fraction of the working picture (and than 8 pixels) are
    /// treated as noise: the picture reads as empty.
    static let minimumObjectFraction = 0.01

    /// Reads the colour and shape of the one object in `image` (any size; gray, gray+alpha,
    /// RGB or RGBA; alpha is ignored).
    public static func read(_ image: Image) -> Reading {
        let working = WorkingImage(image)
        let background = estimateBackground(working)
        var reading = Reading(colour: nil, shape: nil, confidence: 0, colourConfidence: 0, shapeConfidence: 0,
                              background: (background.red, background.green, background.blue),
                              objectFraction: 0, boundingBox: nil, fillRatio: 0, hue: 0, saturation: 0, value: 0)
        let width = working.width
        let height = working.height
        let (raw, object) = objectMasks(working, background: background)
        guard let box = bounds(of: object, width: width, height: height) else { return reading }
        let minimumArea = max(8, Int(minimumObjectFraction * Double(width * height)))
        guard box.area >= minimumArea else { return reading }

        let factor = working.factor
        reading.objectFraction = Double(box.area) / Double(width * height)
        reading.boundingBox = (box.minX * factor, box.minY * factor, box.width * factor, box.height * factor)
        reading.fillRatio = Double(box.area) / Double(box.width * box.height)

        // Colour from the pixels that really differ from the background, inside the object.
        var colourMask = raw
        for index in 0..<colourMask.count where !object[index] { colourMask[index] = false }
        let colour = measureColour(working, mask: colourMask)
        reading.colour = colour.colour
        reading.colourConfidence = colour.confidence
        reading.hue = colour.hueAngle
        reading.saturation = colour.hsv.saturation
        reading.value = colour.hsv.value

        if let features = shapeFeatures(object, width: width, height: height) {
            let probabilities = shapeClassifier.probabilities(features)
            var best = 0
            for index in 1..<probabilities.count where probabilities[index] > probabilities[best] {
                best = index
            }
            reading.shape = ShapeKind.allCases[best]
            reading.shapeConfidence = probabilities[best]
        }
        reading.confidence = reading.colour == nil ? 0 : min(reading.colourConfidence, reading.shapeConfidence)
        return reading
    }

    /// The shape classifier, trained once (thread-safely) on first use.
    static let shapeClassifier: GaussianClassifier = trainShapeClassifier(seed: trainingSeed, samples: trainingSamples)

    /// Trains the shape classifier on `samples` drawings (shapes in turn) from three drawers
    /// seeded from `seed`: sharp, pastel-tinted, and soft (``ShapesWorldDrawer/Options/softness``).
    static func trainShapeClassifier(seed: UInt64, samples: Int) -> GaussianClassifier {
        var drawers = [
            ShapesWorldDrawer(seed: seed),
            ShapesWorldDrawer(seed: seed ^ 0xA5A5_A5A5, options: .init(pastel: 0.35)),
            ShapesWorldDrawer(seed: seed ^ 0x5A5A_5A5A, options: .init(softness: 0.8)),
        ]
        var features: [[Double]] = []
        var labels: [Int] = []
        let shapes = ShapeKind.allCases
        for index in 0..<samples {
            let shape = shapes[index % shapes.count]
            let drawing = drawers[index % drawers.count].draw(shape: shape)
            guard let sample = objectFeatures(drawing.image) else { continue }
            features.append(sample)
            labels.append(shape.rawValue)
        }
        return GaussianClassifier(features: features, labels: labels, classCount: shapes.count,
                                  pooled: false, ridge: 0.05)
    }

    /// The shape features of the object in `image`, as ``read(_:)`` computes them.
    static func objectFeatures(_ image: Image) -> [Double]? {
        let working = WorkingImage(image)
        let (_, object) = objectMasks(working, background: estimateBackground(working))
        return shapeFeatures(object, width: working.width, height: working.height)
    }

    /// The raw difference mask (beyond the noise threshold) and the cleaned object mask: pixels
    /// beyond the larger of the noise threshold and ``edgeContrastFraction`` of the object's
    /// median contrast (so soft edges are cut where a sharp edge would be), closed, largest
    /// component kept, holes filled.
    static func objectMasks(_ working: WorkingImage, background: BackgroundEstimate) -> (raw: [Bool], object: [Bool]) {
        let width = working.width
        let height = working.height
        let difference = differences(working, background: background)
        let noise = noiseThreshold(background)
        let raw = mask(difference, threshold: noise, width: width, height: height)
        let edge = max(noise, edgeContrastFraction * contrast(difference, mask: raw))
        let strict = edge > noise ? mask(difference, threshold: edge, width: width, height: height) : raw
        let closedMask = closed(strict, width: width, height: height, radius: 2)
        let largest = largestComponent(closedMask, width: width, height: height)
        return (raw, holesFilled(largest, width: width, height: height))
    }

    /// Where the object's edge is cut, as a fraction of its median contrast to the background.
    /// (0.3 kept sharp pictures as they were and read soft ones best among 0 to 0.55.)
    static let edgeContrastFraction = 0.3
}
