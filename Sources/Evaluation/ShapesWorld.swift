/// The shapes of ShapesWorld, one per picture.
public enum ShapeKind: Int, CaseIterable, Sendable, CustomStringConvertible {
    case circle, square, triangle, cross, diamond

    /// The word used in prompts, e.g. "circle".
    public var name: String {
        switch self {
        case .circle: return "circle"
        case .square: return "square"
        case .triangle: return "triangle"
        case .cross: return "cross"
        case .diamond: return "diamond"
        }
    }

    public var description: String { name }

    /// The shape named `name` (case-insensitive), or `nil`.
    public init?(name: String) {
        let lower = name.lowercased()
        guard let match = ShapeKind.allCases.first(where: { $0.name == lower }) else { return nil }
        self = match
    }
}

/// The object colours of ShapesWorld, one per picture.
public enum ColourKind: Int, CaseIterable, Sendable, CustomStringConvertible {
    case red, green, blue, yellow, purple, orange

    /// The word used in prompts, e.g. "orange".
    public var name: String {
        switch self {
        case .red: return "red"
        case .green: return "green"
        case .blue: return "blue"
        case .yellow: return "yellow"
        case .purple: return "purple"
        case .orange: return "orange"
        }
    }

    public var description: String { name }

    /// The reference colour the world is drawn with, each channel in 0...1.
    public var rgb: (red: Double, green: Double, blue: Double) {
        switch self {
        case .red: return (0.9, 0.1, 0.1)
        case .green: return (0.1, 0.75, 0.2)
        case .blue: return (0.15, 0.3, 0.9)
        case .yellow: return (0.95, 0.85, 0.1)
        case .purple: return (0.6, 0.2, 0.75)
        case .orange: return (1.0, 0.55, 0.1)
        }
    }

    /// The hue of ``rgb`` in degrees, 0..<360 (red 0, orange 30, yellow ~53, green ~129,
    /// blue 228, purple ~284).
    public var hue: Double {
        let colour = rgb
        return HSV(red: colour.red, green: colour.green, blue: colour.blue).hue
    }

    /// The colour named `name` (case-insensitive), or `nil`.
    public init?(name: String) {
        let lower = name.lowercased()
        guard let match = ColourKind.allCases.first(where: { $0.name == lower }) else { return nil }
        self = match
    }
}

/// How the inside of an object is filled.
public enum TextureKind: Int, CaseIterable, Sendable, CustomStringConvertible {
    case plain, striped, dotted

    /// The word used in prompts, e.g. "striped".
    public var name: String {
        switch self {
        case .plain: return "plain"
        case .striped: return "striped"
        case .dotted: return "dotted"
        }
    }

    public var description: String { name }
}

/// The picture backgrounds of ShapesWorld: flat grey levels plus noise.
public enum BackgroundKind: Int, CaseIterable, Sendable, CustomStringConvertible {
    case white, gray, black

    /// The word used in prompts, e.g. "gray".
    public var name: String {
        switch self {
        case .white: return "white"
        case .gray: return "gray"
        case .black: return "black"
        }
    }

    public var description: String { name }

    /// The grey level before noise, in 0...1.
    public var level: Double {
        switch self {
        case .white: return 0.92
        case .gray: return 0.5
        case .black: return 0.08
        }
    }
}

/// The ShapesWorld vocabulary: the evaluation prompts and what they ask for.
public enum ShapesWorld {
    /// One evaluation prompt, e.g. "a red circle", with the concepts it names.
    public struct Prompt: Sendable, Equatable, CustomStringConvertible {
        /// The prompt, e.g. "a red circle" or "an orange square".
        public let text: String
        /// The colour the prompt asks for.
        public let colour: ColourKind
        /// The shape the prompt asks for.
        public let shape: ShapeKind
        /// The concept the prompt writes with a synonym instead of its ShapesWorld word
        /// (from ``ShapesWorldSynonyms``), `nil` when both words are ShapesWorld's.
        public let synonym: ShapesWorldConcept?

        /// The prompt "a(n) <colour> <shape>".
        public init(colour: ColourKind, shape: ShapeKind) {
            self.init(colour: colour, shape: shape, colourWord: colour.name, shapeWord: shape.name, synonym: nil)
        }

        /// The prompt "a(n) <colourWord> <shapeWord>" asking for `colour` and `shape`.
        init(colour: ColourKind, shape: ShapeKind, colourWord: String, shapeWord: String, synonym: ShapesWorldConcept?) {
            self.colour = colour
            self.shape = shape
            self.synonym = synonym
            self.text = "\(ShapesWorld.article(before: colourWord)) \(colourWord) \(shapeWord)"
        }

        public var description: String { text }
    }

    /// "an" before a word starting with a vowel letter, else "a".
    static func article(before word: String) -> String {
        guard let first = word.lowercased().first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }

    /// All 30 "a <colour> <shape>" prompts, colours in ``ColourKind`` order, then shapes in
    /// ``ShapeKind`` order: "a red circle", "a red square", ..., "an orange diamond" (the article
    /// is "an" before "orange", as in the world's captions).
    public static let prompts: [Prompt] = {
        var result: [Prompt] = []
        for colour in ColourKind.allCases {
            for shape in ShapeKind.allCases {
                result.append(Prompt(colour: colour, shape: shape))
            }
        }
        return result
    }()
}

/// Hue (degrees, 0..<360), saturation and value (0...1) of an RGB colour with channels in 0...1.
struct HSV: Equatable {
    var hue: Double
    var saturation: Double
    var value: Double

    init(red: Double, green: Double, blue: Double) {
        let high = max(red, green, blue)
        let low = min(red, green, blue)
        let chroma = high - low
        value = high
        saturation = high > 0 ? chroma / high : 0
        guard chroma > 0 else {
            hue = 0
            return
        }
        var h: Double
        if high == red {
            h = (green - blue) / chroma
        } else if high == green {
            h = (blue - red) / chroma + 2
        } else {
            h = (red - green) / chroma + 4
        }
        h *= 60
        if h < 0 { h += 360 }
        if h >= 360 { h -= 360 }
        hue = h
    }
}
