"""The PyTorch side of the kernel rows and the shapesworld-a UNet rows of `make bench-compare`,
mirroring KernelBench.swift and UNetBench.swift (float32, the caller's thread count, one untimed
warm-up call, the same number of timed calls)."""

import gc
import os

from benchrows import (CONV, CONV_GRAD, CROSS_ATTN, SELF_ATTN, SELF_ATTN_GRAD, SGEMM, SMALL_UNET,
                       format_time, log, median_seconds)


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


def pytorch_unets(torch, runs, model_dir, results):
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
