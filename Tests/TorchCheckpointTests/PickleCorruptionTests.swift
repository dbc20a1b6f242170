import XCTest
@testable import TorchCheckpoint

/// Every truncation and many random corruptions of a real checkpoint's pickle end in a value or
/// a ``TorchCheckpointError``, never a trap or a hang.
final class PickleCorruptionTests: XCTestCase {
    private func realPickle() throws -> [UInt8] {
        let archive = try TorchArchive(url: TorchFixtures.url("lightning.ckpt"), path: "lightning.ckpt", limits: .standard)
        return try archive.pickleBytes()
    }

    /// Runs the interpreter and the state-dict collection; returns whether the bytes were accepted.
    private func interpret(_ bytes: [UInt8]) -> Bool {
        do {
            var machine = PickleMachine(bytes: bytes, path: "fuzz.ckpt", limits: .standard)
            let stateDict = try TorchStateDict(root: try machine.run(), path: "fuzz.ckpt", limits: .standard)
            for (name, record) in stateDict.tensors {
                _ = try TorchTensorInfo(name: name, record: record, path: "fuzz.ckpt")
            }
            return true
        } catch is TorchCheckpointError {
            return false
        } catch {
            XCTFail("unexpected error type: \(error)")
            return false
        }
    }

    func testEveryTruncationIsRefused() throws {
        let bytes = try realPickle()
        XCTAssertTrue(interpret(bytes))
        for length in 0..<(bytes.count - 1) {
            XCTAssertFalse(interpret(Array(bytes[..<length])), "truncated to \(length) bytes was accepted")
        }
    }

    func testRandomByteCorruptionsFailCleanly() throws {
        let bytes = try realPickle()
        var generator = SplitMix64(seed: 15)
        var accepted = 0
        for _ in 0..<3000 {
            var mutated = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<mutated.count, using: &generator)
                mutated[index] = UInt8.random(in: 0...255, using: &generator)
            }
            if interpret(mutated) { accepted += 1 }
        }
        // Some corruptions only change a value (an integer, a string); most break the structure.
        XCTAssertLessThan(accepted, 3000)
    }
}

/// A small seeded generator so the corruptions are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
