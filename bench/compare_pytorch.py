"""`make bench-compare`: the work of MembraneBench timed in PyTorch on the CPU, then MembraneBench
itself, and one table with both medians and the ratio Membrane / PyTorch for each row.

The PyTorch side mirrors Sources/MembraneBench/*.swift: float32, torch.set_num_threads(2),
torch.no_grad() (grad enabled only for the two backward rows), one untimed warm-up call, then the
median of the same number of timed calls as MembraneBench makes (shapesworld-a UNet: 4 x runs,
SD v1.5 UNet and the attention backward: max(1, runs // 2)). MembraneBench runs as a subprocess
after the PyTorch timings, with the PyTorch models freed, and its human table (printTable in
Timing.swift: "name  median  GFLOP/s  of sgemm  note") is parsed; nothing is read from an older run.

Usage: python bench/compare_pytorch.py [--runs N] [--quick] [--bench PATH] [--model DIR]
  --quick  skip the SD v1.5 UNet (and MembraneBench runs --only kernels, then --only unet-small)
"""

import argparse
import gc
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

# Local folders only: no hub look-ups, no download progress bars, no advice to install accelerate.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNET_BENCH_SWIFT = os.path.join(ROOT, "Sources", "MembraneBench", "UNetBench.swift")

# Row names exactly as MembraneBench prints them; the combined table is keyed by these.
SGEMM = "sgemm 2048^3"
CONV = "conv2d 320->320 3x3 64x64"
CONV_GRAD = "conv2d same, forward + input gradient"
SELF_ATTN = "self-attention 8 x 4096 x 40"
CROSS_ATTN = "cross-attention 8 x 4096 x 77 x 40"
SELF_ATTN_GRAD = "self-attention forward + query gradient"
SMALL_UNET = "shapesworld-a UNet forward, batch {}"
SD15_UNET = "SD v1.5 UNet forward 64x64, batch 1"


def median_seconds(runs, body, warmup=1):
    """Median wall-clock seconds over `runs` calls after `warmup` untimed ones (as Timing.swift)."""
    for _ in range(warmup):
        body()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def format_time(s):
    return f"{s:.2f} s" if s >= 1 else f"{s * 1000:.2f} ms"


def log(message):
    print(message, flush=True)


def load():
    """The 1-minute load average: the machine is shared, so each side's timings carry it."""
    return f"{os.getloadavg()[0]:.1f}"


def sd15_config():
    """The SD v1.5 UNet config string MembraneBench builds its UNet from, read from its source."""
    with open(UNET_BENCH_SWIFT, encoding="utf-8") as f:
        source = f.read()
    match = re.search(r'let sd15UNetConfig = """\n(.*?)\n"""', source, re.S)
    if not match:
        sys.exit(f"compare_pytorch: no sd15UNetConfig string in {UNET_BENCH_SWIFT}")
    config = json.loads(match.group(1))
    return {k: v for k, v in config.items() if not k.startswith("_")}


def pytorch_kernels(torch, F, runs, results):
    g = torch.Generator().manual_seed(0)

    def randn(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float32)

    n = 2048
    a, b, c = randn(n, n), randn(n, n), torch.empty(n, n)
    results[SGEMM] = median_seconds(runs, lambda: torch.mm(a, b, out=c))
    log(f"  {SGEMM}: {format_time(results[SGEMM])}")

    x = randn(1, 320, 64, 64)
    w = randn(320, 320, 3, 3) * 0.02
    bias = randn(320)
    results[CONV] = median_seconds(runs, lambda: F.conv2d(x, w, bias, stride=1, padding=1))
    log(f"  {CONV}: {format_time(results[CONV])}")

    # Gradient with respect to the input only: w and bias do not require grad.
    xp = x.clone().requires_grad_(True)
    seed = randn(1, 320, 64, 64)

    def conv_forward_backward():
        with torch.enable_grad():
            y = F.conv2d(xp, w, bias, stride=1, padding=1)
            xp.grad = None
            y.backward(seed)

    results[CONV_GRAD] = median_seconds(runs, conv_forward_backward)
    log(f"  {CONV_GRAD}: {format_time(results[CONV_GRAD])}")

    # Membrane's attention takes and returns [1, tokens, heads * dim]; the same here: split the
    # heads (views), scaled_dot_product_attention on [1, 8, tokens, 40], merge the heads (a copy).
    heads, d, t = 8, 40, 4096

    def attention(q, k, v):
        def split(m):
            return m.view(1, m.shape[1], heads, d).transpose(1, 2)

        o = F.scaled_dot_product_attention(split(q), split(k), split(v))
        return o.transpose(1, 2).reshape(1, q.shape[1], heads * d)

    q, k, v = randn(1, t, heads * d), randn(1, t, heads * d), randn(1, t, heads * d)
    results[SELF_ATTN] = median_seconds(runs, lambda: attention(q, k, v))
    log(f"  {SELF_ATTN}: {format_time(results[SELF_ATTN])}")
    kc, vc = randn(1, 77, heads * d), randn(1, 77, heads * d)
    results[CROSS_ATTN] = median_seconds(runs, lambda: attention(q, kc, vc))
    log(f"  {CROSS_ATTN}: {format_time(results[CROSS_ATTN])}")

    qp = q.clone().requires_grad_(True)
    go = randn(1, t, heads * d)

    def attention_forward_backward():
        with torch.enable_grad():
            o = attention(qp, k, v)
            qp.grad = None
            o.backward(go)

    results[SELF_ATTN_GRAD] = median_seconds(max(1, runs // 2), attention_forward_backward)
    log(f"  {SELF_ATTN_GRAD}: {format_time(results[SELF_ATTN_GRAD])}")


def pytorch_unets(torch, runs, model_dir, include_sd15, results, notes):
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    g = torch.Generator().manual_seed(1)
    unet = UNet2DConditionModel.from_pretrained(os.path.join(model_dir, "unet"),
                                                low_cpu_mem_usage=False).eval()
    tokenizer = CLIPTokenizer.from_pretrained(os.path.join(model_dir, "tokenizer"))
    text_encoder = CLIPTextModel.from_pretrained(os.path.join(model_dir, "text_encoder")).eval()
    for batch in (1, 8):
        x = torch.randn(batch, 4, 16, 16, generator=g)
        ids = tokenizer(["a red circle"] * batch, padding="max_length", max_length=77,
                        truncation=True, return_tensors="pt").input_ids
        ctx = text_encoder(ids).last_hidden_state  # [B, 77, 64]
        timesteps = torch.full((batch,), 500, dtype=torch.long)
        name = SMALL_UNET.format(batch)
        results[name] = median_seconds(runs * 4, lambda: unet(x, timesteps, encoder_hidden_states=ctx))
        log(f"  {name}: {format_time(results[name])}")
    del unet, text_encoder
    gc.collect()
    if not include_sd15:
        return

    start = time.perf_counter()
    sd = UNet2DConditionModel(**sd15_config()).eval()  # random (PyTorch default) initialisation
    built = time.perf_counter() - start
    params = sum(p.numel() for p in sd.parameters())
    x = torch.randn(1, 4, 64, 64, generator=g)
    ctx = torch.randn(1, 77, 768, generator=g)
    timesteps = torch.tensor([500])
    results[SD15_UNET] = median_seconds(max(1, runs // 2),
                                        lambda: sd(x, timesteps, encoder_hidden_states=ctx))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    notes[SD15_UNET] = f"PyTorch: {params / 1e6:.0f} M parameters built in {built:.0f} s, peak RSS {rss:.2f} GB"
    log(f"  {SD15_UNET}: {format_time(results[SD15_UNET])} ({notes[SD15_UNET]})")
    del sd
    gc.collect()


ROW = re.compile(r"^(?P<name>\S.*?)\s+(?P<value>\d+(?:\.\d+)?) (?P<unit>ms|s)(?:\s+|$)(?P<rest>.*)$")


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


def run_membrane(bench, runs, model_dir, quick):
    """Runs MembraneBench (streaming its output) and returns everything it printed."""
    invocations = [["--only", "kernels"], ["--only", "unet-small"]] if quick else [[]]
    output = []
    for extra in invocations:
        command = [bench, "--runs", str(runs), "--model", model_dir] + extra
        log("$ " + " ".join(command))
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, bufsize=1)
        for line in process.stdout:
            print("  | " + line, end="", flush=True)
            output.append(line)
        if process.wait() != 0:
            sys.exit(f"compare_pytorch: {bench} exited with {process.returncode}")
    return "".join(output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per benchmark (MembraneBench's --runs)")
    parser.add_argument("--quick", action="store_true", help="skip the SD v1.5 UNet")
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build", "release", "MembraneBench"))
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "shapesworld-a"))
    args = parser.parse_args()
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"compare_pytorch: {args.bench} missing; build it with "
                 "`swift build -c release --product MembraneBench` (make bench-compare does)")

    import torch
    import torch.nn.functional as F
    import diffusers
    import transformers

    torch.set_num_threads(2)
    torch.set_grad_enabled(False)
    versions = (f"torch {torch.__version__}, diffusers {diffusers.__version__}, "
                f"transformers {transformers.__version__}, Python {sys.version.split()[0]}")
    log(f"# PyTorch side: {versions}; threads {torch.get_num_threads()}, float32, CPU, "
        f"runs {args.runs} (+1 warm-up)")

    results, notes = {}, {}
    loads = {"PyTorch start": load()}
    started = time.perf_counter()
    with torch.no_grad():
        pytorch_kernels(torch, F, args.runs, results)
        pytorch_unets(torch, args.runs, args.model, not args.quick, results, notes)
    log(f"# PyTorch side took {time.perf_counter() - started:.0f} s\n")
    gc.collect()

    loads["Membrane start"] = load()
    started = time.perf_counter()
    membrane, titles = parse_membrane(run_membrane(args.bench, args.runs, args.model, args.quick))
    log(f"# MembraneBench took {time.perf_counter() - started:.0f} s")
    loads["end"] = load()

    names = list(results) + [n for n in membrane if n not in results]
    print(f"\n## Membrane vs PyTorch CPU ({versions}; 2 threads each; medians, runs {args.runs})")
    for title in titles:
        print(f"   Membrane table: {title}")
    print(f"{'benchmark':<42}{'Membrane':>12}{'PyTorch':>12}{'Membrane/PyTorch':>18}")
    for name in names:
        m = membrane.get(name, (None, ""))[0]
        p = results.get(name)
        ratio = f"{m / p:.2f}" if m is not None and p else "-"
        print(f"{name:<42}{format_time(m) if m is not None else '-':>12}"
              f"{format_time(p) if p is not None else '-':>12}{ratio:>18}")
    for name in names:
        rss = re.search(r"peak RSS [0-9.]+ GB", membrane.get(name, (None, ""))[1])
        if rss or name in notes:
            print(f"  {name}: Membrane {rss.group(0) if rss else '-'}; {notes.get(name, '')}")
    missing = [n for n in results if n not in membrane]
    if missing:
        print(f"  not in MembraneBench's output: {', '.join(missing)}")
    print("  ratio > 1: Membrane slower; < 1: Membrane faster")
    print("  1-minute load average (2 cores): " + ", ".join(f"{k} {v}" for k, v in loads.items()))
    if max(float(v) for v in loads.values()) > 3:
        print("  warning: the machine was busy (load > 3 where the benchmark itself makes 2): "
              "timings and ratios are unreliable, PyTorch's small-UNet rows worst; rerun when quiet")


if __name__ == "__main__":
    main()
