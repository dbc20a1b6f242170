"""Writes the .ckpt fixtures of TorchCheckpointTests (run once; the outputs are committed).

Usage: python make_fixtures.py   (in a throwaway environment with torch and numpy installed;
the committed files were made with torch 2.15.0 and numpy from PyPI)

Real checkpoints come from torch.save. Hostile ones are built with Python's pickle and zipfile in
torch's zip layout (<folder>/data.pkl, <folder>/data/<key>, <folder>/byteorder, <folder>/version),
so the reader under test sees exactly what a malicious download would give it. Nothing here is
ever unpickled.
"""

import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

# Files the malicious payloads would create if they ever ran; the tests check they never appear.
MARKER_SYSTEM = "/tmp/membrane-torchcheckpoint-marker-system"
MARKER_EVAL = "/tmp/membrane-torchcheckpoint-marker-eval"


def out(name):
    return os.path.join(HERE, name)


# ---------------------------------------------------------------------------------------------
# Real checkpoints written by torch.save

def real_checkpoints():
    torch.save({
        "weight": torch.tensor([[0.1, -2.5, 3.0], [1e-45, 3.4028235e38, -0.0]], dtype=torch.float32),
        "bias": torch.tensor([1.5, -2.25], dtype=torch.float32),
        "scalar": torch.tensor(3.25, dtype=torch.float32),
        "position_ids": torch.arange(5, dtype=torch.int64).reshape(1, 5),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }, out("float32.ckpt"))

    torch.save({
        "weight": torch.tensor([1.0, -0.5, 65504.0, 2.0 ** -24, 0.0999755859375, float("-inf")],
                               dtype=torch.float16).reshape(2, 3),
    }, out("float16.ckpt"))

    torch.save({
        "weight": torch.tensor([1.5, -0.15625, 256.0, 2.0 ** -10], dtype=torch.bfloat16).reshape(2, 2),
    }, out("bfloat16.ckpt"))

    # An nn.Parameter (rebuilt through torch._utils._rebuild_parameter) and a tensor that
    # requires grad.
    torch.save({"p": torch.nn.Parameter(torch.tensor([0.5, -1.0])),
                "g": torch.tensor([2.0], requires_grad=True)}, out("parameter.ckpt"))

    # The same float32 state dict with protocol 4 opcodes (FRAME, MEMOIZE, SHORT_BINUNICODE, ...).
    torch.save({"bias": torch.tensor([1.5, -2.25])}, out("protocol4.ckpt"), pickle_protocol=4)

    # A Lightning-style Stable Diffusion checkpoint: a module's state dict (an OrderedDict with
    # _metadata, set by BUILD) under "state_dict", scalars beside it, optimizer state and a
    # callbacks dict keyed by a class, with numpy scalars, as the original SD v1 files have.
    model = torch.nn.Module()
    model.diffusion_model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.diffusion_model.weight.copy_(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        model.diffusion_model.bias.copy_(torch.tensor([0.25, -0.75]))
    state = model.state_dict()
    state["cond_stage_model.transformer.text_model.embeddings.position_ids"] = torch.arange(4).reshape(1, 4)
    for package in ("pytorch_lightning", "pytorch_lightning.callbacks"):
        sys.modules[package] = types.ModuleType(package)
    lightning = types.ModuleType("pytorch_lightning.callbacks.model_checkpoint")

    class ModelCheckpoint:
        pass

    ModelCheckpoint.__module__ = lightning.__name__
    ModelCheckpoint.__qualname__ = "ModelCheckpoint"
    lightning.ModelCheckpoint = ModelCheckpoint
    sys.modules[lightning.__name__] = lightning
    torch.save({
        "epoch": 3,
        "global_step": 470000,
        "pytorch-lightning_version": "1.4.2",
        "state_dict": state,
        "callbacks": {ModelCheckpoint: {"best_model_score": np.float64(0.5), "monitor": None}},
        "optimizer_states": [{"state": {0: {"exp_avg": torch.zeros(2)}},
                              "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.999), "params": [0, 1]}]}],
        "lr_schedulers": [],
    }, out("lightning.ckpt"))

    # Views: a slice at a storage offset, two tensors sharing one storage, a row of a matrix, a
    # transposed (non-contiguous) matrix, and a nested plain dict inside the state dict.
    base = torch.arange(10, dtype=torch.float32)
    matrix = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    torch.save({"state_dict": {
        "offset": base[3:7],
        "shared_a": base[0:2],
        "shared_b": base[8:10],
        "row": matrix[1],
        "transposed": matrix.t(),
        "block": {"inner": {"weight": torch.tensor([7.0, 8.0])}},
        "note": "not a tensor",
    }}, out("views.ckpt"))

    # A legacy (torch < 1.6) bare-pickle checkpoint.
    torch.save({"bias": torch.tensor([1.5])}, out("legacy.ckpt"), _use_new_zipfile_serialization=False)


# ---------------------------------------------------------------------------------------------
# Hostile checkpoints in torch's zip layout

def torch_zip(path, pickle_bytes, storages=None, folder="archive", byteorder=b"little",
              compression=zipfile.ZIP_STORED):
    files = [(f"{folder}/data.pkl", pickle_bytes)]
    if byteorder is not None:
        files.append((f"{folder}/byteorder", byteorder))
    files += [(f"{folder}/data/{key}", data) for key, data in (storages or {}).items()]
    files.append((f"{folder}/version", b"3\n"))
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files:
            # A fixed timestamp keeps the fixtures byte-identical from run to run.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data,
                             compress_type=compression)


class Storage:
    """Stands for a storage in a crafted pickle; becomes a persistent id."""

    def __init__(self, storage_type, key, numel):
        self.pid = ("storage", storage_type, key, "cpu", numel)


class Tensor:
    """A tensor as torch pickles it, with any storage, offset, size and stride."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


class CraftingPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, Storage) else None


def crafted(obj, protocol=2):
    buffer = io.BytesIO()
    CraftingPickler(buffer, protocol=protocol).dump(obj)
    return buffer.getvalue()


class SystemPayload:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER_SYSTEM}",))


class EvalPayload:
    def __reduce__(self):
        return (eval, (f"__import__('os').system('touch {MARKER_EVAL}')",))


def floats(values):
    return struct.pack(f"<{len(values)}f", *values)


def hostile_checkpoints():
    four = floats([1.0, 2.0, 3.0, 4.0])
    good = Tensor(Storage(torch.FloatStorage, "0", 4), 0, (4,), (1,))

    # Code execution attempts: os.system (pickled as posix.system) ahead of a good tensor, and
    # builtins.eval with protocol 4's STACK_GLOBAL, hidden in a nested state dict.
    torch_zip(out("evil_system.ckpt"), crafted({"payload": SystemPayload(), "w": good}), {"0": four})
    torch_zip(out("evil_eval.ckpt"),
              crafted({"state_dict": {"w": good, "x": EvalPayload()}}, protocol=4), {"0": four})

    # A storage entry shorter than the element count its persistent id declares.
    torch_zip(out("short_storage.ckpt"), crafted({"w": good}), {"0": four[:8]})
    # A storage declaring 2^40 elements over a 16-byte entry.
    huge = Tensor(Storage(torch.FloatStorage, "0", 2 ** 40), 0, (4,), (1,))
    torch_zip(out("huge_storage.ckpt"), crafted({"w": huge}), {"0": four})
    # A tensor reaching past the end of its storage (offset 2 + 4 elements in a 4-element storage).
    past = Tensor(Storage(torch.FloatStorage, "0", 4), 2, (4,), (1,))
    torch_zip(out("past_storage.ckpt"), crafted({"w": past}), {"0": four})
    # A shape whose element count overflows 64 bits.
    overflow = Tensor(Storage(torch.FloatStorage, "0", 4), 0, (2 ** 31 - 1,) * 3, (0, 0, 0))
    torch_zip(out("shape_overflow.ckpt"), crafted({"w": overflow}), {"0": four})
    # A persistent id naming a storage key that could address other entries.
    sneaky = Tensor(Storage(torch.FloatStorage, "../data.pkl", 4), 0, (4,), (1,))
    torch_zip(out("bad_key.ckpt"), crafted({"w": sneaky}), {"0": four})

    # The layout is right but every entry is deflate-compressed (torch.save never compresses).
    torch_zip(out("compressed.ckpt"), crafted({"w": good}), {"0": four}, compression=zipfile.ZIP_DEFLATED)
    # Big-endian data.
    torch_zip(out("big_endian.ckpt"), crafted({"w": good}), {"0": four}, byteorder=b"big")
    # A zip without data.pkl.
    with zipfile.ZipFile(out("no_pickle.ckpt"), "w") as archive:
        archive.writestr(zipfile.ZipInfo("archive/weights.bin", date_time=(2024, 1, 1, 0, 0, 0)), four)
    # A pickle whose top level is a list, not a dict.
    torch_zip(out("list_root.ckpt"), crafted([good]), {"0": four})

    # data.pkl's zip headers claim 4 GiB (a zip bomb's declared size).
    torch_zip(out("declared_huge.ckpt"), crafted({"w": good}), {"0": four})
    patch_declared_size(out("declared_huge.ckpt"), "archive/data.pkl", 0xFFFF_FFF0)

    # Deep nesting: 200 lists each appended into the one below, 10001 open MARKs, and 200
    # nested 1-tuples; each is a complete pickle the reader must refuse by its limits.
    nested_lists = b"\x80\x02" + b"]" * 200 + b"a" * 199 + b"."
    torch_zip(out("deep_lists.ckpt"), nested_lists)
    torch_zip(out("deep_marks.ckpt"), b"\x80\x02" + b"(" * 10001 + b"}.")
    torch_zip(out("deep_tuples.ckpt"), b"\x80\x02N" + b"\x85" * 200 + b".")
    # A list that appends itself (a cycle), and a pickle cut off mid-string.
    torch_zip(out("cycle.ckpt"), b"\x80\x02]q\x00h\x00a.")
    torch_zip(out("cut_pickle.ckpt"), b"\x80\x02}q\x00X\x10\x00\x00\x00abc")
    # INST, a protocol-0 opcode that imports and calls a class by name.
    torch_zip(out("inst_opcode.ckpt"), b"\x80\x02(ios\nsystem\nX\x04\x00\x00\x00true.")


def patch_declared_size(path, name, size):
    """Sets the sizes of entry `name` in its local header and the central directory."""
    data = bytearray(open(path, "rb").read())
    encoded = name.encode()
    for signature, offset in ((b"PK\x03\x04", 18), (b"PK\x01\x02", 20)):
        start = 0
        while True:
            start = data.find(signature, start)
            if start < 0:
                break
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(encoded)] == encoded:
                struct.pack_into("<II", data, start + offset, size, size)
            start += 4
    open(path, "wb").write(bytes(data))


def write_zip64(path, files, first_offset=None):
    """Writes `files` (name -> bytes, stored) as a zip whose every size and offset is in ZIP64
    records, as torch writes checkpoints over 4 GiB; `first_offset` overrides where the central
    directory says the first entry starts."""
    body, central = bytearray(), bytearray()
    for name, data in files:
        encoded = name.encode()
        crc = zipfile.crc32(data) & 0xFFFFFFFF
        offset = len(body)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                            len(encoded), len(local_extra)) + encoded + local_extra + data
        if first_offset is not None and offset == 0:
            offset = first_offset
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF,
                               0xFFFFFFFF, len(encoded), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + encoded + extra
    directory_offset, record_offset = len(body), len(body) + len(central)
    record = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(files), len(files),
                         len(central), directory_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, record_offset, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    open(path, "wb").write(bytes(body + central + record + locator + end))


def zip64_copy():
    with zipfile.ZipFile(out("float32.ckpt")) as archive:
        files = [(info.filename, archive.read(info)) for info in archive.infolist()]
    write_zip64(out("zip64.ckpt"), files)
    # data.pkl's local header placed at the largest 64-bit offset.
    write_zip64(out("zip64_bad_offset.ckpt"), files, first_offset=2 ** 64 - 1)
    assert torch.load(out("zip64.ckpt"))["bias"].tolist() == [1.5, -2.25]


def damaged_copies():
    whole = open(out("float32.ckpt"), "rb").read()
    open(out("truncated.ckpt"), "wb").write(whole[: len(whole) // 2])
    open(out("empty.ckpt"), "wb").write(b"")
    open(out("not_zip.ckpt"), "wb").write(b"GGUF\x03\x00\x00\x00")
    # One byte of storage "0" flipped, so its CRC-32 no longer matches.
    with zipfile.ZipFile(out("float32.ckpt")) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("/data/0"))
    data = bytearray(whole)
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    data[info.header_offset + 30 + name_length + extra_length] ^= 0xFF
    open(out("bad_crc.ckpt"), "wb").write(bytes(data))


if __name__ == "__main__":
    real_checkpoints()
    hostile_checkpoints()
    zip64_copy()
    damaged_copies()
    print("wrote", len([n for n in os.listdir(HERE) if n.endswith(".ckpt")]), "fixtures to", HERE)
