"""Reads and writes .safetensors files without the safetensors package.

Layout: 8-byte little-endian header length N, N bytes of JSON header
({name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}), then the raw
little-endian tensor data; offsets are relative to the end of the header.
"""
import json
import os
import struct
from typing import Dict, Optional

import torch

_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


def load(path: str) -> Dict[str, torch.Tensor]:
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    base = 8 + n
    buf = bytearray(raw[base:])
    out: Dict[str, torch.Tensor] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = _DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        shape = info["shape"]
        count = 1
        for s in shape:
            count *= s
        if count == 0:
            out[name] = torch.empty(shape, dtype=dt)
            continue
        t = torch.frombuffer(buf, dtype=dt, count=count, offset=begin)
        if t.element_size() * count != end - begin:
            raise ValueError("%s: %d bytes for %d elements of %s" % (name, end - begin, count, dt))
        out[name] = t.reshape(shape).clone()
    return out


def read_header(path: str) -> Dict[str, Dict]:
    """The JSON header (without __metadata__), after checking that the file holds every byte it promises: a
    truncated download fails here, naming the file, instead of as garbage weights."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ValueError(f"truncated safetensors file {path}: {size} bytes, no header")
        (n,) = struct.unpack("<Q", head)
        if 8 + n > size:
            raise ValueError(f"truncated safetensors file {path}: header of {n} bytes, file of {size}")
        header = json.loads(f.read(n).decode("utf-8"))
    header.pop("__metadata__", None)
    end = max([info["data_offsets"][1] for info in header.values()] or [0])
    if 8 + n + end > size:
        raise ValueError(f"truncated safetensors file {path}: tensors end at byte {8 + n + end}, file has {size}")
    for info in header.values():
        info["_base"] = 8 + n
    return header


def read_tensor(f, info: Dict) -> torch.Tensor:
    """One tensor of an open file, given its header entry from read_header (reads only its bytes)."""
    dt = _DTYPES[info["dtype"]]
    begin, end = info["data_offsets"]
    shape = info["shape"]
    f.seek(info["_base"] + begin)
    data = bytearray(f.read(end - begin))
    count = 1
    for s in shape:
        count *= s
    if count == 0:
        return torch.empty(shape, dtype=dt)
    if torch.tensor([], dtype=dt).element_size() * count != len(data):
        raise ValueError("%d bytes for %d elements of %s" % (len(data), count, dt))
    return torch.frombuffer(data, dtype=dt, count=count).reshape(shape)


def save(tensors: Dict[str, torch.Tensor], path: str, metadata: Optional[Dict[str, str]] = None) -> None:
    """Writes tensors in name order (deterministic bytes), header padded to 8 bytes like safetensors; streams
    one tensor at a time (no second copy of the whole set in memory)."""
    header: Dict[str, object] = {"__metadata__": dict(metadata or {"format": "pt"})}
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        n = t.numel() * t.element_size()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name in sorted(tensors):
            t = tensors[name].detach().contiguous().cpu()
            if t.numel():
                f.write(t.view(torch.uint8).numpy().tobytes() if t.dim() else t.reshape(1).view(torch.uint8).numpy().tobytes())
