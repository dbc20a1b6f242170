"""The PyTorch side of the SD v1.5 rows of `make bench-compare`, one row per process so that each
reports its own peak RSS (ru_maxrss), as MembraneBench runs each row with `--only sd15-...`.

Random weights (PyTorch's default initialisation) of SD v1.5's architecture, read from
MembraneBench's sources (benchrows.sd15_unet_config); MEMBRANE_BENCH_SD15_TINY=1 applies the
same smoke-test overrides as MembraneBench. Rows (SD15Bench.swift does the same work):
- sd15-forward: UNet forward at a 64x64 latent, batch 1.
- sd15-forward-backward: the same UNet with requires_grad off on every weight and a rank-1
  adapter (ReferenceMembrane: every Linear and Conv2d inside every Transformer2DModel, as
  Membrane's adapter sites) with requires_grad on; loss = mean of the output squared, backward.
- sd15-spm: one iteration of the reference loop (pytorch_training.ReferenceLoop) with
  configs/shapesworld/red.yaml at 256 px (32x32 latent) and t_to 15, on the UNet, a CLIP ViT-L/14
  text encoder (77 tokens, random weights; it runs once, before timing) and the repository's
  CLIP tokenizer; no VAE (training never runs one).
Timed as MembraneBench: one untimed warm-up call, median of max(1, runs // 2) calls.

Usage: python bench/sd15_pytorch.py ROW [--runs N]; prints one JSON line
{"name", "seconds", "peak_rss_bytes", "note"} last.
"""

import argparse
import json
import resource
import sys
import time

from benchrows import (CLIP_TOKENIZER, SD15_ROWS, SD15_SCHEDULER, SPM_RESOLUTION, SPM_TRAJECTORY_LENGTH,
                       median_seconds, sd15_text_encoder_config, sd15_unet_config, tiny)


def peak_rss_bytes():
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def random_unet(torch, small):
    from diffusers import UNet2DConditionModel

    torch.manual_seed(2)
    return UNet2DConditionModel(**sd15_unet_config(small)).eval()


def forward(torch, runs, small):
    start = time.perf_counter()
    unet = random_unet(torch, small)
    built = time.perf_counter() - start
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 4, 64, 64, generator=g)
    ctx = torch.randn(1, 77, unet.config.cross_attention_dim, generator=g)
    timesteps = torch.tensor([500])
    with torch.no_grad():
        seconds = median_seconds(max(1, runs // 2), lambda: unet(x, timesteps, encoder_hidden_states=ctx))
    params = sum(p.numel() for p in unet.parameters())
    return seconds, f"{params / 1e6:.0f} M parameters built in {built:.0f} s"


def forward_backward(torch, runs, small):
    from pytorch_training import ReferenceMembrane

    unet = random_unet(torch, small)
    unet.requires_grad_(False)
    membrane = ReferenceMembrane(torch, unet)
    membrane.reset()
    trainable = membrane.parameters()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 4, 64, 64, generator=g)
    ctx = torch.randn(1, 77, unet.config.cross_attention_dim, generator=g)
    timesteps = torch.tensor([500])

    def step():
        with torch.enable_grad():
            for p in trainable:
                p.grad = None
            out = unet(x, timesteps, encoder_hidden_states=ctx).sample
            (out * out).mean().backward()

    seconds = median_seconds(max(1, runs // 2), step)
    frozen = [p for p in unet.parameters() if p.requires_grad and all(p is not q for q in trainable)]
    if frozen or any(p.grad is None for p in trainable):
        sys.exit("sd15_pytorch: gradients must reach the adapters and no UNet weight")
    return seconds, f"adapter on {len(membrane.adapters)} layers, {sum(p.numel() for p in trainable)} parameters"


def spm(torch, runs, small):
    import torch.nn.functional as F
    from diffusers import DDIMScheduler
    from pytorch_training import ReferenceLoop, training_config
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    unet = random_unet(torch, small)
    text_encoder = CLIPTextModel(CLIPTextConfig(**sd15_text_encoder_config(small))).eval()
    tokenizer = CLIPTokenizer.from_pretrained(CLIP_TOKENIZER)
    scheduler = DDIMScheduler(**SD15_SCHEDULER)
    loop = ReferenceLoop(torch, F, unet, tokenizer, text_encoder, scheduler, training_config(), SPM_RESOLUTION // 8)
    del text_encoder
    state = loop.fresh()
    losses = []
    seconds = median_seconds(max(1, runs // 2), lambda: losses.append(loop.iteration(SPM_TRAJECTORY_LENGTH, *state)))
    return seconds, (f"{loop.describe()}, t_to {SPM_TRAJECTORY_LENGTH}, {SPM_RESOLUTION} px, "
                     f"loss {losses[0]:.4f}, AdamW")


ROWS = {"sd15-forward": forward, "sd15-forward-backward": forward_backward, "sd15-spm": spm}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("row", choices=sorted(ROWS))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    small = tiny()
    seconds, note = ROWS[args.row](torch, args.runs, small)
    if small:
        note += f"; TINY smoke size ({'MEMBRANE_BENCH_SD15_TINY'}=1), not SD v1.5"
    print(json.dumps({"name": SD15_ROWS[args.row], "seconds": seconds, "peak_rss_bytes": peak_rss_bytes(),
                      "note": note}), flush=True)


if __name__ == "__main__":
    main()
