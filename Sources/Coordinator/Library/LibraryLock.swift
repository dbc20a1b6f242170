#if canImport(Glibc)
import Glibc
#endif
import AtomicFiles
import Foundation

/// Another catalog run holds the library's lock (or may be running on another host); nothing
/// was changed.
public struct LibraryBusyError: Error, CustomStringConvertible, Equatable {
    /// The library folder.
    public let library: String
    /// What is known of the other run (pid, host, start), if anything.
    public let holder: String
    public var description: String {
        "\(library): the library is in use by another catalog run\(holder.isEmpty ? "" : " (\(holder))"); nothing was changed"
    }
}

/// The exclusive lock of a library for one catalog run (`flock(2)`, `LOCK_EX | LOCK_NB`), held
/// until the process ends or ``release()``. The kernel drops it when the process dies, so a
/// killed run never leaves a held lock behind. The lock file records its owner (``RunOwner``,
/// JSON); the owner recorded by the previous holder is kept in ``previousOwner``.
public final class LibraryLock {
    private var fd: Int32
    /// The owner the lock file named when this lock was taken (the last run), if readable.
    public let previousOwner: RunOwner?

    /// Takes the lock, or throws at once naming the run that holds it.
    public init(library: Library) throws {
        let path = library.lockURL.path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode_t(0o644))
        guard fd >= 0 else { throw LibraryError(path: path, problem: "cannot open the lock file: \(AtomicFile.errorText())") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let busy = errno == EWOULDBLOCK
            let text = AtomicFile.errorText()
            let holder = LibraryLock.describe(LibraryLock.contents(fd))
            close(fd)
            fd = -1
            if busy { throw LibraryBusyError(library: library.directory.path, holder: holder) }
            throw LibraryError(path: path, problem: "cannot lock: \(text)")
        }
        previousOwner = try? JSONDecoder().decode(RunOwner.self, from: LibraryLock.contents(fd))
        let note = (try? Library.json(RunOwner.current())) ?? Data()
        ftruncate(fd, 0)
        _ = note.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        fsync(fd)
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

    /// The lock file's content (at most 64 KiB).
    static func contents(_ fd: Int32) -> Data {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Data(buffer[0..<n]) : Data()
    }

    /// The holder as a person reads it: the recorded owner, or the file's text from older versions.
    static func describe(_ data: Data) -> String {
        if let owner = try? JSONDecoder().decode(RunOwner.self, from: data) { return owner.summary }
        return String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
