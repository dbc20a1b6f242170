import CLIP
import Foundation
import Images

/// A CLIP model as a ``PictureScorer``: cosine similarity of the picture's and the text's
/// projected embeddings (class texts from the plan's class template, prompts as given).
public struct CLIPScorer: PictureScorer {
    public let folder: URL
    public let model: CLIPModel

    public var name: String { "clip:\(folder.path)" }

    /// Loads the transformers CLIPModel folder (errors name the file and the problem).
    public init(folder: URL) throws {
        self.folder = folder.standardizedFileURL
        model = try CLIPModel.load(folder: folder)
    }

    /// Embeds every picture once, and the class texts with the prompt in one text batch.
    public func similarities(_ pictures: [Image], classes: [EvaluationClass], prompt: String) throws -> Similarities {
        let images = try model.imageEmbeddings(pictures, normalized: true)
        let texts = model.textEmbeddings(classes.map(\.text) + [prompt], normalized: true)
        let classTexts = texts.dropLast(), promptText = texts[texts.count - 1]
        return Similarities(classes: images.map { image in classTexts.map { CLIPScorer.dot(image, $0) } },
                            prompt: images.map { CLIPScorer.dot($0, promptText) })
    }

    /// The dot product in double precision (the cosine of two unit vectors).
    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
}
