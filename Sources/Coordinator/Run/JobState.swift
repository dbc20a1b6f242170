/// Where a job of a catalog run stands.
public enum JobState: String, Codable, Sendable {
    /// Waiting for a free worker group.
    case pending
    /// Being trained by a group.
    case running
    /// Trained in this run and written to the library.
    case done
    /// Trained; its group is evaluating the membrane (written to CONCEPT/candidate/).
    case evaluating
    /// Trained and evaluated, but it missed its gate: kept in CONCEPT/candidate/, not
    /// published; the run exits with ``CatalogRun/ExitCode/gateFailed``.
    case heldBack
    /// Already in the library with the same hash: not trained again.
    case skipped
    /// Stopped by `membrane cancel` (its checkpoint is kept, a later run resumes it).
    case cancelled
    /// Checkpointed and stopped by a signal or a lost worker rank; a later run resumes it.
    case interrupted
    /// Stopped by a non-finite loss or gradient: its last checkpoint is kept, nothing is
    /// published, and the run exits 1.
    case failed
}

/// Where a catalog run stands, as `status.json` records it.
public enum RunState: String, Codable, Sendable {
    case running
    /// Every job done or skipped.
    case finished
    /// Stopped by a signal after checkpointing.
    case interrupted
    /// Finished, with some jobs cancelled.
    case cancelled
    /// Ended by an error (details in the run's log), or found ended without a final state by the
    /// next run (killed); checkpoints are kept.
    case failed

    /// The final state of a run that ended with exit `code` (see ``CatalogRun/ExitCode``).
    public static func final(exitCode code: Int32) -> RunState {
        switch code {
        case CatalogRun.ExitCode.success: .finished
        case CatalogRun.ExitCode.incomplete: .cancelled
        case CatalogRun.ExitCode.interrupted: .interrupted
        default: .failed
        }
    }
}

/// Why a group stopped training a job.
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
