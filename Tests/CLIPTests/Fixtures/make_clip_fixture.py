#!/usr/bin/env python3
"""Builds the tiny CLIP fixtures of Tests/CLIPTests and their goldens.

Two random transformers `CLIPModel`s, saved with save_pretrained (safetensors) next to a CLIP
tokenizer cut down from the real one (../shared/fixtures/clip-tokenizer: the 512 byte tokens, the
first MERGES merge rules and their tokens, the two special tokens) and a preprocessor_config.json:

- quickgelu/: hidden_act quick_gelu, the legacy text `eos_token_id` 2 (pooling at the argmax of
  the ids), float32 weights, 32 px images (size as {"shortest_edge": 32}, crop as a dict).
- gelu/: hidden_act gelu, `eos_token_id` set to the tokenizer's end token, bfloat16 weights,
  40 px images (size and crop as plain integers), other mean/std.

Goldens (<name>-goldens.safetensors, float32 unless noted), computed in float32 from the weights
as stored:
- image.<k> (U8, H x W x C) test images; pixels.<k> [3, S, S] the image processor's output;
  image_features.<k> [P] = get_image_features of those pixels (not normalised).
- input_ids [N, 77] (I64) the tokenizer's ids of the prompts (metadata "prompts");
  text_features [N, P] = get_text_features (not normalised);
  cosine [images, N] = CLIPModel's logits_per_image / exp(logit_scale).
- crafted_ids [R, L] (I64) hand-made id rows that tell the pooling rules apart;
  crafted_features [R, P].
resample-goldens.safetensors: PIL resizes of one RGB image by every filter the reader supports
(resize.<filter>.<w>x<h>, U8) and a center crop larger than its input (crop_pad, float32 pixels).

The image processor is transformers' PIL backend (CLIPImageProcessorPil: PIL resampling, as
CLIPImageProcessor was before transformers 5 made torchvision its default).

Run from the repository root:
  /work/venv-diffusers/bin/python Tests/CLIPTests/Fixtures/make_clip_fixture.py
"""
import json
import os
import shutil
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import CLIPConfig, CLIPModel, CLIPTokenizer
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

HERE = os.path.dirname(os.path.abspath(__file__))
REAL_TOKENIZER = os.path.join(HERE, "..", "..", "..", "..", "shared", "fixtures", "clip-tokenizer")
MERGES = 300
PROMPTS = ["a photo of a cat", "a red circle", "Snoopy in a park!", "", "a b c d e f g"]
IMAGE_SIZES = {"sized": None, "wide": (48, 40), "square64": (64, 64), "small_tall": (20, 27),
               "gray": (36, 50), "rgba": (40, 40)}


def write_tokenizer(folder):
    """vocab.json / merges.txt holding the first MERGES merges of the real CLIP tokenizer."""
    with open(os.path.join(REAL_TOKENIZER, "vocab.json"), encoding="utf-8") as f:
        real = json.load(f)
    with open(os.path.join(REAL_TOKENIZER, "merges.txt"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    header, rules = lines[0], [l for l in lines[1:] if l][:MERGES]
    by_id = sorted(real.items(), key=lambda kv: kv[1])
    vocab = {tok: i for tok, i in by_id[:512]}
    for rule in rules:
        merged = rule.replace(" ", "")
        vocab.setdefault(merged, len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join([header] + rules) + "\n")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        shutil.copyfile(os.path.join(REAL_TOKENIZER, name), os.path.join(folder, name))
    return vocab


def test_images(crop):
    """Deterministic images: gradients, sharp blocks (overshoot for bicubic) and noise."""
    rng = np.random.RandomState(1234)
    images = {}
    for name, size in IMAGE_SIZES.items():
        w, h = size if size else (crop, crop)
        channels = 1 if name == "gray" else 4 if name == "rgba" else 3
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + y) * 7) % 256], -1)
        base[h // 4: h // 2, w // 3: 2 * w // 3] = [255, 0, 255]
        noise = rng.randint(-40, 41, size=(h, w, 3))
        img = np.clip(base + noise, 0, 255).astype(np.uint8)
        if channels == 1:
            img = img[..., :1]
        if channels == 4:
            alpha = ((x * 255) // (w - 1)).astype(np.uint8)[..., None]
            img = np.concatenate([img, alpha], -1)
        images[name] = img
    return images


def write_legacy_preprocessor(folder, kwargs):
    """preprocessor_config.json as openai/clip-vit-base-patch32 writes it: sizes as integers, no
    rescale keys (their defaults apply), the feature extractor's type name."""
    config = {"crop_size": kwargs["crop_size"], "do_center_crop": True, "do_normalize": True, "do_resize": True,
              "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": kwargs["image_mean"],
              "image_std": kwargs["image_std"], "resample": 3, "size": kwargs["size"]}
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return config


def build(name, act, legacy_eos, dtype, image_size, patch, processor_kwargs, legacy_preprocessor=False):
    folder = os.path.join(HERE, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    vocab = write_tokenizer(folder)
    eos = vocab["<|endoftext|>"]
    torch.manual_seed(0 if name == "quickgelu" else 1)
    text = dict(vocab_size=len(vocab) + 8, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=4, max_position_embeddings=77, hidden_act=act,
                bos_token_id=vocab["<|startoftext|>"], eos_token_id=2 if legacy_eos else eos, pad_token_id=eos)
    vision = dict(hidden_size=40, intermediate_size=80, num_hidden_layers=2, num_attention_heads=4,
                  image_size=image_size, patch_size=patch, hidden_act=act)
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=24, logit_scale_init_value=2.6592)
    model = CLIPModel(config).eval()
    with torch.no_grad():  # random, non-trivial norms and scale
        for n, p in model.named_parameters():
            if "norm" in n or "layrnorm" in n:
                p.add_(0.1 * torch.randn_like(p))
        model.logit_scale.fill_(3.0)
    model.to(dtype).save_pretrained(folder, safe_serialization=True)
    model = CLIPModel.from_pretrained(folder, dtype=torch.float32).eval()

    processor = CLIPImageProcessorPil(**processor_kwargs)
    processor.save_pretrained(folder)
    if legacy_preprocessor:  # the older file layout hub CLIP folders still ship
        write_legacy_preprocessor(folder, processor_kwargs)
    tokenizer = CLIPTokenizer.from_pretrained(folder)

    tensors, crop = {}, processor_kwargs["crop_size"]
    crop = crop if isinstance(crop, int) else crop["height"]
    images = test_images(crop)
    with torch.no_grad():
        for key, img in images.items():
            pixels = processor(images=img, return_tensors="pt", input_data_format="channels_last")["pixel_values"]
            tensors[f"image.{key}"] = torch.from_numpy(img.copy())
            tensors[f"pixels.{key}"] = pixels[0].float()
            tensors[f"image_features.{key}"] = model.get_image_features(pixel_values=pixels).pooler_output[0]
        ids = tokenizer(PROMPTS, padding="max_length", max_length=77, truncation=True, return_tensors="pt")
        tensors["input_ids"] = ids["input_ids"].to(torch.int64)
        tensors["text_features"] = model.get_text_features(**ids).pooler_output
        all_pixels = torch.stack([tensors[f"pixels.{k}"] for k in images])
        out = model(input_ids=ids["input_ids"], attention_mask=ids["attention_mask"], pixel_values=all_pixels)
        tensors["cosine"] = out.logits_per_image / model.logit_scale.exp()
        bos, big = vocab["<|startoftext|>"], len(vocab) + 3
        crafted = torch.tensor([
            [bos, 70, big, 80, eos, eos, eos, 5],   # an id above eos before the first eos
            [bos, 9, eos, 100, eos, 40, 41, 42],    # eos twice
            [bos, 64, 65, 66, 67, 68, 69, 70],      # no eos at all
        ], dtype=torch.int64)
        tensors["crafted_ids"] = crafted
        tensors["crafted_features"] = model.get_text_features(input_ids=crafted).pooler_output
    meta = {"prompts": json.dumps(PROMPTS), "images": json.dumps(list(images))}
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(HERE, f"{name}-goldens.safetensors"), meta)
    return images


def resample_goldens(image):
    """PIL resizes of `image` by each filter, down and up, and a padding center crop."""
    tensors = {}
    pil = Image.fromarray(image)
    filters = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "lanczos": Image.LANCZOS,
               "box": Image.BOX, "hamming": Image.HAMMING}
    for fname, f in filters.items():
        for w, h in [(17, 23), (71, 50), (48, 13)]:
            tensors[f"resize.{fname}.{w}x{h}"] = torch.from_numpy(np.array(pil.resize((w, h), resample=f)))
    processor = CLIPImageProcessorPil(do_resize=False, crop_size={"height": 30, "width": 52},
                                      image_mean=[0.5, 0.25, 0.75], image_std=[0.5, 0.2, 0.4])
    pixels = processor(images=image, return_tensors="pt", input_data_format="channels_last")["pixel_values"]
    tensors["crop_pad.input"] = torch.from_numpy(image.copy())
    tensors["crop_pad"] = pixels[0].float()
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(HERE, "resample-goldens.safetensors"))


def main():
    images = build("quickgelu", "quick_gelu", True, torch.float32, 32, 8, dict(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}))
    build("gelu", "gelu", False, torch.bfloat16, 40, 10, dict(
        size=40, crop_size=40, image_mean=[0.5, 0.4, 0.3], image_std=[0.2, 0.3, 0.25]), legacy_preprocessor=True)
    resample_goldens(images["wide"][:, :, :3])
    total = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(HERE) for f in files)
    print(f"fixtures: {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
