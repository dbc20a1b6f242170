"""docs/performance.md as `make bench-compare` writes it, and the combined table's rows."""

import docheader
from benchrows import LABELS, format_rss, format_time


def combined_rows(pytorch, membrane, rss):
    """(label, Membrane seconds, PyTorch seconds, ratio text, Membrane peak RSS, PyTorch peak RSS)
    for every row either side ran, PyTorch's order first. `pytorch` is {name: seconds},
    `membrane` {name: (seconds, note)}, `rss` {name: (Membrane bytes, PyTorch bytes)}."""
    names = list(pytorch) + [n for n in membrane if n not in pytorch]
    table = []
    for name in names:
        m = membrane.get(name, (None, ""))[0]
        p = pytorch.get(name)
        m_rss, p_rss = rss.get(name, (None, None))
        table.append((LABELS.get(name, name), m, p, f"{m / p:.2f}" if m is not None and p else "-", m_rss, p_rss))
    return table


def table_lines(table):
    lines = ["| benchmark | Membrane | PyTorch | Membrane/PyTorch | Membrane peak RSS | PyTorch peak RSS |",
             "|---|---|---|---|---|---|"]
    for label, m, p, ratio, m_rss, p_rss in table:
        lines.append(f"| {label} | {format_time(m) if m is not None else '-'} | "
                     f"{format_time(p) if p is not None else '-'} | {ratio} | {format_rss(m_rss)} | {format_rss(p_rss)} |")
    return lines


def performance_page(started, command, bench_commands, versions, runs, titles, table, notes, missing,
                     loads, busy):
    """docs/performance.md: header (date, CPU, commit), the exact commands, and the combined table
    `table` (combined_rows)."""
    lines = docheader.header_lines("Membrane vs PyTorch CPU", started)
    lines += [
        f"- PyTorch side: {versions}",
        "",
        "Written by `make bench-compare` (`bench/compare_pytorch.py`); do not edit by hand, run it again.",
        f"Medians of the timed runs (runs {runs}, after one warm-up call), 2 threads on each side, both"
        " measured in the same run, group by group (each group's two sides minutes apart)."
        " Ratio > 1: Membrane slower; < 1: Membrane faster. Peak RSS: each SD v1.5 row runs in a"
        " process of its own on each side (ru_maxrss / VmHWM).",
        "",
        "## Commands",
        "",
        "Run from the repository root; the script times each group in PyTorch and then runs"
        " MembraneBench on it (the PyTorch kernel, UNet and training rows run inside the script):",
        "",
        "```sh",
        command,
    ] + [f"# then: {c}" for c in bench_commands] + ["```", ""]
    if titles:
        lines += ["MembraneBench tables: " + "; ".join(titles), ""]
    lines += table_lines(table)
    lines.append("")
    lines += [f"- {note}" for note in notes]
    if missing:
        lines.append(f"- not in MembraneBench's output: {', '.join(missing)}")
    lines.append("- 1-minute load average: " + ", ".join(f"{k} {v}" for k, v in loads.items()))
    if busy:
        lines.append("- **the machine was busy (load > 3 where the benchmark itself makes 2): timings and"
                     " ratios are unreliable; rerun when quiet**")
    return "\n".join(lines) + "\n"
