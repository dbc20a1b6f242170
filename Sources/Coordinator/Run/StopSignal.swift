#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation

/// Turns SIGTERM, SIGINT and SIGUSR1 into a flag checked between iterations.
///
/// The default actions are disabled and dispatch sources record the first signal; the training
/// loop reads ``received`` at iteration boundaries, checkpoints and exits with 143
/// (128 + SIGTERM, what Slurm and systemd expect from a requeueable job).
///
/// Open MPI's `mpirun` forwards SIGUSR1 to every rank at once, while on SIGTERM it waits one
/// second, sends SIGTERM, and kills the ranks one second later (exiting 1 itself); the
/// launchers in `cluster/` therefore turn SIGTERM into SIGUSR1 for `mpirun`. Under Slurm
/// (`srun` or a signalled job step) every rank gets SIGTERM directly.
public final class StopSignal: @unchecked Sendable {
    /// The exit code after a signal-triggered checkpoint.
    public static let exitCode: Int32 = 143

    private let lock = NSLock()
    private var signal: Int32?
    private var sources: [DispatchSourceSignal] = []

    /// Starts listening for the stop signals.
    public init(signals: [Int32] = [SIGTERM, SIGINT, SIGUSR1]) {
        let queue = DispatchQueue(label: "membrane.signals")
        for number in signals {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in self?.record(number) }
            source.resume()
            sources.append(source)
        }
    }

    private func record(_ number: Int32) {
        lock.lock()
        if signal == nil { signal = number }
        lock.unlock()
    }

    /// The first stop signal received, if any.
    public var received: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return signal
    }

    /// A name for a signal number ("SIGTERM").
    public static func name(_ number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGUSR1: "SIGUSR1"
        default: "signal \(number)"
        }
    }
}
