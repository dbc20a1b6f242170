extension PickleMachine {
    /// Runs a tuple, list or dict opcode.
    mutating func executeContainer(_ opcode: PickleOpcode) throws {
        switch opcode {
        case .emptyTuple: try push(try tuple([]))
        case .tuple: try push(try tuple(try popMark()))
        case .tuple1, .tuple2, .tuple3:
            let count = Int(opcode.rawValue - PickleOpcode.tuple1.rawValue) + 1
            var items: [PickleValue] = []
            for _ in 0..<count { items.append(try pop()) }
            try push(try tuple(items.reversed()))
        case .emptyList: try push(.list(PickleList()))
        case .list:
            let items = try popMark()
            let list = PickleList()
            for item in items { try append(item, to: list) }
            try push(.list(list))
        case .append:
            let item = try pop()
            try append(item, to: try listOnTop())
        case .appends:
            let items = try popMark()
            let list = try listOnTop()
            for item in items { try append(item, to: list) }
        case .emptyDict: try push(.dict(PickleDict()))
        case .dict:
            let items = try popMark()
            let dict = PickleDict()
            try setPairs(items, in: dict)
            try push(.dict(dict))
        case .setItem:
            let value = try pop()
            let key = try pop()
            try setPairs([key, value], in: try dictOnTop())
        case .setItems:
            let items = try popMark()
            try setPairs(items, in: try dictOnTop())
        default:
            throw failure(.malformedPickle, "opcode \(opcode) is not a container opcode")
        }
    }

    /// A tuple of `items`, refused if it would nest deeper than the limit.
    func tuple(_ items: [PickleValue]) throws -> PickleValue {
        let tuple = PickleTuple(items)
        guard tuple.depth <= limits.maxNestingDepth else {
            throw failure(.limitExceeded, "containers nest more than \(limits.maxNestingDepth) deep")
        }
        return .tuple(tuple)
    }

    /// Appends `item` to `list`, keeping the rules that make depth exact and cycles impossible:
    /// only a list not yet inside another container may grow, and never by itself.
    func append(_ item: PickleValue, to list: PickleList) throws {
        guard !list.isEnclosed else {
            throw failure(.malformedPickle, "a list is extended after being placed inside another container (torch.save never does this)")
        }
        guard !item.isSameContainer(as: .list(list)) else {
            throw failure(.malformedPickle, "a list would contain itself")
        }
        let depth = try nestedDepth(of: item)
        item.markEnclosed()
        list.items.append(item)
        list.depth = max(list.depth, depth)
    }

    /// Sets the key/value pairs in `items` (alternating) on `dict`, under the same rules as
    /// ``append(_:to:)``.
    func setPairs(_ items: [PickleValue], in dict: PickleDict) throws {
        guard items.count % 2 == 0 else {
            throw failure(.malformedPickle, "a dict is given \(items.count) values, not key/value pairs")
        }
        guard !dict.isEnclosed else {
            throw failure(.malformedPickle, "a dict is extended after being placed inside another container (torch.save never does this)")
        }
        var index = 0
        while index < items.count {
            let key = items[index], value = items[index + 1]
            index += 2
            guard !key.isSameContainer(as: .dict(dict)), !value.isSameContainer(as: .dict(dict)) else {
                throw failure(.malformedPickle, "a dict would contain itself")
            }
            let depth = max(try nestedDepth(of: key), try nestedDepth(of: value))
            key.markEnclosed()
            value.markEnclosed()
            dict.set(key, value)
            dict.depth = max(dict.depth, depth)
        }
    }

    /// The depth a container reaches when it holds `item`, refused beyond the limit.
    func nestedDepth(of item: PickleValue) throws -> Int {
        let depth = item.depth + 1
        guard depth <= limits.maxNestingDepth else {
            throw failure(.limitExceeded, "containers nest more than \(limits.maxNestingDepth) deep")
        }
        return depth
    }

    func listOnTop() throws -> PickleList {
        let value = try top()
        guard case .list(let list) = value else {
            throw failure(.malformedPickle, "APPEND to a \(value.kindName), not a list")
        }
        return list
    }

    func dictOnTop() throws -> PickleDict {
        let value = try top()
        guard case .dict(let dict) = value else {
            throw failure(.malformedPickle, "SETITEM on a \(value.kindName), not a dict")
        }
        return dict
    }
}
