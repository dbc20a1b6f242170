#!/usr/bin/env python3
"""Writes a .safetensors file's tensors as a PyTorch zip checkpoint ({"state_dict": {...},
"global_step": 0}, as SD v1.x .ckpt files are laid out), with Python's standard library only.

torch.save's layout: archive/data.pkl (pickle protocol 2; each tensor rebuilt by
torch._utils._rebuild_tensor_v2 from a persistent id ("storage", <dtype>Storage, key, "cpu",
numel)), archive/data/<key> (raw little-endian bytes), archive/byteorder, archive/version. The
torch names are stand-ins registered in sys.modules so pickle can name them; nothing of torch is
needed or run.

Usage: safetensors_to_ckpt.py IN.safetensors OUT.ckpt
"""
import collections
import io
import json
import pickle
import struct
import sys
import types
import zipfile

STORAGES = {"F32": "FloatStorage", "F16": "HalfStorage", "BF16": "BFloat16Storage", "I64": "LongStorage"}


def stand_in_modules():
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise RuntimeError("stand-in")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    for name in STORAGES.values():
        setattr(torch, name, type(name, (), {"__module__": "torch"}))
    sys.modules["torch"] = torch
    sys.modules["torch._utils"] = utils
    return torch, utils


class Storage:
    def __init__(self, storage_type, key, numel):
        self.pid = ("storage", storage_type, key, "cpu", numel)


class Tensor:
    def __init__(self, rebuild, storage, shape):
        stride, step = [], 1
        for size in reversed(shape):
            stride.insert(0, step)
            step *= size
        self.reduced = (rebuild, (storage, 0, tuple(shape), tuple(stride), False, collections.OrderedDict()))

    def __reduce__(self):
        return self.reduced


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, Storage) else None


def main(source, target):
    torch, utils = stand_in_modules()
    with open(source, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    data = blob[8 + length:]
    state, storages = collections.OrderedDict(), {}
    for index, (name, entry) in enumerate(sorted((k, v) for k, v in header.items() if k != "__metadata__")):
        begin, end = entry["data_offsets"]
        numel = 1
        for size in entry["shape"]:
            numel *= size
        key = str(index)
        storages[key] = data[begin:end]
        storage = Storage(getattr(torch, STORAGES[entry["dtype"]]), key, numel)
        state[name] = Tensor(utils._rebuild_tensor_v2, storage, entry["shape"])
    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump({"state_dict": state, "global_step": 0})
    files = [("archive/data.pkl", buffer.getvalue()), ("archive/byteorder", b"little")]
    files += [(f"archive/data/{key}", raw) for key, raw in storages.items()]
    files.append(("archive/version", b"3\n"))
    with zipfile.ZipFile(target, "w") as archive:
        for name, raw in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), raw, compress_type=zipfile.ZIP_STORED)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
