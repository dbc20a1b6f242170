/// An error from reading or writing safetensors files.
///
/// The ``description`` always names the file and, when one is involved, the tensor, e.g.
/// `unet/diffusion_pytorch_model.safetensors: tensor 'conv_in.weight': byte range 100..<900 lies
/// outside the 512-byte data section`.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, for callers and tests that want to tell cases apart.
    public enum Kind: String, Equatable, Sendable {
        /// The file could not be opened, mapped, read or written.
        case io
        /// The file is shorter than the 8-byte header length prefix.
        case truncated
        /// The header length is larger than the file or larger than the sanity limit.
        case headerLength
        /// The header is not valid UTF-8 JSON, or not a JSON object.
        case invalidJSON
        /// A header entry (or `__metadata__`) does not have the required structure.
        case invalidEntry
        /// A tensor declares a dtype that is not one of ``SafeTensorsDType``.
        case unknownDType
        /// A tensor shape is not a list of non-negative integers, or its element count overflows.
        case invalidShape
        /// A tensor's `data_offsets` are malformed, reversed, or outside the data section.
        case outOfBounds
        /// A tensor's byte count does not match its dtype and shape.
        case sizeMismatch
        /// Two tensors' byte ranges overlap.
        case overlap
        /// The tensors' byte ranges do not tile the data section exactly (a gap, or data left
        /// over or missing at the end: a wrong header length).
        case layout
        /// A tensor that was asked for does not exist.
        case missingTensor
        /// A tensor has a dtype the requested accessor cannot convert.
        case wrongDType
        /// A sharded checkpoint's index is malformed.
        case invalidIndex
        /// A shard named by an index (or the checkpoint itself) does not exist.
        case missingShard
        /// The index maps a tensor to a shard that does not contain it.
        case shardLacksTensor
        /// A writer was given inconsistent input (count vs shape, duplicate name, ...).
        case invalidInput
    }

    /// What went wrong.
    public let kind: Kind
    /// The file the error is about, as the caller named it.
    public let path: String
    /// The tensor the error is about, if any.
    public let tensor: String?
    /// Human-readable details (without the path and tensor prefix).
    public let message: String

    /// Creates an error; prefer the reader and writer's own throwing paths.
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
