import Foundation

extension EvaluationReader {
    /// The scorer this reader names, loaded.
    public func scorer() throws -> any PictureScorer {
        switch self {
        case .shapesworld: return ShapesWorldScorer()
        case .clip(let folder): return try CLIPScorer(folder: URL(fileURLWithPath: folder))
        }
    }
}
