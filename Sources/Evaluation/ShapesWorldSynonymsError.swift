/// Why a synonyms file (``ShapesWorldSynonyms``) cannot be used; every case names the file.
public enum ShapesWorldSynonymsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file cannot be read.
    case unreadable(file: String, reason: String)
    /// The file is not JSON.
    case notJSON(file: String)
    /// The JSON is not an object of lists of strings; `path` leads to the offending value.
    case wrongTypes(file: String, path: [String])
    /// A key is not a ShapesWorld colour or shape word.
    case unknownConcept(file: String, key: String)
    /// Two keys name the same concept (they differ in case only).
    case repeatedConcept(file: String, key: String)
    /// A synonym is empty or not one word of letters, digits, hyphens and apostrophes.
    case notOneWord(file: String, key: String, word: String)
    /// A synonym is itself a ShapesWorld colour or shape word.
    case shapesWorldWord(file: String, key: String, word: String)
    /// A synonym is listed twice (under one concept or two, case-insensitive).
    case repeatedWord(file: String, word: String)

    /// The format, for messages.
    static let expected = "expected an object of word lists, {\"<colour or shape>\": [\"<synonym>\", ...], ...}"

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read the synonyms: \(reason)"
        case .notJSON(let file):
            return "\(file): not JSON; \(ShapesWorldSynonymsError.expected)"
        case .wrongTypes(let file, let path):
            let place = path.isEmpty ? "the top level" : "\"\(path.joined(separator: "."))\""
            return "\(file): wrong type at \(place); \(ShapesWorldSynonymsError.expected)"
        case .unknownConcept(let file, let key):
            return "\(file): \"\(key)\" is not a ShapesWorld colour or shape"
        case .repeatedConcept(let file, let key):
            return "\(file): \"\(key)\" names a concept listed under another key"
        case .notOneWord(let file, let key, let word):
            return "\(file): synonym \"\(word)\" of \"\(key)\" is not one word (letters, digits, hyphens, apostrophes)"
        case .shapesWorldWord(let file, let key, let word):
            return "\(file): synonym \"\(word)\" of \"\(key)\" is itself a ShapesWorld colour or shape"
        case .repeatedWord(let file, let word):
            return "\(file): synonym \"\(word)\" is listed more than once"
        }
    }
}
