import Foundation
import SafeTensors

/// A PyTorch `.ckpt` (or `.pt`, `.pth`, `.bin`) written by `torch.save` in the zip format,
/// read without running anything in it.
///
/// Opening maps the file and reads `data.pkl` with a restricted unpickler that rebuilds only tensors, storages,
/// ordered dicts and plain data, and refuses every other global by name (``TorchCheckpointError``
/// `.forbiddenGlobal`) before anything else happens. It then checks every tensor of the state dict
/// against its storage entry (dtype, element count, offset, shape, strides), so accessors never
/// read outside an entry. Tensor values are read from the mapping on demand.
///
/// ```swift
/// let file = try TorchCheckpointFile(url: ckptURL)
/// let weight = try file.floats("model.diffusion_model.conv_in.weight")  // [Float], widened from F16/BF16/F64
/// let shape = try file.info("model.diffusion_model.conv_in.weight").shape  // [320, 4, 3, 3]
/// ```
///
/// Instances are immutable and safe to share between threads.
public final class TorchCheckpointFile: @unchecked Sendable {
    /// Where the file was opened from.
    public let url: URL
    /// The path as used in error messages.
    public let path: String
    /// The checkpoint's top-level string, number and bool values as text (e.g. `global_step`).
    public let metadata: [String: String]
    /// Tensor names in the state dict, flattened with `.`, sorted.
    public let names: [String]
    /// Names of state-dict entries that are neither tensors nor dicts, sorted (not readable).
    public let nonTensorEntries: [String]
    /// The limits the file was opened with.
    public let limits: TorchCheckpointLimits

    let tensors: [String: TorchTensorInfo]
    let archive: TorchArchive

    /// Opens and validates the checkpoint at `url`.
    ///
    /// The tensors are those of the `state_dict` entry when the top level is a dict holding one
    /// (as Stable Diffusion and Lightning checkpoints do), else those of the top-level dict.
    ///
    /// - Throws: ``TorchCheckpointError`` if the file is not a zip checkpoint (`.legacyFormat` for
    ///   pre-1.6 bare pickles), names a global outside the allow-list, or is malformed anywhere.
    public convenience init(url: URL, limits: TorchCheckpointLimits = .standard) throws {
        try self.init(archive: try TorchArchive(url: url, path: url.path, limits: limits), url: url)
    }

    /// Validates a checkpoint held in memory (`contents` is copied), checked exactly as
    /// ``init(url:limits:)`` checks a file; `path` names it in errors and gives ``url``.
    ///
    /// - Throws: ``TorchCheckpointError`` as ``init(url:limits:)`` does.
    public convenience init(contents: Data, path: String, limits: TorchCheckpointLimits = .standard) throws {
        let file = contents.withUnsafeBytes { MappedFile(copying: $0) }
        try self.init(archive: try TorchArchive(file: file, path: path, limits: limits), url: URL(fileURLWithPath: path))
    }

    /// Reads the state dict of `archive` and checks every tensor against its storage.
    private init(archive: TorchArchive, url: URL) throws {
        self.url = url
        let path = archive.path
        self.path = path
        let limits = archive.limits
        self.limits = limits
        self.archive = archive
        var machine = PickleMachine(bytes: try archive.pickleBytes(), path: path, limits: limits)
        let stateDict = try TorchStateDict(root: try machine.run(), path: path, limits: limits)
        var tensors: [String: TorchTensorInfo] = [:]
        var storageBytes: [String: Int] = [:]
        for (name, record) in stateDict.tensors {
            tensors[name] = try TorchTensorInfo(name: name, record: record, path: path)
            if storageBytes[record.storage.key] == nil {
                storageBytes[record.storage.key] = try Self.checkStorage(record.storage, tensor: name, in: archive)
            }
        }
        let total = storageBytes.values.reduce(0) { $0.addingReportingOverflow($1).partialValue }
        guard total <= archive.fileSize else {
            throw TorchCheckpointError(.entryTooLarge, path: path, "the storages declare \(total) bytes together, more than the \(archive.fileSize)-byte file holds (overlapping entries, a zip bomb?)")
        }
        self.tensors = tensors
        names = tensors.keys.sorted()
        nonTensorEntries = stateDict.skipped.sorted()
        metadata = stateDict.metadata
    }

    /// Number of tensors in the state dict.
    public var count: Int { tensors.count }

    /// Whether the state dict holds a tensor called `name`.
    public func contains(_ name: String) -> Bool {
        tensors[name] != nil
    }

    /// Dtype, shape and storage layout of tensor `name`.
    ///
    /// - Throws: ``TorchCheckpointError`` of kind `.missingTensor` if there is no such tensor.
    public func info(_ name: String) throws -> TorchTensorInfo {
        guard let info = tensors[name] else {
            throw TorchCheckpointError(.missingTensor, path: path, tensor: name, "no such tensor (the state dict has \(count) tensors)")
        }
        return info
    }

    /// The size in bytes of storage `storage`'s entry, which must hold exactly the elements the
    /// persistent id declares.
    static func checkStorage(_ storage: TorchStorageRef, tensor: String, in archive: TorchArchive) throws -> Int {
        let name = "data/\(storage.key)"
        guard let entry = archive.entry(name) else {
            throw TorchCheckpointError(.storageMismatch, path: archive.path, tensor: tensor, "its storage '\(storage.key)' has no entry \(archive.folder)/\(name) in the archive")
        }
        let size = try archive.checkedSize(of: entry, maxBytes: archive.limits.maxStorageBytes, tensor: tensor)
        guard size == storage.byteCount else {
            throw TorchCheckpointError(.storageMismatch, path: archive.path, tensor: tensor, "storage '\(storage.key)' declares \(storage.count) \(storage.dtype.rawValue) elements (\(storage.byteCount.map(String.init) ?? "too many") bytes) but its entry holds \(size) bytes")
        }
        return size
    }
}
