import Foundation

/// Silent ranks: reported once, and when a silent rank belongs to a group that is training a
/// job, treated as lost (its host died, hangs or is cut off). The coordinator cannot tell a lost
/// rank from a slow one except by time, so `--heartbeat-timeout` must exceed the longest gap
/// between two heartbeats (one trajectory unit, or the start of a job).
extension Coordinator {
    /// A worker rank silent for longer than the heartbeat timeout.
    struct SilentRank: Equatable {
        var rank: Int
        var seconds: Int
        /// The job its group was training, if any.
        var job: String?
    }

    /// Logs ranks silent for longer than the heartbeat timeout (once per silence); returns the
    /// silent ranks of busy groups (lost), or `nil` when there are none.
    func checkHeartbeats(now: Date = Date()) -> [SilentRank]? {
        var lost: [SilentRank] = []
        for (rank, last) in lastHeartbeat.sorted(by: { $0.key < $1.key }) where now.timeIntervalSince(last) > heartbeatTimeout {
            let job = groups.firstIndex { $0.contains(rank) }.flatMap { groupJob[$0] }.map { entries[$0].job.name }
            let silent = SilentRank(rank: rank, seconds: Int(now.timeIntervalSince(last)), job: job)
            if job != nil { lost.append(silent) }
            if reportedSilent.insert(rank).inserted && job == nil {
                logger.warning("rank \(rank) on \(host(of: rank)) silent for \(silent.seconds) s")
            }
        }
        return lost.isEmpty ? nil : lost
    }

    /// Ends the run after losing `lost` ranks: writes every running job's latest state as its
    /// checkpoint, logs the lost ranks and their hosts, writes the final `failed` status and
    /// returns ``CatalogRun/ExitCode/lostRank`` (the caller then aborts the MPI job).
    func abandon(lost: [SilentRank]) -> Int32 {
        for silent in lost {
            logger.error("rank \(silent.rank) on \(host(of: silent.rank)) lost: silent for \(silent.seconds) s (--heartbeat-timeout \(heartbeatTimeout)) while training \(silent.job ?? "-")")
        }
        for k in entries.indices where entries[k].state == .running {
            do {
                try saveCheckpoint(k)
                logger.info("\(entries[k].job.name): checkpoint at iteration \(entries[k].savedIteration) kept")
            } catch {
                logger.error("\(entries[k].job.name): checkpoint failed: \(error)")
            }
            entries[k].state = .interrupted
        }
        progress?.finish()
        writeStatus(force: true, final: .failed)
        let code = CatalogRun.ExitCode.lostRank
        logger.error("aborting the run (exit \(code)) so mpirun ends every rank; re-run the same command to resume from the checkpoints")
        return code
    }

    /// The host name rank `rank` reported at the start, or "?".
    func host(of rank: Int) -> String {
        hosts.indices.contains(rank) ? hosts[rank] : "?"
    }
}
