/// Why a ``ShapesWorldEvaluation`` cannot start.
public enum ShapesWorldEvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A count (seeds, steps, batch size) below 1.
    case notPositive(option: String, value: Int)
    /// Targets were given without membranes to erase them.
    case targetsWithoutMembranes
    /// No target was given and the membranes' targets (listed) name no ShapesWorld colour or shape.
    case noConceptInTargets([String])
    /// An evaluation class the ShapesWorld reader cannot see (not a colour or shape word).
    case notAShapesWorldClass(String)

    public var description: String {
        switch self {
        case .notPositive(let option, let value):
            return "\(option) must be at least 1, not \(value)"
        case .targetsWithoutMembranes:
            return "targets need at least one membrane"
        case .noConceptInTargets(let targets):
            return "the membranes' targets (\(targets.joined(separator: ", "))) name no ShapesWorld colour or shape; name the targets to measure"
        case .notAShapesWorldClass(let name):
            return "the shapesworld reader sees ShapesWorld colours and shapes only; '\(name)' is neither (use --reader clip:DIR for other concepts)"
        }
    }
}
