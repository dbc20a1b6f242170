"""Running both sides' processes for `make bench-compare`: MembraneBench's invocations (one per
group, and one per SD v1.5 row so that each reports its own peak RSS), the PyTorch side's SD v1.5
rows (sd15_pytorch.py, one process per row), and reading what they print."""

import json
import os
import re
import shlex
import subprocess
import sys

from benchrows import ROOT, SD15_ROWS, log

ROW = re.compile(r"^(?P<name>\S.*?)\s+(?P<value>\d+(?:\.\d+)?) (?P<unit>ms|s)(?:\s+|$)(?P<rest>.*)$")
RSS = re.compile(r"peak RSS (?P<gb>[0-9.]+) GB")
SD15_PYTORCH = os.path.join(ROOT, "bench", "sd15_pytorch.py")


def parse_membrane(text):
    """Rows of MembraneBench's tables: {name: (seconds, rest of the line)}, plus the table titles."""
    rows, titles = {}, []
    for line in text.splitlines():
        if line.startswith("## "):
            titles.append(line[3:].strip())
            continue
        if line.startswith("#") or line.startswith("benchmark "):
            continue
        m = ROW.match(line)
        if m:
            seconds = float(m.group("value")) / (1000 if m.group("unit") == "ms" else 1)
            rows[m.group("name").strip()] = (seconds, m.group("rest").strip())
    return rows, titles


def peak_rss_bytes(note):
    """The "peak RSS X GB" of a MembraneBench row's note in bytes, None without one."""
    m = RSS.search(note or "")
    return round(float(m.group("gb")) * 1e9) if m else None


def membrane_invocations(quick, only):
    """MembraneBench's --only arguments: the groups, and each SD v1.5 row in a process of its own
    (never with --quick, nor with --only kernels or training)."""
    if only == "unet":
        return [["--only", "unet-small"]] + ([] if quick else [["--only", r] for r in SD15_ROWS if r != "sd15-spm"])
    if only == "training":
        return [["--only", "training"]] + ([] if quick else [["--only", "sd15-spm"]])
    if only:
        return [["--only", only]]
    groups = [["--only", "kernels"], ["--only", "unet-small"], ["--only", "training"]]
    return groups + ([] if quick else [["--only", r] for r in SD15_ROWS])


def pytorch_sd15_rows(quick, only):
    """The SD v1.5 rows the PyTorch side runs, by MembraneBench's --only value."""
    if quick or only == "kernels":
        return []
    if only == "unet":
        return [r for r in SD15_ROWS if r != "sd15-spm"]
    if only == "training":
        return ["sd15-spm"]
    return list(SD15_ROWS)


def shown_path(path):
    """`path` relative to the repository root when it is a path inside it, else unchanged."""
    if os.path.isabs(path) and os.path.abspath(path).startswith(ROOT + os.sep):
        return os.path.relpath(path, ROOT)
    return path


def stream(command, commands, what):
    """Runs `command` printing its output as it comes; returns everything it printed."""
    log("$ " + " ".join(command))
    if commands is not None:
        commands.append(shlex.join(shown_path(a) for a in command))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    output = []
    for line in process.stdout:
        print("  | " + line, end="", flush=True)
        output.append(line)
    if process.wait() != 0:
        sys.exit(f"compare_pytorch: {what} exited with {process.returncode}")
    return "".join(output)


def run_membrane(bench, runs, model_dir, quick, only, commands=None):
    """Runs MembraneBench once per invocation and returns everything it printed; appends each
    command line to `commands` when given."""
    return "".join(stream([bench, "--runs", str(runs), "--model", model_dir] + extra, commands, bench)
                   for extra in membrane_invocations(quick, only))


def parse_pytorch_row(text):
    """The last JSON line sd15_pytorch.py printed: {"name", "seconds", "peak_rss_bytes", "note"}."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            row = json.loads(line)
            missing = [k for k in ("name", "seconds", "peak_rss_bytes", "note") if k not in row]
            if missing:
                sys.exit(f"compare_pytorch: sd15_pytorch.py printed a row without {', '.join(missing)}")
            return row
    sys.exit("compare_pytorch: sd15_pytorch.py printed no JSON row")


def run_pytorch_sd15(row, runs, commands=None):
    """Runs the PyTorch side of one SD v1.5 row in its own process and returns its parsed row."""
    command = [sys.executable, SD15_PYTORCH, row, "--runs", str(runs)]
    return parse_pytorch_row(stream(command, commands, SD15_PYTORCH))
