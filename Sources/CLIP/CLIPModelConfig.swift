import Foundation
import StableDiffusion

/// The `config.json` of a transformers `CLIPModel` folder.
public struct CLIPModelConfig: Sendable {
    /// The text tower (`text_config`).
    public var text: CLIPTextConfig
    /// The image tower (`vision_config`).
    public var vision: CLIPVisionConfig
    /// Width of the shared embedding space (`projection_dim`, the projections' output).
    public var projectionDim: Int
    /// `logit_scale_init_value`: the logit scale's logarithm when the weights hold none.
    public var logitScaleInitValue: Float
    /// `text_config.eos_token_id`, which picks the text tower's pooled position (see
    /// ``CLIPTextPooling``).
    public var eosTokenID: Int

    /// transformers' default `eos_token_id` of a CLIP text config.
    public static let defaultEOSTokenID = 49407

    /// Reads and validates `config.json`.
    ///
    /// As transformers does, a non-null `text_config_dict` (`vision_config_dict`), written by old
    /// releases, replaces `text_config` (`vision_config`), with defaults for the keys it lacks.
    ///
    /// - Throws: ``ModelError`` naming the file: missing, not JSON, not a CLIPModel config
    ///   (another `model_type`, no `text_config`/`vision_config`), values out of range.
    public static func load(_ url: URL) throws -> CLIPModelConfig {
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.missingFile(path) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidConfig(file: path, problem: "not a JSON object")
        }
        if let type = root["model_type"], (type as? String) != "clip" {
            throw ModelError.unsupported(file: path, option: "model_type: \(type)", reason: "a transformers CLIPModel config (model_type \"clip\") is needed")
        }
        let text = try section(root, "text_config", path: path)
        let vision = try section(root, "vision_config", path: path)
        let textConfig = try CLIPTextConfig.load(text, path: "\(path) (text_config)")
        let visionConfig = try CLIPVisionConfig.load(vision, path: "\(path) (vision_config)")
        let top = try decodeConfig(TopLevel.self, data: data, path: path)
        let projection = top.projectionDim ?? 512
        try ModelConfigRange.require(projection, in: 1...16_384, key: "projection_dim", file: path)
        let scale = top.logitScaleInitValue ?? 2.6592
        try ModelConfigRange.require(Double(scale), above: -100, upTo: 100, key: "logit_scale_init_value", file: path)
        return CLIPModelConfig(text: textConfig, vision: visionConfig, projectionDim: projection,
                               logitScaleInitValue: scale, eosTokenID: try eos(text, path: path))
    }

    /// The dictionary of `key`, or of `key` with `_dict` appended when that one is non-null.
    private static func section(_ root: [String: Any], _ key: String, path: String) throws -> [String: Any] {
        if let legacy = root[key + "_dict"], !(legacy is NSNull) {
            guard let d = legacy as? [String: Any] else { throw ModelError.invalidConfig(file: path, problem: "'\(key)_dict' is not an object") }
            return d
        }
        guard let d = root[key] as? [String: Any] else {
            throw ModelError.invalidConfig(file: path, problem: "no '\(key)' object: not a transformers CLIPModel config")
        }
        return d
    }

    /// `eos_token_id` of the text config: an integer, transformers' default when absent.
    private static func eos(_ text: [String: Any], path: String) throws -> Int {
        guard let value = text["eos_token_id"] else { return defaultEOSTokenID }
        let decoded = try? decodeConfig(EOSField.self, dictionary: ["eos_token_id": value], path: path)
        guard let id = decoded?.eosTokenID, id >= 0, id <= Int(Int32.max) else {
            throw ModelError.unsupported(file: path, option: "text_config.eos_token_id: \(value)", reason: "one non-negative integer token id is needed")
        }
        return id
    }

    private struct TopLevel: Decodable {
        var projectionDim: Int?
        var logitScaleInitValue: Float?
        enum CodingKeys: String, CodingKey {
            case projectionDim = "projection_dim", logitScaleInitValue = "logit_scale_init_value"
        }
    }

    private struct EOSField: Decodable {
        var eosTokenID: Int
        enum CodingKeys: String, CodingKey { case eosTokenID = "eos_token_id" }
    }
}
