import Foundation
import SafeTensors
import XCTest
@testable import Tokenizer

/// `../shared` next to the repository root (two levels above this file's directory).
let sharedDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()   // Tests/TokenizerTests
    .deletingLastPathComponent()   // Tests
    .deletingLastPathComponent()   // repository root
    .appendingPathComponent("../shared")
    .standardizedFileURL

let clipDirectory = sharedDirectory.appendingPathComponent("fixtures/clip-tokenizer")
let shapesworldDirectory = sharedDirectory.appendingPathComponent("models/shapesworld-a/tokenizer")

/// One entry of golden_ids.json.
struct GoldenPrompt: Decodable {
    let prompt: String
    let input_ids: [Int32]
}

/// Tokenizer output against reference ids from the Python CLIPTokenizer.
final class TokenizerTests: XCTestCase {
    static let clip: Result<CLIPTokenizer, Error> = Result { try CLIPTokenizer(directory: clipDirectory) }

    func clipTokenizer() throws -> CLIPTokenizer {
        try Self.clip.get()
    }

    func testCLIPGoldenIDs() throws {
        let tokenizer = try clipTokenizer()
        let data = try Data(contentsOf: clipDirectory.appendingPathComponent("golden_ids.json"))
        let golden = try JSONDecoder().decode([GoldenPrompt].self, from: data)
        XCTAssertGreaterThanOrEqual(golden.count, 10)
        for entry in golden {
            XCTAssertEqual(tokenizer.encode(entry.prompt), entry.input_ids, "prompt: \(entry.prompt.debugDescription)")
        }
    }

    func testCLIPSpecialTokensAndSizes() throws {
        let tokenizer = try clipTokenizer()
        XCTAssertEqual(tokenizer.vocabularySize, 49408)
        XCTAssertEqual(tokenizer.bosID, 49406)
        XCTAssertEqual(tokenizer.eosID, 49407)
        XCTAssertEqual(tokenizer.padID, 49407)
        XCTAssertEqual(tokenizer.maxLength, 77)
        XCTAssertEqual(tokenizer.token(for: 320), "a</w>")
        XCTAssertEqual(tokenizer.id(of: "<|startoftext|>"), 49406)
    }

    func testShapesworldGoldenTokens() throws {
        let tokenizer = try CLIPTokenizer(directory: shapesworldDirectory)
        XCTAssertEqual(tokenizer.vocabularySize, 146)
        XCTAssertEqual(tokenizer.maxLength, 77)
        let golden = try SafeTensorsFile(url: sharedDirectory.appendingPathComponent(
            "fixtures/golden-shapesworld-a.safetensors"))
        let promptsJSON = try XCTUnwrap(golden.metadata["prompts"])
        let prompts = try JSONDecoder().decode([String].self, from: Data(promptsJSON.utf8))
        XCTAssertEqual(prompts, ["a red circle", "", "a photo of a striped blue square on a gray background",
                                 "an orange triangle that is orange"])
        for (index, prompt) in prompts.enumerated() {
            let expected = try golden.int64s("tokens.\(index)").map { Int32($0) }
            XCTAssertEqual(tokenizer.encode(prompt), expected, "tokens.\(index): \(prompt.debugDescription)")
        }
    }

    func testTokenStrings() throws {
        let tokenizer = try clipTokenizer()
        XCTAssertEqual(tokenizer.tokens("A red circle"), ["a</w>", "red</w>", "circle</w>"])
        XCTAssertEqual(tokenizer.tokens(""), [])
        XCTAssertEqual(tokenizer.tokens("it's"), ["it</w>", "'s</w>"])
        XCTAssertEqual(tokenizer.ids("a photo of a cat"), [320, 1125, 539, 320, 2368])
        let toy = try CLIPTokenizer(directory: shapesworldDirectory)
        XCTAssertEqual(toy.tokens("striped"), ["striped</w>"])
    }

    func testDecodeInvertsEncode() throws {
        let tokenizer = try clipTokenizer()
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("a photo of a cat, 8k!")), "a photo of a cat , 8 k !")
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("café 🐈")), "café 🐈")
    }

    func testLongTextIsTruncatedKeepingEOS() throws {
        let tokenizer = try clipTokenizer()
        let text = Array(repeating: "a red circle", count: 60).joined(separator: " and ")
        XCTAssertGreaterThan(tokenizer.ids(text).count, 200)
        let ids = tokenizer.encode(text)
        XCTAssertEqual(ids.count, 77)
        XCTAssertEqual(ids.first, tokenizer.bosID)
        XCTAssertEqual(ids.last, tokenizer.eosID)
        XCTAssertEqual(Array(ids[1..<76]), Array(tokenizer.ids(text).prefix(75)))
    }

    func testSpecialTokensWrittenInText() throws {
        let tokenizer = try clipTokenizer()
        XCTAssertEqual(tokenizer.tokens("a<|endoftext|>B"), ["a</w>", "<|endoftext|>", "b</w>"])
        let ids = tokenizer.encode("<|startoftext|>cat")
        XCTAssertEqual(Array(ids.prefix(4)), [49406, 49406, 2368, 49407])
    }

    func testUnicodeAndOddInputsDoNotCrash() throws {
        let clip = try clipTokenizer()
        let toy = try CLIPTokenizer(directory: shapesworldDirectory)
        let inputs: [String] = [
            "🐈‍⬛ emoji 👩🏽‍🚀 with ZWJ", "Crème brûlée à la française", "e\u{301}", "İstanbul ΣΟΦΟΣ",
            "東京タワー 한국어 العربية", "\u{0}\u{1}\u{7}nul and bell\u{FEFF}", "\u{FFFD}\u{FFFF}", "'''s''", "'",
            "   \t\n  ", String(repeating: "supercalifragilistic", count: 50), "x²³ ½ ⅷ ٣",
            "a\r\nb", "<|endoftext|><|endoftext|>", "<|endof", "\u{10FFFF}",
        ]
        for text in inputs {
            for tokenizer in [clip, toy] {
                let ids = tokenizer.encode(text)
                XCTAssertEqual(ids.count, 77, text.debugDescription)
                XCTAssertEqual(ids.first, tokenizer.bosID, text.debugDescription)
                XCTAssertTrue(ids.contains(tokenizer.eosID), text.debugDescription)
                XCTAssertTrue(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabularySize }, text.debugDescription)
            }
        }
        // Letters the toy vocabulary lacks become the unk token.
        XCTAssertTrue(toy.ids("zebra").contains(toy.unkID))
        // Whitespace-only text is empty.
        XCTAssertEqual(clip.ids(" \t\n "), [])
    }

    func testConcurrentEncodingIsConsistent() throws {
        let tokenizer = try CLIPTokenizer(directory: clipDirectory)
        let prompts = ["a red circle", "a photo of a striped blue square", "Van Gogh's starry night", "8k, trending"]
        let expected = prompts.map { tokenizer.encode($0) }
        let mismatches = Counter()
        DispatchQueue.concurrentPerform(iterations: 64) { iteration in
            let index = iteration % prompts.count
            if tokenizer.encode(prompts[index]) != expected[index] { mismatches.increment() }
        }
        XCTAssertEqual(mismatches.value, 0)
    }
}

/// A thread-safe counter for concurrency tests.
final class Counter: @unchecked Sendable {
    private var count = 0
    private let lock = NSLock()

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
