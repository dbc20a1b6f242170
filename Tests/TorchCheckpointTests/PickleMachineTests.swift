import XCTest
@testable import TorchCheckpoint

/// The restricted unpickler on hand-written opcode sequences, covering opcodes and refusals that
/// the torch.save fixtures do not reach.
final class PickleMachineTests: XCTestCase {
    private func run(_ bytes: [UInt8], limits: TorchCheckpointLimits = .standard) throws -> PickleValue {
        var machine = PickleMachine(bytes: [0x80, 0x02] + bytes, path: "test.ckpt", limits: limits)
        return try machine.run()
    }

    private func unicode(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        return [0x8C, UInt8(utf8.count)] + utf8
    }

    private func items(_ value: PickleValue) -> [PickleValue] {
        value.sequenceItems ?? []
    }

    func testIntegersOfEveryWidth() throws {
        // (BININT -2, BININT1 255, BININT2 65535, LONG1 -1 in one byte, LONG1 2^40, LONG1 of 9 bytes)
        let bytes: [UInt8] = [0x28,
                              0x4A, 0xFE, 0xFF, 0xFF, 0xFF,
                              0x4B, 0xFF,
                              0x4D, 0xFF, 0xFF,
                              0x8A, 0x01, 0xFF,
                              0x8A, 0x06, 0, 0, 0, 0, 0, 0x01,
                              0x8A, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                              0x74, 0x2E]
        let values = items(try run(bytes))
        XCTAssertEqual(values.prefix(5).map(\.intValue), [-2, 255, 65535, -1, 1 << 40])
        guard case .bigInt = values[5] else { return XCTFail("expected a big integer marker") }
    }

    func testBinFloatIsBigEndianDouble() throws {
        let value = try run([0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0x2E])
        guard case .float(let double) = value else { return XCTFail("expected a float") }
        XCTAssertEqual(double, 1.5)
    }

    func testMarkBasedListAndDictAndStackOpcodes() throws {
        // d = {}; d["a"] = [1, 2, 3] via LIST + APPENDS; DUP/POP leave the stack as it was.
        var bytes: [UInt8] = [0x7D]                                   // EMPTY_DICT
        bytes += [0x28] + unicode("a") + [0x28, 0x4B, 1, 0x4B, 2, 0x6C]  // MARK "a" MARK 1 2 LIST
        bytes += [0x28, 0x4B, 3, 0x65]                                 // MARK 3 APPENDS
        bytes += [0x32, 0x30]                                          // DUP POP
        bytes += [0x75]                                                // SETITEMS
        bytes += [0x28, 0x4B, 9, 0x31]                                 // MARK 9 POP_MARK
        bytes += [0x2E]
        guard case .dict(let dict) = try run(bytes) else { return XCTFail("expected a dict") }
        XCTAssertEqual(dict["a"].map(items)?.map(\.intValue), [1, 2, 3])
    }

    func testMemoizeAndGetShareOneValue() throws {
        // "x" MEMOIZE, then a tuple of the memo entry twice.
        let bytes = unicode("x") + [0x94, 0x30, 0x28, 0x68, 0, 0x6A, 0, 0, 0, 0, 0x74, 0x2E]
        XCTAssertEqual(items(try run(bytes)).map(\.stringValue), ["x", "x"])
    }

    func testCodecsEncodeBuildsLatin1Bytes() throws {
        let bytes: [UInt8] = [0x63] + Array("_codecs\nencode\n".utf8)
            + [0x58, 2, 0, 0, 0, 0xC3, 0xBF] + unicode("latin1") + [0x86, 0x52, 0x2E]
        guard case .bytes(let decoded) = try run(bytes) else { return XCTFail("expected bytes") }
        XCTAssertEqual(decoded, [0xFF])
    }

    func testFrameIsSkippedAndChecked() throws {
        XCTAssertNotNil(try run([0x95, 1, 0, 0, 0, 0, 0, 0, 0, 0x4E, 0x2E]))
        assertTorchError(.malformedPickle, mentions: ["frame"]) {
            try self.run([0x95, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0x4E, 0x2E])
        }
    }

    func testStackGlobalOutsideTheAllowListIsRefusedByName() {
        let bytes = unicode("subprocess") + unicode("Popen") + [0x93, 0x2E]
        assertTorchError(.forbiddenGlobal, mentions: ["test.ckpt", "'subprocess.Popen'"]) { try self.run(bytes) }
    }

    func testGlobalThatLooksAllowedButIsNotIsRefused() {
        let bytes: [UInt8] = [0x63] + Array("torch\nload\n".utf8) + [0x2E]
        assertTorchError(.forbiddenGlobal, mentions: ["'torch.load'"]) { try self.run(bytes) }
    }

    func testNewObjOnlyBuildsInertClassesAndDicts() throws {
        let inert: [UInt8] = [0x63] + Array("numpy\ndtype\n".utf8) + [0x29, 0x81, 0x2E]
        guard case .object(let name) = try run(inert) else { return XCTFail("expected an inert object") }
        XCTAssertEqual(name, "numpy.dtype")
        let tensor: [UInt8] = [0x63] + Array("torch._utils\n_rebuild_tensor_v2\n".utf8) + [0x29, 0x81, 0x2E]
        assertTorchError(.malformedPickle, mentions: ["NEWOBJ"]) { try self.run(tensor) }
    }

    func testReduceOnDataIsRefused() {
        assertTorchError(.malformedPickle, mentions: ["REDUCE applies a str"]) {
            try self.run(self.unicode("x") + [0x29, 0x52, 0x2E])
        }
    }

    func testBuildOnAListIsRefused() {
        assertTorchError(.malformedPickle, mentions: ["BUILD on a list"]) { try self.run([0x5D, 0x4E, 0x62, 0x2E]) }
    }

    func testExtendingAListAlreadyInsideAnotherIsRefused() {
        // outer = [inner]; then inner.append(1) through the memo.
        let bytes: [UInt8] = [0x5D, 0x5D, 0x71, 1, 0x61, 0x68, 1, 0x4B, 1, 0x61, 0x2E]
        assertTorchError(.malformedPickle, mentions: ["after being placed inside another container"]) { try self.run(bytes) }
    }

    func testMalformedPersistentIdsAreRefused() {
        assertTorchError(.malformedPickle, mentions: ["persistent id"]) { try self.run(self.unicode("x") + [0x51, 0x2E]) }
        var wrongType = [0x28] + unicode("storage")
        wrongType += [0x63] + Array("collections\nOrderedDict\n".utf8) + unicode("0") + unicode("cpu") + [0x4B, 1, 0x74, 0x51, 0x2E]
        assertTorchError(.invalidTensor, mentions: ["storage type"]) { try self.run(wrongType) }
    }

    func testOneStorageDeclaredWithTwoSizesIsRefused() {
        func id(_ count: UInt8) -> [UInt8] {
            [0x28] + unicode("storage") + [0x63] + Array("torch\nFloatStorage\n".utf8) + unicode("0") + unicode("cpu") + [0x4B, count, 0x74, 0x51]
        }
        assertTorchError(.invalidTensor, mentions: ["storage '0' is declared twice"]) { try self.run(id(4) + id(5) + [0x86, 0x2E]) }
    }

    func testStructuralErrorsAreMalformedPickles() {
        assertTorchError(.malformedPickle, mentions: ["read before it is written"]) { try self.run([0x68, 7, 0x2E]) }
        assertTorchError(.malformedPickle, mentions: ["without a STOP"]) { try self.run([0x4E]) }
        assertTorchError(.malformedPickle, mentions: ["exactly one value"]) { try self.run([0x4E, 0x4E, 0x2E]) }
        assertTorchError(.malformedPickle, mentions: ["stack is empty"]) { try self.run([0x61, 0x2E]) }
        assertTorchError(.malformedPickle, mentions: ["needs a MARK but none is open"]) { try self.run([0x74, 0x2E]) }
        assertTorchError(.malformedPickle, mentions: ["not valid UTF-8"]) { try self.run([0x8C, 1, 0xFF, 0x2E]) }
        assertTorchError(.malformedPickle, mentions: ["key/value pairs"]) { try self.run([0x7D, 0x28, 0x4E, 0x75, 0x2E]) }
        assertTorchError(.malformedPickle, mentions: ["APPEND to a dict"]) { try self.run([0x7D, 0x4E, 0x61, 0x2E]) }
    }

    func testUnknownAndRefusedOpcodesAreNamed() {
        assertTorchError(.unsupportedOpcode, mentions: ["0xff"]) { try self.run([0xFF]) }
        assertTorchError(.unsupportedOpcode, mentions: ["EXT1"]) { try self.run([0x82, 1, 0x2E]) }
        assertTorchError(.unsupportedOpcode, mentions: ["PERSID"]) { try self.run([0x50]) }
    }

    func testNestingLimitIsConfigurable() {
        let limits = TorchCheckpointLimits(maxNestingDepth: 2)
        XCTAssertNoThrow(try run([0x29, 0x85, 0x2E], limits: limits))
        assertTorchError(.limitExceeded, mentions: ["nest more than 2"]) { try self.run([0x29, 0x85, 0x85, 0x2E], limits: limits) }
    }
}
