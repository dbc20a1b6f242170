import Foundation
import XCTest
@testable import SafeTensors

/// Malformed files: each must give its own clear error and never crash.
final class SafeTensorsCorruptionTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes `bytes` to a file named `name` in the test directory.
    func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// A file whose header is `json` (unpadded) followed by `dataSize` zero bytes.
    func file(_ name: String, header json: String, dataSize: Int, declaredLength: UInt64? = nil) throws -> URL {
        let header = Array(json.utf8)
        let length = declaredLength ?? UInt64(header.count)
        var bytes: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: length >> UInt64(8 * $0)) }
        bytes += header
        bytes += [UInt8](repeating: 0, count: dataSize)
        return try file(name, bytes)
    }

    /// Asserts that opening `url` fails with `kind`, and that the message names the file and
    /// every string in `mentions`.
    func assertOpenFails(_ url: URL, _ kind: SafeTensorsError.Kind, mentions: [String] = [],
                         file sourceFile: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try SafeTensorsFile(url: url)
            XCTFail("opening \(url.lastPathComponent) should fail with \(kind)", file: sourceFile, line: line)
        } catch let error as SafeTensorsError {
            XCTAssertEqual(error.kind, kind, error.description, file: sourceFile, line: line)
            XCTAssertTrue(error.description.hasPrefix(url.path + ": "), error.description,
                          file: sourceFile, line: line)
            for text in mentions {
                XCTAssertTrue(error.description.contains(text), "'\(text)' not in: \(error.description)",
                              file: sourceFile, line: line)
            }
        } catch {
            XCTFail("unexpected error type: \(error)", file: sourceFile, line: line)
        }
    }

    func entry(_ name: String, _ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
    }

    func testTruncatedFile() throws {
        assertOpenFails(try file("empty.safetensors", []), .truncated, mentions: ["0 bytes"])
        assertOpenFails(try file("short.safetensors", [4, 0, 0, 0]), .truncated, mentions: ["4 bytes"])
    }

    func testHeaderLengthPastEndOfFile() throws {
        let url = try file("long.safetensors", header: "{}", dataSize: 4, declaredLength: 1000)
        assertOpenFails(url, .headerLength, mentions: ["1000", "14-byte file"])
        let huge = try file("huge.safetensors", header: "{}", dataSize: 0, declaredLength: UInt64.max)
        assertOpenFails(huge, .headerLength, mentions: ["\(UInt64.max)"])
    }

    func testInvalidJSON() throws {
        assertOpenFails(try file("bad.safetensors", header: "{\"a\": {", dataSize: 0), .invalidJSON,
                        mentions: ["not valid JSON"])
        assertOpenFails(try file("array.safetensors", header: "[1, 2]", dataSize: 0), .invalidJSON,
                        mentions: ["an array"])
        assertOpenFails(try file("binary.safetensors", [2, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE]), .invalidJSON)
        let deep = "{\"x\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        assertOpenFails(try file("deep.safetensors", header: deep, dataSize: 0), .invalidJSON)
    }

    func testOverlappingRanges() throws {
        let json = "{" + entry("a", "F32", [4], 0, 16) + "," + entry("b", "F32", [2], 8, 16) + "}"
        assertOpenFails(try file("overlap.safetensors", header: json, dataSize: 16), .overlap,
                        mentions: ["tensor 'b'", "'a'", "8..<16"])
    }

    func testWrongSizeForDTypeAndShape() throws {
        let json = "{" + entry("w", "F16", [3, 3], 0, 36) + "}"
        assertOpenFails(try file("size.safetensors", header: json, dataSize: 36), .sizeMismatch,
                        mentions: ["tensor 'w'", "F16", "[3, 3]", "18 bytes", "span 36"])
    }

    func testUnknownDType() throws {
        let json = "{" + entry("w", "F8_E4M3", [2], 0, 2) + "}"
        assertOpenFails(try file("dtype.safetensors", header: json, dataSize: 2), .unknownDType,
                        mentions: ["tensor 'w'", "'F8_E4M3'"])
    }

    func testRangeOutsideDataSection() throws {
        let json = "{" + entry("conv_in.weight", "F32", [200], 100, 900) + "}"
        let url = try file("range.safetensors", header: json, dataSize: 512)
        assertOpenFails(url, .outOfBounds,
                        mentions: ["tensor 'conv_in.weight': byte range 100..<900 lies outside the 512-byte data section"])
        let reversed = "{" + entry("r", "F32", [0], 8, 4) + "}"
        assertOpenFails(try file("reversed.safetensors", header: reversed, dataSize: 8), .outOfBounds,
                        mentions: ["tensor 'r'", "after end"])
        let malformed = "{\"m\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}"
        assertOpenFails(try file("offsets.safetensors", header: malformed, dataSize: 4), .outOfBounds,
                        mentions: ["tensor 'm'"])
        let negative = "{" + entry("n", "F32", [1], -4, 0) + "}"
        assertOpenFails(try file("negative.safetensors", header: negative, dataSize: 4), .outOfBounds)
    }

    func testInvalidShapes() throws {
        let negative = "{" + entry("s", "F32", [-1, 2], 0, 0) + "}"
        assertOpenFails(try file("neg.safetensors", header: negative, dataSize: 0), .invalidShape,
                        mentions: ["tensor 's'", "-1"])
        let fractional = "{\"f\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,10]}}"
        assertOpenFails(try file("frac.safetensors", header: fractional, dataSize: 10), .invalidShape)
        let boolean = "{\"b\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,4]}}"
        assertOpenFails(try file("bool.safetensors", header: boolean, dataSize: 4), .invalidShape)
        let overflow = "{" + entry("o", "F32", [1 << 40, 1 << 40], 0, 0) + "}"
        assertOpenFails(try file("overflow.safetensors", header: overflow, dataSize: 0), .invalidShape)
    }

    func testInvalidEntriesAndMetadata() throws {
        let metadata = "{\"__metadata__\":{\"format\":1}}"
        assertOpenFails(try file("meta.safetensors", header: metadata, dataSize: 0), .invalidEntry,
                        mentions: ["__metadata__", "format"])
        let notObject = "{\"x\":[1,2]}"
        assertOpenFails(try file("entry.safetensors", header: notObject, dataSize: 0), .invalidEntry,
                        mentions: ["tensor 'x'"])
        let noDType = "{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}"
        assertOpenFails(try file("nodtype.safetensors", header: noDType, dataSize: 4), .invalidEntry,
                        mentions: ["tensor 'x'", "dtype"])
    }

    func testValidHandMadeFileWithUnalignedData() throws {
        // Pad the header so the data section starts at an odd offset: F32 values are unaligned.
        var json = "{" + entry("v", "F32", [2], 0, 8) + "," + entry("gap", "U8", [0], 8, 8) + "}"
        while (8 + json.utf8.count) % 4 != 1 { json += " " }
        var bytes: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.utf8.count) >> UInt64(8 * $0)) }
        bytes += Array(json.utf8)
        for value: Float in [1.5, -2] {
            bytes += (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> UInt32(8 * $0)) }
        }
        let url = try file("unaligned.safetensors", bytes)
        let opened = try SafeTensorsFile(url: url)
        XCTAssertEqual(try opened.floats("v"), [1.5, -2])
        let viaBuffer: [Float] = try opened.withFloatBuffer("v") { Array($0) }
        XCTAssertEqual(viaBuffer, [1.5, -2])
        XCTAssertEqual(try opened.int64s("gap"), [])
    }

    /// Random byte flips and truncations of a valid file: opening either fails with a
    /// SafeTensorsError or yields a file whose every tensor reads back without trouble.
    func testMutatedFilesNeverCrash() throws {
        var writer = SafeTensorsWriter(metadata: ["k": "v"])
        try writer.add("a", floats: [1, 2, 3, 4], shape: [2, 2], as: .f16)
        try writer.add("b", int64s: [5, 6], shape: [2])
        try writer.add("c", floats: [7], shape: [1], as: .bf16)
        let original = [UInt8](writer.serialized())
        var generator = SeededGenerator(seed: 11)
        var opened = 0
        for round in 0..<400 {
            var bytes = original
            let flips = Int.random(in: 1...3, using: &generator)
            for _ in 0..<flips {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            if round % 5 == 0 {
                bytes.removeLast(Int.random(in: 0..<bytes.count, using: &generator))
            }
            let url = try file("mutant-\(round).safetensors", bytes)
            do {
                let mutant = try SafeTensorsFile(url: url)
                opened += 1
                for name in mutant.names {
                    let info = try mutant.info(name)
                    if info.dtype.isFloatingPoint {
                        XCTAssertEqual(try mutant.floats(name).count, info.count)
                    } else {
                        XCTAssertEqual(try mutant.int64s(name).count, info.count)
                    }
                }
            } catch is SafeTensorsError {
                // Expected for most mutations.
            }
            try FileManager.default.removeItem(at: url)
        }
        XCTAssertGreaterThan(opened, 0)
    }
}
