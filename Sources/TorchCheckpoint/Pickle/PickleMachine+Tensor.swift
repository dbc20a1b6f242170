extension PickleMachine {
    /// The tensor described by the leading arguments of `_rebuild_tensor[_v2]`:
    /// (storage, storage_offset, size, stride, ...). Later arguments (requires_grad, backward
    /// hooks, metadata) do not affect the values and are ignored.
    func tensorRecord(_ items: [PickleValue]) throws -> TorchTensorRecord {
        guard case .storage(let storage) = items[0] else {
            throw failure(.invalidTensor, "a tensor is rebuilt from a \(items[0].kindName), not a storage")
        }
        guard let offset = items[1].intValue, offset >= 0, offset <= Int64(Int.max) else {
            throw failure(.invalidTensor, "a tensor on storage '\(storage.key)' has a storage offset that is not a non-negative integer")
        }
        let shape = try dimensions(items[2], what: "size", storage: storage)
        let stride = try dimensions(items[3], what: "stride", storage: storage)
        guard shape.count == stride.count else {
            throw failure(.invalidTensor, "a tensor on storage '\(storage.key)' has \(shape.count) sizes but \(stride.count) strides")
        }
        return TorchTensorRecord(storage: storage, offset: Int(offset), shape: shape, stride: stride)
    }

    /// A tuple (or list) of non-negative integers, at most `maxTensorRank` long.
    func dimensions(_ value: PickleValue, what: String, storage: TorchStorageRef) throws -> [Int] {
        guard let items = value.sequenceItems else {
            throw failure(.invalidTensor, "a tensor on storage '\(storage.key)' has a \(what) that is a \(value.kindName), not a tuple")
        }
        guard items.count <= limits.maxTensorRank else {
            throw failure(.invalidTensor, "a tensor on storage '\(storage.key)' has \(items.count) dimensions (limit \(limits.maxTensorRank))")
        }
        return try items.map { item in
            guard let int = item.intValue, int >= 0, int <= Int64(Int32.max) else {
                throw failure(.invalidTensor, "a tensor on storage '\(storage.key)' has a \(what) entry that is not an integer in 0...\(Int32.max)")
            }
            return Int(int)
        }
    }
}
