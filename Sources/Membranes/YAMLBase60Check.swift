import Yams

/// Finds YAML 1.1 base-60 numbers (`1:30` for 90, `190:20:30.15`): plain scalars of that shape,
/// and any scalar tagged `!!int` or `!!float` whose text contains `:` (`!!int "1:2:3"`).
///
/// Yams reads them as numbers, and traps on a base-60 integer too large for `Int`
/// (`2772775542775541754:4`, or `!!int` with a dozen `:` groups); a value such as `seed: 1:30`
/// would also silently mean 90. Configs and catalogs have no use for them, so the loader refuses
/// them before any value is built.
enum YAMLBase60Check {
    /// The first scalar in `node` that Yams would read as a number written with `:`.
    static func firstBase60Number(in node: Node) -> Node.Scalar? {
        switch node {
        case .scalar(let scalar):
            return readsAsBase60(scalar) ? scalar : nil
        case .mapping(let mapping):
            for (key, value) in mapping {
                if let found = firstBase60Number(in: key) ?? firstBase60Number(in: value) { return found }
            }
            return nil
        case .sequence(let sequence):
            for item in sequence {
                if let found = firstBase60Number(in: item) { return found }
            }
            return nil
        }
    }

    /// Whether Yams reads `scalar` as a base-60 number: plain text of that shape, or text with a
    /// `:` under an int or float tag, written (`!!int`, `!<tag:yaml.org,2002:int>`) or resolved.
    static func readsAsBase60(_ scalar: Node.Scalar) -> Bool {
        if scalar.style == .plain && isBase60(scalar.string) { return true }
        guard scalar.string.contains(":") else { return false }
        let tag = Node.scalar(scalar).tag.description
        return tag == Tag.Name.int.rawValue || tag == Tag.Name.float.rawValue
    }

    /// Whether plain text has the shape of a YAML 1.1 base-60 number: an optional sign, digits
    /// (with `_`), then one or more `:` groups of one or two digits, then an optional fraction.
    static func isBase60(_ text: String) -> Bool {
        var rest = Substring(text)
        if let first = rest.first, first == "-" || first == "+" { rest = rest.dropFirst() }
        let head = rest.prefix { $0.isASCII && ($0.isNumber || $0 == "_") }
        guard let lead = head.first, lead.isNumber else { return false }
        rest = rest.dropFirst(head.count)
        var groups = 0
        while rest.first == ":" {
            rest = rest.dropFirst()
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard (1...2).contains(digits.count) else { return false }
            rest = rest.dropFirst(digits.count)
            groups += 1
        }
        if rest.first == "." { rest = rest.drop { $0 == "." || ($0.isASCII && ($0.isNumber || $0 == "_")) } }
        return groups > 0 && rest.isEmpty
    }
}
