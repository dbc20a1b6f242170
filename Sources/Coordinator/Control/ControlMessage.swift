import Foundation

/// A request on a catalog run's control socket: one single-part JSON message of at most
/// ``ControlServer/maxRequestBytes`` bytes.
public enum ControlRequest: Codable, Equatable, Sendable {
    /// The run's status.
    case status
    /// Cancel one job: a pending one never starts; a running one stops after its current
    /// iteration, with a checkpoint.
    case cancel(concept: String)
}

/// The coordinator's answer to a ``ControlRequest``. Replies are built from the run's own state
/// and a fixed set of cases: they never repeat the bytes of a request.
public enum ControlReply: Codable, Sendable {
    /// The run as `membrane status` shows it.
    case status(RunStatus)
    /// The request was carried out (or will be at the end of the current iteration).
    case accepted(ControlAcceptance)
    /// The request was refused.
    case refused(ControlRefusal)
}

/// What an accepted request does.
public enum ControlAcceptance: Codable, Equatable, Sendable {
    /// A pending job that will not start.
    case cancelledBeforeStart(job: String)
    /// A running job that stops after its current iteration, with a checkpoint.
    case stopsAfterCurrentIteration(job: String)

    /// The sentence `membrane cancel` prints.
    public var text: String {
        switch self {
        case .cancelledBeforeStart(let job): "\(job) cancelled before it started"
        case .stopsAfterCurrentIteration(let job): "\(job) stops after its current iteration, with a checkpoint"
        }
    }
}

/// Why a request was refused.
public enum ControlRefusal: Codable, Equatable, Sendable {
    /// The message is not a JSON ``ControlRequest``.
    case notARequest
    /// The message had several parts (requests are single-part; parts are never joined).
    case multipartMessage(parts: Int)
    /// The run has no job of the requested name; these are its jobs.
    case unknownJob(jobs: [String])
    /// The job is finished, skipped or already stopped.
    case notCancellable(job: String, state: JobState)

    /// The sentence the client prints.
    public var text: String {
        switch self {
        case .notARequest: "not a control request (expected one JSON ControlRequest: status or cancel)"
        case .multipartMessage(let parts): "a message of \(parts) parts; a control request is a single part"
        case .unknownJob(let jobs): "no such job in this run (jobs: \(jobs.joined(separator: ", ")))"
        case .notCancellable(let job, let state): "\(job) is \(state.rawValue), nothing to cancel"
        }
    }
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
