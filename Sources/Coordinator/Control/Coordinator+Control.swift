import AtomicFiles
import Foundation

extension Coordinator {
    /// Answers one control request if one arrives within `wait`.
    func serveControl(wait: Duration) throws {
        try control.serve(wait: wait) { request in
            switch request {
            case .status: .status(status())
            case .cancel(let concept): cancel(concept)
            }
        }
    }

    /// Cancels a job: a pending one never starts; a running one stops after its current
    /// iteration, with a checkpoint, so a later run resumes it.
    func cancel(_ name: String) -> ControlReply {
        guard let k = entries.firstIndex(where: { $0.job.name == name }) else {
            return .refused(.unknownJob(jobs: entries.map(\.job.name)))
        }
        let job = entries[k].job.name
        switch entries[k].state {
        case .pending:
            entries[k].state = .cancelled
            logger.info("\(job): cancelled before it started")
            writeStatus(force: true)
            return .accepted(.cancelledBeforeStart(job: job))
        case .running:
            if let g = entries[k].group { request(.cancel, job: job, group: g) }
            logger.info("\(job): cancel requested")
            return .accepted(.stopsAfterCurrentIteration(job: job))
        default:
            return .refused(.notCancellable(job: job, state: entries[k].state))
        }
    }

    /// The run as `membrane status` shows it.
    func status(final state: RunState? = nil) -> RunStatus {
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
        let formatter = ISO8601DateFormatter()
        return RunStatus(state: state ?? .running, library: library.directory.path, catalog: catalog.source.path, control: endpoint,
                         host: ProcessInfo.processInfo.hostName, pid: getpid(), started: formatter.string(from: started),
                         updated: formatter.string(from: now), workers: groups.reduce(0) { $0 + $1.count }, groupSize: groupSize,
                         heartbeatTimeout: heartbeatTimeout, jobs: jobs, ranks: ranks)
    }

    /// Writes `status.json` (at most once a second unless forced); `final` is the run's end.
    func writeStatus(force: Bool, final state: RunState? = nil) {
        guard force || Date().timeIntervalSince(lastStatusWrite) >= 1 else { return }
        lastStatusWrite = Date()
        do { try AtomicFile.write(try Library.json(status(final: state)), to: library.statusURL) } catch {
            logger.error("cannot write the status file: \(error)")
        }
    }
}
