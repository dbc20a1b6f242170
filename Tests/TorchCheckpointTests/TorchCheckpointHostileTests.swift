import Foundation
import XCTest
@testable import TorchCheckpoint

/// Malicious, damaged and malformed checkpoints: each refused with its own error naming the file,
/// and nothing in them ever runs.
final class TorchCheckpointHostileTests: XCTestCase {
    // Paths the payloads in evil_*.ckpt would create (see Fixtures/make_fixtures.py).
    let systemMarker = "/tmp/membrane-torchcheckpoint-marker-system"
    let evalMarker = "/tmp/membrane-torchcheckpoint-marker-eval"

    func testOsSystemPayloadIsRefusedByNameAndNeverRuns() throws {
        try? FileManager.default.removeItem(atPath: systemMarker)
        assertRefused("evil_system.ckpt", .forbiddenGlobal, mentions: ["'posix.system'", "data.pkl at byte 20"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: systemMarker))
    }

    func testBuiltinsEvalPayloadInTheStateDictIsRefusedByNameAndNeverRuns() throws {
        try? FileManager.default.removeItem(atPath: evalMarker)
        assertRefused("evil_eval.ckpt", .forbiddenGlobal, mentions: ["'builtins.eval'"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: evalMarker))
    }

    func testInstOpcodeIsRefused() {
        assertRefused("inst_opcode.ckpt", .unsupportedOpcode, mentions: ["INST"])
    }

    func testLegacyBarePickleIsRefusedWithConversionAdvice() {
        assertRefused("legacy.ckpt", .legacyFormat, mentions: ["legacy", "torch < 1.6", ".safetensors"])
    }

    func testTruncatedEmptyAndForeignFilesAreRefused() {
        assertRefused("truncated.ckpt", .invalidArchive, mentions: ["truncated"])
        assertRefused("empty.ckpt", .notZipArchive, mentions: ["empty"])
        assertRefused("not_zip.ckpt", .notZipArchive, mentions: ["zip archive", "0x47"])
        assertTorchError(.io, mentions: ["does-not-exist.ckpt"]) {
            try TorchFixtures.open("does-not-exist.ckpt")
        }
    }

    func testArchiveWithoutDataPickleIsRefused() {
        assertRefused("no_pickle.ckpt", .invalidArchive, mentions: ["data.pkl", "torch.save"])
    }

    func testCompressedEntriesAreRefused() {
        assertRefused("compressed.ckpt", .compressedEntry, mentions: ["is compressed", "torch.save stores every entry uncompressed"])
    }

    func testBigEndianCheckpointIsRefused() {
        assertRefused("big_endian.ckpt", .unsupportedByteOrder, mentions: ["'big'"])
    }

    func testZipBombDeclaredSizeIsRefusedBeforeReading() {
        assertRefused("declared_huge.ckpt", .entryTooLarge, mentions: ["archive/data.pkl", "4294967280"])
    }

    func testStorageShorterThanDeclaredIsRefused() {
        assertRefused("short_storage.ckpt", .storageMismatch, mentions: ["tensor 'w'", "storage '0'", "4 F32 elements (16 bytes)", "8 bytes"])
    }

    func testHugeDeclaredStorageIsRefusedWithoutAllocating() {
        assertRefused("huge_storage.ckpt", .storageMismatch, mentions: ["tensor 'w'", "1099511627776"])
    }

    func testTensorReachingPastItsStorageIsRefused() {
        assertRefused("past_storage.ckpt", .invalidTensor, mentions: ["tensor 'w'", "offset 2", "holds 4 elements"])
    }

    func testOverflowingShapeIsRefused() {
        assertRefused("shape_overflow.ckpt", .invalidTensor, mentions: ["tensor 'w'", "overflows"])
    }

    func testStorageKeyWithPathCharactersIsRefused() {
        assertRefused("bad_key.ckpt", .invalidTensor, mentions: ["storage key"])
    }

    func testDeepNestingHitsTheLimits() {
        assertRefused("deep_lists.ckpt", .limitExceeded, mentions: ["nest more than 100"])
        assertRefused("deep_tuples.ckpt", .limitExceeded, mentions: ["nest more than 100"])
        assertRefused("deep_marks.ckpt", .limitExceeded, mentions: ["10000 nested MARKs"])
    }

    func testSelfContainingListIsRefused() {
        assertRefused("cycle.ckpt", .malformedPickle, mentions: ["contain itself"])
    }

    func testPickleCutMidStringIsRefused() {
        assertRefused("cut_pickle.ckpt", .malformedPickle, mentions: ["runs past the end"])
    }

    func testNonDictTopLevelIsRefused() {
        assertRefused("list_root.ckpt", .noStateDict, mentions: ["list"])
    }

    func testDamagedStorageFailsItsChecksumWhenRead() throws {
        let file = try TorchFixtures.open("bad_crc.ckpt")
        assertTorchError(.corruptEntry, mentions: ["bad_crc.ckpt", "tensor 'weight'", "CRC-32"]) { try file.floats("weight") }
        XCTAssertEqual(try file.floats("bias"), [1.5, -2.25])
    }

    func testMemoAndStackLimitsApply() {
        assertRefused("float32.ckpt", .limitExceeded, mentions: ["memo grows past 3"],
                      limits: TorchCheckpointLimits(maxMemoEntries: 3))
        assertRefused("float32.ckpt", .limitExceeded, mentions: ["stack grows past 4"],
                      limits: TorchCheckpointLimits(maxStackDepth: 4))
        assertRefused("float32.ckpt", .entryTooLarge, mentions: ["limit of 16"],
                      limits: TorchCheckpointLimits(maxPickleBytes: 16))
    }

    func testStorageLimitApplies() {
        assertRefused("float32.ckpt", .entryTooLarge, mentions: ["limit of 4"],
                      limits: TorchCheckpointLimits(maxStorageBytes: 4))
    }
}
