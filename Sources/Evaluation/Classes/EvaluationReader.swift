import Foundation

/// Which reader scores an evaluation's pictures: `shapesworld` (ShapesWorld colours and shapes)
/// or `clip:DIR` (a transformers CLIPModel folder).
public enum EvaluationReader: Codable, Sendable, Equatable, CustomStringConvertible {
    case shapesworld
    case clip(folder: String)

    /// Parses `shapesworld` or `clip:DIR` (DIR relative to `base` when given and not absolute).
    public init(parsing text: String, relativeTo base: URL? = nil) throws(EvaluationPlanError) {
        if text == "shapesworld" { self = .shapesworld; return }
        if text.hasPrefix("clip:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { throw EvaluationPlanError(file: "--reader", key: "reader", problem: "clip: needs a folder, e.g. clip:/models/clip-vit-base-patch32") }
            let expanded = (path as NSString).expandingTildeInPath
            if let base, !expanded.hasPrefix("/") {
                self = .clip(folder: base.appendingPathComponent(expanded).standardizedFileURL.path)
            } else {
                self = .clip(folder: URL(fileURLWithPath: expanded).standardizedFileURL.path)
            }
            return
        }
        throw EvaluationPlanError(file: "--reader", key: "reader", problem: "'\(text)' is neither shapesworld nor clip:DIR")
    }

    public var description: String {
        switch self {
        case .shapesworld: "shapesworld"
        case .clip(let folder): "clip:\(folder)"
        }
    }
}
