import Foundation

/// Range checks of model config values, each a ``ModelError/invalidConfig(file:problem:)``
/// naming the file, the key and the allowed values. They run when a config is loaded, before any
/// weight is read or any buffer sized from the value is allocated.
public enum ModelConfigRange {
    /// Throws unless `value` lies in `range`.
    public static func require(_ value: Int, in range: ClosedRange<Int>, key: String, file: String) throws {
        guard range.contains(value) else {
            throw ModelError.invalidConfig(file: file, problem: "'\(key)' must be in \(range.lowerBound)...\(range.upperBound), found \(value)")
        }
    }

    /// Throws unless every value of a per-block option lies in `range`.
    public static func require(_ values: IntOrList, in range: ClosedRange<Int>, key: String, file: String) throws {
        for (i, v) in values.values.enumerated() {
            try require(v, in: range, key: values.isList ? "\(key)[\(i)]" : key, file: file)
        }
    }

    /// Throws unless every entry of a list lies in `range` and the list has `count` entries.
    public static func require(_ values: [Int], count: ClosedRange<Int>, in range: ClosedRange<Int>, key: String, file: String) throws {
        guard count.contains(values.count) else {
            throw ModelError.invalidConfig(file: file, problem: "'\(key)' must list \(count.lowerBound)...\(count.upperBound) values, found \(values.count)")
        }
        for (i, v) in values.enumerated() { try require(v, in: range, key: "\(key)[\(i)]", file: file) }
    }

    /// Throws unless `value` is finite and above `lower` (or at it, when `lowerOpen` is false)
    /// and at most `upper`.
    public static func require(_ value: Double, above lower: Double, lowerOpen: Bool = true, upTo upper: Double, key: String, file: String) throws {
        let ok = value.isFinite && (lowerOpen ? value > lower : value >= lower) && value <= upper
        guard ok else {
            throw ModelError.invalidConfig(file: file, problem: "'\(key)' must be a finite number in \(lowerOpen ? "(" : "[")\(lower), \(upper)], found \(value)")
        }
    }

    /// Throws unless `channels` splits into `groups` groups (groups already checked positive).
    public static func requireDivisible(_ channels: Int, by divisor: Int, what: String, divisorKey: String, file: String) throws {
        guard channels % divisor == 0 else {
            throw ModelError.invalidConfig(file: file, problem: "\(what) = \(channels) is not divisible by '\(divisorKey)' \(divisor)")
        }
    }
}
