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
/// The mapping is private and read-only: the process never writes through it. If another process
/// truncates the file while it is mapped, reads past the new end fault (a property of mmap that
/// no reader can guard against); files written by ``SafeTensorsWriter`` are replaced atomically
/// by rename, which leaves existing mappings intact. Shared by the safetensors and `.ckpt` readers.
public final class MappedFile: @unchecked Sendable {
    /// Why a file could not be mapped (the caller names the file in its own error type).
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Start of the mapping; `nil` only for an empty file.
    let base: UnsafeRawPointer?
    /// File size in bytes.
    public let count: Int
    /// Whether `base` was allocated by ``init(copying:)`` (freed, not unmapped).
    private let isCopy: Bool

    /// The mapped bytes.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: count)
    }

    /// Maps the regular file at `path`; throws ``Failure``.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw Failure(description: "cannot open: \(Self.lastError())")
        }
        defer { _ = close(fd) }

        var status = stat()
        if fstat(fd, &status) != 0 {
            throw Failure(description: "cannot stat: \(Self.lastError())")
        }
        let fileType = status.st_mode & mode_t(S_IFMT)
        if fileType != mode_t(S_IFREG) {
            throw Failure(description: "not a regular file")
        }
        let size = Int(status.st_size)
        if size == 0 {
            base = nil
            count = 0
            isCopy = false
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        let failed = UnsafeMutableRawPointer(bitPattern: -1)
        guard let mapped, mapped != failed else {
            throw Failure(description: "cannot map \(size) bytes: \(Self.lastError())")
        }
        base = UnsafeRawPointer(mapped)
        count = size
        isCopy = false
    }

    /// A private copy of `contents`, read exactly as a file holding these bytes would be.
    public init(copying contents: UnsafeRawBufferPointer) {
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

    /// The text of the current `errno`.
    static func lastError() -> String {
        let code = errno
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
