"""`make bench-compare`: the work of MembraneBench timed in PyTorch on the CPU, then MembraneBench
itself, and one table with both medians and the ratio Membrane / PyTorch for each row.

The PyTorch side mirrors Sources/MembraneBench/*.swift: float32, torch.set_num_threads(2),
torch.no_grad() (grad enabled only for the backward rows), one untimed warm-up call, then the
median of the same number of timed calls as MembraneBench makes (shapesworld-a UNet: 4 x runs,
SD v1.5 UNet and the attention backward: max(1, runs // 2)). MembraneBench runs as a subprocess
after the PyTorch timings, with the PyTorch models freed, and its human table (printTable in
Timing.swift: "name  median  GFLOP/s  of sgemm  note") is parsed; nothing is read from an older run.

The training row is a port of the reference SPM training loop (configs/shapesworld/red.yaml on
shapesworld-a, the reference's cost structure: every eps CFG-batched, see pytorch_training), timed
as TrainingBench.swift times Membrane's: mean seconds per iteration over a fixed run of 30
iterations, median over max(1, runs // 2) runs.

The combined table is printed and also written, with the date (UTC), CPU (lscpu), commit and the
exact commands, to docs/performance.md (--doc PATH elsewhere, --no-doc not at all).

Usage: python bench/compare_pytorch.py [--runs N] [--quick] [--only GROUP] [--bench PATH] [--model DIR]
                                       [--doc PATH | --no-doc]
  --quick  skip the SD v1.5 UNet (and MembraneBench runs --only kernels, unet-small, training)
  --only   kernels, unet or training: that group alone on both sides (MembraneBench --only GROUP)
"""

import argparse
import gc
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docheader  # noqa: E402

# Local folders only: no hub look-ups, no download progress bars, no advice to install accelerate.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNET_BENCH_SWIFT = os.path.join(ROOT, "Sources", "MembraneBench", "UNetBench.swift")
TRAINING_CONFIG = os.path.join(ROOT, "configs", "shapesworld", "red.yaml")
TRAINING_ITERATIONS = 30  # TrainingBench.swift's fixed run

# Row names exactly as MembraneBench prints them; the combined table is keyed by these.
SGEMM = "sgemm 2048^3"
CONV = "conv2d 320->320 3x3 64x64"
CONV_GRAD = "conv2d same, forward + input gradient"
SELF_ATTN = "self-attention 8 x 4096 x 40"
CROSS_ATTN = "cross-attention 8 x 4096 x 77 x 40"
SELF_ATTN_GRAD = "self-attention forward + query gradient"
SMALL_UNET = "shapesworld-a UNet forward, batch {}"
SD15_UNET = "SD v1.5 UNet forward 64x64, batch 1"
TRAINING = "training iteration, red.yaml"
# Labels in the combined table where the two sides do not run the same code.
LABELS = {TRAINING: TRAINING + " (reference loop)"}


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


MASK64 = (1 << 64) - 1


def membrane_trajectory_lengths(seed, iterations, steps):
    """t_to of iterations 0..<iterations (batch 1: unit 0) exactly as MembraneTrainer draws them:
    the first draw, rng.int(in: 1..<steps), of its stream for (seed, iteration, unit)
    (MembraneTrainer.stream in Trainer.swift; xoshiro256** seeded through SplitMix64 as in
    RandomSource.swift). Both sides then run the same trajectory lengths, which dominate the cost
    of an iteration: the mean of 30 independent draws in [1, 30) varies by about 10% (one standard
    deviation)."""
    def seeded(s):
        words = []
        for _ in range(4):
            s = (s + 0x9E3779B97F4A7C15) & MASK64
            z = s
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            words.append(z ^ (z >> 31))
        return words

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK64

    def next64(w):
        result = (rotl((w[1] * 5) & MASK64, 7) * 9) & MASK64
        shifted = (w[1] << 17) & MASK64
        w[2] ^= w[0]
        w[3] ^= w[1]
        w[1] ^= w[2]
        w[0] ^= w[3]
        w[2] ^= shifted
        w[3] = rotl(w[3], 45)
        return result

    lengths = []
    for iteration in range(iterations):
        mix = seeded(seed)
        for _ in range(3):
            next64(mix)
        stream = seeded(next64(mix) ^ ((iteration * 0x9E3779B97F4A7C15) & MASK64))  # unit 0
        lengths.append(1 + next64(stream) % (steps - 1))
    return lengths


class ReferenceMembrane:
    """The membrane as the reference builds it: a rank-1 adapter (down: in -> 1, keeping a conv's
    kernel, stride and padding; up: 1 -> out) on every Linear and Conv2d inside every
    Transformer2DModel of the UNet, added to the layer's output (alpha / rank = 1):
    y = layer(x) + multiplier * up(down(x)). As in the reference, the adapter branch is computed at
    every multiplier, 0 (the original model) included."""

    def __init__(self, torch, unet):
        from diffusers import Transformer2DModel

        nn = torch.nn
        self.torch = torch
        self.multiplier = 1.0
        self.adapters = []
        self.hooks = []
        for block in unet.modules():
            if not isinstance(block, Transformer2DModel):
                continue
            for layer in block.modules():
                if isinstance(layer, nn.Linear):
                    down = nn.Linear(layer.in_features, 1, bias=False)
                    up = nn.Linear(1, layer.out_features, bias=False)
                elif isinstance(layer, nn.Conv2d):
                    down = nn.Conv2d(layer.in_channels, 1, layer.kernel_size, layer.stride,
                                     layer.padding, bias=False)
                    up = nn.Conv2d(1, layer.out_channels, 1, bias=False)
                else:
                    continue
                self.adapters.append((down, up))
                self.hooks.append(layer.register_forward_hook(self._branch(down, up)))

    def _branch(self, down, up):
        def add(layer, inputs, output):
            return output + up(down(inputs[0])) * self.multiplier
        return add

    def reset(self):
        """Fresh weights: down Kaiming-uniform (a = sqrt(5)), up zero (from torch's global seed)."""
        with self.torch.no_grad():
            for down, up in self.adapters:
                self.torch.nn.init.kaiming_uniform_(down.weight, a=5 ** 0.5)
                self.torch.nn.init.zeros_(up.weight)

    def parameters(self):
        return [p for pair in self.adapters for m in pair for p in m.parameters()]

    def remove(self):
        for hook in self.hooks:
            hook.remove()


def pytorch_training(torch, F, runs, model_dir, results, notes):
    """One SPM training iteration ("erase_with_la", red.yaml) with the reference's cost structure:
    every eps runs as a classifier-free-guidance batch (unconditional half included, thrown away
    at guidance 1): the t_to trajectory steps (batch 2, membrane on, guidance 3), e_p and e_n as two
    separate batch-2 calls (membrane at 0, no gradient), e_t (batch 2, gradient), the 4 anchors
    with the membrane (batch 8, gradient) and without (batch 8, no gradient); one loss, backward,
    AdamW on the membrane only. Timed as TrainingBench.swift: mean seconds per iteration over a
    fixed run of 30 iterations (fresh membrane and optimizer, same seeds, same t_to as Membrane's
    run), median over max(1, runs // 2) runs, after one untimed warm-up iteration."""
    import yaml
    from diffusers import DDIMScheduler, UNet2DConditionModel
    from diffusers.optimization import get_scheduler
    from transformers import CLIPTextModel, CLIPTokenizer

    with open(TRAINING_CONFIG, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    steps = int(config.get("max_denoising_steps", 30))
    seed = int(config.get("seed", 0))
    guidance = float(config.get("guidance_scale", 1.0))
    trajectory_guidance = float(config.get("trajectory_guidance", 3.0))
    la_strength = float(config.get("la_strength", 1000))
    anchors_per_iteration = int(config.get("sampling_batch_size", 4))
    target = config["target"]
    positive = config.get("positive", target)
    neutral = config.get("neutral", "")
    unconditional = config.get("unconditional", "")

    unet = UNet2DConditionModel.from_pretrained(os.path.join(model_dir, "unet"),
                                                low_cpu_mem_usage=False).eval()
    unet.requires_grad_(False)
    tokenizer = CLIPTokenizer.from_pretrained(os.path.join(model_dir, "tokenizer"))
    text_encoder = CLIPTextModel.from_pretrained(os.path.join(model_dir, "text_encoder")).eval()
    scheduler = DDIMScheduler.from_pretrained(os.path.join(model_dir, "scheduler"))
    ids = tokenizer([target, positive, neutral, unconditional], padding="max_length",
                    max_length=tokenizer.model_max_length, truncation=True, return_tensors="pt").input_ids
    with torch.no_grad():  # the reference encodes its prompts once, before training
        c_t, c_p, c_n, c_u = text_encoder(ids).last_hidden_state.split(1)
    del text_encoder
    side = unet.config.sample_size
    membrane = ReferenceMembrane(torch, unet)
    draws = membrane_trajectory_lengths(seed, TRAINING_ITERATIONS, steps)

    def eps(latents, t, cond, guidance_scale=1.0):
        """The reference's noise prediction: unconditional and conditional rows in one batch."""
        n = cond.shape[0]
        x = scheduler.scale_model_input(torch.cat([latents.expand(n, -1, -1, -1)] * 2), t)
        out = unet(x, t, encoder_hidden_states=torch.cat([c_u.expand(n, -1, -1), cond])).sample
        u, c = out.chunk(2)
        return u + guidance_scale * (c - u)

    def sample_anchors(generator):
        flat_target = c_t.flatten()
        norm = flat_target.norm()
        anchors = []
        while len(anchors) < anchors_per_iteration:
            while True:
                n = torch.randn(c_t.shape, generator=generator)
                n = n / n.flatten().norm()
                keep = 1 - F.cosine_similarity(flat_target, n.flatten(), dim=0)
                if torch.rand((), generator=generator) < keep:
                    break
            anchors.append(n * (0.8 + 0.4 * torch.rand((), generator=generator)) * norm)
        return torch.cat(anchors)

    def fresh():
        torch.manual_seed(seed)
        membrane.reset()
        optimizer = torch.optim.AdamW(membrane.parameters(), lr=float(config.get("lr", 1e-4)),
                                      betas=(0.9, 0.999), eps=1e-8,
                                      weight_decay=float(config.get("weight_decay", 0.01)))
        schedule = get_scheduler(config.get("lr_scheduler", "constant"), optimizer,
                                 num_warmup_steps=int(config.get("lr_warmup_steps", 0)),
                                 num_training_steps=int(config.get("iterations", 3000)))
        return optimizer, schedule, torch.Generator().manual_seed(seed)

    def iteration(t_to, optimizer, schedule, generator):
        # 1. Trajectory: t_to DDIM steps of the `steps`-step schedule, membrane on, guidance 3.
        scheduler.set_timesteps(steps)
        membrane.multiplier = 1.0
        with torch.no_grad():
            z = torch.randn(1, 4, side, side, generator=generator) * scheduler.init_noise_sigma
            for t in scheduler.timesteps[:t_to]:
                z = scheduler.step(eps(z, t, c_t, trajectory_guidance), t, z).prev_sample
        scheduler.set_timesteps(1000)
        t = scheduler.timesteps[int(t_to * 1000 / steps)]
        # 2. The original model on positive and neutral, one CFG batch each.
        membrane.multiplier = 0.0
        with torch.no_grad():
            e_p = eps(z, t, c_p)
            e_n = eps(z, t, c_n)
        # 3-4. The membrane model on the target and the anchors (gradient), anchors without it.
        membrane.multiplier = 1.0
        anchors = sample_anchors(generator)
        with torch.enable_grad():
            e_t = eps(z, t, c_t)
            a = eps(z, t, anchors)
        membrane.multiplier = 0.0
        with torch.no_grad():
            a0 = eps(z, t, anchors)
        # 5-6. Loss, backward, AdamW on the membrane.
        with torch.enable_grad():
            loss = F.mse_loss(e_t, e_n - guidance * (e_p - e_n)) + la_strength * F.mse_loss(a, a0)
            loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    iteration(draws[0], *fresh())  # warm-up
    means, losses = [], []
    for _ in range(max(1, runs // 2)):
        state = fresh()
        start = time.perf_counter()
        losses = [iteration(t_to, *state) for t_to in draws]
        means.append((time.perf_counter() - start) / len(draws))
    results[TRAINING] = statistics.median(means)
    params = sum(p.numel() for p in membrane.parameters())
    notes[TRAINING] = (f"PyTorch: {len(membrane.adapters)} adapted layers ({params} parameters), "
                       f"t_to {draws} (Membrane's draws, mean {sum(draws) / len(draws):.1f}), "
                       f"loss {losses[0]:.4f} -> {losses[-1]:.4f}, AdamW (reference: AdamW8bit on CUDA)")
    log(f"  {LABELS[TRAINING]}: {format_time(results[TRAINING])} ({notes[TRAINING]})")
    membrane.remove()
    del unet, membrane
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


def run_membrane(bench, runs, model_dir, quick, only, commands=None):
    """Runs MembraneBench (streaming its output) and returns everything it printed; appends each
    command line to `commands` when given."""
    if only:
        invocations = [["--only", "unet-small" if only == "unet" and quick else only]]
    elif quick:
        invocations = [["--only", "kernels"], ["--only", "unet-small"], ["--only", "training"]]
    else:
        invocations = [[]]
    output = []
    for extra in invocations:
        command = [bench, "--runs", str(runs), "--model", model_dir] + extra
        log("$ " + " ".join(command))
        if commands is not None:
            commands.append(shlex.join(shown_path(a) for a in command))
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, bufsize=1)
        for line in process.stdout:
            print("  | " + line, end="", flush=True)
            output.append(line)
        if process.wait() != 0:
            sys.exit(f"compare_pytorch: {bench} exited with {process.returncode}")
    return "".join(output)


def shown_path(path):
    """`path` relative to the repository root when it is a path inside it, else unchanged."""
    if os.path.isabs(path) and os.path.abspath(path).startswith(ROOT + os.sep):
        return os.path.relpath(path, ROOT)
    return path


def performance_page(started, command, bench_commands, versions, runs, titles, table, notes, missing,
                     loads, busy):
    """docs/performance.md: header (date, CPU, commit), the exact commands, and the combined table
    `table` of (label, Membrane seconds or None, PyTorch seconds or None, ratio text)."""
    lines = docheader.header_lines("Membrane vs PyTorch CPU", started)
    lines += [
        f"- PyTorch side: {versions}",
        "",
        "Written by `make bench-compare` (`bench/compare_pytorch.py`); do not edit by hand, run it again.",
        f"Medians of the timed runs (runs {runs}, after one warm-up call), 2 threads on each side, both"
        " measured in the same run. Ratio > 1: Membrane slower; < 1: Membrane faster.",
        "",
        "## Commands",
        "",
        "Run from the repository root; the script runs MembraneBench itself after the PyTorch side:",
        "",
        "```sh",
        command,
    ] + [f"# then: {c}" for c in bench_commands] + ["```", ""]
    if titles:
        lines += ["MembraneBench tables: " + "; ".join(titles), ""]
    lines += ["| benchmark | Membrane | PyTorch | Membrane/PyTorch |", "|---|---|---|---|"]
    for label, m, p, ratio in table:
        lines.append(f"| {label} | {format_time(m) if m is not None else '-'} | "
                     f"{format_time(p) if p is not None else '-'} | {ratio} |")
    lines.append("")
    lines += [f"- {note}" for note in notes]
    if missing:
        lines.append(f"- not in MembraneBench's output: {', '.join(missing)}")
    lines.append("- 1-minute load average: " + ", ".join(f"{k} {v}" for k, v in loads.items()))
    if busy:
        lines.append("- **the machine was busy (load > 3 where the benchmark itself makes 2): timings and"
                     " ratios are unreliable; rerun when quiet**")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per benchmark (MembraneBench's --runs)")
    parser.add_argument("--quick", action="store_true", help="skip the SD v1.5 UNet")
    parser.add_argument("--only", choices=["kernels", "unet", "training"],
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
        if args.only in (None, "kernels"):
            pytorch_kernels(torch, F, args.runs, results)
        if args.only in (None, "unet"):
            pytorch_unets(torch, args.runs, args.model, not args.quick, results, notes)
        if args.only in (None, "training"):
            pytorch_training(torch, F, args.runs, args.model, results, notes)
    log(f"# PyTorch side took {time.perf_counter() - started:.0f} s\n")
    gc.collect()

    loads["Membrane start"] = load()
    started = time.perf_counter()
    bench_commands = []
    membrane, titles = parse_membrane(run_membrane(args.bench, args.runs, args.model, args.quick, args.only,
                                                   bench_commands))
    log(f"# MembraneBench took {time.perf_counter() - started:.0f} s")
    loads["end"] = load()

    names = list(results) + [n for n in membrane if n not in results]
    table = []
    for name in names:
        m = membrane.get(name, (None, ""))[0]
        p = results.get(name)
        table.append((LABELS.get(name, name), m, p, f"{m / p:.2f}" if m is not None and p else "-"))
    print(f"\n## Membrane vs PyTorch CPU ({versions}; 2 threads each; medians, runs {args.runs})")
    for title in titles:
        print(f"   Membrane table: {title}")
    width = max([42] + [len(LABELS.get(n, n)) + 2 for n in names])
    print(f"{'benchmark':<{width}}{'Membrane':>12}{'PyTorch':>12}{'Membrane/PyTorch':>18}")
    for label, m, p, ratio in table:
        print(f"{label:<{width}}{format_time(m) if m is not None else '-':>12}"
              f"{format_time(p) if p is not None else '-':>12}{ratio:>18}")
    row_notes = []
    for name in names:
        rss = re.search(r"peak RSS [0-9.]+ GB", membrane.get(name, (None, ""))[1])
        parts = ([f"Membrane {rss.group(0)}"] if rss else []) + ([notes[name]] if name in notes else [])
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
            started_utc, command, bench_commands, versions, args.runs, titles, table, row_notes, missing,
            loads, busy))
        print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
