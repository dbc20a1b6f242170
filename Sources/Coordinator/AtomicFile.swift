#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A file-system problem in the library, with the path involved.
public struct LibraryError: Error, CustomStringConvertible, Equatable {
    /// The file or folder concerned.
    public let path: String
    /// What went wrong, for a user.
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// Writes files so that readers and crashes see either the old or the new content.
enum AtomicFile {
    /// Replaces `url` by `data`: a temporary file in the same folder, `fsync`, `rename`, then an
    /// `fsync` of the folder so the rename itself survives a power cut.
    static func write(_ data: Data, to url: URL) throws {
        let path = url.path
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o644))
        guard fd >= 0 else { throw LibraryError(path: path, problem: "cannot create \(temporary): \(errorText())") }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        let written = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        guard written, fsync(fd) == 0 else {
            let text = errorText()
            close(fd)
            throw LibraryError(path: path, problem: "cannot write: \(text)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw LibraryError(path: path, problem: "cannot rename the temporary file: \(errorText())") }
        ok = true
        syncFolder(url.deletingLastPathComponent())
    }

    /// `fsync` of a folder (makes renames and deletions in it durable).
    static func syncFolder(_ folder: URL) {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Deletes a file if it exists and syncs its folder.
    static func remove(_ url: URL) {
        if unlink(url.path) == 0 { syncFolder(url.deletingLastPathComponent()) }
    }

    /// The text of the current `errno`.
    static func errorText() -> String { String(cString: strerror(errno)) }
}
