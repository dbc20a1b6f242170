import Foundation
import Membranes

/// MPI message tags between the coordinator (world rank 0) and the workers.
enum Tag {
    /// Coordinator -> every rank of a group: the next job (or none: the group is done).
    static let assign = 11
    /// Group leader -> coordinator: the state after an iteration (or the final state of a job).
    static let progress = 12
    /// Any worker -> coordinator: alive, with what it is doing.
    static let heartbeat = 13
    /// Coordinator -> group leader: stop the current job (cancel) after this iteration.
    static let control = 14
    /// Coordinator -> every worker: the run is over, leave.
    static let finish = 15
}

/// Why a group stopped a job.
public enum JobEnd: String, Codable, Sendable {
    /// Still running (a progress report).
    case running
    /// All iterations done.
    case completed
    /// `membrane cancel` asked for it.
    case cancelled
    /// A signal (SIGTERM, SIGINT, SIGUSR1) asked the whole run to stop.
    case interrupted
}

/// The header of a message: small JSON; float payloads travel after it.
struct MessageHeader: Codable {
    var job: String?
    var iteration: Int = 0
    var adamSteps: Int = 0
    var end: JobEnd = .running
    var erase: Float = 0
    var anchoring: Float = 0
    var total: Float = 0
    var seconds: Double = 0
    var rank: Int = 0
    /// Units done in the current iteration (heartbeats).
    var unit: Int = 0
    var text: String?
}

/// A message: an 8-byte header length, the JSON header, then raw little-endian F32 values.
struct Packet {
    var header: MessageHeader
    var floats: [Float] = []

    func encoded() -> Data {
        let json = (try? JSONEncoder().encode(header)) ?? Data("{}".utf8)
        var data = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(json)
        floats.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    init(header: MessageHeader, floats: [Float] = []) {
        self.header = header
        self.floats = floats
    }

    init(decoding data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw LibraryError(path: "message", problem: "truncated message") }
        var length = 0
        for i in 0..<8 { length |= Int(bytes[i]) << (8 * i) }
        guard length >= 0, 8 + length <= bytes.count, (bytes.count - 8 - length) % 4 == 0 else {
            throw LibraryError(path: "message", problem: "malformed message")
        }
        header = try JSONDecoder().decode(MessageHeader.self, from: Data(bytes[8..<(8 + length)]))
        let count = (bytes.count - 8 - length) / 4
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { raw in
            bytes.withUnsafeBytes { src in
                raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(8 + length)...]))
            }
        }
        floats = values
    }

    /// A packet carrying a job's state (parameters, then AdamW m, then v).
    init(state: JobCheckpoint, end: JobEnd) {
        header = MessageHeader(job: state.concept, iteration: state.iteration, adamSteps: state.adamSteps, end: end,
                               erase: state.loss.erase, anchoring: state.loss.anchoring, total: state.loss.total,
                               seconds: state.seconds, text: state.jobHash)
        floats = state.parameters + state.adamM + state.adamV
    }

    /// The job state of a progress packet.
    var state: JobCheckpoint {
        let n = floats.count / 3
        return JobCheckpoint(concept: header.job ?? "", jobHash: header.text ?? "", iteration: header.iteration,
                             adamSteps: header.adamSteps, parameters: Array(floats[0..<n]), adamM: Array(floats[n..<(2 * n)]),
                             adamV: Array(floats[(2 * n)...]),
                             loss: LossParts(erase: header.erase, anchoring: header.anchoring, total: header.total),
                             seconds: header.seconds)
    }
}
