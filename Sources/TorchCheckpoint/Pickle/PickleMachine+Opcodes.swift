import Foundation

extension PickleMachine {
    /// Runs one opcode (STOP is handled by ``run()``).
    mutating func execute(_ opcode: PickleOpcode) throws {
        switch opcode {
        case .stop: break
        case .proto:
            let version = try reader.byte()
            guard version <= 5 else { throw failure(.malformedPickle, "unknown pickle protocol \(version)") }
        case .frame:
            let length = try reader.unsigned(width: 8)
            guard length <= UInt64(reader.remaining) else {
                throw failure(.malformedPickle, "a frame of \(length) bytes runs past the end of the pickle")
            }
        case .mark: try pushMark()
        case .pop:
            if stack.count > (marks.last ?? 0) { _ = try pop() } else { _ = try popMark() }
        case .popMark: _ = try popMark()
        case .dup: try push(try top())
        case .none: try push(.none)
        case .newTrue: try push(.bool(true))
        case .newFalse: try push(.bool(false))
        case .binInt: try push(.int(Int64(Int32(truncatingIfNeeded: try reader.unsigned(width: 4)))))
        case .binInt1: try push(.int(Int64(try reader.byte())))
        case .binInt2: try push(.int(Int64(try reader.unsigned(width: 2))))
        case .long1: try push(try long(length: Int(try reader.byte())))
        case .long4:
            let length = Int32(truncatingIfNeeded: try reader.unsigned(width: 4))
            guard length >= 0 else { throw failure(.malformedPickle, "LONG4 with negative length \(length)") }
            try push(try long(length: Int(length)))
        case .binFloat:
            let bits = try reader.take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            try push(.float(Double(bitPattern: bits)))
        case .binUnicode, .binString: try push(.string(try text(length: try length(width: 4))))
        case .shortBinUnicode, .shortBinString: try push(.string(try text(length: try length(width: 1))))
        case .binUnicode8: try push(.string(try text(length: try length(width: 8))))
        case .binBytes: try push(.bytes(Array(try reader.take(try length(width: 4)))))
        case .shortBinBytes: try push(.bytes(Array(try reader.take(try length(width: 1)))))
        case .binBytes8, .byteArray8: try push(.bytes(Array(try reader.take(try length(width: 8)))))
        case .binPut: try memoize(UInt64(try reader.byte()))
        case .longBinPut: try memoize(try reader.unsigned(width: 4))
        case .memoize: try memoize(UInt64(memo.count))
        case .binGet: try recall(UInt64(try reader.byte()))
        case .longBinGet: try recall(try reader.unsigned(width: 4))
        case .emptyTuple, .tuple, .tuple1, .tuple2, .tuple3, .emptyList, .list, .append, .appends,
             .emptyDict, .dict, .setItem, .setItems:
            try executeContainer(opcode)
        case .global, .stackGlobal, .reduce, .build, .newObj, .newObjEx, .binPersId:
            try executeObject(opcode)
        }
    }

    /// A length operand of `width` bytes, checked against the bytes left so a hostile length
    /// fails before anything is allocated.
    mutating func length(width: Int) throws -> Int {
        let raw = try reader.unsigned(width: width)
        guard raw <= UInt64(reader.remaining) else {
            throw failure(.malformedPickle, "a length of \(raw) bytes runs past the end of the pickle (\(reader.remaining) bytes left)")
        }
        return Int(raw)
    }

    /// UTF-8 text of `length` bytes.
    mutating func text(length: Int) throws -> String {
        let slice = try reader.take(length)
        guard let string = String(validatingUTF8Bytes: slice) else {
            throw failure(.malformedPickle, "a string of \(length) bytes is not valid UTF-8")
        }
        return string
    }

    /// A little-endian two's-complement integer of `length` bytes (LONG1, LONG4).
    mutating func long(length: Int) throws -> PickleValue {
        let slice = try reader.take(length)
        guard length > 0 else { return .int(0) }
        guard length <= 8 else { return .bigInt }
        var value: UInt64 = 0
        for (index, byte) in slice.enumerated() {
            value |= UInt64(byte) << (8 * UInt64(index))
        }
        if length < 8, let last = slice.last, last & 0x80 != 0 {
            value |= UInt64.max << (8 * UInt64(length))
        }
        return .int(Int64(bitPattern: value))
    }
}

extension String {
    /// The string whose UTF-8 encoding is `bytes`, or `nil` if they are not valid UTF-8.
    init?(validatingUTF8Bytes bytes: ArraySlice<UInt8>) {
        var decoded = ""
        var iterator = bytes.makeIterator()
        var codec = UTF8()
        loop: while true {
            switch codec.decode(&iterator) {
            case .scalarValue(let scalar): decoded.unicodeScalars.append(scalar)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = decoded
    }
}
