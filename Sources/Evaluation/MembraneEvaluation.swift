import Foundation
import Images

/// What the reader saw in one generated picture, and the evaluation prompt it was drawn for.
public struct PictureReading: Sendable, Equatable {
    /// The prompt the picture was generated from.
    public var prompt: ShapesWorld.Prompt
    /// The colour read, `nil` when none was seen.
    public var colour: ColourKind?
    /// The shape read, `nil` when none was seen.
    public var shape: ShapeKind?

    /// A reading given by its parts.
    public init(prompt: ShapesWorld.Prompt, colour: ColourKind?, shape: ShapeKind?) {
        self.prompt = prompt
        self.colour = colour
        self.shape = shape
    }

    /// The colour and shape of a ``ShapesWorldReader/Reading``.
    public init(prompt: ShapesWorld.Prompt, reading: ShapesWorldReader.Reading) {
        self.init(prompt: prompt, colour: reading.colour, shape: reading.shape)
    }

    /// Whether the colour was read as prompted.
    public var colourMatches: Bool { colour == prompt.colour }
    /// Whether the shape was read as prompted.
    public var shapeMatches: Bool { shape == prompt.shape }

    /// "red circle", with "none" for what was not seen.
    public var summary: String { "\(colour?.name ?? "none") \(shape?.name ?? "none")" }
}

/// Metrics of a membrane evaluation, computed from readings of the same pictures (same prompts,
/// seeds and noise) generated without ("before") and with ("after") the membranes.
public enum MembraneEvaluation {
    /// How often the reader saw what was prompted. Shares are in 0...1 (0 without pictures).
    public struct Accuracy: Sendable, Equatable, Codable {
        /// Pictures counted.
        public var pictures: Int
        /// Share whose colour was read as prompted.
        public var colour: Double
        /// Share whose shape was read as prompted.
        public var shape: Double
        /// Share whose colour and shape were both read as prompted.
        public var both: Double

        /// Accuracy given by its parts.
        public init(pictures: Int, colour: Double, shape: Double, both: Double) {
            self.pictures = pictures
            self.colour = colour
            self.shape = shape
            self.both = both
        }
    }

    /// How often an erased concept is still seen in pictures of prompts that name it.
    public struct TargetRate: Sendable, Equatable, Codable {
        /// The concept's word, e.g. "red".
        public var concept: String
        /// "colour" or "shape".
        public var kind: String
        /// Pictures of prompts naming the concept (before and after each).
        public var pictures: Int
        /// Share of those pictures in which the concept is seen without the membranes.
        public var before: Double
        /// Share of those pictures in which the concept is seen with the membranes.
        public var after: Double
    }

    /// Peak signal-to-noise ratios of pictures with the membranes against the same pictures
    /// without them, pixel range [0, 1]. Identical pictures count as ``capDB``.
    public struct PSNR: Sendable, Equatable, Codable {
        /// Pictures compared.
        public var pictures: Int
        /// Mean over pictures of each picture's PSNR in dB (0 without pictures).
        public var meanDB: Double
        /// The lowest picture PSNR in dB (0 without pictures).
        public var minimumDB: Double
        /// The value given to identical pictures (and the upper bound of every picture's PSNR).
        public var capDB: Double
        /// Pictures at the cap: identical to the base model's.
        public var identicalPictures: Int
    }

    /// Erosion of what the membranes should leave alone: prompts that name no target.
    public struct Others: Sendable, Equatable, Codable {
        /// Prompts that name no target.
        public var prompts: Int
        /// Their pictures (before and after each).
        public var pictures: Int
        /// Reader accuracy on them without the membranes.
        public var before: Accuracy
        /// Reader accuracy on them with the membranes.
        public var after: Accuracy
        /// Colour accuracy lost, in percentage points (before - after).
        public var colourDropPoints: Double
        /// Shape accuracy lost, in percentage points (before - after).
        public var shapeDropPoints: Double
        /// How far their pictures moved away from the base model's.
        public var psnr: PSNR
    }

    /// The metrics of one evaluation.
    public struct Summary: Sendable, Equatable, Codable {
        /// One entry per target concept, in the order given.
        public var targets: [TargetRate]
        /// Prompts naming no target.
        public var others: Others
        /// Reader accuracy over every picture with the membranes.
        public var all: Accuracy
    }

    /// PSNR values above this are reported as this (identical 8-bit pictures would be infinite;
    /// the largest finite PSNR of two different 32x32 RGB pictures is about 83 dB).
    public static let psnrCapDB = 100.0

    /// The reader accuracy over `readings`.
    public static func accuracy(_ readings: [PictureReading]) -> Accuracy {
        guard !readings.isEmpty else { return Accuracy(pictures: 0, colour: 0, shape: 0, both: 0) }
        var colourHits = 0
        var shapeHits = 0
        var bothHits = 0
        for reading in readings {
            if reading.colourMatches { colourHits += 1 }
            if reading.shapeMatches { shapeHits += 1 }
            if reading.colourMatches && reading.shapeMatches { bothHits += 1 }
        }
        let n = Double(readings.count)
        return Accuracy(pictures: readings.count, colour: Double(colourHits) / n,
                        shape: Double(shapeHits) / n, both: Double(bothHits) / n)
    }

    /// Among `readings` of prompts naming `concept`, the number of pictures and the share in
    /// which the concept is seen (0 without pictures).
    public static func rate(of concept: ShapesWorldConcept, in readings: [PictureReading]) -> (pictures: Int, rate: Double) {
        var pictures = 0
        var seen = 0
        for reading in readings where concept.isNamed(by: reading.prompt) {
            pictures += 1
            if concept.isSeen(colour: reading.colour, shape: reading.shape) { seen += 1 }
        }
        return (pictures, pictures == 0 ? 0 : Double(seen) / Double(pictures))
    }

    /// How often `concept` is seen in `before` and in `after` (readings of the same pictures
    /// without and with the membranes), among the pictures of prompts naming it.
    static func targetRate(of concept: ShapesWorldConcept, before: [PictureReading], after: [PictureReading]) -> TargetRate {
        let old = rate(of: concept, in: before)
        let new = rate(of: concept, in: after)
        return TargetRate(concept: concept.name, kind: concept.kind, pictures: old.pictures, before: old.rate, after: new.rate)
    }

    /// PSNR in dB of two pictures of the same size, samples scaled to [0, 1]:
    /// `10 log10(1 / MSE)`, at most `capDB` (which identical pictures get).
    public static func psnr(_ picture: Image, _ reference: Image, capDB: Double = psnrCapDB) -> Double {
        precondition(picture.width == reference.width && picture.height == reference.height
                     && picture.channels == reference.channels, "PSNR of pictures of different sizes")
        var sum = 0.0
        for index in 0..<picture.pixels.count {
            let difference = (Double(picture.pixels[index]) - Double(reference.pixels[index])) / 255
            sum += difference * difference
        }
        let mse = sum / Double(max(picture.pixels.count, 1))
        guard mse > 0 else { return capDB }
        return min(10 * log10(1 / mse), capDB)
    }

    /// Summarises picture PSNRs (already capped at `capDB`).
    public static func psnrSummary(_ values: [Double], capDB: Double = psnrCapDB) -> PSNR {
        guard !values.isEmpty else {
            return PSNR(pictures: 0, meanDB: 0, minimumDB: 0, capDB: capDB, identicalPictures: 0)
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let identical = values.filter { $0 >= capDB }.count
        return PSNR(pictures: values.count, meanDB: mean, minimumDB: values.min() ?? 0,
                    capDB: capDB, identicalPictures: identical)
    }

    /// The metrics of one evaluation.
    /// - Parameters:
    ///   - targets: the erased concepts.
    ///   - before: readings of the base model's pictures.
    ///   - after: readings of the same pictures with the membranes, in the same order.
    ///   - psnr: for every picture, in the same order, its PSNR (dB) with the membranes against
    ///     the base model's, capped at `capDB`.
    public static func summarise(targets: [ShapesWorldConcept], before: [PictureReading], after: [PictureReading],
                                 psnr: [Double], capDB: Double = psnrCapDB) -> Summary {
        precondition(before.count == after.count && before.count == psnr.count,
                     "before, after and psnr must describe the same pictures")
        let rates = targets.map { targetRate(of: $0, before: before, after: after) }

        var otherBefore: [PictureReading] = []
        var otherAfter: [PictureReading] = []
        var otherPSNR: [Double] = []
        var otherPrompts: Set<String> = []
        for index in before.indices {
            let prompt = before[index].prompt
            if targets.contains(where: { $0.isNamed(by: prompt) }) { continue }
            otherBefore.append(before[index])
            otherAfter.append(after[index])
            otherPSNR.append(psnr[index])
            otherPrompts.insert(prompt.text)
        }
        let accuracyBefore = accuracy(otherBefore)
        let accuracyAfter = accuracy(otherAfter)
        let others = Others(prompts: otherPrompts.count, pictures: otherBefore.count,
                            before: accuracyBefore, after: accuracyAfter,
                            colourDropPoints: 100 * (accuracyBefore.colour - accuracyAfter.colour),
                            shapeDropPoints: 100 * (accuracyBefore.shape - accuracyAfter.shape),
                            psnr: psnrSummary(otherPSNR, capDB: capDB))
        return Summary(targets: rates, others: others, all: accuracy(after))
    }
}
