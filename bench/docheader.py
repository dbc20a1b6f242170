"""What the generated pages in docs/ record about the run that wrote them: the date (UTC), the CPU
(lscpu's model name), the number of CPUs, the git commit; and an atomic file write.

Standard library only: used by bench/results.py (system python3) and bench/compare_pytorch.py
(the bench-compare venv).
"""

import datetime
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def utc_now():
    """'2025-01-31 12:34 UTC'."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def lscpu_fields():
    """lscpu's 'Field: value' lines as a dict (empty when lscpu is missing)."""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True,
                              env=dict(os.environ, LC_ALL="C")).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    return fields


def cpu_description():
    """'Intel(R) Xeon(R) Processor, 2 CPUs (1 thread per core)' from lscpu, or /proc/cpuinfo."""
    fields = lscpu_fields()
    model = fields.get("Model name")
    if not model:
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as f:
                model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), None)
        except OSError:
            model = None
    cpus = fields.get("CPU(s)") or str(os.cpu_count() or "?")
    text = f"{model or 'unknown CPU'}, {cpus} CPUs"
    threads = fields.get("Thread(s) per core")
    if threads:
        text += f" ({threads} thread{'s' if threads != '1' else ''} per core)"
    return text


def git_commit():
    """The commit of the checkout, with '+ uncommitted changes' when the tree is dirty."""
    def git(*args):
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + (" + uncommitted changes" if dirty else "")


def header_lines(title, started):
    """The first lines of a generated page (markdown)."""
    return [
        f"# {title}",
        "",
        f"- Date: {started}",
        f"- CPU: {cpu_description()}",
        f"- Commit: {git_commit()}",
    ]


def write_atomically(path, text):
    """Writes `text` to `path` through a temporary file and a rename; creates the folder."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temporary, path)
