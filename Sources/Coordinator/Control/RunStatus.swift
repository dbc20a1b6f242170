import Foundation
import Reporting

/// What `membrane status` shows: the run and each job. Served by the coordinator on its control
/// socket and written to `<library>/status.json` (the last state when no run is active).
public struct RunStatus: Codable, Sendable {
    /// One job of the run.
    public struct JobReport: Codable, Sendable {
        public var name: String
        public var state: JobState
        public var iteration: Int
        public var total: Int
        /// Iterations per second in this run.
        public var itPerSecond: Double?
        /// Seconds left at that speed.
        public var etaSeconds: Double?
        /// World ranks training it.
        public var ranks: [Int]
        /// Seconds since the last heartbeat of its ranks (the oldest one).
        public var lastHeartbeatSecondsAgo: Double?
        public var hash: String
        public var lastLoss: Float?
    }

    /// One worker rank.
    public struct RankReport: Codable, Sendable {
        public var rank: Int
        public var group: Int
        public var lastHeartbeatSecondsAgo: Double
        /// Silent for longer than the heartbeat timeout.
        public var silent: Bool
    }

    public var state: RunState
    public var library: String
    public var catalog: String
    public var control: String
    public var host: String
    public var pid: Int32
    public var started: String
    public var updated: String
    public var workers: Int
    public var groupSize: Int
    public var heartbeatTimeout: Double
    public var jobs: [JobReport]
    public var ranks: [RankReport]

    /// A table for people.
    public func formatted(live: Bool) -> String {
        var lines: [String] = []
        let header = live ? "catalog run \(state.rawValue) on \(host) pid \(pid)" : "no catalog run is active; last status (\(state.rawValue)), written \(updated)"
        lines.append(header)
        lines.append("library \(library)  catalog \(catalog)  workers \(workers)  group size \(groupSize)")
        lines.append(RunStatus.pad(["JOB", "STATE", "ITER", "IT/S", "ETA", "RANKS", "HEARTBEAT"]))
        for job in jobs {
            let rate = job.itPerSecond.map { String(format: "%.2f", $0) } ?? "-"
            let eta = job.etaSeconds.map(CompactDuration.string) ?? "-"
            let ranks = job.ranks.isEmpty ? "-" : job.ranks.map(String.init).joined(separator: ",")
            let beat = job.lastHeartbeatSecondsAgo.map { String(format: "%.0fs ago", $0) } ?? "-"
            lines.append(RunStatus.pad([job.name, job.state.rawValue, "\(job.iteration)/\(job.total)", rate, eta, ranks, beat]))
        }
        for rank in ranks where rank.silent {
            lines.append(String(format: "WARNING: rank %d silent for %.0f s (timeout %.0f s)", rank.rank, rank.lastHeartbeatSecondsAgo, heartbeatTimeout))
        }
        return lines.joined(separator: "\n")
    }

    /// For a status that says `running` while no run answers on its control socket: what is
    /// known of the process it names; `nil` for a run that ended normally.
    public var unansweredRunNote: String? {
        guard state == .running else { return nil }
        switch RunOwner(host: host, pid: pid, started: started).isAlive() {
        case false?:
            return "pid \(pid) on \(host) is not running: the run ended without finishing (killed or failed); "
                + "the next catalog run on this library marks it failed, cleans up and resumes"
        case true?:
            return "pid \(pid) on \(host) is running but does not answer on \(control)"
        case nil:
            return "the run is on \(host) (pid \(pid)), which cannot be checked from here; it does not answer on \(control)"
        }
    }

    static func pad(_ columns: [String]) -> String {
        let widths = [16, 12, 11, 7, 8, 10, 10]
        var text = ""
        for (i, c) in columns.enumerated() {
            let w = i < widths.count ? widths[i] : 10
            text += c.count >= w ? c + " " : c + String(repeating: " ", count: w - c.count)
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// Reads `status.json`.
    public static func read(library: Library) -> RunStatus? {
        guard let data = FileManager.default.contents(atPath: library.statusURL.path) else { return nil }
        return try? decoder.decode(RunStatus.self, from: data)
    }

    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}
