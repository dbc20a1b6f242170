extension PickleMachine {
    /// Runs an opcode that names a global or applies one.
    mutating func executeObject(_ opcode: PickleOpcode) throws {
        switch opcode {
        case .global:
            let module = try globalPart(try reader.line(limit: 256))
            let name = try globalPart(try reader.line(limit: 256))
            try push(.global(try allowedGlobal(module: module, name: name)))
        case .stackGlobal:
            let name = try pop(), module = try pop()
            guard let nameString = name.stringValue, let moduleString = module.stringValue else {
                throw failure(.malformedPickle, "STACK_GLOBAL needs two strings, got \(module.kindName) and \(name.kindName)")
            }
            try push(.global(try allowedGlobal(module: moduleString, name: nameString)))
        case .reduce:
            let arguments = try pop(), callable = try pop()
            try push(try reduce(callable, arguments))
        case .newObj:
            let arguments = try pop(), type = try pop()
            try push(try instantiate(type, arguments))
        case .newObjEx:
            _ = try pop()
            let arguments = try pop(), type = try pop()
            try push(try instantiate(type, arguments))
        case .build:
            let state = try pop()
            let target = try top()
            switch target {
            case .dict, .object, .tensor: break  // attributes (e.g. a state dict's _metadata) are dropped
            default:
                throw failure(.malformedPickle, "BUILD on a \(target.kindName) with state \(state.kindName)")
            }
        case .binPersId:
            try push(.storage(try storageReference(try pop())))
        default:
            throw failure(.malformedPickle, "opcode \(opcode) is not an object opcode")
        }
    }

    /// The allow-listed global `module.name`, or a `.forbiddenGlobal` error naming it.
    func allowedGlobal(module: String, name: String) throws -> PickleGlobal {
        guard let global = PickleGlobal(module: module, name: name) else {
            throw failure(.forbiddenGlobal, "refused global '\(module).\(name)' (only tensors, storages and ordered dicts are rebuilt; nothing in a checkpoint is ever executed)")
        }
        return global
    }

    func globalPart(_ bytes: ArraySlice<UInt8>) throws -> String {
        guard let string = String(validatingUTF8Bytes: bytes) else {
            throw failure(.malformedPickle, "GLOBAL names a module or attribute that is not UTF-8")
        }
        return string
    }

    /// REDUCE: the data-building rule of an allowed global applied to an argument tuple.
    mutating func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let global) = callable else {
            throw failure(.malformedPickle, "REDUCE applies a \(callable.kindName), not an allowed global")
        }
        guard case .tuple(let tuple) = arguments else {
            throw failure(.malformedPickle, "REDUCE gives \(global.qualifiedName) a \(arguments.kindName), not an argument tuple")
        }
        let items = tuple.items
        switch global {
        case .orderedDict:
            return try orderedDict(items)
        case .rebuildTensorV2:
            guard items.count == 6 || items.count == 7 else { throw arity(global, items.count, "6 or 7") }
            return .tensor(try tensorRecord(items))
        case .rebuildTensor:
            guard items.count == 4 else { throw arity(global, items.count, "4") }
            return .tensor(try tensorRecord(items))
        case .rebuildParameter, .rebuildParameterWithState:
            let expected = global == .rebuildParameter ? 3 : 4
            guard items.count == expected else { throw arity(global, items.count, "\(expected)") }
            guard case .tensor = items[0] else {
                throw failure(.invalidTensor, "\(global.qualifiedName) wraps a \(items[0].kindName), not a tensor")
            }
            return items[0]
        case .storageType:
            throw failure(.malformedPickle, "\(global.qualifiedName) is applied with REDUCE; torch.save only names it in persistent ids")
        case .codecsEncode:
            return try encodedBytes(items)
        case .inert(let name):
            return .object(name)
        }
    }

    /// NEWOBJ: only ordered dicts and inert classes are instantiated.
    func instantiate(_ type: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .tuple = arguments else {
            throw failure(.malformedPickle, "NEWOBJ gives a \(arguments.kindName), not an argument tuple")
        }
        switch type {
        case .global(.orderedDict): return .dict(PickleDict())
        case .global(.inert(let name)): return .object(name)
        default: throw failure(.malformedPickle, "NEWOBJ instantiates a \(type.kindName), which is not a class it builds")
        }
    }

    /// `OrderedDict()` or `OrderedDict([(key, value), ...])`.
    func orderedDict(_ items: [PickleValue]) throws -> PickleValue {
        let dict = PickleDict()
        guard let pairs = items.first else { return .dict(dict) }
        guard items.count == 1, let sequence = pairs.sequenceItems else {
            throw failure(.malformedPickle, "collections.OrderedDict is given \(items.count) arguments, not one list of pairs")
        }
        for pair in sequence {
            guard let both = pair.sequenceItems, both.count == 2 else {
                throw failure(.malformedPickle, "collections.OrderedDict is given a \(pair.kindName), not a key/value pair")
            }
            try setPairs(both, in: dict)
        }
        return .dict(dict)
    }

    /// `_codecs.encode(text, encoding)`: how protocol 2 writes bytes (latin-1 or UTF-8 only).
    func encodedBytes(_ items: [PickleValue]) throws -> PickleValue {
        guard (1...2).contains(items.count), let text = items[0].stringValue else {
            throw failure(.malformedPickle, "_codecs.encode needs a string and an encoding name")
        }
        let encoding = items.count == 2 ? items[1].stringValue?.lowercased() : "utf-8"
        switch encoding {
        case "latin1", "latin-1", "iso-8859-1":
            var bytes: [UInt8] = []
            bytes.reserveCapacity(text.unicodeScalars.count)
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else {
                    throw failure(.malformedPickle, "_codecs.encode: a character beyond latin-1 cannot be encoded as latin-1")
                }
                bytes.append(UInt8(scalar.value))
            }
            return .bytes(bytes)
        case "utf-8", "utf8":
            return .bytes(Array(text.utf8))
        default:
            throw failure(.malformedPickle, "_codecs.encode with an encoding other than latin-1 or UTF-8")
        }
    }

    /// The storage a persistent id `('storage', torch.<Type>Storage, key, location, numel)` names.
    mutating func storageReference(_ id: PickleValue) throws -> TorchStorageRef {
        guard let items = id.sequenceItems, items.count == 5, items[0].stringValue == "storage" else {
            throw failure(.malformedPickle, "a persistent id that is a \(id.kindName), not ('storage', type, key, location, numel)")
        }
        guard case .global(.storageType(let dtype, _)) = items[1] else {
            throw failure(.invalidTensor, "a persistent id's storage type is a \(items[1].kindName), not a torch storage class")
        }
        guard let key = items[2].stringValue, TorchStorageRef.isValidKey(key) else {
            throw failure(.invalidTensor, "a persistent id's storage key is not a short name of letters, digits and '_'")
        }
        guard let count = items[4].intValue, count >= 0, count <= Int64(Int.max) else {
            throw failure(.invalidTensor, "storage '\(key)' declares an element count that is not a non-negative integer")
        }
        let storage = TorchStorageRef(key: key, dtype: dtype, count: Int(count))
        guard storage.byteCount != nil else {
            throw failure(.invalidTensor, "storage '\(key)' declares \(count) elements, more bytes than can be addressed")
        }
        if let earlier = storages[key], earlier != storage {
            throw failure(.invalidTensor, "storage '\(key)' is declared twice, as \(earlier.count) \(earlier.dtype.rawValue) and as \(storage.count) \(storage.dtype.rawValue) elements")
        }
        storages[key] = storage
        return storage
    }

    func arity(_ global: PickleGlobal, _ count: Int, _ expected: String) -> TorchCheckpointError {
        failure(.malformedPickle, "\(global.qualifiedName) is given \(count) arguments, expected \(expected)")
    }
}
