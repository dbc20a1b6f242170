import Foundation

/// A parsed JSON value that keeps integers, other numbers and booleans apart, so header
/// validation can reject `3.5`, `true` or `"3"` where an integer is required.
enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            let value = try container.decode([String: JSONValue].self)
            self = .object(value)
        }
    }

    /// Parses `data` as JSON; the error text is a short reason suitable for a message.
    static func parse(_ data: Data) -> Result<JSONValue, ParseFailure> {
        do {
            let value = try JSONDecoder().decode(JSONValue.self, from: data)
            return .success(value)
        } catch let error as DecodingError {
            return .failure(ParseFailure(reason: Self.reason(error)))
        } catch {
            return .failure(ParseFailure(reason: "\(error)"))
        }
    }

    private static func reason(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError {
                return "\(context.debugDescription) (\(underlying))"
            }
            return context.debugDescription
        default:
            return "\(error)"
        }
    }

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
