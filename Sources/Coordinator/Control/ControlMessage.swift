import Foundation

/// A request on a catalog run's control socket (one JSON object per ZeroMQ message).
public enum ControlRequest: Codable, Equatable, Sendable {
    /// The run's status.
    case status
    /// Cancel one job: a pending one never starts; a running one stops after its current
    /// iteration, with a checkpoint.
    case cancel(concept: String)
}

/// The coordinator's answer to a ``ControlRequest``.
public enum ControlReply: Codable, Sendable {
    /// The run as `membrane status` shows it.
    case status(RunStatus)
    /// The request was carried out (or will be at the end of the current iteration).
    case accepted(String)
    /// The request was refused, with the reason.
    case refused(String)
}

/// The JSON coding shared by both ends of the control socket.
enum ControlCoding {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
