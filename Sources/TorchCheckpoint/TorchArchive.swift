import Foundation
import SafeTensors

/// The zip archive inside a `.ckpt`, memory-mapped: its PyTorch layout (`<folder>/data.pkl`,
/// `<folder>/data/<key>`, `<folder>/byteorder`, ...) and checked, checksummed views of its entries.
///
/// Only stored (uncompressed) entries are read, as torch.save writes every entry, so no entry
/// can inflate beyond the file.
final class TorchArchive: @unchecked Sendable {
    let path: String
    let limits: TorchCheckpointLimits
    /// Size of the checkpoint file in bytes.
    let fileSize: Int
    /// The folder all entries sit in (torch names it after the saved file, or `archive`).
    let folder: String

    private let file: MappedFile
    private let directory: ZipDirectory
    private let lock = NSLock()
    /// Entries whose CRC-32 has been checked.
    private var verified: Set<String> = []

    /// Maps `url`, refusing anything that is not a zip archive in the PyTorch layout.
    convenience init(url: URL, path: String, limits: TorchCheckpointLimits) throws {
        let file: MappedFile
        do { file = try MappedFile(path: url.path) } catch { throw TorchCheckpointError(.io, path: path, "\(error)") }
        try self.init(file: file, path: path, limits: limits)
    }

    /// Reads the archive in `file`, refusing anything that is not a zip archive in the PyTorch layout.
    init(file: MappedFile, path: String, limits: TorchCheckpointLimits) throws {
        self.path = path
        self.limits = limits
        self.file = file
        fileSize = file.count
        try TorchFileSignature.check(Array(file.bytes.prefix(4)), path: path)
        do {
            directory = try ZipDirectory(file.bytes)
        } catch let malformed as ZipDirectory.Malformed {
            throw TorchCheckpointError(.invalidArchive, path: path, "not a readable zip archive: \(malformed.problem)")
        }
        let pickles = directory.entries.keys.filter { name in
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl" && !parts[0].isEmpty
        }
        guard pickles.count == 1, let pickle = pickles.first else {
            let found = pickles.isEmpty ? "no <folder>/data.pkl entry" : "\(pickles.count) data.pkl entries"
            throw TorchCheckpointError(.invalidArchive, path: path, "the zip archive has \(found), so it is not a checkpoint written by torch.save")
        }
        folder = String(pickle.dropLast("/data.pkl".count))
        try checkByteOrder()
    }

    /// The entry `<folder>/<name>`, if present.
    func entry(_ name: String) -> ZipEntry? {
        directory.entries["\(folder)/\(name)"]
    }

    /// A copy of `data.pkl`.
    func pickleBytes() throws -> [UInt8] {
        Array(try data("data.pkl", maxBytes: limits.maxPickleBytes))
    }

    /// The bytes of entry `<folder>/<name>`, straight from the mapping (valid while `self` is
    /// alive), after checking its sizes against `maxBytes` and the file and its CRC-32.
    func data(_ name: String, maxBytes: Int, tensor: String? = nil) throws -> UnsafeRawBufferPointer {
        guard let entry = entry(name) else {
            throw TorchCheckpointError(.invalidArchive, path: path, tensor: tensor, "the zip archive has no entry \(folder)/\(name)")
        }
        _ = try checkedSize(of: entry, maxBytes: maxBytes, tensor: tensor)
        let bytes: UnsafeRawBufferPointer
        do {
            bytes = try directory.data(of: entry, in: file.bytes)
        } catch let malformed as ZipDirectory.Malformed {
            throw TorchCheckpointError(.corruptEntry, path: path, tensor: tensor, malformed.problem)
        }
        lock.lock()
        let known = verified.contains(entry.name)
        lock.unlock()
        if !known {
            guard CRC32.checksum(bytes) == entry.crc32 else {
                throw TorchCheckpointError(.corruptEntry, path: path, tensor: tensor, "entry \(entry.name) fails its CRC-32 check; the file is damaged")
            }
            lock.lock()
            verified.insert(entry.name)
            lock.unlock()
        }
        return bytes
    }

    /// The size of `entry`, checked before anything is read: it must be stored uncompressed and
    /// unencrypted, occupy as many bytes as it declares, and fit in both `maxBytes` and the file.
    func checkedSize(of entry: ZipEntry, maxBytes: Int, tensor: String? = nil) throws -> Int {
        let size = entry.uncompressedSize
        guard entry.method == 0 else {
            throw TorchCheckpointError(.compressedEntry, path: path, tensor: tensor, "entry \(entry.name) is compressed (method \(entry.method)); torch.save stores every entry uncompressed, and compressed entries are refused so no entry can inflate beyond the file (re-save the checkpoint with torch.save, or convert it to .safetensors)")
        }
        guard !entry.isEncrypted else {
            throw TorchCheckpointError(.invalidArchive, path: path, tensor: tensor, "entry \(entry.name) is encrypted")
        }
        guard size == entry.compressedSize else {
            throw TorchCheckpointError(.corruptEntry, path: path, tensor: tensor, "entry \(entry.name) is stored uncompressed but declares \(size) bytes and occupies \(entry.compressedSize)")
        }
        guard size <= UInt64(fileSize) else {
            throw TorchCheckpointError(.entryTooLarge, path: path, tensor: tensor, "entry \(entry.name) declares \(size) bytes, more than the whole \(fileSize)-byte file")
        }
        guard size <= UInt64(maxBytes) else {
            throw TorchCheckpointError(.entryTooLarge, path: path, tensor: tensor, "entry \(entry.name) declares \(size) bytes, more than the limit of \(maxBytes)")
        }
        return Int(size)
    }

    /// Refuses archives that declare big-endian data.
    private func checkByteOrder() throws {
        guard entry("byteorder") != nil else { return }
        let bytes = try data("byteorder", maxBytes: 64)
        let order = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard order == "little" else {
            throw TorchCheckpointError(.unsupportedByteOrder, path: path, "the checkpoint stores '\(order)'-endian data; only little-endian checkpoints are read")
        }
    }
}
