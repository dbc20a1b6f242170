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
/// deep, no aliases (so nothing expands), no key twice in one mapping, no base-60 numbers
/// (``YAMLBase60Check``). Only regular files are
/// read (never a FIFO or a device).
public func loadYAMLMapping(_ url: URL) throws -> [String: Any] {
    func fail(_ problem: String) -> ConfigError { ConfigError(file: url.path, key: "", problem: problem) }
    var status = stat()
    guard stat(url.path, &status) == 0 else { throw fail("file not found") }
    // A FIFO would block the read and a device such as /dev/zero never ends.
    guard status.st_mode & S_IFMT == S_IFREG else { throw fail("is not a regular file") }
    if status.st_size > ConfigLimits.yamlMaxBytes {
        throw fail("is \(status.st_size) bytes; configs and catalogs may have at most \(ConfigLimits.yamlMaxBytes)")
    }
    guard let handle = FileHandle(forReadingAtPath: url.path) else { throw fail("cannot be opened") }
    defer { try? handle.close() }
    // One byte past the limit, so a file that grew after the check is still refused.
    let data: Data
    do { data = try handle.read(upToCount: ConfigLimits.yamlMaxBytes + 1) ?? Data() } catch {
        throw fail("cannot be read: \(error)")
    }
    return try loadYAMLMapping(data, source: url.path)
}

/// Reads YAML text whose top level is a mapping, checked exactly as ``loadYAMLMapping(_:)``
/// checks a file; `source` names it in errors.
public func loadYAMLMapping(_ data: Data, source: String) throws -> [String: Any] {
    func fail(_ problem: String) -> ConfigError { ConfigError(file: source, key: "", problem: problem) }
    guard data.count <= ConfigLimits.yamlMaxBytes else {
        throw fail("is \(data.count) bytes; configs and catalogs may have at most \(ConfigLimits.yamlMaxBytes)")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw fail("not UTF-8 text") }
    do { try YAMLStructureCheck.check(text) } catch let problem as YAMLStructureCheck.Problem {
        throw ConfigError(file: source, key: problem.key, problem: "\(problem.message) (line \(problem.line))")
    }
    let node: Node?
    do { node = try Yams.compose(yaml: text) } catch {
        throw fail("invalid YAML: \(error)")
    }
    if let node, let number = YAMLBase60Check.firstBase60Number(in: node) {
        let line = number.mark.map { " (line \($0.line))" } ?? ""
        throw fail("'\(number.string)' is a YAML 1.1 base-60 number\(line); write numbers in decimal, or quote text that contains ':' (with no !!int or !!float tag)")
    }
    let value = node?.any
    guard let mapping = value as? [String: Any] else {
        throw fail("the top level must be a mapping of keys to values")
    }
    return mapping
}
