"""What both sides of `make bench-compare` share: the row names as MembraneBench prints them,
timing and formatting as Timing.swift does them, and the SD v1.5 architecture read from
MembraneBench's sources (SD15Models.swift) with the tiny smoke-test overrides."""

import json
import os
import re
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SD15_MODELS_SWIFT = os.path.join(ROOT, "Sources", "MembraneBench", "SD15Models.swift")
TRAINING_CONFIG = os.path.join(ROOT, "configs", "shapesworld", "red.yaml")
CLIP_TOKENIZER = os.path.join(ROOT, "Resources", "clip-vit-large-patch14")
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
SD15_UNET_GRAD = "SD v1.5 UNet forward + backward 64x64, batch 1"
SD15_SPM = "SD v1.5 SPM iteration 256px"
TRAINING = "training iteration, red.yaml"
# Labels in the combined table where the two sides do not run the same code.
LABELS = {TRAINING: TRAINING + " (reference loop)", SD15_SPM: SD15_SPM + " (reference loop)"}

# The SD v1.5 rows, each measured in a process of its own on both sides (its own peak RSS):
# MembraneBench's --only value (SD15Row in SD15Bench.swift) -> row name.
SD15_ROWS = {"sd15-forward": SD15_UNET, "sd15-forward-backward": SD15_UNET_GRAD, "sd15-spm": SD15_SPM}
SPM_TRAJECTORY_LENGTH = 15  # t_to of the SD v1.5 SPM row (sd15SPMRow's default)
SPM_RESOLUTION = 256

# MEMBRANE_BENCH_SD15_TINY=1: the overrides of SD15Size.tiny in SD15Models.swift.
TINY_ENV = "MEMBRANE_BENCH_SD15_TINY"
TINY_UNET = {"block_out_channels": [32, 32, 32, 32], "cross_attention_dim": 32}
TINY_TEXT_ENCODER = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "projection_dim": 32}
# SD v1.5's text_encoder/config.json (CLIP ViT-L/14's text tower), as DefaultConfigs.swift.
SD15_TEXT_ENCODER = {"vocab_size": 49408, "hidden_size": 768, "intermediate_size": 3072,
                     "num_hidden_layers": 12, "num_attention_heads": 12, "max_position_embeddings": 77,
                     "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5, "bos_token_id": 0,
                     "eos_token_id": 2, "pad_token_id": 1, "projection_dim": 768}
# SD v1.5's noise schedule, as DefaultConfigs.swift.
SD15_SCHEDULER = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012,
                  "beta_schedule": "scaled_linear", "prediction_type": "epsilon", "set_alpha_to_one": False,
                  "steps_offset": 1, "clip_sample": False, "timestep_spacing": "leading"}


def tiny(environ=None):
    """Whether the SD v1.5 rows run at the smoke-test size (as SD15Size.current)."""
    return (os.environ if environ is None else environ).get(TINY_ENV) == "1"


def sd15_unet_config(small=False, source=None):
    """The SD v1.5 UNet config MembraneBench builds its UNet from, read from its source (`source`
    text, else SD15Models.swift), with the tiny overrides when `small`."""
    if source is None:
        with open(SD15_MODELS_SWIFT, encoding="utf-8") as f:
            source = f.read()
    match = re.search(r'let sd15UNetConfig = """\n(.*?)\n"""', source, re.S)
    if not match:
        sys.exit(f"compare_pytorch: no sd15UNetConfig string in {SD15_MODELS_SWIFT}")
    config = {k: v for k, v in json.loads(match.group(1)).items() if not k.startswith("_")}
    return dict(config, **TINY_UNET) if small else config


def sd15_text_encoder_config(small=False):
    return dict(SD15_TEXT_ENCODER, **TINY_TEXT_ENCODER) if small else dict(SD15_TEXT_ENCODER)


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


def format_rss(nbytes):
    return f"{nbytes / 1e9:.2f} GB" if nbytes is not None else "-"


def log(message):
    print(message, flush=True)


def load():
    """The 1-minute load average: the machine is shared, so each side's timings carry it."""
    return f"{os.getloadavg()[0]:.1f}"


MASK64 = (1 << 64) - 1


def membrane_trajectory_lengths(seed, iterations, steps):
    """t_to of iterations 0..<iterations (batch 1: unit 0) exactly as MembraneTrainer draws them:
    the first draw, rng.int(in: 1..<steps), of its stream for (seed, iteration, unit)
    (SPMObjective.stream; xoshiro256** seeded through SplitMix64 as in RandomSource.swift).
    Both sides then run the same trajectory lengths, which dominate the cost of an iteration:
    the mean of 30 independent draws in [1, 30) varies by about 10% (one standard deviation)."""
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
