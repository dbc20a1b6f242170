/// An error from reading a PyTorch `.ckpt` checkpoint.
///
/// The ``description`` always names the file and, when one is involved, the tensor, e.g.
/// `model.ckpt: data.pkl at byte 212: refused global 'posix.system' (only tensors, storages and
/// ordered dicts are rebuilt; nothing in a checkpoint is ever executed)`.
public struct TorchCheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, for callers and tests that want to tell cases apart.
    public enum Kind: String, Equatable, Sendable {
        /// The file could not be opened or read.
        case io
        /// The file is not a zip archive at all.
        case notZipArchive
        /// The file is a pre-1.6 PyTorch pickle (not a zip archive), which is never unpickled.
        case legacyFormat
        /// The zip archive is malformed, truncated, or lacks the PyTorch layout.
        case invalidArchive
        /// A zip entry declares a size beyond the limits or beyond the file.
        case entryTooLarge
        /// A zip entry is compressed, which torch.save never does.
        case compressedEntry
        /// A zip entry's bytes do not match its declared size or checksum.
        case corruptEntry
        /// The archive stores big-endian data, which this reader does not convert.
        case unsupportedByteOrder
        /// `data.pkl` is not a well-formed pickle (truncated, bad operand, stack misuse, ...).
        case malformedPickle
        /// `data.pkl` uses a pickle opcode this reader does not interpret.
        case unsupportedOpcode
        /// `data.pkl` names a global that is not on the allow-list.
        case forbiddenGlobal
        /// `data.pkl` exceeds a structural limit (stack, memo, nesting, values visited).
        case limitExceeded
        /// The pickle holds no dictionary of tensors where a state dict is expected.
        case noStateDict
        /// A tensor's storage, offset, shape or stride is inconsistent.
        case invalidTensor
        /// A storage's declared element count does not match its archive entry.
        case storageMismatch
        /// A tensor that was asked for does not exist.
        case missingTensor
        /// A tensor has a dtype the requested accessor cannot convert.
        case wrongDType
        /// A tensor is a strided view whose elements are not laid out row-major in its storage.
        case nonContiguous
    }

    /// What went wrong.
    public let kind: Kind
    /// The checkpoint the error is about, as the caller named it.
    public let path: String
    /// The tensor the error is about, if any.
    public let tensor: String?
    /// Human-readable details (without the path and tensor prefix).
    public let message: String

    /// Creates an error; prefer the reader's own throwing paths.
    public init(_ kind: Kind, path: String, tensor: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.tensor = tensor
        self.message = message
    }

    /// `<path>: tensor '<name>': <message>`, or `<path>: <message>` when no tensor is involved.
    public var description: String {
        if let tensor {
            return "\(path): tensor '\(tensor)': \(message)"
        }
        return "\(path): \(message)"
    }
}
