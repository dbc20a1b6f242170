import Foundation

/// Other words a model's text encoder understands as ShapesWorld colours or shapes, read from a
/// `SYNONYMS.json`: `{"<colour or shape>": ["<synonym>", ...], ...}`.
///
/// Each key is a ShapesWorld colour or shape word; each value lists its synonyms. A synonym is
/// one word: a non-empty run of letters, digits, hyphens and apostrophes (no spaces, so
/// "a <synonym> <shape>" stays a three-word prompt like the 30 evaluation prompts). It may not
/// be a ShapesWorld colour or shape word itself, and no word may be listed twice, under one
/// concept or two (case-insensitive), so every synonym prompt asks for exactly one colour and
/// one shape.
public struct ShapesWorldSynonyms: Sendable, Equatable {
    /// One concept and its synonyms.
    public struct Entry: Sendable, Equatable {
        /// The ShapesWorld concept.
        public var concept: ShapesWorldConcept
        /// Its synonyms, in the order of the file.
        public var words: [String]
    }

    /// The name of the file ``ShapesWorldEvaluation`` looks for in a model folder.
    public static let fileName = "SYNONYMS.json"

    /// Concepts with their synonyms: colours in ``ColourKind`` order, then shapes in
    /// ``ShapeKind`` order; concepts without synonyms are left out.
    public let entries: [Entry]

    /// The synonyms of `table` (keys are colour or shape words), checked as described above;
    /// errors name `file`.
    public init(_ table: [String: [String]], file: String) throws(ShapesWorldSynonymsError) {
        var byConcept: [ShapesWorldConcept: [String]] = [:]
        var seen: Set<String> = []
        for key in table.keys.sorted() {
            guard let concept = ShapesWorldConcept(word: key) else { throw .unknownConcept(file: file, key: key) }
            if byConcept[concept] != nil { throw .repeatedConcept(file: file, key: key) }
            byConcept[concept] = []
            for word in table[key] ?? [] {
                try ShapesWorldSynonyms.check(word, of: key, file: file)
                guard seen.insert(word.lowercased()).inserted else { throw .repeatedWord(file: file, word: word) }
                byConcept[concept, default: []].append(word)
            }
        }
        let order = ColourKind.allCases.map(ShapesWorldConcept.colour) + ShapeKind.allCases.map(ShapesWorldConcept.shape)
        entries = order.compactMap { concept in
            guard let words = byConcept[concept], !words.isEmpty else { return nil }
            return Entry(concept: concept, words: words)
        }
    }

    /// The synonyms in `file`, in the format above.
    public init(contentsOf file: URL) throws(ShapesWorldSynonymsError) {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw .unreadable(file: file.path, reason: error.localizedDescription)
        }
        let table: [String: [String]]
        do {
            table = try JSONDecoder().decode([String: [String]].self, from: data)
        } catch DecodingError.typeMismatch(_, let context) {
            throw .wrongTypes(file: file.path, path: context.codingPath.map(\.stringValue))
        } catch {
            throw .notJSON(file: file.path)
        }
        try self.init(table, file: file.path)
    }

    /// The `SYNONYMS.json` of the model folder `model`, or `nil` when it has none.
    public static func file(inModel model: URL) -> URL? {
        let file = model.appendingPathComponent(fileName)
        return FileManager.default.fileExists(atPath: file.path) ? file : nil
    }

    /// The synonyms of `concept`, none when it has none.
    public func words(for concept: ShapesWorldConcept) -> [String] {
        entries.first { $0.concept == concept }?.words ?? []
    }

    /// The table as in the file: concept word to synonyms.
    public var table: [String: [String]] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.concept.name, $0.words) })
    }

    /// The synonym prompts, in ``entries`` order then the order of the words: for a colour's
    /// synonym, "a(n) <synonym> <shape>" for every shape; for a shape's synonym,
    /// "a(n) <colour> <synonym>" for every colour. Each asks for the concept its synonym stands for.
    public var prompts: [ShapesWorld.Prompt] {
        var result: [ShapesWorld.Prompt] = []
        for entry in entries {
            for word in entry.words {
                switch entry.concept {
                case .colour(let colour):
                    result += ShapeKind.allCases.map {
                        ShapesWorld.Prompt(colour: colour, shape: $0, colourWord: word, shapeWord: $0.name, synonym: entry.concept)
                    }
                case .shape(let shape):
                    result += ColourKind.allCases.map {
                        ShapesWorld.Prompt(colour: $0, shape: shape, colourWord: $0.name, shapeWord: word, synonym: entry.concept)
                    }
                }
            }
        }
        return result
    }

    /// Throws unless `word`, listed under `key`, is one word that is not a ShapesWorld word.
    private static func check(_ word: String, of key: String, file: String) throws(ShapesWorldSynonymsError) {
        let allowed = word.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "'" }
        guard !word.isEmpty, allowed else { throw .notOneWord(file: file, key: key, word: word) }
        if ShapesWorldConcept(word: word) != nil { throw .shapesWorldWord(file: file, key: key, word: word) }
    }
}
