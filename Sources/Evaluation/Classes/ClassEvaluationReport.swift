import Foundation

/// What a ``ClassEvaluation`` found, as `membrane evaluate --reader clip:DIR` writes it to
/// OUT/report.json: the settings, one summary for the base model and one per transport, and
/// every picture with its class scores.
///
/// Rates and shares are in 0...1. Class scores are 100 x cosine similarity; CLIP scores are
/// CLIPScore's `2.5 x max(cosine, 0)` of a picture and its own prompt.
public struct ClassEvaluationReport: Codable, Sendable, Equatable {
    /// A membrane file and the targets it names.
    public struct MembraneInfo: Codable, Sendable, Equatable {
        public var path: String
        public var targets: [String]
    }

    /// How the pictures were made and read.
    public struct Settings: Codable, Sendable, Equatable {
        public var model: String
        /// The reader, e.g. "clip:/models/clip-vit-base-patch32".
        public var reader: String
        public var membranes: [MembraneInfo]
        /// The transports evaluated, as given.
        public var transports: [String]
        public var plan: EvaluationPlan
        public var sampler: String
    }

    /// One picture.
    public struct Picture: Codable, Sendable, Equatable {
        /// The PNG file, relative to the report's folder.
        public var file: String
        public var prompt: String
        public var kind: EvaluationPrompt.Kind
        /// The class a faithful picture of the prompt shows.
        public var expected: String
        /// "base" or the transport's name.
        public var transport: String
        public var seed: UInt64
        /// 100 x cosine similarity to each class's text.
        public var scores: [String: Double]
        /// The class with the highest score; absent when the reader saw none of them.
        public var predicted: String?
        /// CLIPScore with its own prompt; absent when the reader has none.
        public var clipScore: Double?
        /// PSNR (dB, capped) and SSIM against the base model's picture from the same noise;
        /// absent for the base model's pictures.
        public var psnrDB: Double?
        public var ssim: Double?
    }

    /// The metrics of the base model or of one transport.
    public struct Summary: Codable, Sendable, Equatable {
        /// "base" or the transport's name.
        public var transport: String
        /// Share of the concept prompts' pictures predicted as the concept (the CLIP error
        /// rate of the SPM reference is 1 - this).
        public var targetRate: Double
        /// Share of the paraphrase prompts' pictures predicted as the concept; absent without
        /// paraphrases.
        public var paraphraseRate: Double?
        /// Share of the other prompts' pictures predicted as their own class.
        public var preservation: Double
        /// The base model's preservation, and the drop from it (before - after); absent for base.
        public var preservationBefore: Double?
        public var preservationDrop: Double?
        /// Mean CLIPScore of every prompt's pictures with the prompt, by prompt text; absent when
        /// the reader has none.
        public var clipScores: [String: Double]?
        /// Mean CLIPScore over every picture; absent when the reader has none.
        public var meanClipScore: Double?
        /// Mean PSNR (dB) and SSIM of the other prompts' pictures against the base model's;
        /// absent for base.
        public var othersPSNR: Double?
        public var othersSSIM: Double?
    }

    public var settings: Settings
    /// The classes, concept first.
    public var classes: [EvaluationClass]
    /// The base model without membranes.
    public var base: Summary
    /// One entry per transport, in the order given.
    public var runs: [Summary]
    /// Every picture: prompt-major, then group, then seed.
    public var pictures: [Picture]
    /// Transport name, then prompt, then each membrane's multiplier on it.
    public var multipliers: [String: [String: [Float]]]

    /// The summary of transport `name` ("base" included).
    public func summary(_ name: String) -> Summary? {
        name == "base" ? base : runs.first { $0.transport == name }
    }

    /// The report as pretty JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// A few lines for a terminal.
    public func humanSummary() -> String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", 100 * $0) } ?? "-" }
        var lines = ["reader \(settings.reader); concept '\(settings.plan.concept)'; \(pictures.count) pictures"]
        for summary in [base] + runs {
            var line = "\(summary.transport): target \(percent(summary.targetRate)), paraphrases \(percent(summary.paraphraseRate)), preservation \(percent(summary.preservation))"
            if let drop = summary.preservationDrop { line += String(format: " (drop %.1f points)", 100 * drop) }
            if let score = summary.meanClipScore { line += String(format: ", CLIP score %.3f", score) }
            if let psnr = summary.othersPSNR, let ssim = summary.othersSSIM { line += String(format: ", others PSNR %.1f dB SSIM %.3f", psnr, ssim) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
