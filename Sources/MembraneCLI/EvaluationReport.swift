import Evaluation
import Foundation
import Images

/// What `membrane evaluate` writes to OUT/report.json: the settings, the base model's reader
/// accuracy, the metrics of every transport evaluated, every picture's reading, and timing.
struct EvaluationReport: Codable {
    /// A membrane file and the targets it names.
    struct MembraneInfo: Codable {
        var path: String
        var targets: [String]
    }

    /// How the pictures were made.
    struct Settings: Codable {
        var model: String
        var membranes: [MembraneInfo]
        /// The erased concepts the metrics are about (colour or shape words).
        var targets: [String]
        /// The transports evaluated, as given (e.g. "facilitated", "fixed:1.0").
        var transports: [String]
        /// Pictures per prompt; picture j of every prompt starts from the noise of firstSeed + j.
        var seeds: Int
        var firstSeed: UInt64
        var steps: Int
        var cfg: Float
        var sampler: String
        /// The evaluation prompts ("a red circle", ...).
        var prompts: [String]
    }

    /// The metrics of one transport, against the base model's pictures.
    struct Run: Codable {
        var transport: String
        /// Seconds spent generating this transport's pictures.
        var seconds: Double
        var targets: [MembraneEvaluation.TargetRate]
        var others: MembraneEvaluation.Others
        /// Reader accuracy over every picture with the membranes (targets included).
        var all: MembraneEvaluation.Accuracy
    }

    /// What was read in every picture of one prompt, seed by seed.
    struct PromptReadings: Codable {
        var prompt: String
        /// Readings ("red circle", "none square", ...) under "base" and under each transport.
        var readings: [String: [String]]
        /// PSNR (dB, capped) of each picture against the base model's, under each transport.
        var psnrDB: [String: [Double]]
    }

    /// Wall-clock seconds.
    struct Timing: Codable {
        var loadSeconds: Double
        var baseSeconds: Double
        var readingSeconds: Double
        var totalSeconds: Double
    }

    var settings: Settings
    /// Reader accuracy over every picture of the base model (no membranes).
    var base: MembraneEvaluation.Accuracy
    var runs: [Run]
    var prompts: [PromptReadings]
    var timing: Timing

    /// The report as pretty-printed JSON with sorted keys.
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// A few lines for people: base accuracy, then per transport the target rates and the
    /// erosion of other prompts.
    func humanSummary() -> String {
        var lines: [String] = []
        let s = settings
        lines.append("base model: colour \(percent(base.colour)), shape \(percent(base.shape)) read as prompted"
                     + " (\(base.pictures) pictures: \(s.prompts.count) prompts x \(s.seeds) seeds, \(s.steps) steps, cfg \(s.cfg))")
        for run in runs {
            lines.append("transport \(run.transport) (\(seconds(run.seconds))):")
            for target in run.targets {
                lines.append("  \(target.concept) seen in \(percent(target.before)) -> \(percent(target.after))"
                             + " of \(target.pictures) pictures of prompts naming it")
            }
            lines.append("  " + othersLine(run.others))
        }
        lines.append("total \(seconds(timing.totalSeconds))")
        return lines.joined(separator: "\n")
    }

    /// One line about the prompts that name no target.
    func othersLine(_ others: MembraneEvaluation.Others) -> String {
        let colour = "colour \(percent(others.before.colour)) -> \(percent(others.after.colour)) (\(points(-others.colourDropPoints)))"
        let shape = "shape \(percent(others.before.shape)) -> \(percent(others.after.shape)) (\(points(-others.shapeDropPoints)))"
        let psnr = others.psnr
        var distance = String(format: "PSNR %.1f dB", psnr.meanDB)
        if psnr.pictures > 0 && psnr.identicalPictures == psnr.pictures {
            distance += " (capped: every picture identical to the base model's)"
        } else if psnr.identicalPictures > 0 {
            distance += " (\(psnr.identicalPictures) pictures identical, counted as \(Int(psnr.capDB)) dB)"
        }
        return "other prompts (\(others.pictures) pictures): \(colour), \(shape), \(distance)"
    }
}

/// "97.5%".
func percent(_ share: Double) -> String { String(format: "%.1f%%", 100 * share) }

/// "+1.0 pt" / "-2.5 pt".
func points(_ value: Double) -> String { String(format: "%+.1f pt", value) }

/// "12.3 s".
func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }

/// The before/after picture: one row per prompt, labelled with the prompt; in each row the
/// base model's pictures (one per seed), then each transport's, each group labelled.
/// Pictures smaller than 64 pixels are enlarged (nearest neighbour) so labels fit.
func beforeAfterGrid(prompts: [String], seeds: Int, groups: [(name: String, pictures: [Image])]) throws -> Image {
    var rows: [Image] = []
    for (p, _) in prompts.enumerated() {
        var strips: [Image] = []
        for group in groups {
            let slice = Array(group.pictures[(p * seeds)..<((p + 1) * seeds)]).map { enlarged($0, minimumSide: 64) }
            strips.append(try grid(slice, columns: seeds, padding: 1))
        }
        rows.append(try grid(strips, columns: strips.count, labels: groups.map(\.name), padding: 6))
    }
    return try grid(rows, columns: 1, labels: prompts, padding: 4)
}

/// `image` scaled up by a whole factor (nearest neighbour) until its smaller side is at least
/// `minimumSide`, or unchanged.
func enlarged(_ image: Image, minimumSide: Int) -> Image {
    let side = max(1, min(image.width, image.height))
    let factor = (minimumSide + side - 1) / side
    guard factor > 1 else { return image }
    let width = image.width * factor
    let height = image.height * factor
    let channels = image.channels
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    for y in 0..<height {
        for x in 0..<width {
            let source = ((y / factor) * image.width + x / factor) * channels
            let target = (y * width + x) * channels
            for c in 0..<channels { pixels[target + c] = image.pixels[source + c] }
        }
    }
    return (try? Image(width: width, height: height, channels: channels, pixels: pixels)) ?? image
}
