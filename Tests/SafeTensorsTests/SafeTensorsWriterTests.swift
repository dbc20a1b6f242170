import Foundation
import XCTest
@testable import SafeTensors

final class SafeTensorsWriterTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Exactly representable in F16 and BF16, including the smallest normal and a subnormal half.
    let exactValues: [Float] = [0, 1, -2, 0.5, 0.375, -0.0078125, 3, 0x1p-14, 0x1p-20, 96, -256]
    /// Values needing rounding, spread over several orders of magnitude.
    var roughValues: [Float] {
        var generator = SeededGenerator(seed: 7)
        return (0..<500).map { _ in
            let magnitude = Float.random(in: -6...4, using: &generator)
            let sign: Float = Bool.random(using: &generator) ? 1 : -1
            return sign * Float(pow(10, Double(magnitude)))
        }
    }

    func testRoundTripF32F16BF16AndI64() throws {
        let rough = roughValues
        let all = exactValues + rough
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "note": "quote \" and\nnewline ü"])
        try writer.add("z.f32", floats: all, shape: [all.count], as: .f32)
        try writer.add("b.f16", floats: all, shape: [1, all.count], as: .f16)
        try writer.add("a.bf16", floats: all, shape: [all.count, 1], as: .bf16)
        try writer.add("ids", int64s: [1, -2, Int64.max, Int64.min], shape: [2, 2])
        try writer.add("empty", floats: [], shape: [0, 3])
        try writer.add("scalar", floats: [4.5], shape: [])
        let url = directory.appendingPathComponent("round.safetensors")
        try writer.write(to: url)

        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.names, ["a.bf16", "b.f16", "empty", "ids", "scalar", "z.f32"])
        XCTAssertEqual(file.metadata, writer.metadata)
        XCTAssertEqual(try file.floats("z.f32"), all)
        XCTAssertEqual(try file.info("b.f16").dtype, .f16)
        XCTAssertEqual(try file.info("b.f16").shape, [1, all.count])
        XCTAssertEqual(try file.int64s("ids"), [1, -2, Int64.max, Int64.min])
        XCTAssertEqual(try file.floats("empty"), [])
        XCTAssertEqual(try file.info("scalar").shape, [])
        XCTAssertEqual(try file.floats("scalar"), [4.5])

        let halves = try file.floats("b.f16")
        let brains = try file.floats("a.bf16")
        for (index, original) in all.enumerated() {
            if index < exactValues.count {
                XCTAssertEqual(halves[index], original)
                XCTAssertEqual(brains[index], original)
            } else {
                // Below 2^-14 halves are subnormal and only absolutely accurate.
                let halfTolerance = max(abs(original) * 1e-3, 0x1p-25)
                XCTAssertEqual(halves[index], original, accuracy: halfTolerance)
                XCTAssertEqual(brains[index], original, accuracy: abs(original) * 0x1p-8)
            }
        }
        // Half data is widened on the fly; the buffer API converts too.
        let viaBuffer: [Float] = try file.withFloatBuffer("b.f16") { Array($0) }
        XCTAssertEqual(viaBuffer, halves)
    }

    func testHeaderLayout() throws {
        var writer = SafeTensorsWriter()
        try writer.add("second", floats: [1, 2, 3], shape: [3])
        try writer.add("first", int64s: [7], shape: [1])
        let bytes = [UInt8](writer.serialized())
        let length = bytes.prefix(8).enumerated().reduce(0) { (sum: Int, item: (Int, UInt8)) -> Int in
            sum | Int(item.1) << (8 * item.0)
        }
        XCTAssertEqual((8 + length) % 8, 0)
        XCTAssertEqual(bytes.count, 8 + length + 8 + 12)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces),
                       "{\"first\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                       + "\"second\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]}}")
    }

    func testWriteReplacesExistingFileAndLeavesNoTemporaries() throws {
        let url = directory.appendingPathComponent("model.safetensors")
        var writer = SafeTensorsWriter()
        try writer.add("x", floats: [1], shape: [1])
        try writer.write(to: url)
        let before = try SafeTensorsFile(url: url)

        writer.remove("x")
        try writer.add("x", floats: [2, 3], shape: [2])
        try writer.write(to: url)
        XCTAssertEqual(try SafeTensorsFile(url: url).floats("x"), [2, 3])
        // A mapping taken before the replacement still sees the old contents.
        XCTAssertEqual(try before.floats("x"), [1])
        let contents = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(contents, ["model.safetensors"])
    }

    func testWriterRejectsBadInput() throws {
        var writer = SafeTensorsWriter()
        try writer.add("x", floats: [1, 2], shape: [2])
        let attempts: [(String, () throws -> Void)] = [
            ("count", { var w = writer; try w.add("y", floats: [1, 2, 3], shape: [2]) }),
            ("duplicate", { var w = writer; try w.add("x", floats: [1, 2], shape: [2]) }),
            ("dtype", { var w = writer; try w.add("y", floats: [1], shape: [1], as: .i32) }),
            ("negative", { var w = writer; try w.add("y", floats: [], shape: [-1]) }),
            ("reserved", { var w = writer; try w.add("__metadata__", floats: [1], shape: [1]) }),
            ("raw", { var w = writer; try w.add("y", rawBytes: [1, 2, 3], dtype: .f16, shape: [1]) }),
        ]
        for (label, attempt) in attempts {
            XCTAssertThrowsError(try attempt(), label) { error in
                XCTAssertEqual((error as? SafeTensorsError)?.kind, .invalidInput, label)
            }
        }
        let missingDirectory = directory.appendingPathComponent("no/such/dir/x.safetensors")
        XCTAssertThrowsError(try writer.write(to: missingDirectory)) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind, .io)
            XCTAssertTrue("\(error)".contains("x.safetensors"))
        }
    }

    func testRawBytesOfOtherDTypes() throws {
        var writer = SafeTensorsWriter()
        try writer.add("mask", rawBytes: [1, 0, 1], dtype: .bool, shape: [3])
        try writer.add("small", rawBytes: [0xFF, 0xFF, 0x02, 0x00], dtype: .i16, shape: [2])
        try writer.add("wide", floats: [1.5, -0.25], shape: [2], as: .f64)
        let url = directory.appendingPathComponent("raw.safetensors")
        try writer.write(to: url)
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(try file.int64s("mask"), [1, 0, 1])
        XCTAssertEqual(try file.int64s("small"), [-1, 2])
        XCTAssertEqual(try file.floats("wide"), [1.5, -0.25])
        XCTAssertEqual(try file.bytes("small"), [0xFF, 0xFF, 0x02, 0x00])
    }
}

/// A small deterministic generator (SplitMix64) so tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
