import Foundation

/// A parsed JSON value that keeps integers, other numbers and booleans apart, so header
/// validation can reject `3.5`, `2.0`, `2e0`, `true` or `"3"` where an integer is required.
/// Parsed by ``parse(_:)`` (JSONValue+Parser.swift).
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// A JSON parse error with a readable reason.
    struct ParseFailure: Error {
        let reason: String
    }

    /// A short name of the value's kind, for messages ("a string", "an array", ...).
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer: return "an integer"
        case .number: return "a non-integer number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
