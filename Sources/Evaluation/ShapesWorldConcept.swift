/// A concept of ShapesWorld that a membrane can erase and the reader can see: one colour or
/// one shape.
public enum ShapesWorldConcept: Sendable, Hashable, CustomStringConvertible {
    case colour(ColourKind)
    case shape(ShapeKind)

    /// The concept named `word` (a colour or shape word, case-insensitive), or `nil`.
    public init?(word: String) {
        if let colour = ColourKind(name: word) {
            self = .colour(colour)
        } else if let shape = ShapeKind(name: word) {
            self = .shape(shape)
        } else {
            return nil
        }
    }

    /// The concept's word, e.g. "red" or "triangle".
    public var name: String {
        switch self {
        case .colour(let colour): return colour.name
        case .shape(let shape): return shape.name
        }
    }

    /// "colour" or "shape".
    public var kind: String {
        switch self {
        case .colour: return "colour"
        case .shape: return "shape"
        }
    }

    public var description: String { name }

    /// Whether `prompt` asks for this concept.
    public func isNamed(by prompt: ShapesWorld.Prompt) -> Bool {
        switch self {
        case .colour(let colour): return prompt.colour == colour
        case .shape(let shape): return prompt.shape == shape
        }
    }

    /// Whether a picture read as `colour` and `shape` shows this concept.
    public func isSeen(colour: ColourKind?, shape: ShapeKind?) -> Bool {
        switch self {
        case .colour(let wanted): return colour == wanted
        case .shape(let wanted): return shape == wanted
        }
    }

    /// The concepts named in `text`, in order of first appearance and without repeats: every
    /// word (a run of letters) that is a colour or shape word. "a red circle" gives red and
    /// circle; "snoopy" gives none.
    public static func concepts(in text: String) -> [ShapesWorldConcept] {
        var result: [ShapesWorldConcept] = []
        let words = text.lowercased().split { !$0.isLetter }
        for word in words {
            guard let concept = ShapesWorldConcept(word: String(word)) else { continue }
            if !result.contains(concept) { result.append(concept) }
        }
        return result
    }
}
