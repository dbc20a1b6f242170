import Foundation
import Yams

extension TrainingConfig {
    /// Reads a flat YAML mapping of training settings.
    public static func load(_ url: URL) throws -> TrainingConfig {
        try TrainingConfig(values: try loadYAMLMapping(url), source: url.path)
    }
}

/// Reads a YAML file whose top level is a mapping: the one loader of training configs and
/// catalogs. Errors name the file (and the key and line when there is one).
///
/// Before Yams builds anything the text is checked against ``ConfigLimits``: at most
/// ``ConfigLimits/yamlMaxBytes`` bytes, nesting at most ``ConfigLimits/yamlMaxDepth`` levels
/// deep, no aliases (so nothing expands), no key twice in one mapping.
public func loadYAMLMapping(_ url: URL) throws -> [String: Any] {
    func fail(_ problem: String) -> ConfigError { ConfigError(file: url.path, key: "", problem: problem) }
    let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
    if let size = (attributes?[.size] as? NSNumber)?.intValue, size > ConfigLimits.yamlMaxBytes {
        throw fail("is \(size) bytes; configs and catalogs may have at most \(ConfigLimits.yamlMaxBytes)")
    }
    guard let data = FileManager.default.contents(atPath: url.path) else { throw fail("file not found") }
    guard data.count <= ConfigLimits.yamlMaxBytes else {
        throw fail("is \(data.count) bytes; configs and catalogs may have at most \(ConfigLimits.yamlMaxBytes)")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw fail("not UTF-8 text") }
    do { try YAMLStructureCheck.check(text) } catch let problem as YAMLStructureCheck.Problem {
        throw ConfigError(file: url.path, key: problem.key, problem: "\(problem.message) (line \(problem.line))")
    }
    let value: Any?
    do { value = try Yams.load(yaml: text) } catch {
        throw fail("invalid YAML: \(error)")
    }
    guard let mapping = value as? [String: Any] else {
        throw fail("the top level must be a mapping of keys to values")
    }
    return mapping
}
