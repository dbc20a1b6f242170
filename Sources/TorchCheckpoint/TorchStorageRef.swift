import SafeTensors

/// A storage named by a persistent id `('storage', torch.<Type>Storage, key, location, numel)`:
/// its bytes are the archive entry `<prefix>/data/<key>`.
struct TorchStorageRef: Equatable {
    /// The entry name under `data/`.
    let key: String
    /// Element type, from the storage class.
    let dtype: SafeTensorsDType
    /// Number of elements the storage declares.
    let count: Int

    /// Declared size in bytes, or `nil` if it overflows.
    var byteCount: Int? {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : bytes
    }

    /// Whether `key` is a plain storage key (torch writes decimal numbers; letters, digits and
    /// `_` are accepted), so it can never address anything outside `data/`.
    static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 64 && key.unicodeScalars.allSatisfy { scalar in
            (scalar.value < 128) && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_")
        }
    }
}

/// A tensor as a view of a storage: its element offset, shape and strides (in elements).
struct TorchTensorRecord: Equatable {
    let storage: TorchStorageRef
    let offset: Int
    let shape: [Int]
    let stride: [Int]
}
