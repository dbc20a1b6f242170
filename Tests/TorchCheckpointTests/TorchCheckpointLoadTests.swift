import Foundation
import SafeTensors
import XCTest
@testable import TorchCheckpoint

/// Checkpoints written by torch.save load with their exact values.
final class TorchCheckpointLoadTests: XCTestCase {
    func testFloat32ValuesAreExact() throws {
        let file = try TorchFixtures.open("float32.ckpt")
        XCTAssertEqual(file.names, ["bias", "empty", "position_ids", "scalar", "weight"])
        XCTAssertEqual(file.count, 5)
        let weight = try file.floats("weight")
        let expected: [Float] = [0.1, -2.5, 3.0, 1e-45, 3.4028235e38, -0.0]
        XCTAssertEqual(weight.map(\.bitPattern), expected.map(\.bitPattern))
        XCTAssertEqual(try file.floats("bias"), [1.5, -2.25])
        let info = try file.info("weight")
        XCTAssertEqual(info.dtype, .f32)
        XCTAssertEqual(info.shape, [2, 3])
        XCTAssertEqual(info.stride, [3, 1])
        XCTAssertEqual(info.count, 6)
        XCTAssertTrue(info.isContiguous)
    }

    func testScalarAndEmptyTensors() throws {
        let file = try TorchFixtures.open("float32.ckpt")
        XCTAssertEqual(try file.info("scalar").shape, [])
        XCTAssertEqual(try file.floats("scalar"), [3.25])
        XCTAssertEqual(try file.info("empty").shape, [0, 3])
        XCTAssertEqual(try file.floats("empty"), [])
    }

    func testInt64TensorReadsAsIntegersAndRefusesFloats() throws {
        let file = try TorchFixtures.open("float32.ckpt")
        XCTAssertEqual(try file.info("position_ids").dtype, .i64)
        XCTAssertEqual(try file.int64s("position_ids"), [0, 1, 2, 3, 4])
        assertTorchError(.wrongDType, mentions: ["position_ids", "I64"]) { try file.floats("position_ids") }
        assertTorchError(.wrongDType, mentions: ["weight", "F32"]) { try file.int64s("weight") }
    }

    func testFloat16WidensExactly() throws {
        let file = try TorchFixtures.open("float16.ckpt")
        XCTAssertEqual(try file.info("weight").dtype, .f16)
        let values = try file.floats("weight")
        let expected: [Float] = [1.0, -0.5, 65504.0, 0x1p-24, 0.0999755859375, -.infinity]
        XCTAssertEqual(values.map(\.bitPattern), expected.map(\.bitPattern))
        XCTAssertEqual(try file.bytes("weight").count, 12)
    }

    func testBFloat16WidensExactly() throws {
        let file = try TorchFixtures.open("bfloat16.ckpt")
        XCTAssertEqual(try file.info("weight").dtype, .bf16)
        XCTAssertEqual(try file.info("weight").shape, [2, 2])
        XCTAssertEqual(try file.floats("weight"), [1.5, -0.15625, 256.0, 0x1p-10])
    }

    func testParametersAndTensorsThatRequireGradLoad() throws {
        let file = try TorchFixtures.open("parameter.ckpt")
        XCTAssertEqual(try file.floats("p"), [0.5, -1.0])
        XCTAssertEqual(try file.floats("g"), [2.0])
    }

    func testProtocol4CheckpointLoads() throws {
        let file = try TorchFixtures.open("protocol4.ckpt")
        XCTAssertEqual(try file.floats("bias"), [1.5, -2.25])
    }

    func testLightningCheckpointExposesItsStateDictAndScalars() throws {
        let file = try TorchFixtures.open("lightning.ckpt")
        XCTAssertEqual(file.names, [
            "cond_stage_model.transformer.text_model.embeddings.position_ids",
            "diffusion_model.bias", "diffusion_model.weight",
        ])
        XCTAssertEqual(try file.floats("diffusion_model.weight"), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try file.info("diffusion_model.weight").shape, [2, 3])
        XCTAssertEqual(try file.floats("diffusion_model.bias"), [0.25, -0.75])
        XCTAssertEqual(try file.int64s("cond_stage_model.transformer.text_model.embeddings.position_ids"), [0, 1, 2, 3])
        XCTAssertEqual(file.metadata["global_step"], "470000")
        XCTAssertEqual(file.metadata["epoch"], "3")
        XCTAssertEqual(file.metadata["pytorch-lightning_version"], "1.4.2")
        XCTAssertNil(file.metadata["state_dict"])
    }

    func testViewsAtOffsetsAndSharedStoragesReadTheirOwnElements() throws {
        let file = try TorchFixtures.open("views.ckpt")
        XCTAssertEqual(try file.floats("offset"), [3, 4, 5, 6])
        XCTAssertEqual(try file.info("offset").storageOffset, 3)
        XCTAssertEqual(try file.floats("shared_a"), [0, 1])
        XCTAssertEqual(try file.floats("shared_b"), [8, 9])
        XCTAssertEqual(try file.info("shared_a").storageKey, try file.info("shared_b").storageKey)
        XCTAssertEqual(try file.floats("row"), [3, 4, 5])
    }

    func testNestedDictsInsideTheStateDictAreFlattened() throws {
        let file = try TorchFixtures.open("views.ckpt")
        XCTAssertTrue(file.contains("block.inner.weight"))
        XCTAssertEqual(try file.floats("block.inner.weight"), [7, 8])
        XCTAssertEqual(file.nonTensorEntries, ["note"])
        XCTAssertFalse(file.contains("note"))
    }

    func testTransposedViewIsRefusedAsNonContiguous() throws {
        let file = try TorchFixtures.open("views.ckpt")
        let info = try file.info("transposed")
        XCTAssertEqual(info.shape, [3, 2])
        XCTAssertEqual(info.stride, [1, 3])
        XCTAssertFalse(info.isContiguous)
        assertTorchError(.nonContiguous, mentions: ["views.ckpt", "transposed", "[1, 3]"]) { try file.floats("transposed") }
    }

    func testMissingTensorNamesTheTensor() throws {
        let file = try TorchFixtures.open("float32.ckpt")
        XCTAssertFalse(file.contains("nope"))
        assertTorchError(.missingTensor, mentions: ["float32.ckpt", "'nope'"]) { try file.info("nope") }
        assertTorchError(.missingTensor, mentions: ["nope"]) { try file.floats("nope") }
    }

    func testWithFloatBufferMatchesFloats() throws {
        let file = try TorchFixtures.open("bfloat16.ckpt")
        let copied = try file.withFloatBuffer("weight") { Array($0) }
        XCTAssertEqual(copied, try file.floats("weight"))
    }

    func testConcurrentReadsAgree() throws {
        let file = try TorchFixtures.open("float32.ckpt")
        let expected = try file.floats("bias")
        let failures = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            if (try? file.floats("bias")) != expected { failures.increment() }
        }
        XCTAssertEqual(failures.value, 0)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// Archive layouts torch writes for large files.
final class TorchCheckpointArchiveTests: XCTestCase {
    func testZip64ArchiveLoadsTheSameTensors() throws {
        let zip64 = try TorchFixtures.open("zip64.ckpt")
        let plain = try TorchFixtures.open("float32.ckpt")
        XCTAssertEqual(zip64.names, plain.names)
        for name in plain.names where try plain.info(name).dtype == .f32 {
            XCTAssertEqual(try zip64.floats(name).map(\.bitPattern), try plain.floats(name).map(\.bitPattern), name)
        }
        XCTAssertEqual(try zip64.int64s("position_ids"), [0, 1, 2, 3, 4])
    }

    func testZip64OffsetBeyondTheFileIsRefused() {
        assertRefused("zip64_bad_offset.ckpt", .corruptEntry, mentions: ["data.pkl", "18446744073709551615"])
    }

    func testCRC32MatchesKnownValues() {
        let text = Array("123456789".utf8)
        XCTAssertEqual(text.withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)
        XCTAssertEqual([UInt8]().withUnsafeBytes { CRC32.checksum($0) }, 0)
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var bytewise: UInt32 = 0xFFFF_FFFF
        for byte in long {
            bytewise ^= UInt32(byte)
            for _ in 0..<8 { bytewise = bytewise & 1 == 1 ? (bytewise >> 1) ^ 0xEDB8_8320 : bytewise >> 1 }
        }
        XCTAssertEqual(long.withUnsafeBytes { CRC32.checksum($0) }, ~bytewise)
    }

    /// A checkpoint in memory reads as the same file does; damage is refused the same way.
    func testBytesInMemoryAreCheckedAsAFileIs() throws {
        let bytes = try Data(contentsOf: TorchFixtures.url("float32.ckpt"))
        let fromDisk = try TorchFixtures.open("float32.ckpt")
        let fromMemory = try TorchCheckpointFile(contents: bytes, path: "memory.ckpt")
        XCTAssertEqual(fromMemory.names, fromDisk.names)
        for name in fromDisk.names {
            XCTAssertEqual(try fromMemory.bytes(name), try fromDisk.bytes(name))
        }
        let corrupt = try Data(contentsOf: TorchFixtures.url("bad_crc.ckpt"))
        assertTorchError(.corruptEntry, mentions: ["CRC-32"]) {
            let file = try TorchCheckpointFile(contents: corrupt, path: "memory.ckpt")
            for name in file.names { _ = try file.bytes(name) }
        }
        assertTorchError(.notZipArchive) { try TorchCheckpointFile(contents: Data(), path: "empty.ckpt") }
    }
}
