import Foundation
import Yams

extension TrainingConfig {
    /// Reads a flat YAML mapping of training settings.
    public static func load(_ url: URL) throws -> TrainingConfig {
        try TrainingConfig(values: try loadYAMLMapping(url), source: url.path)
    }
}

/// Reads a YAML file whose top level is a mapping; errors name the file.
public func loadYAMLMapping(_ url: URL) throws -> [String: Any] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
        throw ConfigError(file: url.path, key: "", problem: "file not found")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw ConfigError(file: url.path, key: "", problem: "not UTF-8 text")
    }
    let value: Any?
    do { value = try Yams.load(yaml: text) } catch {
        throw ConfigError(file: url.path, key: "", problem: "invalid YAML: \(error)")
    }
    guard let mapping = value as? [String: Any] else {
        throw ConfigError(file: url.path, key: "", problem: "the top level must be a mapping of keys to values")
    }
    return mapping
}
