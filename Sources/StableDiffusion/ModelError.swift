import Foundation

/// Why a model folder cannot be used. Every case names the file and the problem.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A required file is missing.
    case missingFile(String)
    /// A config file is not valid JSON or lacks a required key.
    case invalidConfig(file: String, problem: String)
    /// A config option changes the graph in a way Membrane does not support.
    case unsupported(file: String, option: String, reason: String)
    /// A weight tensor is absent from the checkpoint.
    case missingTensor(file: String, name: String)
    /// A weight tensor has another shape than the config implies.
    case wrongShape(file: String, name: String, expected: [Int], found: [Int])
    /// Any other problem reading weights.
    case weights(file: String, problem: String)

    public var description: String {
        switch self {
        case .missingFile(let f): return "\(f): file not found"
        case .invalidConfig(let f, let p): return "\(f): invalid config: \(p)"
        case .unsupported(let f, let o, let r): return "\(f): \(o) is not supported: \(r)"
        case .missingTensor(let f, let n): return "\(f): tensor '\(n)' is missing"
        case .wrongShape(let f, let n, let e, let s):
            return "\(f): tensor '\(n)' has shape \(s), the config implies \(e)"
        case .weights(let f, let p): return "\(f): \(p)"
        }
    }
}

/// An integer or a list of integers, as diffusers configs allow for per-block options.
public struct IntOrList: Decodable, Equatable, Sendable {
    public var values: [Int]
    public var isList: Bool

    public init(_ value: Int) { values = [value]; isList = false }
    public init(_ values: [Int]) { self.values = values; isList = true }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Int.self) { self.init(v) } else { self.init(try c.decode([Int].self)) }
    }

    /// The value for block `i` of `count` blocks.
    public func value(at i: Int) -> Int { isList ? values[i] : values[0] }

    /// Checks a list has one value per block.
    func validate(count: Int, key: String, file: String) throws {
        if isList && values.count != count {
            throw ModelError.invalidConfig(file: file, problem: "\(key) has \(values.count) values for \(count) blocks")
        }
    }
}

/// A config value that decodes but names something Membrane does not support; ``decodeConfig``
/// reports it as ``ModelError/unsupported(file:option:reason:)`` naming the file.
struct UnsupportedOption: Error {
    /// The option and its value, e.g. "timestep_spacing: karras".
    var option: String
    /// What is supported instead.
    var reason: String
}

/// Decodes a config JSON file, turning decoding errors into ``ModelError``s naming the file.
public func decodeConfig<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
    guard let data = FileManager.default.contents(atPath: url.path) else { throw ModelError.missingFile(url.path) }
    return try decodeConfig(type, data: data, path: url.path)
}

/// Decodes a config from a dictionary in the keys of its JSON file (``LDMConfig``,
/// ``DefaultConfigs``); errors name `path`.
public func decodeConfig<T: Decodable>(_ type: T.Type, dictionary: [String: Any], path: String) throws -> T {
    let data: Data
    do { data = try JSONSerialization.data(withJSONObject: dictionary, options: [.sortedKeys]) } catch {
        throw ModelError.invalidConfig(file: path, problem: "not representable as JSON: \(error)")
    }
    return try decodeConfig(type, data: data, path: path)
}

/// Decodes config JSON `data`; errors name `path`.
public func decodeConfig<T: Decodable>(_ type: T.Type, data: Data, path: String) throws -> T {
    let url = URL(fileURLWithPath: path)
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let unsupported as UnsupportedOption {
        throw ModelError.unsupported(file: url.path, option: unsupported.option, reason: unsupported.reason)
    } catch let DecodingError.keyNotFound(key, _) {
        throw ModelError.invalidConfig(file: url.path, problem: "missing key '\(key.stringValue)'")
    } catch let DecodingError.typeMismatch(_, ctx) {
        let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        throw ModelError.invalidConfig(file: url.path, problem: "wrong type for '\(path)'")
    } catch let DecodingError.dataCorrupted(ctx) {
        let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        throw ModelError.invalidConfig(file: url.path, problem: path.isEmpty ? "not valid JSON" : "bad value for '\(path)'")
    } catch {
        throw ModelError.invalidConfig(file: url.path, problem: "\(error)")
    }
}
