#!/usr/bin/env python3
"""Writes the generated part of the seed corpus in fuzz/corpus/ (run from the repository root).

Small, valid inputs for each fuzz target, so libFuzzer starts from files that pass the readers'
checks and mutates from there: tiny safetensors files in every dtype, tiny membranes for the
embedded model (models/shapesworld-a), catalogs, prompts, and the embedded tokenizer's files.
The shipped configs and the .ckpt test fixtures are copied as they are. Deterministic output.
"""
import json
import os
import shutil
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def safetensors(tensors, metadata=None):
    """Bytes of a safetensors file: tensors is a list of (name, dtype, shape, raw bytes)."""
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def floats(values, fmt="f"):
    return struct.pack("<%d%s" % (len(values), fmt), *values)


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors_seeds():
    write("safetensors", "f32.safetensors", safetensors([("w", "F32", [2, 3], floats([0.5, -1, 2, 3, 4, 1e-3]))]))
    write("safetensors", "scalar.safetensors", safetensors([("alpha", "F32", [], floats([1.0]))], {"format": "pt"}))
    write("safetensors", "empty.safetensors", safetensors([]))
    write("safetensors", "zero-size.safetensors", safetensors([("z", "F32", [0, 4], b"")]))
    write("safetensors", "mixed.safetensors", safetensors([
        ("a.half", "F16", [3], floats([1, -2, 0.25], "e")),
        ("b.bf16", "BF16", [2], b"\x80\x3f\x00\xc0"),
        ("c.double", "F64", [2], floats([1.5, -0.5], "d")),
        ("d.long", "I64", [2], struct.pack("<2q", 7, -9)),
        ("e.bytes", "U8", [4], b"\x00\x01\xfe\xff"),
        ("f.int", "I32", [1], struct.pack("<i", 3)),
        ("g.bool", "BOOL", [2], b"\x00\x01"),
    ], {"membrane.targets": '["red"]', "note": "seed"}))


# A linear and a 1x1 conv adapter site of the embedded model's UNet (down_blocks.0, 32 channels).
LINEAR = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"
CONV = "lora_unet_down_blocks_0_attentions_0_proj_in"


def membrane_seeds():
    down, up = floats([0.01 * i for i in range(32)]), floats([-0.02 * i for i in range(32)])
    write("membrane", "linear.safetensors", safetensors([
        (LINEAR + ".alpha", "F32", [], floats([1.0])),
        (LINEAR + ".lora_down.weight", "F32", [1, 32], down),
        (LINEAR + ".lora_up.weight", "F32", [32, 1], up),
    ], {"membrane.targets": '["red"]', "membrane.format": "1", "rank": "1"}))
    write("membrane", "conv-f16.safetensors", safetensors([
        (CONV + ".lora_down.weight", "F16", [1, 32, 1, 1], floats([0.5] * 32, "e")),
        (CONV + ".lora_up.weight", "F16", [32, 1, 1, 1], floats([-0.25] * 32, "e")),
    ], {"prompts": "red, crimson", "alpha": "0.5"}))
    write("membrane", "two-layers.safetensors", safetensors([
        (LINEAR + ".lora_down.weight", "F32", [1, 32], down),
        (LINEAR + ".lora_up.weight", "F32", [32, 1], up),
        (CONV + ".alpha", "F32", [], floats([2.0])),
        (CONV + ".lora_down.weight", "F32", [1, 32, 1, 1], down),
        (CONV + ".lora_up.weight", "F32", [32, 1, 1, 1], up),
    ]))


def text_seeds():
    prompts = ["a red circle", "an orange diamond on a blue square", "", "<|startoftext|>red<|endoftext|>",
               "Van Gogh's \"Starry Night\", 1889 -- oil on canvas!!", "ÄÖÜ straße 東京 🎨🖌️ naïve café",
               "a  red\tcircle\n\nRED CIRCLE", "circle " * 90, "x" * 300, "it's don't we'll 12345.678"]
    for i, text in enumerate(prompts):
        write("tokenizer", "prompt-%02d.txt" % i, text)
    tokenizer = os.path.join(ROOT, "models", "shapesworld-a", "tokenizer")
    with open(os.path.join(tokenizer, "vocab.json"), "rb") as f:
        vocab = f.read()
    with open(os.path.join(tokenizer, "merges.txt"), "rb") as f:
        merges = f.read()
    write("tokenizer-files", "shapesworld-a", vocab + b"\0" + merges)
    write("tokenizer-files", "tiny", json.dumps({"a": 0, "b": 1, "ab</w>": 2, "<|startoftext|>": 3, "<|endoftext|>": 4}).encode()
          + b"\0#version: 0.2\na b</w>\n")


def config_seeds():
    for group in ["shapesworld", "sd-v1"]:
        folder = os.path.join(ROOT, "configs", group)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".yaml"):
                shutil.copyfile(os.path.join(folder, name), os.path.join(CORPUS, "config", group + "-" + name))
    # The catalog target's folder holds model/ and base.yaml (configs/shapesworld/red.yaml).
    write("catalog", "two-concepts.yaml", "model: model\nconfig: base.yaml\ncheckpoint_every: 10\nconcepts:\n"
          "  - name: red\n  - name: blue\n    iterations: 20\n    target: blue\n")
    write("catalog", "inline.yaml", "model: ./model\niterations: 5\nlr: 0.0001\nconcepts:\n"
          "  - {name: circle, seed: 3}\n  - name: \"Van Gogh\"\n    guidance_scale: 3.0\n")


def ckpt_seeds():
    folder = os.path.join(ROOT, "Tests", "TorchCheckpointTests", "Fixtures")
    os.makedirs(os.path.join(CORPUS, "ckpt"), exist_ok=True)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".ckpt"):
            shutil.copyfile(os.path.join(folder, name), os.path.join(CORPUS, "ckpt", name))


def main():
    os.makedirs(os.path.join(CORPUS, "config"), exist_ok=True)
    safetensors_seeds()
    membrane_seeds()
    text_seeds()
    config_seeds()
    ckpt_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
