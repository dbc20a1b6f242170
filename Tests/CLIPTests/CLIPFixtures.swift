import Foundation
import Images
import SafeTensors
import XCTest
@testable import CLIP

/// The committed CLIP fixtures (Fixtures/make_clip_fixture.py) and their goldens.
enum CLIPFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// quick_gelu, legacy eos_token_id 2, float32, 32 px.
    static let quickGelu = directory.appendingPathComponent("quickgelu")
    /// gelu, eos_token_id = the end token, bfloat16, 40 px, legacy preprocessor file.
    static let gelu = directory.appendingPathComponent("gelu")

    static func goldens(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(url: directory.appendingPathComponent("\(name)-goldens.safetensors"))
    }

    /// The test images named in a goldens file's metadata, in order.
    static func imageNames(_ g: SafeTensorsFile) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data((g.metadata["images"] ?? "[]").utf8))
    }

    static func prompts(_ g: SafeTensorsFile) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data((g.metadata["prompts"] ?? "[]").utf8))
    }

    /// A stored U8 [H, W, C] tensor as an image.
    static func image(_ g: SafeTensorsFile, _ name: String) throws -> Image {
        let info = try g.info(name)
        return try Image(width: info.shape[1], height: info.shape[0], channels: info.shape[2], pixels: try g.bytes(name))
    }

    /// The rows of a stored [N, K] tensor.
    static func rows(_ g: SafeTensorsFile, _ name: String) throws -> [[Float]] {
        let info = try g.info(name), values = try g.floats(name)
        let width = info.shape.count == 1 ? info.shape[0] : info.shape[1]
        return stride(from: 0, to: values.count, by: width).map { Array(values[$0..<$0 + width]) }
    }

    /// Rows of a stored I64 [N, L] tensor.
    static func idRows(_ g: SafeTensorsFile, _ name: String) throws -> [[Int32]] {
        let info = try g.info(name), values = try g.int64s(name)
        return stride(from: 0, to: values.count, by: info.shape[1]).map { values[$0..<$0 + info.shape[1]].map { Int32($0) } }
    }

    /// Largest absolute difference of two equally long vectors (infinity when lengths differ).
    static func maxError(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    static func normalized(_ v: [Float]) -> [Float] {
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / n }
    }
}
