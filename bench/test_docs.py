"""Tests of the writers of docs/results.md (results.py) and docs/performance.md (compare_pytorch.py)
on small made-up inputs: `make scripts-test` (or python3 -m unittest discover -s bench -p 'test_*.py').
Standard library only; nothing is built, trained or timed, PyTorch is not imported."""

import json
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_pytorch  # noqa: E402
import docheader  # noqa: E402
import results  # noqa: E402


def accuracy(colour, shape, pictures):
    return {"both": min(colour, shape), "colour": colour, "pictures": pictures, "shape": shape}


def run(transport, after, colour_drop, shape_drop, mean_db, identical, pictures=25):
    return {
        "transport": transport, "seconds": 1.0,
        "all": accuracy(0.9, 0.9, 30),
        "targets": [{"concept": "red", "kind": "colour", "before": 1.0, "after": after, "pictures": 5}],
        "others": {
            "before": accuracy(0.92, 0.92, pictures), "after": accuracy(0.92, 0.88, pictures),
            "colourDropPoints": colour_drop, "shapeDropPoints": shape_drop,
            "pictures": pictures, "prompts": 25,
            "psnr": {"capDB": 100, "identicalPictures": identical, "meanDB": mean_db,
                     "minimumDB": 30.0, "pictures": pictures},
        },
    }


REPORT = {
    "settings": {"model": os.path.join(docheader.ROOT, "models", "shapesworld-a"),
                 "membranes": [{"path": "/tmp/red.safetensors", "targets": ["red"]}],
                 "targets": ["red"], "transports": ["fixed:1.0", "facilitated-reference", "facilitated"],
                 "seeds": 1, "firstSeed": 0, "steps": 5, "cfg": 5.0, "sampler": "ddim",
                 "prompts": ["a red circle"] * 30},
    "base": accuracy(0.9333333333333333, 0.9583333333333334, 30),
    "runs": [run("fixed:1.0", 0.0, 23.0, 4.000000000000004, 19.43, 0),
             run("facilitated-reference", 0.125, -0.0, 0.0, 41.2, 5),
             run("facilitated", 0.0, 0.0, 0.0, 100.0, 25)],
    "prompts": [],
    "timing": {"loadSeconds": 1.0, "baseSeconds": 2.0, "readingSeconds": 0.5, "totalSeconds": 12.5},
}


def others(colour_drop, shape_drop, pictures):
    return {"before": accuracy(0.92, 0.92, pictures), "after": accuracy(0.92, 0.88, pictures),
            "colourDropPoints": colour_drop, "shapeDropPoints": shape_drop, "pictures": pictures, "prompts": pictures,
            "psnr": {"capDB": 100, "identicalPictures": pictures, "meanDB": 100, "minimumDB": 100, "pictures": pictures}}


def synonym_run(transport, after, multipliers):
    """A run of a report with synonyms: target rates on synonym prompts, other synonym prompts, multipliers."""
    result = run(transport, 0.0, 1.0, 0.0, 30.0, 0)
    result["synonymTargets"] = [{"concept": "red", "kind": "colour", "before": 0.9, "after": after, "pictures": 10}]
    result["otherSynonyms"] = others(2.5, -0.0, 20)
    result["multiplierSummary"] = multipliers
    return result


SYNONYM_REPORT = dict(
    REPORT,
    settings=dict(REPORT["settings"], transports=["fixed:1.0", "facilitated"],
                  synonyms={"file": "/m/SYNONYMS.json", "words": {"red": ["w1", "w2"], "blue": ["w3"]},
                            "prompts": [f"a w{i} circle" for i in range(15)]}),
    synonymBase=accuracy(0.9, 0.85, 15),
    runs=[synonym_run("fixed:1.0", 0.0, {"targets": 1, "targetSynonyms": 1, "others": 1, "othersMaximum": 1}),
          synonym_run("facilitated", 0.9, {"targets": 1, "targetSynonyms": 0, "others": 0, "othersMaximum": 0})],
)
SYNONYM_REPORT["runs"][1]["synonymTargets"] = []
del SYNONYM_REPORT["runs"][1]["multiplierSummary"]["targetSynonyms"]


def write_membrane(path, iterations=5, extra=None):
    """A safetensors file with one tiny tensor and a membrane's metadata (which holds no timings)."""
    metadata = {"membrane.targets": '["red"]', "membrane.iterations": str(iterations),
                "membrane.seed": "0", "membrane.base_model": "shapesworld-a",
                "membrane.final_loss": "erase=0.02 anchoring=5e-05",
                "prompts": "red", "rank": "1", "alpha": "1.0", **(extra or {})}
    header = json.dumps({"__metadata__": metadata,
                         "x.alpha": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + struct.pack("<f", 1.0))


class ResultsPageTests(unittest.TestCase):
    def test_cells(self):
        self.assertEqual(results.percent(1.0), "100%")
        self.assertEqual(results.percent(0.9583333), "95.8%")
        self.assertEqual(results.percent(0.0), "0%")
        self.assertEqual(results.one_decimal(-0.0), "0.0")
        self.assertEqual(results.psnr_cell({"pictures": 100, "identicalPictures": 100, "meanDB": 100, "capDB": 100}),
                         "identical (100/100)")
        self.assertEqual(results.psnr_cell({"pictures": 100, "identicalPictures": 0, "meanDB": 19.44, "capDB": 100}),
                         "19.4 dB")
        self.assertEqual(results.transport_label("fixed:1.0"), "fixed:1.0 (plain LoRA)")
        self.assertEqual(results.multiplier_cell({"targets": 1, "targetSynonyms": 0.25, "others": 0.0}), "1.00 / 0.25 / 0.00")
        self.assertEqual(results.multiplier_cell({"targets": 1, "others": 0.5}), "1.00 / - / 0.50")

    def page(self, reports):
        """The page of `reports` ((label, report) pairs), written by results.main from files."""
        with tempfile.TemporaryDirectory() as folder:
            evaluations = []
            for index, (label, content) in enumerate(reports):
                report = os.path.join(folder, f"report-{index}.json")
                with open(report, "w", encoding="utf-8") as f:
                    json.dump(content, f)
                evaluations += ["--evaluation", f"{label}={report}"]
            membrane = os.path.join(folder, "red.safetensors")
            write_membrane(membrane)
            commands = os.path.join(folder, "commands.tsv")
            with open(commands, "w", encoding="utf-8") as f:
                f.write("2.7\tmembrane train --config configs/shapesworld/red.yaml --out red.safetensors\n")
                f.write("12.5\tmembrane evaluate --membrane red.safetensors --seeds 1 --out eval-red\n")
            doc = os.path.join(folder, "docs", "results.md")
            results.main(["--doc", doc, "--commands", commands, "--membrane", membrane, *evaluations,
                          "--note", "a note", "--overrides", "RESULTS_SEEDS=1", "--started", "2025-01-02 03:04 UTC"])
            with open(doc, encoding="utf-8") as f:
                return f.read()

    def test_page_end_to_end(self):
        text = self.page([("red", REPORT)])
        self.assertIn("- Date: 2025-01-02 03:04 UTC", text)
        self.assertIn("- CPU: ", text)
        self.assertIn("- Commit: ", text)
        self.assertIn("Reduced settings (RESULTS_SEEDS=1)", text)
        self.assertIn("membrane train --config configs/shapesworld/red.yaml --out red.safetensors  # 3 s", text)
        self.assertIn("| red | fixed:1.0 (plain LoRA) | red 100% -> 0% | 23.0 / 4.0 points (25 pictures) | 19.4 dB |", text)
        self.assertIn("| red | facilitated-reference (paper's rule) | red 100% -> 12.5% | 0.0 / 0.0 points (25 pictures)"
                      " | 41.2 dB (5/25 identical, counted as 100 dB) |", text)
        self.assertIn("| red | facilitated (default) | red 100% -> 0% | 0.0 / 0.0 points (25 pictures) | identical (25/25) |", text)
        self.assertIn("| red | `models/shapesworld-a` | `/tmp/red.safetensors` | 93.3% / 95.8% | 30 (30 prompts x 1 seeds) | 5, 5 | 12 s |", text)
        self.assertIn("| red | shapesworld-a | 5 | 0 | 2.7 s | 0.540 s | erase=0.02 anchoring=5e-05 |", text)
        self.assertIn("- a note", text)
        self.assertIn("| membrane | transport | target rate before -> after | other prompts: colour / shape drop"
                      " | PSNR of other prompts vs base |\n|---|---|---|---|---|\n", text)
        self.assertNotIn("synonym", text)
        self.assertNotIn("multiplier", text)

    def test_training_time_comes_from_the_train_command(self):
        with tempfile.TemporaryDirectory() as folder:
            membrane = os.path.join(folder, "out dir", "red.safetensors")
            os.makedirs(os.path.dirname(membrane))
            write_membrane(membrane, iterations=4)
            commands = [(8.0, "membrane evaluate --membrane 'out dir/red.safetensors'"),
                        (3.0, "membrane train --config c.yaml --out 'out dir/red.safetensors'")]
            self.assertEqual(results.train_seconds(membrane, commands), 3.0)
            self.assertIn("| 3.0 s | 0.750 s |", "\n".join(results.membrane_rows([membrane], commands)))
            # No train command: older files' own record, else unknown.
            self.assertIsNone(results.train_seconds(membrane, commands[:1]))
            write_membrane(membrane, iterations=4, extra={"membrane.train_seconds": "2.0"})
            self.assertEqual(results.train_seconds(membrane, []), 2.0)

    def test_page_with_synonyms_and_multipliers(self):
        text = self.page([("red", REPORT), ("red on synonyms", SYNONYM_REPORT)])
        self.assertIn("| PSNR of other prompts vs base | synonym target rate before -> after"
                      " | other synonym prompts: colour / shape drop | multiplier target / synonyms / others (mean) |\n"
                      "|---|---|---|---|---|---|---|---|\n", text)
        self.assertIn("| red | fixed:1.0 (plain LoRA) | red 100% -> 0% | 23.0 / 4.0 points (25 pictures) | 19.4 dB | - | - | - |",
                      text)
        self.assertIn("| red on synonyms | fixed:1.0 (plain LoRA) | red 100% -> 0% | 1.0 / 0.0 points (25 pictures) | 30.0 dB"
                      " | red 90% -> 0% | 2.5 / 0.0 points (20 pictures) | 1.00 / 1.00 / 1.00 |", text)
        self.assertIn("| red on synonyms | facilitated (default) | red 100% -> 0% | 1.0 / 0.0 points (25 pictures) | 30.0 dB"
                      " | no synonym of a target | 2.5 / 0.0 points (20 pictures) | 1.00 / - / 0.00 |", text)
        self.assertIn("- *synonym target rate*: ", text)
        self.assertIn("- *multiplier*: ", text)
        self.assertIn("| time | synonym prompts read as meant: colour / shape |\n|---|---|---|---|---|---|---|---|\n", text)
        self.assertIn("| 12 s | - |", text)
        self.assertIn("| 12 s | 90% / 85% (15 pictures, 15 prompts) |", text)


class PerformancePageTests(unittest.TestCase):
    def test_page(self):
        table = compare_pytorch.combined_rows(
            {"sgemm 2048^3": 0.260, "training iteration, red.yaml": 2.45,
             "SD v1.5 UNet forward + backward 64x64, batch 1": 20.0},
            {"sgemm 2048^3": (0.262, ""), "training iteration, red.yaml": (0.476, ""),
             "SD v1.5 UNet forward + backward 64x64, batch 1": (12.0, "peak RSS 4.50 GB"),
             "only in MembraneBench": (0.0123, "")},
            {"SD v1.5 UNet forward + backward 64x64, batch 1": (4_500_000_000, 5_120_000_000)})
        text = compare_pytorch.performance_page(
            "2025-01-02 03:04 UTC", ".venv/bin/python bench/compare_pytorch.py --runs 5",
            [".build/release/MembraneBench --runs 5 --model models/shapesworld-a"],
            "torch 2.x, diffusers 0.x", 5, ["kernels"], table,
            ["training iteration, red.yaml (reference loop): PyTorch: 132 adapted layers"], [],
            {"PyTorch start": "0.5", "Membrane start": "2.0", "end": "2.1"}, False)
        with tempfile.TemporaryDirectory() as folder:
            doc = os.path.join(folder, "docs", "performance.md")
            docheader.write_atomically(doc, text)
            with open(doc, encoding="utf-8") as f:
                self.assertEqual(f.read(), text)
            self.assertEqual(os.listdir(os.path.dirname(doc)), ["performance.md"])
        self.assertIn("- Date: 2025-01-02 03:04 UTC", text)
        self.assertIn("- CPU: ", text)
        self.assertIn(".venv/bin/python bench/compare_pytorch.py --runs 5\n", text)
        self.assertIn("# then: .build/release/MembraneBench --runs 5 --model models/shapesworld-a", text)
        self.assertIn("| benchmark | Membrane | PyTorch | Membrane/PyTorch | Membrane peak RSS | PyTorch peak RSS |\n"
                      "|---|---|---|---|---|---|\n", text)
        self.assertIn("| sgemm 2048^3 | 262.00 ms | 260.00 ms | 1.01 | - | - |", text)
        self.assertIn("| training iteration, red.yaml (reference loop) | 476.00 ms | 2.45 s | 0.19 | - | - |", text)
        self.assertIn("| SD v1.5 UNet forward + backward 64x64, batch 1 | 12.00 s | 20.00 s | 0.60 | 4.50 GB | 5.12 GB |",
                      text)
        self.assertIn("| only in MembraneBench | 12.30 ms | - | - | - | - |", text)
        self.assertIn("- 1-minute load average: PyTorch start 0.5, Membrane start 2.0, end 2.1", text)
        self.assertNotIn("busy", text)

    def test_shown_path(self):
        inside = os.path.join(compare_pytorch.ROOT, ".build", "release", "MembraneBench")
        self.assertEqual(compare_pytorch.shown_path(inside), os.path.join(".build", "release", "MembraneBench"))
        self.assertEqual(compare_pytorch.shown_path("--runs"), "--runs")
        self.assertEqual(compare_pytorch.shown_path("/usr/bin/python3"), "/usr/bin/python3")


if __name__ == "__main__":
    unittest.main()
