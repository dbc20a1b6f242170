#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole regular file mapped read-only into memory, or a private in-memory copy of bytes that
/// are not a file; unmapped or freed when released.
///
/// If another process truncates the file while it is mapped, reads past the new end fault (a
/// property of mmap that no reader can guard against).
final class TorchMappedFile: @unchecked Sendable {
    /// Start of the mapping; `nil` only for an empty file.
    private let base: UnsafeRawPointer?
    /// File size in bytes.
    let count: Int
    /// Whether `base` was allocated by ``init(copying:)`` (freed, not unmapped).
    private let isCopy: Bool

    /// The mapped bytes.
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: count)
    }

    /// Maps the file at `path`; errors are `.io` naming `displayPath`.
    init(path: String, displayPath: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw TorchCheckpointError(.io, path: displayPath, "cannot open: \(Self.lastError())")
        }
        defer { _ = close(fd) }
        var status = stat()
        if fstat(fd, &status) != 0 {
            throw TorchCheckpointError(.io, path: displayPath, "cannot stat: \(Self.lastError())")
        }
        guard status.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG) else {
            throw TorchCheckpointError(.io, path: displayPath, "not a regular file")
        }
        let size = Int(status.st_size)
        guard size > 0 else {
            base = nil
            count = 0
            isCopy = false
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw TorchCheckpointError(.io, path: displayPath, "cannot map \(size) bytes: \(Self.lastError())")
        }
        base = UnsafeRawPointer(mapped)
        count = size
        isCopy = false
    }

    /// A private copy of `contents`, read exactly as a file holding these bytes would be.
    init(copying contents: UnsafeRawBufferPointer) {
        count = contents.count
        isCopy = true
        guard let source = contents.baseAddress, contents.count > 0 else {
            base = nil
            return
        }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: contents.count, alignment: 16)
        copy.copyMemory(from: source, byteCount: contents.count)
        base = UnsafeRawPointer(copy)
    }

    deinit {
        guard let base else { return }
        if isCopy {
            base.deallocate()
        } else {
            _ = munmap(UnsafeMutableRawPointer(mutating: base), count)
        }
    }

    private static func lastError() -> String {
        let code = errno
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
