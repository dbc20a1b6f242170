"""`make bench-compare`: the work of MembraneBench timed in PyTorch on the CPU and MembraneBench
itself, group by group, and one table with both medians, the ratio Membrane / PyTorch and, for
the SD v1.5 rows, each side's peak RSS.

The PyTorch side mirrors Sources/MembraneBench/*.swift: float32, torch.set_num_threads(2),
torch.no_grad() (grad enabled only for the backward rows), one untimed warm-up call, then the
median of the same number of timed calls as MembraneBench makes (shapesworld-a UNet: 4 x runs,
SD v1.5 rows and the attention backward: max(1, runs // 2)). Kernels, the shapesworld-a UNet and
the training row run here (pytorch_kernels.py, pytorch_training.py); each SD v1.5 row runs in a
process of its own on each side (sd15_pytorch.py ROW; MembraneBench --only sd15-...), so each
reports its own peak RSS. The groups (kernels; the UNets with the SD v1.5 UNet rows; training
with the SD v1.5 SPM row) run in turn, each timed in PyTorch and right after in MembraneBench
(the PyTorch models freed first), so that both columns of a row are measured minutes apart at
most: on shared machines speed drifts over a run. MembraneBench's human table (printTable in
Timing.swift: "name  median  GFLOP/s  of sgemm  note") is parsed (membrane_runs.py); nothing is
read from an older run.

The training row is a port of the reference SPM training loop (configs/shapesworld/red.yaml on
shapesworld-a, the reference's cost structure: every eps CFG-batched, see
pytorch_training.ReferenceLoop), timed as TrainingBench.swift times Membrane's: mean seconds per
iteration over a fixed run of 30 iterations, median over max(1, runs // 2) runs. The SD v1.5 SPM
row runs the same loop once, at 256 px with t_to 15, on SD v1.5's architecture (random weights).

The combined table is printed and also written, with the date (UTC), CPU (lscpu), commit and the
exact commands, to docs/performance.md (--doc PATH elsewhere, --no-doc not at all).

Usage: python bench/compare_pytorch.py [--runs N] [--quick] [--only GROUP] [--bench PATH] [--model DIR]
                                       [--doc PATH | --no-doc]
  --quick  skip the SD v1.5 rows (MembraneBench runs --only kernels, unet-small, training)
  --only   kernels, unet or training: that group alone on both sides (unet and training with
           their SD v1.5 rows unless --quick)
MEMBRANE_BENCH_SD15_TINY=1 runs the SD v1.5 rows at a few channels on both sides (smoke test).
"""

import argparse
import gc
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docheader  # noqa: E402
from benchrows import LABELS, ROOT, format_rss, format_time, load, log  # noqa: E402,F401
from membrane_runs import (parse_membrane, peak_rss_bytes, pytorch_sd15_rows, run_membrane,  # noqa: E402,F401
                           run_pytorch_sd15, shown_path)
from performance_page import combined_rows, performance_page  # noqa: E402,F401

# Local folders only: no hub look-ups, no download progress bars, no advice to install accelerate.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")


def print_table(versions, runs, titles, table):
    print(f"\n## Membrane vs PyTorch CPU ({versions}; 2 threads each; medians, runs {runs})")
    for title in titles:
        print(f"   Membrane table: {title}")
    width = max([42] + [len(row[0]) + 2 for row in table])
    print(f"{'benchmark':<{width}}{'Membrane':>12}{'PyTorch':>12}{'Membrane/PyTorch':>18}{'RSS Membrane':>14}{'RSS PyTorch':>13}")
    for label, m, p, ratio, m_rss, p_rss in table:
        print(f"{label:<{width}}{format_time(m) if m is not None else '-':>12}"
              f"{format_time(p) if p is not None else '-':>12}{ratio:>18}{format_rss(m_rss):>14}{format_rss(p_rss):>13}")


# The groups, in the order a full run times them (each in PyTorch, then in MembraneBench).
GROUPS = ["kernels", "unet", "training"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per benchmark (MembraneBench's --runs)")
    parser.add_argument("--quick", action="store_true", help="skip the SD v1.5 rows")
    parser.add_argument("--only", choices=GROUPS,
                        help="this group alone on both sides (MembraneBench --only GROUP)")
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build", "release", "MembraneBench"))
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "shapesworld-a"))
    parser.add_argument("--doc", default=os.path.join(ROOT, "docs", "performance.md"),
                        help="markdown page the table is also written to (default docs/performance.md)")
    parser.add_argument("--no-doc", action="store_true", help="print the table only")
    args = parser.parse_args()
    started_utc = docheader.utc_now()
    command = shlex.join([shown_path(sys.executable), shown_path(os.path.abspath(__file__))] + sys.argv[1:])
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"compare_pytorch: {args.bench} missing; build it with "
                 "`swift build -c release --product MembraneBench` (make bench-compare does)")

    import torch
    import torch.nn.functional as F
    import diffusers
    import transformers
    from pytorch_kernels import pytorch_kernels, pytorch_unets
    from pytorch_training import pytorch_training

    torch.set_num_threads(2)
    torch.set_grad_enabled(False)
    versions = (f"torch {torch.__version__}, diffusers {diffusers.__version__}, "
                f"transformers {transformers.__version__}, Python {sys.version.split()[0]}")
    log(f"# PyTorch side: {versions}; threads {torch.get_num_threads()}, float32, CPU, "
        f"runs {args.runs} (+1 warm-up)")

    results, notes, rss, membrane, titles, commands = {}, {}, {}, {}, [], []
    loads = {"start": load()}
    for group in [args.only] if args.only else GROUPS:
        started = time.perf_counter()
        with torch.no_grad():
            if group == "kernels":
                pytorch_kernels(torch, F, args.runs, results)
            elif group == "unet":
                pytorch_unets(torch, args.runs, args.model, results)
            else:
                pytorch_training(torch, F, args.runs, args.model, results, notes)
        gc.collect()
        for row in pytorch_sd15_rows(args.quick, group):
            measured = run_pytorch_sd15(row, args.runs, commands)
            results[measured["name"]] = measured["seconds"]
            notes[measured["name"]] = "PyTorch: " + measured["note"]
            rss[measured["name"]] = (None, measured["peak_rss_bytes"])
        log(f"# PyTorch side of {group} took {time.perf_counter() - started:.0f} s\n")
        started = time.perf_counter()
        rows, group_titles = parse_membrane(run_membrane(args.bench, args.runs, args.model, args.quick, group,
                                                         commands))
        membrane.update(rows)
        titles += [t for t in group_titles if t not in titles]
        log(f"# MembraneBench side of {group} took {time.perf_counter() - started:.0f} s")
        loads[f"after {group}"] = load()
    for name, (_, note) in membrane.items():
        if peak_rss_bytes(note) is not None and (name in rss or name not in results):
            rss[name] = (peak_rss_bytes(note), rss.get(name, (None, None))[1])

    table = combined_rows(results, membrane, rss)
    print_table(versions, args.runs, titles, table)
    row_notes = []
    for name in list(results) + [n for n in membrane if n not in results]:
        parts = ([f"Membrane: {membrane[name][1]}"] if name in rss and name in membrane else []) + \
            ([notes[name]] if name in notes else [])
        if parts:
            row_notes.append(f"{LABELS.get(name, name)}: {'; '.join(parts)}")
            print(f"  {row_notes[-1]}")
    missing = [n for n in results if n not in membrane]
    if missing:
        print(f"  not in MembraneBench's output: {', '.join(missing)}")
    print("  ratio > 1: Membrane slower; < 1: Membrane faster")
    print("  1-minute load average (2 cores): " + ", ".join(f"{k} {v}" for k, v in loads.items()))
    busy = max(float(v) for v in loads.values()) > 3
    if busy:
        print("  warning: the machine was busy (load > 3 where the benchmark itself makes 2): "
              "timings and ratios are unreliable, PyTorch's small-UNet rows worst; rerun when quiet")
    if not args.no_doc:
        docheader.write_atomically(args.doc, performance_page(
            started_utc, command, commands, versions, args.runs, titles, table,
            row_notes, missing, loads, busy))
        print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
