import Yams

/// Finds YAML 1.1 base-60 numbers (`1:30` for 90, `190:20:30.15`) among plain scalars.
///
/// Yams reads them as numbers, and traps on a base-60 integer too large for `Int`
/// (`2772775542775541754:4`); a value such as `seed: 1:30` would also silently mean 90. Configs
/// and catalogs have no use for them, so the loader refuses them before any value is built.
enum YAMLBase60Check {
    /// The first plain scalar in `node` that Yams resolved to a number written with `:`.
    static func firstBase60Number(in node: Node) -> Node.Scalar? {
        switch node {
        case .scalar(let scalar):
            let isNumber = scalar.tag.name == .int || scalar.tag.name == .float
            return scalar.style == .plain && isNumber && scalar.string.contains(":") ? scalar : nil
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
}
