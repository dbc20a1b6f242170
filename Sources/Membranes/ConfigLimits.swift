import Foundation

/// The allowed range of one numeric setting of training configs and catalogs.
public struct ConfigLimit: Sendable, Equatable {
    /// Whole numbers in a closed range, or finite real numbers between two bounds.
    public enum Range: Sendable, Equatable {
        case integer(ClosedRange<Int>)
        case real(lower: Double, upper: Double, lowerOpen: Bool, upperOpen: Bool)
    }

    /// The YAML key.
    public let key: String
    public let range: Range
    /// What else the value must satisfy once the model is known (empty: nothing).
    public let modelCondition: String

    /// The range as the error messages and the documentation write it: `1...10000000`,
    /// `(0, 1]`, `[-100, 100]`.
    public var rangeText: String {
        switch range {
        case .integer(let r): return r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound)...\(r.upperBound)"
        case .real(let lower, let upper, let lowerOpen, let upperOpen):
            return "\(lowerOpen ? "(" : "[")\(ConfigLimit.text(lower)), \(ConfigLimit.text(upper))\(upperOpen ? ")" : "]")"
        }
    }

    /// What the value must be, for messages: "a whole number in 1...10000000".
    public var requirement: String {
        switch range {
        case .integer: return "must be a whole number in \(rangeText)"
        case .real: return "must be a finite number in \(rangeText)"
        }
    }

    /// Whether `value` lies in a real range (false for NaN and infinities).
    func contains(_ value: Double) -> Bool {
        switch range {
        case .integer(let r):
            guard let i = ConfigLimit.exactInt(value) else { return false }
            return r.contains(i)
        case .real(let lower, let upper, let lowerOpen, let upperOpen):
            guard value.isFinite else { return false }
            return (lowerOpen ? value > lower : value >= lower) && (upperOpen ? value < upper : value <= upper)
        }
    }

    /// `value` as an Int when it is a whole number that an Int holds, without trapping.
    static func exactInt(_ value: Double) -> Int? {
        guard value.isFinite, value == value.rounded(), value >= -9.223_372_036_854_775_808e18, value < 9.223_372_036_854_775_808e18 else {
            return nil
        }
        return Int(value)
    }

    /// A bound without a trailing ".0", in plain notation up to 10^7.
    static func text(_ value: Double) -> String {
        if let i = exactInt(value), abs(i) <= 10_000_000 { return String(i) }
        return "\(value)"
    }
}

/// Every limit of training configs and catalogs, in one table: the error messages, the
/// validation and the documentation (configs/README.md) all read it.
public enum ConfigLimits {
    /// Largest config or catalog file, in bytes.
    public static let yamlMaxBytes = 4 << 20
    /// Deepest nesting of mappings and lists in a config or catalog (shipped ones use 3).
    public static let yamlMaxDepth = 64
    /// Longest prompt text (target, positive, neutral, unconditional, each preserve entry), in
    /// UTF-8 bytes; the text encoder reads at most 77 tokens of it anyway.
    public static let maxTextBytes = 2000
    /// Most entries of `preserve`.
    public static let maxPreserve = 256

    /// The limits of the numeric keys, in documentation order.
    public static let all: [ConfigLimit] = [
        integer("iterations", 1...10_000_000),
        integer("batch_size", 1...64),
        integer("sampling_batch_size", 0...64),
        integer("prompt_anchors", 0...64),
        integer("neighbour_anchors", 0...256),
        integer("text_directions", 0...16),
        integer("max_denoising_steps", 2...1000, model: "at most the scheduler's num_train_timesteps"),
        integer("resolution", 8...2048, model: "a multiple of the model's latent factor (VAE factor x UNet downsampling)"),
        integer("lr_warmup_steps", 0...10_000_000),
        integer("lr_scheduler_num_cycles", 1...10_000),
        integer("seed", 0...Int.max),
        integer("rank", 1...1),
        real("lr", 0, 1, lowerOpen: true),
        real("guidance_scale", -100, 100),
        real("trajectory_guidance", 0, 100),
        real("la_strength", 0, 1_000_000),
        real("max_grad_norm", 0, 1_000_000),
        real("weight_decay", 0, 1),
        real("adam_beta1", 0, 1, upperOpen: true),
        real("adam_beta2", 0, 1, upperOpen: true),
        real("adam_epsilon", 0, 1, lowerOpen: true),
        integer("checkpoint_every", 1...10_000_000),
    ]

    /// The limit of `key`; every numeric key has one.
    public static func limit(_ key: String) -> ConfigLimit {
        guard let limit = byKey[key] else { preconditionFailure("no limit for config key '\(key)'") }
        return limit
    }

    private static let byKey: [String: ConfigLimit] = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })

    private static func integer(_ key: String, _ range: ClosedRange<Int>, model: String = "") -> ConfigLimit {
        ConfigLimit(key: key, range: .integer(range), modelCondition: model)
    }

    private static func real(_ key: String, _ lower: Double, _ upper: Double, lowerOpen: Bool = false, upperOpen: Bool = false) -> ConfigLimit {
        ConfigLimit(key: key, range: .real(lower: lower, upper: upper, lowerOpen: lowerOpen, upperOpen: upperOpen), modelCondition: "")
    }

    /// The table as Markdown (key | allowed values | once the model is known), for the docs.
    public static var markdownTable: String {
        var lines = ["| key | allowed | also, once the model is known |", "|---|---|---|"]
        for l in all { lines.append("| `\(l.key)` | \(l.kind) \(l.rangeText) | \(l.modelCondition) |") }
        lines.append("| `target`, `positive`, `neutral`, `unconditional`, `preserve` entries | text of at most \(maxTextBytes) bytes; `preserve` at most \(maxPreserve) entries | |")
        lines.append("| (file) | at most \(yamlMaxBytes) bytes, nesting at most \(yamlMaxDepth) deep, no aliases, no repeated key | |")
        return lines.joined(separator: "\n")
    }
}

extension ConfigLimit {
    /// "integer" or "number", for the documentation table.
    var kind: String {
        if case .integer = range { return "integer" }
        return "number"
    }
}

extension ConfigLimit {
    /// A decoded YAML value as a whole number in range; throws naming `file` and the key.
    /// Never traps: 1e30, .inf and .nan are refused before any conversion.
    public func integer(from value: Any, file: String) throws -> Int {
        guard case .integer(let r) = range else { preconditionFailure("'\(key)' is not an integer setting") }
        let whole: Int?
        switch value {
        case let i as Int: whole = i
        case let d as Double: whole = ConfigLimit.exactInt(d)
        default: whole = nil
        }
        guard let whole, r.contains(whole) else { throw refusal(found: value, file: file) }
        return whole
    }

    /// A decoded YAML value (a number, or text holding one) as a Float in range; throws naming
    /// `file` and the key. NaN and infinities are never in range.
    public func real(from value: Any, file: String) throws -> Float {
        let number: Double?
        switch value {
        case let i as Int: number = Double(i)
        case let d as Double: number = d
        case let s as String: number = Double(s)
        default: number = nil
        }
        guard let number, contains(number), Float(number).isFinite else { throw refusal(found: value, file: file) }
        return Float(number)
    }

    /// Throws unless `value` is in range.
    public func check(_ value: Int, file: String) throws {
        _ = try integer(from: value, file: file)
    }

    /// Throws unless `value` is in range.
    public func check(_ value: Float, file: String) throws {
        guard contains(Double(value)) else { throw refusal(found: value, file: file) }
    }

    /// The error for a value out of range.
    public func refusal(found value: Any, file: String) -> ConfigError {
        ConfigError(file: file, key: key, problem: "\(requirement), found \(ConfigLimit.describe(value))")
    }

    static func describe(_ value: Any) -> String {
        switch value {
        case let s as String: return "'\(s.prefix(40))'"
        case is [Any]: return "a list"
        case is [String: Any]: return "a mapping"
        default: return "\(value)".prefix(40).description
        }
    }
}
