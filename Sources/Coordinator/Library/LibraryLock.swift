#if canImport(Glibc)
import Glibc
#endif
import AtomicFiles
import Foundation

/// Another catalog run holds the library's lock; nothing was changed.
public struct LibraryBusyError: Error, CustomStringConvertible, Equatable {
    /// The library folder.
    public let library: String
    /// What the lock file says of its holder (pid, host, start), if anything.
    public let holder: String
    public var description: String {
        "\(library): the library is in use by another catalog run\(holder.isEmpty ? "" : " (\(holder))"); nothing was changed"
    }
}

/// The exclusive lock of a library for one catalog run (`flock(2)`, `LOCK_EX | LOCK_NB`), held
/// until the process ends or ``release()``. The kernel drops it when the process dies, so a
/// killed run never leaves a stale lock behind.
public final class LibraryLock {
    private var fd: Int32

    /// Takes the lock, or throws at once naming the run that holds it.
    public init(library: Library) throws {
        let path = library.lockURL.path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode_t(0o644))
        guard fd >= 0 else { throw LibraryError(path: path, problem: "cannot open the lock file: \(AtomicFile.errorText())") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let busy = errno == EWOULDBLOCK
            let text = AtomicFile.errorText()
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            fd = -1
            if busy { throw LibraryBusyError(library: library.directory.path, holder: holder) }
            throw LibraryError(path: path, problem: "cannot lock: \(text)")
        }
        let host = ProcessInfo.processInfo.hostName
        let note = "pid \(getpid()) on \(host) since \(ISO8601DateFormatter().string(from: Date()))\n"
        ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Releases the lock.
    public func release() {
        if fd >= 0 {
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
