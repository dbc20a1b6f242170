#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The process that runs (or ran) a catalog on a library, as recorded in its lock file: enough
/// to tell later whether it is still alive.
public struct RunOwner: Codable, Equatable, Sendable {
    public var host: String
    public var pid: Int32
    /// When it took the lock (ISO 8601, UTC).
    public var started: String
    /// `/proc/sys/kernel/random/boot_id` of its host: a reboot ends every process.
    public var bootID: String?
    /// Its start time in clock ticks since boot (`/proc/PID/stat`): a reused pid has another one.
    public var startTicks: UInt64?

    enum CodingKeys: String, CodingKey {
        case host, pid, started
        case bootID = "boot_id"
        case startTicks = "start_ticks"
    }

    public init(host: String, pid: Int32, started: String, bootID: String? = nil, startTicks: UInt64? = nil) {
        self.host = host
        self.pid = pid
        self.started = started
        self.bootID = bootID
        self.startTicks = startTicks
    }

    /// This process.
    public static func current() -> RunOwner {
        RunOwner(host: ProcessInfo.processInfo.hostName, pid: getpid(), started: ISO8601DateFormatter().string(from: Date()),
                 bootID: RunOwner.bootID(), startTicks: RunOwner.startTicks(of: getpid()))
    }

    /// Whether the owner is still running: `true` or `false` on this host, `nil` (unknown) when
    /// it ran on another host.
    public func isAlive(thisHost: String = ProcessInfo.processInfo.hostName) -> Bool? {
        guard host == thisHost else { return nil }
        if let bootID, let now = RunOwner.bootID(), bootID != now { return false }
        guard RunOwner.processExists(pid) else { return false }
        if let startTicks, let now = RunOwner.startTicks(of: pid) { return startTicks == now }
        return true
    }

    /// "pid 12 on host-a since 2025-01-01T00:00:00Z".
    public var summary: String { "pid \(pid) on \(host) since \(started)" }

    /// Whether a process with this pid runs on this host. A zombie (ended, not yet reaped by
    /// its parent: it holds no files and no locks any more) does not count.
    public static func processExists(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let fields = statFields(of: pid), let state = fields.first else { return true }
        return state != "Z" && state != "X"
    }

    static func bootID() -> String? {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Field 22 of `/proc/PID/stat`: the start time in clock ticks since boot.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard let fields = statFields(of: pid), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The fields of `/proc/PID/stat` from the third (the state) on: those after the command
    /// name, which may hold spaces and parentheses.
    static func statFields(of pid: Int32) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.range(of: ")", options: .backwards) else { return nil }
        return text[close.upperBound...].split(separator: " ")
    }
}
