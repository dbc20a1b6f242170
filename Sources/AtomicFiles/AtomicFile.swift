#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file that could not be written, with the path involved and the reason.
public struct AtomicFileError: Error, CustomStringConvertible, Equatable {
    /// The file that was being written.
    public let path: String
    /// What went wrong, for a user.
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// Writes files so that readers and crashes see either the old or the complete new content.
///
/// The content goes to a temporary file `.NAME.tmp-PID-RANDOM` in the same folder (see
/// ``temporaryName(for:pid:suffix:)``; a writer killed mid-write leaves it behind), which is
/// flushed (`fsync`), renamed over the target, and followed by an `fsync` of the folder so the
/// rename itself survives a power cut. On failure the temporary file is removed and the target
/// is untouched.
public enum AtomicFile {
    /// Replaces `url` by whatever `fill` writes to the open file descriptor it is given
    /// (``writeAll(_:to:path:)`` writes a buffer completely).
    public static func write(to url: URL, mode: mode_t = 0o644, _ fill: (Int32) throws -> Void) throws {
        try replace(url) { temporary in
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            guard fd >= 0 else { throw AtomicFileError(path: url.path, problem: "cannot create \(temporary): \(errorText())") }
            var open = true
            defer { if open { close(fd) } }
            try fill(fd)
            open = false
            guard close(fd) == 0 else { throw AtomicFileError(path: url.path, problem: "close failed: \(errorText())") }
        }
    }

    /// Replaces `url` by `data`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { fd in
            try data.withUnsafeBytes { try writeAll(UnsafeRawBufferPointer($0), to: fd, path: url.path) }
        }
    }

    /// Replaces `url` by the file `produce` creates at the temporary path it is given (for
    /// writers that open files themselves); the file is flushed before the rename.
    public static func replace(_ url: URL, _ produce: (String) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
        let name = temporaryName(for: url.lastPathComponent, pid: getpid(), suffix: UInt32.random(in: 0...UInt32.max))
        let temporary = folder.path + "/" + name
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        try produce(temporary)
        try flush(temporary, target: url.path)
        guard rename(temporary, url.path) == 0 else {
            throw AtomicFileError(path: url.path, problem: "cannot rename the temporary file into place: \(errorText())")
        }
        renamed = true
        try syncFolder(folder)
    }

    /// Bytes a temporary name adds to its target's name, at most: the leading `.`, `.tmp-`, a pid
    /// (a 32-bit number: up to 10 digits), `-` and up to 8 hex digits. A target name of
    /// `255 - temporaryNameOverhead` bytes keeps its temporary name within the usual 255-byte limit.
    public static let temporaryNameOverhead = 1 + 5 + 10 + 1 + 8

    /// The temporary file name `.NAME.tmp-PID-SUFFIX` used while replacing a file named `name`.
    public static func temporaryName(for name: String, pid: Int32, suffix: UInt32) -> String {
        "." + name + ".tmp-\(pid)-" + String(suffix, radix: 16)
    }

    /// The target name and writer pid of a temporary file name (the inverse of
    /// ``temporaryName(for:pid:suffix:)``), or `nil` for any other name.
    public static func temporaryFileOwner(_ fileName: String) -> (target: String, pid: Int32)? {
        guard fileName.hasPrefix("."), let marker = fileName.range(of: ".tmp-", options: .backwards) else { return nil }
        let target = String(fileName[fileName.index(after: fileName.startIndex)..<marker.lowerBound])
        let parts = fileName[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard !target.isEmpty, parts.count == 2, let pid = Int32(parts[0]), pid > 0,
              !parts[1].isEmpty, parts[1].count <= 8, UInt32(parts[1], radix: 16) != nil else { return nil }
        return (target, pid)
    }

    /// Writes every byte of `bytes` to `fd`, retrying partial writes and interruptions.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, base + done, min(bytes.count - done, 1 << 30))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw AtomicFileError(path: path, problem: "write failed: \(errorText())") }
            done += n
        }
    }

    /// `fsync` of a folder (makes renames, creations and deletions in it durable).
    public static func syncFolder(_ folder: URL) throws {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFileError(path: folder.path, problem: "cannot open the folder to sync it: \(errorText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw AtomicFileError(path: folder.path, problem: "fsync of the folder failed: \(errorText())") }
    }

    /// Deletes a file if it exists and syncs its folder.
    public static func remove(_ url: URL) {
        if unlink(url.path) == 0 { try? syncFolder(url.deletingLastPathComponent()) }
    }

    /// The text of the current `errno`.
    public static func errorText() -> String { String(cString: strerror(errno)) }

    /// `fsync` of an already written file (by path).
    private static func flush(_ path: String, target: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFileError(path: target, problem: "cannot reopen the temporary file: \(errorText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw AtomicFileError(path: target, problem: "fsync failed: \(errorText())") }
    }
}
