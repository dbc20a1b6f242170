/// A pickle interpreter that only builds data.
///
/// It runs the opcodes of a `data.pkl` over a value stack, a mark stack and a memo, as Python's
/// unpickler does, but a global is only ever a name from ``PickleGlobal``'s allow-list and
/// REDUCE, BUILD and NEWOBJ apply fixed data-building rules to those names. A global outside the
/// allow-list stops the run the moment it is read. Every size, count and depth is bounded by
/// ``TorchCheckpointLimits`` or by the bytes actually present, so no input can make it trap, hang
/// or allocate without bound.
struct PickleMachine {
    /// The checkpoint, for error messages.
    let path: String
    /// The entry being interpreted, for error messages.
    let entryName: String
    let limits: TorchCheckpointLimits

    var reader: PickleByteReader
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [UInt64: PickleValue] = [:]
    /// Every storage seen, by key, to catch two persistent ids that disagree about one storage.
    var storages: [String: TorchStorageRef] = [:]
    /// Where the opcode being run starts.
    var opcodeOffset = 0

    init(bytes: [UInt8], path: String, entryName: String = "data.pkl", limits: TorchCheckpointLimits) {
        self.path = path
        self.entryName = entryName
        self.limits = limits
        reader = PickleByteReader(bytes)
    }

    /// Runs the pickle to its STOP opcode and returns the value it built.
    ///
    /// - Throws: ``TorchCheckpointError`` of kind `.forbiddenGlobal`, `.unsupportedOpcode`,
    ///   `.malformedPickle`, `.limitExceeded` or `.invalidTensor`.
    mutating func run() throws -> PickleValue {
        while true {
            opcodeOffset = reader.position
            guard let byte = try? reader.byte() else {
                throw failure(.malformedPickle, "the pickle ends without a STOP opcode")
            }
            guard let opcode = PickleOpcode(rawValue: byte) else {
                let name = PickleRefusedOpcode.names[byte].map { "\($0) " } ?? ""
                throw failure(.unsupportedOpcode, "unsupported pickle opcode \(name)0x\(String(byte, radix: 16)) (torch.save never writes it)")
            }
            if opcode == .stop {
                guard marks.isEmpty, stack.count == 1, let result = stack.last else {
                    throw failure(.malformedPickle, "STOP with \(stack.count) values and \(marks.count) open marks on the stack (expected exactly one value)")
                }
                return result
            }
            do {
                try execute(opcode)
            } catch let truncated as PickleByteReader.Truncated {
                throw failure(.malformedPickle, "opcode \(opcode) needs \(truncated.needed) more bytes than the pickle has")
            }
        }
    }

    // MARK: - Stack

    mutating func push(_ value: PickleValue) throws {
        guard stack.count < limits.maxStackDepth else {
            throw failure(.limitExceeded, "the stack grows past \(limits.maxStackDepth) values")
        }
        stack.append(value)
    }

    /// Removes and returns the top value, which must lie above the innermost mark.
    mutating func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else {
            throw failure(.malformedPickle, "an opcode needs a value but the stack is empty")
        }
        return value
    }

    /// The top value, which must lie above the innermost mark.
    func top() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else {
            throw failure(.malformedPickle, "an opcode needs a value but the stack is empty")
        }
        return value
    }

    /// Removes and returns the values above the innermost mark, and the mark.
    mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else {
            throw failure(.malformedPickle, "an opcode needs a MARK but none is open")
        }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func pushMark() throws {
        guard marks.count < limits.maxMarkDepth else {
            throw failure(.limitExceeded, "more than \(limits.maxMarkDepth) nested MARKs")
        }
        marks.append(stack.count)
    }

    // MARK: - Memo

    mutating func memoize(_ index: UInt64) throws {
        let value = try top()
        if memo[index] == nil, memo.count >= limits.maxMemoEntries {
            throw failure(.limitExceeded, "the memo grows past \(limits.maxMemoEntries) entries")
        }
        memo[index] = value
    }

    mutating func recall(_ index: UInt64) throws {
        guard let value = memo[index] else {
            throw failure(.malformedPickle, "memo entry \(index) is read before it is written")
        }
        try push(value)
    }

    // MARK: - Errors

    /// An error at the current opcode.
    func failure(_ kind: TorchCheckpointError.Kind, _ message: String) -> TorchCheckpointError {
        TorchCheckpointError(kind, path: path, "\(entryName) at byte \(opcodeOffset): \(message)")
    }
}
