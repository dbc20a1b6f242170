import Foundation
import XCTest
@testable import Tokenizer

/// Text cleanup, word splitting, BPE merging and file errors.
final class TokenizerParsingTests: XCTestCase {
    func testCleanCollapsesWhitespaceAndLowercases() {
        XCTAssertEqual(CLIPTokenizer.clean("  Hello\t\n  WORLD \u{3000}"), "hello world")
        XCTAssertEqual(CLIPTokenizer.clean("a\u{7}b\u{FEFF}c"), "abc")
        XCTAssertEqual(CLIPTokenizer.clean("e\u{301}"), "\u{E9}")   // NFC
        XCTAssertEqual(CLIPTokenizer.clean(""), "")
    }

    func testWordSplittingFollowsCLIPPattern() {
        XCTAssertEqual(CLIPTokenizer.words(in: "it's a dog's life!!"), ["it", "'s", "a", "dog", "'s", "life", "!!"])
        XCTAssertEqual(CLIPTokenizer.words(in: "we'll i'm you're they've i'd don't"),
                       ["we", "'ll", "i", "'m", "you", "'re", "they", "'ve", "i", "'d", "don", "'t"])
        XCTAssertEqual(CLIPTokenizer.words(in: "3.14"), ["3", ".", "1", "4"])
        XCTAssertEqual(CLIPTokenizer.words(in: "a''s"), ["a", "''", "s"])
        XCTAssertEqual(CLIPTokenizer.words(in: "!'s"), ["!'", "s"])
        XCTAssertEqual(CLIPTokenizer.words(in: "'x"), ["'", "x"])
        XCTAssertEqual(CLIPTokenizer.words(in: "(paren) [b]"), ["(", "paren", ")", "[", "b", "]"])
        XCTAssertEqual(CLIPTokenizer.words(in: "héllo wörld"), ["héllo", "wörld"])
        XCTAssertEqual(CLIPTokenizer.words(in: "x²"), ["x", "²"])
        // A combining mark is not a letter: it splits off as an "other" run.
        XCTAssertEqual(CLIPTokenizer.words(in: "e\u{301}x"), ["e", "\u{301}", "x"])
        XCTAssertEqual(CLIPTokenizer.words(in: "🐈🐈 ok"), ["🐈🐈", "ok"])
    }

    func testMergeByRank() {
        let ranks: [MergePair: Int] = [
            MergePair(first: "l", second: "o"): 0,
            MergePair(first: "lo", second: "w</w>"): 1,
            MergePair(first: "e", second: "r</w>"): 2,
        ]
        XCTAssertEqual(CLIPTokenizer.merge(["l", "o", "w"], ranks: ranks), ["low</w>"])
        XCTAssertEqual(CLIPTokenizer.merge(["l", "o", "w", "e", "r"], ranks: ranks), ["lo", "w", "er</w>"])
        XCTAssertEqual(CLIPTokenizer.merge(["l", "o", "l", "o", "x"], ranks: ranks), ["lo", "lo", "x</w>"])
        // The end-of-word marker is part of the last symbol, so "o</w>" does not pair with "l".
        XCTAssertEqual(CLIPTokenizer.merge(["l", "o", "l", "o"], ranks: ranks), ["lo", "l", "o</w>"])
        XCTAssertEqual(CLIPTokenizer.merge(["x"], ranks: ranks), ["x</w>"])
        XCTAssertEqual(CLIPTokenizer.merge([], ranks: ranks), [])
    }

    func testByteLevelAlphabet() {
        let alphabet = ByteLevelAlphabet()
        XCTAssertEqual(alphabet.characters[Int(UInt8(ascii: "a"))], "a")
        XCTAssertEqual(alphabet.characters[0x20], "\u{120}")   // space -> Ġ
        XCTAssertEqual(alphabet.characters[0x00], "\u{100}")
        XCTAssertEqual(alphabet.characters[0xAD], "\u{143}")
        XCTAssertEqual(Set(alphabet.characters).count, 256)
        XCTAssertEqual(alphabet.decode(alphabet.symbols("héllo 🐈").joined()), Array("héllo 🐈".utf8))
    }

    // MARK: - File errors

    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }

    func writeValidFiles() throws {
        try write("vocab.json", "{\"a\": 0, \"b\": 1, \"a</w>\": 2, \"b</w>\": 3, \"ab</w>\": 4, \"<|startoftext|>\": 5, \"<|endoftext|>\": 6}")
        try write("merges.txt", "#version: 0.2\na b</w>\n")
    }

    func assertLoadFails(_ kind: TokenizerError.Kind, file name: String, mentions: String? = nil,
                         line: UInt = #line) {
        XCTAssertThrowsError(try CLIPTokenizer(directory: directory), line: line) { error in
            guard let failure = error as? TokenizerError else {
                return XCTFail("unexpected error \(error)", line: line)
            }
            XCTAssertEqual(failure.kind, kind, failure.description, line: line)
            XCTAssertTrue(failure.path.hasSuffix("/" + name), failure.description, line: line)
            XCTAssertTrue(failure.description.contains(name), failure.description, line: line)
            if let mentions {
                XCTAssertTrue(failure.description.contains(mentions), failure.description, line: line)
            }
        }
    }

    func testSmallValidTokenizer() throws {
        try writeValidFiles()
        try write("tokenizer_config.json", "{\"model_max_length\": 5}")
        let tokenizer = try CLIPTokenizer(directory: directory)
        XCTAssertEqual(tokenizer.maxLength, 5)
        XCTAssertEqual(tokenizer.tokens("ab ba"), ["ab</w>", "b", "a</w>"])
        XCTAssertEqual(tokenizer.encode("ab"), [5, 4, 6, 6, 6])
        XCTAssertEqual(tokenizer.encode("ab ab ab ab"), [5, 4, 4, 4, 6])
        XCTAssertEqual(tokenizer.encode("c"), [5, 6, 6, 6, 6])   // "c</w>" is unknown -> unk (<|endoftext|>)
    }

    func testMissingVocabulary() throws {
        try write("merges.txt", "#version: 0.2\n")
        assertLoadFails(.missingFile, file: "vocab.json")
    }

    func testMissingMerges() throws {
        try writeValidFiles()
        try FileManager.default.removeItem(at: directory.appendingPathComponent("merges.txt"))
        assertLoadFails(.missingFile, file: "merges.txt")
    }

    func testInvalidVocabulary() throws {
        try writeValidFiles()
        try write("vocab.json", "[\"a\", \"b\"]")
        assertLoadFails(.invalidFile, file: "vocab.json")
        try write("vocab.json", "{\"a\": \"zero\"}")
        assertLoadFails(.invalidFile, file: "vocab.json")
        try write("vocab.json", "{\"a\": -1}")
        assertLoadFails(.invalidFile, file: "vocab.json", mentions: "'a'")
    }

    func testInvalidMerges() throws {
        try writeValidFiles()
        try write("merges.txt", "#version: 0.2\na b</w>\nthree parts here\n")
        assertLoadFails(.invalidFile, file: "merges.txt", mentions: "line 3")
    }

    func testSpecialTokenMissingFromVocabulary() throws {
        try writeValidFiles()
        try write("special_tokens_map.json", "{\"pad_token\": {\"content\": \"<pad>\", \"lstrip\": false}}")
        assertLoadFails(.invalidFile, file: "special_tokens_map.json", mentions: "'<pad>'")
        try write("special_tokens_map.json", "{\"pad_token\": \"b</w>\"}")
        try write("tokenizer_config.json", "{not json")
        assertLoadFails(.invalidFile, file: "tokenizer_config.json")
        try write("tokenizer_config.json", "{\"pad_token\": \"a</w>\", \"model_max_length\": 1e30}")
        let tokenizer = try CLIPTokenizer(directory: directory)
        XCTAssertEqual(tokenizer.padToken, "b</w>")   // special_tokens_map.json wins
        XCTAssertEqual(tokenizer.maxLength, 77)       // unusable length falls back to 77
    }
}
