"""Writes docs/results.md (for `make results`, see bench/results.sh) from the report.json files of
`membrane evaluate` and the metadata of the membrane files, with the date, CPU, commit and the
exact commands that produced them. Standard library only.

Usage: python3 bench/results.py --doc docs/results.md --commands COMMANDS.tsv
           --membrane red.safetensors ... --evaluation "LABEL=DIR/report.json" ... [--note TEXT ...]
           [--overrides "RESULTS_SEEDS=1 ..."] [--started "YYYY-MM-DD HH:MM UTC"]
  --commands   lines "seconds<TAB>command" as bench/results.sh ran them, in order
  --evaluation one table block per evaluation, in the order given
  --overrides  settings that differ from `make results`' defaults: the page says so at the top
"""

import argparse
import json
import os
import shlex
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docheader  # noqa: E402

TRANSPORT_NOTES = {
    "facilitated": "facilitated (default)",
    "facilitated-reference": "facilitated-reference (paper's rule)",
}


def shown_path(path):
    """A path relative to the repository root when that is shorter, else as given."""
    relative = os.path.relpath(os.path.abspath(path), docheader.ROOT)
    return relative if len(relative) < len(path) or not os.path.isabs(path) else path


def percent(share):
    """'95.8%', '100%', '0%'."""
    text = f"{100 * share:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def one_decimal(value):
    """'4.0', never '-0.0'."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def transport_label(transport):
    if transport.startswith("fixed:"):
        return f"{transport} (plain LoRA)"
    return TRANSPORT_NOTES.get(transport, transport)


def target_cell(targets):
    return ", ".join(f"{t['concept']} {percent(t['before'])} -> {percent(t['after'])}" for t in targets)


def others_cell(others):
    return (f"{one_decimal(others['colourDropPoints'])} / {one_decimal(others['shapeDropPoints'])} points"
            f" ({others['pictures']} pictures)")


def multiplier_cell(summary):
    """'1.00 / 0.00 / 0.00': mean multiplier on target, target-synonym and other prompts ('-' for none)."""
    keys = ("targets", "targetSynonyms", "others")
    return " / ".join("-" if summary.get(key) is None else f"{summary[key]:.2f}" for key in keys)


def psnr_cell(psnr):
    n, same = psnr["pictures"], psnr["identicalPictures"]
    if n > 0 and same == n:
        return f"identical ({same}/{n})"
    text = f"{psnr['meanDB']:.1f} dB"
    if same > 0:
        text += f" ({same}/{n} identical, counted as {psnr['capDB']:g} dB)"
    return text


def membrane_metadata(path):
    """The __metadata__ of a safetensors file (8-byte little-endian header length, JSON header)."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    return header.get("__metadata__", {})


def train_seconds(path, commands):
    """Wall-clock seconds of the `membrane train` command that wrote `path` (from commands.tsv);
    membrane files hold no timings (the same inputs give the same bytes). Files of older versions
    recorded `membrane.train_seconds`, used when no command wrote the file."""
    for seconds, command in commands:
        words = shlex.split(command)
        if "train" in words and "--out" in words[:-1]:
            out = words[words.index("--out") + 1]
            if out == path or os.path.basename(out) == os.path.basename(path):
                return seconds
    legacy = membrane_metadata(path).get("membrane.train_seconds")
    return float(legacy) if legacy else None


def membrane_rows(paths, commands=()):
    lines = ["| membrane file | targets | base model | iterations | seed | training time (train command) | per iteration"
             " | final loss |",
             "|---|---|---|---|---|---|---|---|"]
    for path in paths:
        meta = membrane_metadata(path)
        targets = ", ".join(json.loads(meta.get("membrane.targets", "[]"))) or meta.get("prompts", "?")
        iterations = meta.get("membrane.iterations", "?")
        seconds = train_seconds(path, commands)
        per_iteration = "?"
        if seconds is not None and iterations.isdigit() and int(iterations) > 0:
            per_iteration = f"{seconds / int(iterations):.3f} s"
        lines.append(f"| `{shown_path(path)}` | {targets} | {meta.get('membrane.base_model', '?')} | {iterations}"
                     f" | {meta.get('membrane.seed', '?')} | {f'{seconds:.1f} s' if seconds is not None else '?'}"
                     f" | {per_iteration} | {meta.get('membrane.final_loss', '?')} |")
    return lines


def synonym_base_cell(report):
    """'91.7% / 88.3% (120 pictures, 30 prompts)' for the synonym prompts, '-' without them."""
    base, synonyms = report.get("synonymBase"), report["settings"].get("synonyms")
    if base is None or synonyms is None:
        return "-"
    return (f"{percent(base['colour'])} / {percent(base['shape'])} ({base['pictures']} pictures,"
            f" {len(synonyms['prompts'])} prompts)")


def base_rows(evaluations):
    with_synonyms = any("synonymBase" in report for _, report in evaluations)
    synonym_heading = " synonym prompts read as meant: colour / shape |" if with_synonyms else ""
    lines = ["| evaluation | model | membranes | base model read as prompted: colour / shape | pictures | steps, CFG | time |"
             + synonym_heading, "|---|---|---|---|---|---|---|" + ("---|" if with_synonyms else "")]
    for label, report in evaluations:
        s, base = report["settings"], report["base"]
        membranes = ", ".join(f"`{shown_path(m['path'])}`" for m in s["membranes"])
        lines.append(f"| {label} | `{shown_path(s['model'])}` | {membranes} | {percent(base['colour'])} / "
                     f"{percent(base['shape'])} | {base['pictures']} ({len(s['prompts'])} prompts x {s['seeds']} seeds)"
                     f" | {s['steps']}, {s['cfg']:g} | {report['timing']['totalSeconds']:.0f} s |"
                     + (f" {synonym_base_cell(report)} |" if with_synonyms else ""))
    return lines


# Columns shown when some run of the reports has their field (reports of older versions have
# none): field of the run, heading, cell, explanation under the table's heading.
OPTIONAL_COLUMNS = [
    ("synonymTargets", "synonym target rate before -> after",
     lambda rates: target_cell(rates) or "no synonym of a target",
     "*synonym target rate*: the same share over the pictures of prompts that name a target by a"
     " synonym of the model's `SYNONYMS.json` (\"a <synonym> <shape>\"), which count as that target."),
    ("otherSynonyms", "other synonym prompts: colour / shape drop", others_cell,
     "*other synonym prompts*: the synonym prompts naming no target, drop as for the other prompts."),
    ("multiplierSummary", "multiplier target / synonyms / others (mean)", multiplier_cell,
     "*multiplier*: the weight the transport gives each membrane, mean over the prompts naming its"
     " target, those naming it by a synonym, and those naming no target (1: acts fully, 0: off)."),
]


def optional_columns(evaluations):
    """The OPTIONAL_COLUMNS that some run of `evaluations` has."""
    runs = [run for _, report in evaluations for run in report["runs"]]
    return [column for column in OPTIONAL_COLUMNS if any(column[0] in run for run in runs)]


def result_rows(evaluations):
    columns = optional_columns(evaluations)
    headings = ["membrane", "transport", "target rate before -> after", "other prompts: colour / shape drop",
                "PSNR of other prompts vs base"] + [heading for _, heading, _, _ in columns]
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    for label, report in evaluations:
        for run in report["runs"]:
            cells = [label, transport_label(run["transport"]), target_cell(run["targets"]), others_cell(run["others"]),
                     psnr_cell(run["others"]["psnr"])]
            cells += [cell(run[field]) if field in run else "-" for field, _, cell, _ in columns]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def read_commands(path):
    commands = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            seconds, _, command = line.rstrip("\n").partition("\t")
            if command:
                commands.append((float(seconds), command))
    return commands


def page(started, commands, membranes, evaluations, notes, overrides):
    lines = docheader.header_lines("Membrane results on ShapesWorld", started)
    lines += [
        "",
        "Written by `make results` (`bench/results.sh`, formatted by `bench/results.py`); do not edit by"
        " hand, run it again.",
    ]
    if overrides:
        lines += ["", f"**Reduced settings ({overrides}): a smoke run, not the reference table.**"]
    lines += ["", "## Commands", "", "Run from the repository root, in this order (wall-clock time of each"
              " as a comment):", "", "```sh"]
    for seconds, command in commands:
        lines.append(f"{command}  # {seconds:.0f} s")
    lines += ["```", "", "## Membranes", ""] + membrane_rows(membranes, commands)
    lines += ["", "## Base models", ""] + base_rows(evaluations)
    lines += [
        "",
        "## Erasure and preservation",
        "",
        "Every evaluation draws the 30 \"a <colour> <shape>\" prompts with the same seeds with and"
        " without the membranes and reads every picture with the ShapesWorld reader"
        " (`Sources/Evaluation`).",
        "",
        "- *target rate*: share of the pictures of prompts naming a target in which the reader sees"
        " that target, base model -> with the membranes.",
        "- *other prompts*: the prompts naming none of the targets; drop = points read as prompted"
        " without minus with the membranes (positive: fewer read as prompted), colour / shape.",
        "- *PSNR*: mean over the other prompts' pictures against the base model's picture of the same"
        " prompt and seed; *identical (n/n)*: every one of them bit-identical to the base picture.",
    ] + [f"- {explanation}" for _, _, _, explanation in optional_columns(evaluations)] + [
        "",
    ] + result_rows(evaluations)
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--doc", required=True)
    parser.add_argument("--commands", required=True)
    parser.add_argument("--membrane", action="append", default=[])
    parser.add_argument("--evaluation", action="append", default=[], help="LABEL=PATH/report.json")
    parser.add_argument("--note", action="append", default=[])
    parser.add_argument("--overrides", default="")
    parser.add_argument("--started", default=None)
    args = parser.parse_args(argv)
    evaluations = []
    for item in args.evaluation:
        label, sep, path = item.partition("=")
        if not sep:
            parser.error(f"--evaluation {item!r}: expected LABEL=PATH")
        with open(path, encoding="utf-8") as f:
            evaluations.append((label, json.load(f)))
    text = page(args.started or docheader.utc_now(), read_commands(args.commands), args.membrane,
                evaluations, args.note, args.overrides.strip())
    docheader.write_atomically(args.doc, text)
    print(f"results: wrote {args.doc}")


if __name__ == "__main__":
    main()
