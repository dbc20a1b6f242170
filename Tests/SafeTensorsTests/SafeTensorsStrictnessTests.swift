import Foundation
import XCTest
@testable import SafeTensors

/// Headers the format forbids but a lenient reader would accept: a wrong header length, gaps,
/// byte-order marks, UTF-16, non-integer shapes and offsets, repeated keys, deep nesting.
final class SafeTensorsStrictnessTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// A valid two-tensor file, as the writer makes it.
    func validBytes() throws -> [UInt8] {
        var writer = SafeTensorsWriter(metadata: ["k": "v"])
        try writer.add("a", floats: [1, 2, 3, 4], shape: [2, 2])
        try writer.add("b", floats: [5, 6], shape: [2])
        return [UInt8](writer.serialized())
    }

    /// `length` as the 8-byte little-endian prefix, then `header` and `data`.
    func bytes(header: [UInt8], data: [UInt8], length: UInt64? = nil) -> [UInt8] {
        let n = length ?? UInt64(header.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> UInt64(8 * $0)) } + header + data
    }

    func assertRefused(_ bytes: [UInt8], _ kind: SafeTensorsError.Kind, mentions: [String] = [],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let url = directory.appendingPathComponent("case-\(line).safetensors")
        try Data(bytes).write(to: url)
        XCTAssertThrowsError(try SafeTensorsFile(url: url), file: file, line: line) { error in
            guard let error = error as? SafeTensorsError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(error.kind, kind, error.description, file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix(url.path + ": "), error.description, file: file, line: line)
            for text in mentions { XCTAssertTrue(error.description.contains(text), "'\(text)' not in \(error.description)", file: file, line: line) }
        }
    }

    func testValidFileOpens() throws {
        let url = directory.appendingPathComponent("valid.safetensors")
        try Data(try validBytes()).write(to: url)
        XCTAssertEqual(try SafeTensorsFile(url: url).floats("b"), [5, 6])
    }

    func testHeaderLengthOneByteShortOrLongIsRefused() throws {
        let valid = try validBytes()
        let length = valid[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
        var short = valid
        for i in 0..<8 { short[i] = UInt8(truncatingIfNeeded: (length - 1) >> UInt64(8 * i)) }
        try assertRefused(short, .layout, mentions: ["header length"])
        var long = valid
        for i in 0..<8 { long[i] = UInt8(truncatingIfNeeded: (length + 1) >> UInt64(8 * i)) }
        XCTAssertThrowsError(try { () throws -> Void in
            let url = self.directory.appendingPathComponent("long.safetensors")
            try Data(long).write(to: url)
            _ = try SafeTensorsFile(url: url)
        }())
    }

    func testGapsAndTrailingBytesAreRefused() throws {
        let gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}"
        try assertRefused(bytes(header: Array(gap.utf8), data: [UInt8](repeating: 0, count: 12)), .layout,
                          mentions: ["tensor 'b'", "4..<8", "unused"])
        let one = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
        try assertRefused(bytes(header: Array(one.utf8), data: [UInt8](repeating: 0, count: 5)), .layout,
                          mentions: ["end at byte 4", "5 bytes"])
    }

    func testByteOrderMarkAndUTF16HeadersAreRefused() throws {
        let json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
        try assertRefused(bytes(header: [0xEF, 0xBB, 0xBF] + Array(json.utf8), data: [0, 0, 0, 0]), .invalidJSON,
                          mentions: ["byte-order mark"])
        let utf16 = Array(json.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        try assertRefused(bytes(header: utf16, data: [0, 0, 0, 0]), .invalidJSON, mentions: ["not UTF-8"])
        try assertRefused(bytes(header: [0xFF, 0xFE] + utf16, data: [0, 0, 0, 0]), .invalidJSON, mentions: ["not UTF-8"])
    }

    func testFloatAndExponentShapesAndOffsetsAreRefused() throws {
        let floatShape = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}"
        try assertRefused(bytes(header: Array(floatShape.utf8), data: [UInt8](repeating: 0, count: 8)), .invalidShape, mentions: ["tensor 'a'"])
        let exponentShape = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}"
        try assertRefused(bytes(header: Array(exponentShape.utf8), data: [UInt8](repeating: 0, count: 8)), .invalidShape)
        let floatOffset = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.0]}}"
        try assertRefused(bytes(header: Array(floatOffset.utf8), data: [UInt8](repeating: 0, count: 8)), .outOfBounds, mentions: ["tensor 'a'"])
        let exponentOffset = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8E0]}}"
        try assertRefused(bytes(header: Array(exponentOffset.utf8), data: [UInt8](repeating: 0, count: 8)), .outOfBounds)
    }

    func testRepeatedKeysAreRefused() throws {
        let json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
        try assertRefused(bytes(header: Array(json.utf8), data: [0, 0, 0, 0]), .invalidJSON, mentions: ["'a' appears twice"])
    }

    /// A 20 KB header nested 500 deep is refused at once (it took over 30 s with a parser whose
    /// time grew with the square of the depth); nesting up to the limit still parses.
    func testDeepNestingIsRefusedQuickly() throws {
        var nested = "\"x\""
        for _ in 0..<500 { nested = "{\"k\":" + nested + "}" }
        let json = "{\"__metadata__\":" + nested + String(repeating: " ", count: 20_000 - nested.utf8.count) + "}"
        let start = Date()
        try assertRefused(bytes(header: Array(json.utf8), data: []), .invalidJSON, mentions: ["nested more than 64"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        var allowed = "1"
        for _ in 0..<(JSONValue.maxDepth - 1) { allowed = "[" + allowed + "]" }
        guard case .success = JSONValue.parse(Data(("{\"a\":" + allowed + "}").utf8)) else { return XCTFail("depth \(JSONValue.maxDepth) must parse") }
    }

    /// Parse time grows linearly with the header: 50,000 entries (3 MB) open in seconds.
    func testLargeHeaderParsesInLinearTime() throws {
        var parts: [String] = []
        for i in 0..<50_000 { parts.append("\"t\(i)\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[\(i),\(i + 1)]}") }
        let json = "{" + parts.joined(separator: ",") + "}"
        let url = directory.appendingPathComponent("wide.safetensors")
        try Data(bytes(header: Array(json.utf8), data: [UInt8](repeating: 7, count: 50_000))).write(to: url)
        let start = Date()
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.count, 50_000)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "\(json.utf8.count)-byte header")
    }

    func testJSONStringsAndNumbersParseStrictly() {
        guard case .success(.object(let o)) = JSONValue.parse(Data("{\"s\":\"a\\u00e9\\ud83d\\ude00\\n\",\"n\":-1.5e3,\"i\":-42,\"b\":true,\"z\":null}".utf8)) else {
            return XCTFail("valid JSON must parse")
        }
        guard case .string(let s)? = o["s"], case .number(let n)? = o["n"], case .integer(let i)? = o["i"] else { return XCTFail("\(o)") }
        XCTAssertEqual(s, "a\u{e9}\u{1F600}\n")
        XCTAssertEqual(n, -1500)
        XCTAssertEqual(i, -42)
        for bad in ["{\"a\":01}", "{\"a\":\"\u{1}\"}", "{\"a\":\"\\ud800\"}", "{\"a\":1,}", "{\"a\":1} x", "{'a':1}", "{\"a\":.5}", "{\"a\":NaN}"] {
            guard case .failure = JSONValue.parse(Data(bad.utf8)) else { return XCTFail("\(bad) must be refused") }
        }
    }

    /// Every safetensors file of ../shared (models and fixtures) still opens and every tensor
    /// of it reads.
    func testEverySharedFileOpens() throws {
        guard let walker = FileManager.default.enumerator(atPath: sharedDirectory.path) else { return XCTFail("no ../shared") }
        var opened = 0
        for case let relative as String in walker where relative.hasSuffix(".safetensors") {
            let file = try SafeTensorsFile(url: sharedDirectory.appendingPathComponent(relative))
            for name in file.names where try file.info(name).dtype.isFloatingPoint { _ = try file.floats(name) }
            opened += 1
        }
        XCTAssertGreaterThanOrEqual(opened, 10)
    }

    /// Bytes in memory pass and fail the same checks as the same bytes in a file.
    func testBytesInMemoryAreCheckedAsAFileIs() throws {
        let valid = try validBytes()
        let file = try SafeTensorsFile(contents: Data(valid), path: "memory.safetensors")
        XCTAssertEqual(file.names, ["a", "b"])
        XCTAssertEqual(file.metadata, ["k": "v"])
        XCTAssertEqual(try file.floats("a"), [1, 2, 3, 4])
        XCTAssertEqual(file.path, "memory.safetensors")
        var short = valid
        short[0] -= 1
        for bytes in [short, Array(valid.dropLast()), []] {
            XCTAssertThrowsError(try SafeTensorsFile(contents: Data(bytes), path: "memory.safetensors")) { error in
                XCTAssertTrue("\(error)".hasPrefix("memory.safetensors: "), "\(error)")
            }
        }
    }
}
