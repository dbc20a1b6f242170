/// A value rebuilt by the restricted unpickler: plain data, containers, and the few torch objects
/// it knows. Nothing here can run code; globals are names, never callables.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer wider than 64 bits, kept only as a marker (checkpoints carry none in tensors).
    case bigInt
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    /// A global from the allow-list, as pushed by GLOBAL or STACK_GLOBAL.
    case global(PickleGlobal)
    /// A storage reference from a persistent id.
    case storage(TorchStorageRef)
    /// A tensor rebuilt from `torch._utils._rebuild_tensor_v2` and friends.
    case tensor(TorchTensorRecord)
    /// An object of an inert allowed class (numpy scalars, Lightning callbacks), kept as its name.
    case object(String)

    /// How many containers deep this value reaches (0 for a scalar).
    var depth: Int {
        switch self {
        case .tuple(let tuple): return tuple.depth
        case .list(let list): return list.depth
        case .dict(let dict): return dict.depth
        default: return 0
        }
    }

    /// A short name of the value's kind for error messages (never its contents).
    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple(let tuple): return "tuple of \(tuple.items.count)"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let global): return "global \(global.qualifiedName)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .object(let name): return "\(name) object"
        }
    }

    /// The value as a 64-bit integer, if it is one.
    var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The value as a string, if it is one.
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements of a tuple or list, if the value is one.
    var sequenceItems: [PickleValue]? {
        switch self {
        case .tuple(let tuple): return tuple.items
        case .list(let list): return list.items
        default: return nil
        }
    }

    /// Marks a list or dict as placed inside another container, which freezes it.
    func markEnclosed() {
        switch self {
        case .list(let list): list.isEnclosed = true
        case .dict(let dict): dict.isEnclosed = true
        default: break
        }
    }

    /// Whether `self` and `other` are the same list or dict object.
    func isSameContainer(as other: PickleValue) -> Bool {
        switch (self, other) {
        case (.list(let a), .list(let b)): return a === b
        case (.dict(let a), .dict(let b)): return a === b
        default: return false
        }
    }
}

/// An immutable tuple; its depth is fixed when it is built.
final class PickleTuple {
    let items: [PickleValue]
    let depth: Int

    init(_ items: [PickleValue]) {
        self.items = items
        depth = 1 + (items.map(\.depth).max() ?? 0)
        for item in items { item.markEnclosed() }
    }
}

/// A mutable list. Once placed in another container it is frozen, so a depth computed on
/// insertion stays exact and no cycle can form.
final class PickleList {
    var items: [PickleValue] = []
    var depth = 1
    var isEnclosed = false
}

/// A mutable dict keeping insertion order (a later SETITEM with an equal string or integer key
/// replaces the earlier value, as in Python). Frozen once placed in another container.
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var stringIndex: [String: Int] = [:]
    private var intIndex: [Int64: Int] = [:]
    var depth = 1
    var isEnclosed = false

    /// Sets `key` to `value`.
    func set(_ key: PickleValue, _ value: PickleValue) {
        switch key {
        case .string(let string):
            if let index = stringIndex[string] { entries[index].value = value; return }
            stringIndex[string] = entries.count
        case .int(let int):
            if let index = intIndex[int] { entries[index].value = value; return }
            intIndex[int] = entries.count
        default:
            break
        }
        entries.append((key, value))
    }

    /// The value under string key `key`, if any.
    subscript(key: String) -> PickleValue? {
        guard let index = stringIndex[key] else { return nil }
        return entries[index].value
    }
}
