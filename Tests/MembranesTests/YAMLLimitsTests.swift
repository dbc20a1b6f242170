import Foundation
import Membranes
import XCTest

/// YAML texts that overflowed the parser's stack, expanded without end or lost a value silently:
/// refused quickly by the loader configs and catalogs share (``loadYAMLMapping(_:)``).
final class YAMLLimitsTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Loading `text` fails within `seconds`, naming the file and every string of `mentions`.
    func assertRefused(_ text: String, mentions: [String], within seconds: TimeInterval = 2, line: UInt = #line) throws {
        let url = folder.appendingPathComponent("case-\(line).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        let start = Date()
        XCTAssertThrowsError(try loadYAMLMapping(url), line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(url.path + ": "), text, line: line)
            for m in mentions { XCTAssertTrue(text.contains(m), "'\(m)' not in: \(text)", line: line) }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), seconds, line: line)
    }

    func testDeepFlowNestingIsRefused() throws {
        let depth = 100_000
        try assertRefused("target: red\nx: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n",
                          mentions: ["'x'", "nested more than 64 levels deep", "line 2"])
        try assertRefused("target: red\nx: " + String(repeating: "{a: ", count: 10_000) + "1" + String(repeating: "}", count: 10_000) + "\n",
                          mentions: ["nested more than 64"])
    }

    func testDeepBlockNestingIsRefused() throws {
        var block = "target: red\nx:\n"
        for i in 1...200 { block += String(repeating: " ", count: i) + "k\(i):\n" }
        try assertRefused(block + String(repeating: " ", count: 201) + "v\n", mentions: ["nested more than 64"])
        try assertRefused(String(repeating: "- ", count: 10_000) + "1\n", mentions: ["nested more than 64"])
    }

    func testAliasBombIsRefusedAtOnce() throws {
        var lines = ["target: red", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for i in 1..<30 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        try assertRefused(lines.joined(separator: "\n") + "\n", mentions: ["'a1'", "alias", "line 3"])
        try assertRefused("base: &b {lr: 0.1}\nother:\n  <<: *b\n", mentions: ["alias"])
    }

    func testDuplicateKeysAreRefused() throws {
        try assertRefused("target: red\niterations: 3\niterations: 300\n", mentions: ["'iterations' appears twice", "line 3"])
        try assertRefused("concepts:\n  - name: a\n    lr: 1\n    lr: 2\n", mentions: ["'concepts.lr' appears twice"])
        try assertRefused("target: red\n'target': blue\n", mentions: ["'target' appears twice"])
    }

    func testOversizedFileIsRefused() throws {
        let text = "target: red\nneutral: \"" + String(repeating: "a", count: ConfigLimits.yamlMaxBytes) + "\"\n"
        try assertRefused(text, mentions: ["at most \(ConfigLimits.yamlMaxBytes)"])
    }

    func testOrdinaryNestingAnchorsAndKeysStillLoad() throws {
        let url = folder.appendingPathComponent("ok.yaml")
        try "target: red\npreserve: [blue, green]\nnested: &n {a: [1, [2, [3]]]}\nsame: {a: 1}\nother: {a: 2}\n".write(to: url, atomically: true, encoding: .utf8)
        let values = try loadYAMLMapping(url)
        XCTAssertEqual(values["target"] as? String, "red")
        XCTAssertEqual((values["preserve"] as? [String]) ?? [], ["blue", "green"])
    }

    /// A FIFO blocked the loader forever and /dev/zero was read until memory ran out (a catalog
    /// may name any path as its `config`).
    func testNonRegularFilesAreRefusedAtOnce() throws {
        let fifo = folder.appendingPathComponent("config.yaml")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        for url: URL in [fifo, URL(fileURLWithPath: "/dev/zero"), folder!] {
            let start = Date()
            XCTAssertThrowsError(try loadYAMLMapping(url)) { error in
                XCTAssertEqual("\(error)", "\(url.path): is not a regular file")
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        }
    }

    /// Text in memory is checked as a file is: the same limits, errors naming `source`.
    func testTextInMemoryIsCheckedAsAFileIs() throws {
        let mapping = try loadYAMLMapping(Data("target: red\niterations: 3\n".utf8), source: "inline")
        XCTAssertEqual(mapping["target"] as? String, "red")
        XCTAssertEqual(mapping["iterations"] as? Int, 3)
        XCTAssertThrowsError(try loadYAMLMapping(Data("a: &x 1\nb: *x\n".utf8), source: "inline")) { error in
            XCTAssertTrue("\(error)".hasPrefix("inline: "), "\(error)")
            XCTAssertTrue("\(error)".contains("alias"), "\(error)")
        }
        XCTAssertThrowsError(try loadYAMLMapping(Data([0xff, 0xfe]), source: "inline")) { error in
            XCTAssertEqual("\(error)", "inline: not UTF-8 text")
        }
    }

    /// Yams trapped on a base-60 integer beyond Int (found by the config fuzz target), and read
    /// `1:30` silently as 90: every base-60 number is refused, naming the line.
    func testBase60NumbersAreRefused() throws {
        try assertRefused("2772775542775541754:4\n", mentions: ["'2772775542775541754:4'", "base-60", "line 1"])
        try assertRefused("target: red\nseed: 1:30\n", mentions: ["'1:30'", "base-60", "line 2"])
        try assertRefused("target: red\nlr: 190:20:30.15\n", mentions: ["base-60"])
        try assertRefused("concepts:\n  - name: a\n    seed: -9:59\n", mentions: ["'-9:59'", "line 3"])
        let quoted = try loadYAMLMapping(Data("target: \"1:30\"\npositive: 'a: b'\n".utf8), source: "inline")
        XCTAssertEqual(quoted["target"] as? String, "1:30")
    }

    /// An `!!int` or `!!float` tag makes Yams read any text with `:` as base 60, whatever its
    /// shape or quotes; a dozen groups overflowed `Int` and trapped (found by the config and
    /// catalog fuzz targets). Such values are refused; quoted text under `!!str` stays text.
    func testTaggedBase60NumbersAreRefused() throws {
        try assertRefused("x: !!int 1:2:3:4:5:6:7:8:9:10:11:12\n", mentions: ["'1:2:3:4:5:6:7:8:9:10:11:12'", "base-60", "line 1"])
        try assertRefused("target: red\nseed: !!int \"20:x:40\"\n", mentions: ["'20:x:40'", "base-60", "line 2"])
        try assertRefused("target: red\nlr: !<tag:yaml.org,2002:float> '1:30'\n", mentions: ["'1:30'", "line 2"])
        try assertRefused("!!int 1:2:3:4:5:6:7:8:9:10:11:12: red\n", mentions: ["base-60", "line 1"])
        let text = try loadYAMLMapping(Data("target: !!str \"1:30\"\n".utf8), source: "inline")
        XCTAssertEqual(text["target"] as? String, "1:30")
    }
}
