/// Bounds that keep a hostile checkpoint from exhausting memory or time.
///
/// The defaults admit every Stable Diffusion checkpoint in circulation (a full-precision v1.x
/// file with EMA weights and optimizer state has a `data.pkl` of a few MiB and storages of at most
/// a few hundred MiB) while refusing files built to blow up a reader.
public struct TorchCheckpointLimits: Sendable, Equatable {
    /// Largest accepted uncompressed `data.pkl`.
    public var maxPickleBytes: Int
    /// Largest accepted uncompressed storage entry.
    public var maxStorageBytes: Int
    /// Most values the unpickler's stack may hold at once.
    public var maxStackDepth: Int
    /// Most open MARKs (nested tuple, list or dict literals being built).
    public var maxMarkDepth: Int
    /// Most memo entries.
    public var maxMemoEntries: Int
    /// Deepest nesting of containers (tuples, lists, dicts) inside one another.
    public var maxNestingDepth: Int
    /// Most values visited while collecting tensors out of the unpickled object.
    public var maxVisitedValues: Int
    /// Most dimensions of one tensor.
    public var maxTensorRank: Int

    /// Creates limits; every omitted argument takes its ``standard`` value.
    public init(maxPickleBytes: Int = 256 << 20, maxStorageBytes: Int = 8 << 30,
                maxStackDepth: Int = 1_000_000, maxMarkDepth: Int = 10_000,
                maxMemoEntries: Int = 4_000_000, maxNestingDepth: Int = 100,
                maxVisitedValues: Int = 10_000_000, maxTensorRank: Int = 32) {
        self.maxPickleBytes = maxPickleBytes
        self.maxStorageBytes = maxStorageBytes
        self.maxStackDepth = maxStackDepth
        self.maxMarkDepth = maxMarkDepth
        self.maxMemoEntries = maxMemoEntries
        self.maxNestingDepth = maxNestingDepth
        self.maxVisitedValues = maxVisitedValues
        self.maxTensorRank = maxTensorRank
    }

    /// The limits used when none are given.
    public static let standard = TorchCheckpointLimits()
}
