import Foundation
import XCTest
@testable import TorchCheckpoint

/// Random corruptions of a whole checkpoint file (zip headers, pickle and storages alike) end in
/// values or a ``TorchCheckpointError``, never a trap or a hang.
final class ArchiveCorruptionTests: XCTestCase {
    func testRandomFileCorruptionsFailCleanly() throws {
        let originals = try ["float32.ckpt", "zip64.ckpt"].map { try Array(Data(contentsOf: TorchFixtures.url($0))) }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("torchcheckpoint-corruption-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var generator = SplitMix64(seed: 6)
        for round in 0..<600 {
            var mutated = originals[round % 4 < 2 ? 0 : 1]
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = round % 2 == 0 ? Int.random(in: 0..<mutated.count, using: &generator)
                    : Int.random(in: (mutated.count - 500)..<mutated.count, using: &generator)
                mutated[index] = UInt8.random(in: 0...255, using: &generator)
            }
            let url = directory.appendingPathComponent("round-\(round).ckpt")
            try Data(mutated).write(to: url)
            do {
                let file = try TorchCheckpointFile(url: url)
                for name in file.names {
                    do {
                        _ = try file.bytes(name)
                    } catch is TorchCheckpointError {
                        continue
                    }
                }
            } catch is TorchCheckpointError {
                continue
            }
        }
    }
}
