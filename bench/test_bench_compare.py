"""Tests of the pieces of `make bench-compare` that need neither PyTorch nor a build: which
processes run for which flags, what is read from their output, and the SD v1.5 configs both
sides build (`make scripts-test`)."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchrows  # noqa: E402
import membrane_runs  # noqa: E402
import sd15_pytorch  # noqa: E402


class InvocationTests(unittest.TestCase):
    def test_full_run_measures_each_sd15_row_in_its_own_process(self):
        self.assertEqual(membrane_runs.membrane_invocations(False, None),
                         [["--only", "kernels"], ["--only", "unet-small"], ["--only", "training"],
                          ["--only", "sd15-forward"], ["--only", "sd15-forward-backward"], ["--only", "sd15-spm"]])
        self.assertEqual(membrane_runs.pytorch_sd15_rows(False, None),
                         ["sd15-forward", "sd15-forward-backward", "sd15-spm"])

    def test_quick_skips_every_sd15_row_on_both_sides(self):
        for only in (None, "kernels", "unet", "training"):
            invocations = membrane_runs.membrane_invocations(True, only)
            self.assertFalse([i for i in invocations if i[-1].startswith("sd15")], (only, invocations))
            self.assertEqual(membrane_runs.pytorch_sd15_rows(True, only), [])
        self.assertEqual(membrane_runs.membrane_invocations(True, None),
                         [["--only", "kernels"], ["--only", "unet-small"], ["--only", "training"]])

    def test_only_keeps_the_groups_sd15_rows(self):
        self.assertEqual(membrane_runs.membrane_invocations(False, "unet"),
                         [["--only", "unet-small"], ["--only", "sd15-forward"], ["--only", "sd15-forward-backward"]])
        self.assertEqual(membrane_runs.pytorch_sd15_rows(False, "unet"), ["sd15-forward", "sd15-forward-backward"])
        self.assertEqual(membrane_runs.membrane_invocations(False, "training"),
                         [["--only", "training"], ["--only", "sd15-spm"]])
        self.assertEqual(membrane_runs.pytorch_sd15_rows(False, "training"), ["sd15-spm"])
        self.assertEqual(membrane_runs.membrane_invocations(False, "kernels"), [["--only", "kernels"]])
        self.assertEqual(membrane_runs.pytorch_sd15_rows(False, "kernels"), [])

    def test_sd15_row_names_match_membrane_bench(self):
        with open(os.path.join(benchrows.ROOT, "Sources", "MembraneBench", "SD15Bench.swift"), encoding="utf-8") as f:
            swift = f.read()
        for only, name in benchrows.SD15_ROWS.items():
            self.assertIn(f'"{only}"', swift)
            self.assertIn(f'"{name}"', swift)
        self.assertEqual(sorted(sd15_pytorch.ROWS), sorted(benchrows.SD15_ROWS))


class ParsingTests(unittest.TestCase):
    MEMBRANE_OUTPUT = """# Membrane benchmarks
## SD v1.5 scale, random weights (medians of 2)
benchmark                                   median      GFLOP/s   of sgemm  note
SD v1.5 UNet forward + backward 64x64, batch 1  12.34 s                         peak RSS 4.56 GB; membrane on 160 layers
SD v1.5 SPM iteration 256px                 950.00 ms                       peak RSS 5.00 GB; red.yaml at 256 px
"""

    def test_membrane_rows_and_peak_rss(self):
        rows, titles = membrane_runs.parse_membrane(self.MEMBRANE_OUTPUT)
        self.assertEqual(titles, ["SD v1.5 scale, random weights (medians of 2)"])
        seconds, note = rows["SD v1.5 UNet forward + backward 64x64, batch 1"]
        self.assertAlmostEqual(seconds, 12.34)
        self.assertEqual(membrane_runs.peak_rss_bytes(note), 4_560_000_000)
        self.assertAlmostEqual(rows["SD v1.5 SPM iteration 256px"][0], 0.95)
        self.assertIsNone(membrane_runs.peak_rss_bytes("no memory figure"))

    def test_pytorch_row_is_the_last_json_line(self):
        row = {"name": benchrows.SD15_SPM, "seconds": 2.5, "peak_rss_bytes": 123, "note": "n"}
        self.assertEqual(membrane_runs.parse_pytorch_row("log line\n" + json.dumps(row) + "\n"), row)

    def test_pytorch_row_errors_are_clear(self):
        with self.assertRaises(SystemExit) as raised:
            membrane_runs.parse_pytorch_row("only logs\n")
        self.assertIn("no JSON row", str(raised.exception))
        with self.assertRaises(SystemExit) as raised:
            membrane_runs.parse_pytorch_row('{"name": "x", "seconds": 1}\n')
        self.assertIn("peak_rss_bytes, note", str(raised.exception))


class ConfigTests(unittest.TestCase):
    def test_sd15_unet_config_is_read_from_membrane_bench(self):
        config = benchrows.sd15_unet_config()
        self.assertEqual(config["block_out_channels"], [320, 640, 1280, 1280])
        self.assertEqual(config["cross_attention_dim"], 768)
        self.assertFalse([k for k in config if k.startswith("_")])

    def test_tiny_overrides_match_membrane_bench(self):
        small = benchrows.sd15_unet_config(small=True)
        self.assertEqual(small["block_out_channels"], [32, 32, 32, 32])
        self.assertEqual(small["cross_attention_dim"], benchrows.sd15_text_encoder_config(small=True)["hidden_size"])
        with open(benchrows.SD15_MODELS_SWIFT, encoding="utf-8") as f:
            swift = f.read()
        self.assertIn('static var tinyUNet: [String: Any] { ["block_out_channels": [32, 32, 32, 32], "cross_attention_dim": 32] }',
                      swift)
        for key, value in benchrows.TINY_TEXT_ENCODER.items():
            self.assertIn(f'"{key}": {value}', swift)
        self.assertTrue(benchrows.tiny({benchrows.TINY_ENV: "1"}))
        self.assertFalse(benchrows.tiny({}))

    def test_missing_config_string_is_named(self):
        with self.assertRaises(SystemExit) as raised:
            benchrows.sd15_unet_config(source="no config here")
        self.assertIn("sd15UNetConfig", str(raised.exception))

    def test_full_text_encoder_is_vit_l(self):
        config = benchrows.sd15_text_encoder_config()
        self.assertEqual((config["hidden_size"], config["num_hidden_layers"], config["max_position_embeddings"]), (768, 12, 77))

    def test_trajectory_lengths_are_in_range(self):
        lengths = benchrows.membrane_trajectory_lengths(0, 30, 30)
        self.assertEqual(len(lengths), 30)
        self.assertTrue(all(1 <= t < 30 for t in lengths))


if __name__ == "__main__":
    unittest.main()
