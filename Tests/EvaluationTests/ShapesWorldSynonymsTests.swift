import Evaluation
import Foundation
import XCTest

/// Reading synonyms files and the prompts they make. Words made up here are ShapesWorld words
/// spelt backwards, which no file is expected to hold.
final class ShapesWorldSynonymsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("synonyms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// `word` spelt backwards.
    private func backwards(_ word: String) -> String { String(word.reversed()) }

    /// Writes `text` to a file of the temporary folder and returns it.
    private func file(_ text: String) throws -> URL {
        let url = directory.appendingPathComponent("\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        return url
    }

    func testFixtureFileGivesOnePromptPerSynonymAndOtherWord() throws {
        let url = try SynonymsFixture.file()
        let synonyms = try ShapesWorldSynonyms(contentsOf: url)
        let raw = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [String]])
        XCTAssertEqual(synonyms.table, raw.filter { !$0.value.isEmpty })
        XCTAssertFalse(synonyms.entries.isEmpty)

        let prompts = synonyms.prompts
        var expected = 0
        for entry in synonyms.entries {
            XCTAssertEqual(synonyms.words(for: entry.concept), entry.words)
            let others = entry.concept.kind == "colour" ? ShapeKind.allCases.count : ColourKind.allCases.count
            expected += entry.words.count * others
            for word in entry.words {
                let written = prompts.filter { $0.text.split(separator: " ").contains(Substring(word)) }
                XCTAssertEqual(written.count, others, word)
                XCTAssertTrue(written.allSatisfy { $0.synonym == entry.concept && entry.concept.isNamed(by: $0) }, word)
            }
        }
        XCTAssertEqual(prompts.count, expected)
        XCTAssertEqual(Set(prompts.map(\.text)).count, expected)
        XCTAssertTrue(Set(prompts.map(\.text)).isDisjoint(with: ShapesWorld.prompts.map(\.text)))
        XCTAssertTrue(ShapesWorld.prompts.allSatisfy { $0.synonym == nil })
    }

    func testColourAndShapeSynonymsMakePromptsWithTheirArticle() throws {
        let orange = backwards(ColourKind.orange.name), circle = backwards(ShapeKind.circle.name)
        let synonyms = try ShapesWorldSynonyms([ShapeKind.circle.name: [circle], ColourKind.orange.name: [orange]], file: "s.json")
        XCTAssertEqual(synonyms.entries.map(\.concept), [.colour(.orange), .shape(.circle)])
        let prompts = synonyms.prompts
        XCTAssertEqual(prompts.count, ShapeKind.allCases.count + ColourKind.allCases.count)
        XCTAssertEqual(prompts.first?.text, "an \(orange) \(ShapeKind.circle.name)")
        XCTAssertEqual(prompts.first?.colour, .orange)
        XCTAssertEqual(prompts.first?.synonym, .colour(.orange))
        XCTAssertEqual(prompts.last?.text, "an \(ColourKind.orange.name) \(circle)")
        XCTAssertEqual(prompts[ShapeKind.allCases.count].text, "a \(ColourKind.red.name) \(circle)")
        XCTAssertEqual(prompts.last?.synonym, .shape(.circle))
        XCTAssertEqual(try ShapesWorldSynonyms([:], file: "s.json").prompts, [])
        XCTAssertEqual(try ShapesWorldSynonyms(["red": []], file: "s.json").entries, [])
    }

    func testRefusesBadTablesNamingTheFile() {
        let red = backwards("red")
        let cases: [([String: [String]], ShapesWorldSynonymsError)] = [
            (["snoopy": [red]], .unknownConcept(file: "s.json", key: "snoopy")),
            (["red": [red], "Red": []], .repeatedConcept(file: "s.json", key: "red")),
            (["red": [""]], .notOneWord(file: "s.json", key: "red", word: "")),
            (["red": ["\(red) \(red)"]], .notOneWord(file: "s.json", key: "red", word: "\(red) \(red)")),
            (["red": ["\(red)."]], .notOneWord(file: "s.json", key: "red", word: "\(red).")),
            (["red": ["blue"]], .shapesWorldWord(file: "s.json", key: "red", word: "blue")),
            (["red": [red], "blue": [red.uppercased()]], .repeatedWord(file: "s.json", word: red)),
        ]
        for (table, error) in cases {
            XCTAssertThrowsError(try ShapesWorldSynonyms(table, file: "s.json"), "\(table)") {
                XCTAssertEqual($0 as? ShapesWorldSynonymsError, error)
                XCTAssertTrue("\($0)".hasPrefix("s.json: "), "\($0)")
            }
        }
        XCTAssertNoThrow(try ShapesWorldSynonyms(["red": ["\(red)-\(red)", "\(red)'s", "\(red)2"]], file: "s.json"))
    }

    func testRefusesBadFilesNamingTheFile() throws {
        let notJSON = try file("red: not json")
        let notLists = try file(#"{"red": "x"}"#)
        let notStrings = try file(#"{"red": [1]}"#)
        let list = try file(#"["red"]"#)
        let unknown = try file(#"{"snoopy": ["x"]}"#)
        let missing = directory.appendingPathComponent("missing.json")
        let cases: [(URL, (ShapesWorldSynonymsError) -> Bool)] = [
            (notJSON, { $0 == .notJSON(file: notJSON.path) }),
            (notLists, { $0 == .wrongTypes(file: notLists.path, path: ["red"]) }),
            (notStrings, { if case .wrongTypes(notStrings.path, let path) = $0 { return path.first == "red" } else { return false } }),
            (list, { $0 == .wrongTypes(file: list.path, path: []) }),
            (unknown, { $0 == .unknownConcept(file: unknown.path, key: "snoopy") }),
            (missing, { if case .unreadable(missing.path, _) = $0 { return true } else { return false } }),
        ]
        for (url, matches) in cases {
            XCTAssertThrowsError(try ShapesWorldSynonyms(contentsOf: url), url.lastPathComponent) {
                let error = $0 as? ShapesWorldSynonymsError
                XCTAssertTrue(error.map(matches) ?? false, "\($0)")
                XCTAssertTrue("\($0)".hasPrefix(url.path + ": "), "\($0)")
            }
        }
    }
}
