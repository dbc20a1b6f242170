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
}
