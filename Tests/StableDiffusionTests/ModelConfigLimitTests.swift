import Foundation
import StableDiffusion
import TestSupport
import XCTest

/// Model folder configs with values out of range: each refused when the model loads, with the
/// file and the key named, before any weight is read (no trap, no huge allocation).
final class ModelConfigLimitTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-limits-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.modelA, to: scratch)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// Sets `key` to `value` in `file` (relative to the model folder).
    func edit(_ file: String, _ key: String, _ value: Any) throws {
        let url = scratch.appendingPathComponent(file)
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        object[key] = value
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    /// Loading the model fails naming `file` and every text of `mentions`, and fast (no weights read).
    func assertRefused(_ file: String, mentions: [String], line: UInt = #line) {
        let start = Date()
        XCTAssertThrowsError(try StableDiffusionModel(directory: scratch), line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(scratch.appendingPathComponent(file).path), "file not named: \(text)", line: line)
            for m in mentions { XCTAssertTrue(text.contains(m), "'\(m)' not in: \(text)", line: line) }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, line: line)
    }

    /// Runs each (key, value, mentions) case on a fresh copy of `file`.
    func check(_ file: String, _ cases: [(String, Any, [String])], line: UInt = #line) throws {
        let url = scratch.appendingPathComponent(file)
        let original = try Data(contentsOf: url)
        for (key, value, mentions) in cases {
            try edit(file, key, value)
            assertRefused(file, mentions: mentions, line: line)
            try original.write(to: url)
        }
        XCTAssertNoThrow(try StableDiffusionModel(directory: scratch), "the restored folder must load", line: line)
    }

    func testUNetConfigRanges() throws {
        try check("unet/config.json", [
            ("layers_per_block", -1, ["'layers_per_block' must be in 1...32, found -1"]),
            ("layers_per_block", 1_000_000_000_000, ["'layers_per_block' must be in 1...32"]),
            ("attention_head_dim", 0, ["'attention_head_dim' must be in 1...1024, found 0"]),
            ("attention_head_dim", 5, ["is not divisible by 'attention_head_dim' 5"]),
            ("norm_num_groups", 0, ["'norm_num_groups' must be in 1...1024, found 0"]),
            ("norm_num_groups", 3, ["block_out_channels[0] = 32 is not divisible by 'norm_num_groups' 3"]),
            ("block_out_channels", [32, -64, 64], ["'block_out_channels[1]' must be in 1...16384"]),
            ("cross_attention_dim", 0, ["'cross_attention_dim' must be in"]),
            ("sample_size", 1_000_000, ["'sample_size' must be in 1...1024"]),
            ("norm_eps", 0, ["'norm_eps' must be a finite number"]),
        ])
    }

    func testTextEncoderConfigRanges() throws {
        try check("text_encoder/config.json", [
            ("num_attention_heads", 0, ["'num_attention_heads' must be in 1...1024, found 0"]),
            ("num_attention_heads", 7, ["hidden_size = 64 is not divisible by 'num_attention_heads' 7"]),
            ("num_hidden_layers", -3, ["'num_hidden_layers' must be in 1...128"]),
            ("max_position_embeddings", 10, ["'max_position_embeddings' is 10", "77 tokens"]),
        ])
    }

    func testSchedulerConfigRanges() throws {
        try check("scheduler/scheduler_config.json", [
            ("num_train_timesteps", 0, ["'num_train_timesteps' must be in 2...100000, found 0"]),
            ("beta_start", 0.5, ["'beta_start' 0.5 must not exceed 'beta_end' 0.012", "reversed"]),
            ("beta_end", 1.5, ["'beta_end' must be in (0, 1), found 1.5"]),
            ("trained_betas", [Double](repeating: 2, count: 1000), ["'trained_betas[0]' must be in (0, 1), found 2"]),
        ])
    }

    func testVAEConfigRanges() throws {
        try check("vae/config.json", [
            ("scaling_factor", 0, ["'scaling_factor' must be a finite number in (0.0, 1000.0], found 0"]),
            ("layers_per_block", -1, ["'layers_per_block' must be in 1...32"]),
            ("norm_num_groups", 0, ["'norm_num_groups' must be in 1...1024"]),
        ])
    }

    /// Token ids the text encoder has no row for would be clamped to the last row: refused.
    func testTokenIDsBeyondTheEmbeddingRowsAreRefused() throws {
        let vocabulary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.appendingPathComponent("tokenizer/vocab.json"))) as? [String: Int])
        let rows = try XCTUnwrap(vocabulary.values.max())
        try edit("text_encoder/config.json", "vocab_size", rows)
        assertRefused("text_encoder/config.json", mentions: ["'vocab_size' is \(rows)", "vocab.json", "id \(rows)", "below vocab_size"])
    }

    func testEmptyMergesAreRefused() throws {
        try Data("#version: 0.2\n".utf8).write(to: scratch.appendingPathComponent("tokenizer/merges.txt"))
        assertRefused("tokenizer/merges.txt", mentions: ["no merge rules"])
    }
}
