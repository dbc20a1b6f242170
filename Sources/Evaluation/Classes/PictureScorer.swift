import Foundation
import Images

/// Something that tells which class a picture shows: a CLIP model, or the ShapesWorld reader.
///
/// Scores are cosine similarities in [-1, 1] (a reader that only knows "seen" or "not seen"
/// gives 1 or 0); ``ClassEvaluation`` reports them as 100 x cosine.
public protocol PictureScorer {
    /// The reader's name in reports, e.g. "clip:/models/clip-vit-base-patch32" or "shapesworld".
    var name: String { get }
    /// For every picture, its similarity to every class (in class order), and to `prompt`, the
    /// text all of them were drawn from (`nil` when the reader cannot compare a picture with
    /// free text). One call reads each picture once.
    func similarities(_ pictures: [Image], classes: [EvaluationClass], prompt: String) throws -> Similarities
}

/// What a ``PictureScorer`` found in a set of pictures drawn from one prompt.
public struct Similarities: Sendable, Equatable {
    /// For every picture, its similarity to every class, in class order.
    public var classes: [[Double]]
    /// For every picture, its similarity to its prompt; `nil` when the reader has none.
    public var prompt: [Double]?

    public init(classes: [[Double]], prompt: [Double]?) {
        self.classes = classes
        self.prompt = prompt
    }
}

/// The ShapesWorld reader as a ``PictureScorer``: a class is a ShapesWorld colour or shape word,
/// and a picture's similarity to it is 1 when the reader sees it and 0 otherwise.
public struct ShapesWorldScorer: PictureScorer {
    public var name: String { "shapesworld" }

    public init() {}

    /// Refuses classes that are not ShapesWorld colour or shape words, naming the class.
    public static func check(_ classes: [EvaluationClass]) throws(ShapesWorldEvaluationError) {
        for item in classes where ShapesWorldConcept(word: item.name) == nil {
            throw .notAShapesWorldClass(item.name)
        }
    }

    public func similarities(_ pictures: [Image], classes: [EvaluationClass], prompt: String) throws -> Similarities {
        try ShapesWorldScorer.check(classes)
        let concepts = classes.compactMap { ShapesWorldConcept(word: $0.name) }
        let seen: [[Double]] = pictures.map { picture in
            let reading = ShapesWorldReader.read(picture)
            return concepts.map { $0.isSeen(colour: reading.colour, shape: reading.shape) ? 1 : 0 }
        }
        return Similarities(classes: seen, prompt: nil)
    }
}
