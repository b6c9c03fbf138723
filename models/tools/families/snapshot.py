"""Reading a Hugging Face snapshot folder for the converters: config.json, the weights (single or sharded
safetensors, or pytorch_model.bin loaded with weights_only) one tensor at a time, and the tokenizer files that
are copied as they are; writing serving.properties."""
import json
import os
import shutil
from typing import Dict, Iterator, List, Optional, Tuple

import torch

from slmtorch import safetensors_io

COPIED = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
          "chat_template.jinja")


def read_config(snapshot: str) -> Dict:
    path = os.path.join(snapshot, "config.json")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{snapshot}: no config.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def weight_files(snapshot: str) -> List[str]:
    """The files holding the weights, in a fixed order: a shard index names its shards."""
    for index, single in (("model.safetensors.index.json", "model.safetensors"),
                          ("pytorch_model.bin.index.json", "pytorch_model.bin")):
        ip = os.path.join(snapshot, index)
        if os.path.isfile(ip):
            with open(ip, encoding="utf-8") as f:
                shards = sorted(set(json.load(f)["weight_map"].values()))
            for s in shards:
                if not os.path.isfile(os.path.join(snapshot, s)):
                    raise FileNotFoundError(f"{snapshot}: shard {s} named by {index} is missing")
            return [os.path.join(snapshot, s) for s in shards]
        if os.path.isfile(os.path.join(snapshot, single)):
            return [os.path.join(snapshot, single)]
    raise FileNotFoundError(f"{snapshot}: no model.safetensors, model.safetensors.index.json or pytorch_model.bin")


def iter_tensors(snapshot: str, dtype: Optional[torch.dtype] = None) -> Iterator[Tuple[str, torch.Tensor]]:
    """(name, tensor) pairs. safetensors files are read tensor by tensor (each file's size is checked against
    its header first, so a truncated file fails before any weight is used); .bin files only with
    weights_only=True (no pickled code runs)."""
    files = weight_files(snapshot)
    for path in files:
        if path.endswith(".safetensors"):
            safetensors_io.read_header(path)
    for path in files:
        if path.endswith(".safetensors"):
            header = safetensors_io.read_header(path)
            with open(path, "rb") as f:
                for name in sorted(header):
                    t = safetensors_io.read_tensor(f, header[name])
                    yield name, (t.to(dtype) if dtype is not None and t.is_floating_point() else t)
        else:
            sd = torch.load(path, map_location="cpu", weights_only=True)
            for name in sorted(sd):
                t = sd.pop(name)
                yield name, (t.to(dtype) if dtype is not None and t.is_floating_point() else t)


def copy_tokenizer_files(snapshot: str, out_dir: str, names=COPIED) -> List[str]:
    copied = []
    for name in names:
        src = os.path.join(snapshot, name)
        if os.path.isfile(src):
            shutil.copyfile(src, os.path.join(out_dir, name))
            copied.append(name)
    if "tokenizer.json" not in copied:
        raise FileNotFoundError(f"{snapshot}: no tokenizer.json (slm-serve reads Hugging Face tokenizers files)")
    return copied


def write_serving_properties(out_dir: str, task: str, dtype: str, batch_size: int, max_total_tokens: int,
                             max_input_tokens: Optional[int] = None, extra: Optional[Dict[str, str]] = None) -> None:
    """serving.properties the user may edit: max_input_tokens defaults to 3/4 of max_total_tokens."""
    props = {
        "engine": "PyTorch", "option.task": task, "option.dtype": dtype, "batch_size": str(batch_size),
        "max_batch_delay": "1", "job_queue_size": "64", "minWorkers": "1", "maxWorkers": "1",
        "max_input_tokens": str(max_input_tokens if max_input_tokens else (max_total_tokens * 3) // 4),
        "max_total_tokens": str(max_total_tokens),
    }
    props.update(extra or {})
    with open(os.path.join(out_dir, "serving.properties"), "w", encoding="utf-8") as f:
        for k, v in props.items():
            f.write(f"{k}={v}\n")
