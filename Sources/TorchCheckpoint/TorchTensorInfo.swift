import SafeTensors

/// Name, dtype, shape and storage layout of one tensor in a PyTorch checkpoint.
public struct TorchTensorInfo: Equatable, Sendable {
    /// The tensor's flattened name in the state dict.
    public let name: String
    /// Element type, from the storage class (`torch.FloatStorage` is F32, and so on).
    public let dtype: SafeTensorsDType
    /// Dimensions, outermost first; `[]` for a scalar.
    public let shape: [Int]
    /// Elements to step over per index of each dimension.
    public let stride: [Int]
    /// Index of the tensor's first element in its storage.
    public let storageOffset: Int
    /// The storage's entry name under the archive's `data/` folder.
    public let storageKey: String

    /// Number of elements (product of ``shape``; 1 for a scalar).
    public var count: Int { shape.reduce(1, *) }

    /// Whether the elements lie row-major and back to back in the storage, so they can be read
    /// as one byte range (strides of dimensions of size 1 do not matter).
    public var isContiguous: Bool {
        if shape.contains(0) { return true }
        var expected = 1
        for (size, step) in zip(shape, stride).reversed() where size != 1 {
            if step != expected { return false }
            expected *= size
        }
        return true
    }

    /// The checked layout of `record` named `name`: the element count must not overflow and every
    /// element the view addresses must lie inside the storage.
    init(name: String, record: TorchTensorRecord, path: String) throws {
        self.name = name
        dtype = record.storage.dtype
        shape = record.shape
        stride = record.stride
        storageOffset = record.offset
        storageKey = record.storage.key
        let overflowing = TorchCheckpointError(.invalidTensor, path: path, tensor: name, "shape \(shape) with strides \(stride) overflows")
        guard Self.elementCount(shape) != nil else { throw overflowing }
        var lastIndex = record.offset
        for (size, step) in zip(shape, stride) where size > 0 {
            let span = (size - 1).multipliedReportingOverflow(by: step)
            let sum = lastIndex.addingReportingOverflow(span.partialValue)
            guard !span.overflow, !sum.overflow else { throw overflowing }
            lastIndex = sum.partialValue
        }
        let fits = shape.contains(0) ? record.offset <= record.storage.count : lastIndex < record.storage.count
        guard fits else {
            throw TorchCheckpointError(.invalidTensor, path: path, tensor: name, "shape \(shape) with strides \(stride) at offset \(record.offset) reaches element \(lastIndex), but storage '\(record.storage.key)' holds \(record.storage.count) elements")
        }
    }

    /// The product of `shape`, or `nil` if it overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            count = product
        }
        return count
    }
}
