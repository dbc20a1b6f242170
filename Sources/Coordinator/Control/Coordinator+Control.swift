import AtomicFiles
import ControlSocket
import Foundation

extension Coordinator {
    /// Answers one control request if one arrives within `wait`.
    func serveControl(wait: Duration) throws {
        guard let data = try control.receive(timeout: wait) else { return }
        let reply: ControlReply
        if let request = try? ControlCoding.decode(ControlRequest.self, from: data) {
            switch request {
            case .status: reply = .status(status())
            case .cancel(let concept): reply = cancel(concept)
            }
        } else {
            reply = .refused("not a control request (expected a JSON ControlRequest: status or cancel)")
        }
        try control.send((try? ControlCoding.encode(reply)) ?? Data())
    }

    /// Cancels a job: a pending one never starts; a running one stops after its current
    /// iteration, with a checkpoint, so a later run resumes it.
    func cancel(_ name: String) -> ControlReply {
        guard let k = entries.firstIndex(where: { $0.job.name == name }) else {
            return .refused("no job '\(name)' in this run (jobs: \(entries.map(\.job.name).joined(separator: ", ")))")
        }
        switch entries[k].state {
        case .pending:
            entries[k].state = .cancelled
            logger.info("\(name): cancelled before it started")
            writeStatus(force: true)
            return .accepted("\(name) cancelled before it started")
        case .running:
            if let g = entries[k].group { request(.cancel, job: name, group: g) }
            logger.info("\(name): cancel requested")
            return .accepted("\(name) stops after its current iteration, with a checkpoint")
        default:
            return .refused("\(name) is \(entries[k].state.rawValue), nothing to cancel")
        }
    }

    /// The run as `membrane status` shows it.
    func status(final code: Int32? = nil) -> RunStatus {
        let now = Date()
        var jobs: [RunStatus.JobReport] = []
        for e in entries {
            let total = e.job.config.iterations
            var rate: Double?
            var eta: Double?
            if let start = e.runStart, e.iteration > e.runStartIteration {
                let r = Double(e.iteration - e.runStartIteration) / max(now.timeIntervalSince(start), 1e-9)
                rate = r
                if e.state == .running { eta = Double(total - e.iteration) / r }
            }
            let ranks = e.state == .running ? (e.group.map { groups[$0] } ?? []) : []
            let beat = ranks.compactMap { lastHeartbeat[$0] }.min().map { now.timeIntervalSince($0) }
            jobs.append(.init(name: e.job.name, state: e.state, iteration: e.iteration, total: total, itPerSecond: rate,
                              etaSeconds: eta, ranks: ranks, lastHeartbeatSecondsAgo: beat, hash: e.job.hash, lastLoss: e.loss?.total))
        }
        var ranks: [RunStatus.RankReport] = []
        for (g, members) in groups.enumerated() {
            for r in members {
                let ago = now.timeIntervalSince(lastHeartbeat[r] ?? started)
                ranks.append(.init(rank: r, group: g, lastHeartbeatSecondsAgo: ago, silent: ago > heartbeatTimeout))
            }
        }
        var state = RunState.running
        if let code {
            state = code == 0 ? .finished : (code == StopSignal.exitCode ? .interrupted : .cancelled)
        }
        let formatter = ISO8601DateFormatter()
        return RunStatus(state: state, library: library.directory.path, catalog: catalog.source.path, control: endpoint,
                         host: ProcessInfo.processInfo.hostName, pid: getpid(), started: formatter.string(from: started),
                         updated: formatter.string(from: now), workers: groups.reduce(0) { $0 + $1.count }, groupSize: groupSize,
                         heartbeatTimeout: heartbeatTimeout, jobs: jobs, ranks: ranks)
    }

    /// Writes `status.json` (at most once a second unless forced).
    func writeStatus(force: Bool, final code: Int32? = nil) {
        guard force || Date().timeIntervalSince(lastStatusWrite) >= 1 else { return }
        lastStatusWrite = Date()
        do { try AtomicFile.write(try Library.json(status(final: code)), to: library.statusURL) } catch {
            logger.error("cannot write the status file: \(error)")
        }
    }
}
