import Foundation
import ZIPFoundation

/// The zip archive inside a `.ckpt`: its PyTorch layout (`<folder>/data.pkl`, `<folder>/data/<key>`,
/// `<folder>/byteorder`, ...) and bounded, checksummed reads of its entries.
///
/// Reads are serialized by a lock, since the underlying archive shares one file position.
final class TorchArchive: @unchecked Sendable {
    let path: String
    let limits: TorchCheckpointLimits
    /// Size of the checkpoint file in bytes.
    let fileSize: Int
    /// The folder all entries sit in (torch names it after the saved file, or `archive`).
    let folder: String

    private let archive: Archive
    private let entries: [String: Entry]
    private let lock = NSLock()

    /// Opens `url`, refusing anything that is not a zip archive in the PyTorch layout.
    init(url: URL, path: String, limits: TorchCheckpointLimits) throws {
        self.path = path
        self.limits = limits
        let head: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            head = Array(try handle.read(upToCount: 4) ?? Data())
            fileSize = Int(try handle.seekToEnd())
        } catch {
            throw TorchCheckpointError(.io, path: path, "cannot read the file (\(error.localizedDescription))")
        }
        try TorchFileSignature.check(head, path: path)
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw TorchCheckpointError(.invalidArchive, path: path, "not a readable zip archive (\(error)); the file may be truncated or damaged")
        }
        var entries: [String: Entry] = [:]
        for entry in archive where entry.type == .file {
            entries[entry.path] = entry
        }
        self.entries = entries
        let pickles = entries.keys.filter { name in
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
    func entry(_ name: String) -> Entry? {
        entries["\(folder)/\(name)"]
    }

    /// The uncompressed `data.pkl`.
    func pickleBytes() throws -> [UInt8] {
        try read("data.pkl", maxBytes: limits.maxPickleBytes)
    }

    /// The uncompressed bytes of entry `<folder>/<name>`, which must declare at most `maxBytes`.
    ///
    /// Declared sizes are checked before anything is read, reading stops as soon as an entry
    /// yields more or fewer bytes than it declares, and the CRC-32 is verified.
    func read(_ name: String, maxBytes: Int, tensor: String? = nil) throws -> [UInt8] {
        guard let entry = entry(name) else {
            throw TorchCheckpointError(.invalidArchive, path: path, tensor: tensor, "the zip archive has no entry \(folder)/\(name)")
        }
        let declared = try checkedSize(of: entry, name: name, maxBytes: maxBytes, tensor: tensor)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(declared)
        let checksum: CRC32
        do {
            lock.lock()
            defer { lock.unlock() }
            checksum = try archive.extract(entry, bufferSize: 1 << 20) { chunk in
                guard chunk.count <= declared - bytes.count else { throw Overrun() }
                guard !chunk.isEmpty || bytes.count == declared else { throw EndOfFile() }
                bytes.append(contentsOf: chunk)
            }
        } catch is EndOfFile {
            throw TorchCheckpointError(.corruptEntry, path: path, tensor: tensor, "entry \(folder)/\(name) ends after \(bytes.count) of its declared \(declared) bytes; the file is truncated")
        } catch is Overrun {
            throw TorchCheckpointError(.corruptEntry, path: path, tensor: tensor, "entry \(folder)/\(name) yields more than its declared \(declared) bytes")
        } catch {
            throw TorchCheckpointError(.corruptEntry, path: path, tensor: tensor, "entry \(folder)/\(name) cannot be read (\(error)); the file may be truncated or damaged")
        }
        guard bytes.count == declared else {
            throw TorchCheckpointError(.corruptEntry, path: path, tensor: tensor, "entry \(folder)/\(name) holds \(bytes.count) bytes, not its declared \(declared)")
        }
        guard checksum == entry.checksum else {
            throw TorchCheckpointError(.corruptEntry, path: path, tensor: tensor, "entry \(folder)/\(name) fails its CRC-32 check; the file is damaged")
        }
        return bytes
    }

    /// The declared size of `entry`, checked before anything is read: the entry must be stored
    /// uncompressed (as torch.save writes every entry, which also rules out decompression bombs),
    /// occupy as many bytes as it declares, and fit in both `maxBytes` and the file.
    func checkedSize(of entry: Entry, name: String, maxBytes: Int, tensor: String? = nil) throws -> Int {
        let size = entry.uncompressedSize
        guard !entry.isCompressed else {
            throw TorchCheckpointError(.compressedEntry, path: path, tensor: tensor, "entry \(folder)/\(name) is compressed; torch.save stores every entry uncompressed, and compressed entries are refused so no entry can inflate beyond the file (re-save the checkpoint with torch.save, or convert it to .safetensors)")
        }
        guard size == entry.compressedSize else {
            throw TorchCheckpointError(.corruptEntry, path: path, tensor: tensor, "entry \(folder)/\(name) is stored uncompressed but declares \(size) bytes and occupies \(entry.compressedSize)")
        }
        guard size <= UInt64(fileSize) else {
            throw TorchCheckpointError(.entryTooLarge, path: path, tensor: tensor, "entry \(folder)/\(name) declares \(size) bytes, more than the whole \(fileSize)-byte file")
        }
        guard size <= UInt64(maxBytes) else {
            throw TorchCheckpointError(.entryTooLarge, path: path, tensor: tensor, "entry \(folder)/\(name) declares \(size) bytes, more than the limit of \(maxBytes)")
        }
        return Int(size)
    }

    /// Refuses archives that declare big-endian data.
    private func checkByteOrder() throws {
        guard entry("byteorder") != nil else { return }
        let bytes = try read("byteorder", maxBytes: 64)
        let order = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard order == "little" else {
            throw TorchCheckpointError(.unsupportedByteOrder, path: path, "the checkpoint stores '\(order)'-endian data; only little-endian checkpoints are read")
        }
    }

    private struct Overrun: Error {}
    private struct EndOfFile: Error {}
}
