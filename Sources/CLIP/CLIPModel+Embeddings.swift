import Images
import StableDiffusion
import TensorEngine

extension CLIPModel {
    /// Images embedded at a time (bounds the activations held at once).
    static let imageBatch = 16

    /// The embedding of each image: preprocessed by ``imageProcessor``, through the image tower
    /// and `visual_projection`. With `normalized` (the default) each has unit L2 norm, as
    /// CLIPModel's `image_embeds`; otherwise they are `get_image_features`' raw projections.
    ///
    /// - Throws: ``CLIPError/imageSize(index:height:width:expected:)`` when the processor's
    ///   output is not the tower's input size (possible only without a center crop).
    public func imageEmbeddings(_ images: [Image], normalized: Bool = true) throws -> [[Float]] {
        let pixels = try images.map { try imageProcessor.pixelValues($0) }
        return try imageEmbeddings(pixelValues: pixels, normalized: normalized)
    }

    /// Embeddings of already preprocessed pixels (see ``imageEmbeddings(_:normalized:)``).
    public func imageEmbeddings(pixelValues: [PixelValues], normalized: Bool = true) throws -> [[Float]] {
        let s = config.vision.imageSize
        for (i, p) in pixelValues.enumerated() where p.height != s || p.width != s || p.values.count != 3 * s * s {
            throw CLIPError.imageSize(index: i, height: p.height, width: p.width, expected: s)
        }
        var result: [[Float]] = []
        for start in stride(from: 0, to: pixelValues.count, by: Self.imageBatch) {
            let batch = pixelValues[start..<min(start + Self.imageBatch, pixelValues.count)]
            let input = Tensor(shape: [batch.count, 3, s, s], values: batch.flatMap(\.values))
            result += Self.rows(visionTower(input))
        }
        return normalized ? result.map(Self.normalized) : result
    }

    /// The embedding of each text: tokenized as transformers' CLIP tokenizer does (start token,
    /// text truncated to the tokenizer's length, end token), through the causal text tower,
    /// pooled at the end token (``CLIPTextPooling``) and projected by `text_projection`.
    /// Normalised to unit L2 norm unless `normalized` is false (then `get_text_features`).
    public func textEmbeddings(_ texts: [String], normalized: Bool = true) -> [[Float]] {
        let rows = texts.map { tokenizer.encode($0) }
        return embed(tokenRows: rows, normalized: normalized)
    }

    /// Embeddings of token id rows of one length, pooled by the config's rule.
    ///
    /// - Throws: ``CLIPError/tokenIDs(row:problem:)`` for rows of differing or unsupported
    ///   length and ids outside the vocabulary.
    public func textEmbeddings(tokenIDs rows: [[Int32]], normalized: Bool = true) throws -> [[Float]] {
        let length = rows.first?.count ?? 0, limit = config.text.maxPositionEmbeddings
        for (i, row) in rows.enumerated() {
            guard row.count == length, (1...limit).contains(row.count) else {
                throw CLIPError.tokenIDs(row: i, problem: "has \(row.count) ids; rows need one length in 1...\(limit) (first row: \(length))")
            }
            if let bad = row.first(where: { $0 < 0 || Int($0) >= config.text.vocabSize }) {
                throw CLIPError.tokenIDs(row: i, problem: "id \(bad) is outside the vocabulary 0..<\(config.text.vocabSize)")
            }
        }
        return embed(tokenRows: rows, normalized: normalized)
    }

    /// CLIP scores of `image` against each of `texts`: 100 x the cosine of their embeddings
    /// (not clipped at 0, and without the model's own ``logitScale``).
    public func scores(image: Image, texts: [String]) throws -> [Float] {
        guard let i = try imageEmbeddings([image]).first else { return [] }
        return textEmbeddings(texts).map { 100 * Self.dot(i, $0) }
    }

    /// Runs the text tower on rows of one length. Tokens after the last pooled position cannot
    /// change it (the mask is causal), so rows are cut there.
    private func embed(tokenRows rows: [[Int32]], normalized: Bool) -> [[Float]] {
        guard !rows.isEmpty else { return [] }
        let positions = rows.map { CLIPTextPooling.position(of: $0, eosTokenID: config.eosTokenID) }
        let length = (positions.max() ?? 0) + 1
        let hidden = textModel(rows.map { Array($0.prefix(length)) })
        let d = config.text.hiddenSize
        let flat = hidden.reshaped([rows.count * length, d])
        let pooled = Tensor.embedding(ids: positions.enumerated().map { $0.offset * length + $0.element }, table: flat)
        let features = Self.rows(textProjection(pooled))
        return normalized ? features.map(Self.normalized) : features
    }

    /// The rows of a [B, P] tensor.
    static func rows(_ t: Tensor) -> [[Float]] {
        let values = t.scalars, width = t.shape[1]
        return (0..<t.shape[0]).map { Array(values[$0 * width..<($0 + 1) * width]) }
    }

    /// `v` divided by its L2 norm (unchanged when the norm is 0).
    static func normalized(_ v: [Float]) -> [Float] {
        let norm = dot(v, v).squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
