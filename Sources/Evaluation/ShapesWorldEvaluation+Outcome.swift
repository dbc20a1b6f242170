import Foundation
import Images

/// The pictures of one group: "base" or a transport's name, prompt-major.
struct PictureGroup {
    var name: String
    var pictures: [Image]
}

extension ShapesWorldEvaluation {
    /// What a run found: the report and the before/after picture.
    public struct Outcome: Sendable {
        /// Settings, metrics, every picture's reading, and timing.
        public var report: EvaluationReport
        /// One row per prompt: the base model's pictures, then each transport's.
        public var beforeAfter: Image

        /// Writes `report.json` and `before_after.png` into `directory`, creating it if needed.
        public func write(to directory: URL) throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try beforeAfter.write(to: directory.appendingPathComponent("before_after.png").path)
            try report.json().write(to: directory.appendingPathComponent("report.json"), options: .atomic)
        }

        /// The before/after picture: one row per prompt, labelled with the prompt; in each row the
        /// base model's pictures (one per seed), then each transport's, each group labelled.
        /// Pictures smaller than 64 pixels are enlarged (nearest neighbour) so labels fit.
        static func beforeAfterGrid(prompts: [String], seeds: Int, groups: [PictureGroup]) throws -> Image {
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
        static func enlarged(_ image: Image, minimumSide: Int) -> Image {
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
    }
}
