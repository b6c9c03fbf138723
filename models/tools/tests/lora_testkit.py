"""Shared helpers of the LoRA tests: tiny base folders (config.json + eager model), random PEFT folders with
PEFT's real tensor names, and PEFT's merge written out from its LoRA layer (W + B @ A * scaling, transposed for
GPT-2's Conv1D), independent of slmtorch/peft_lora.py's conversion."""
import json
import math
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from llama_testkit import tiny as tiny_llama  # noqa: E402
from slmtorch import gpt2, peft_lora  # noqa: E402
from test_gpt2_cache import tiny_model as tiny_gpt2  # noqa: E402


def base_folder(kind: str, folder: str):
    """(eager model, config dict) of a tiny base ('gpt2' or a llama_testkit flavour) with its config.json."""
    os.makedirs(folder, exist_ok=True)
    if kind == "gpt2":
        model = tiny_gpt2(n_positions=32)
        d = {"model_type": "gpt2", "vocab_size": 97, "n_positions": 32, "n_embd": 32, "n_layer": 2, "n_head": 4,
             "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}
    else:
        model, cfg, _ = tiny_llama(kind, positions=32)
        d = cfg.to_hf_dict()
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(d, f)
    return model, d


def random_peft(base_dir: str, peft_dir: str, target_modules, r: int = 4, alpha: float = 8.0, seed: int = 0,
                std: float = 0.3, layers=None, **config):
    """A PEFT folder for every module target_modules selects (in the given layers), A and B random."""
    fam = peft_lora.family_of(base_dir)
    g = torch.Generator().manual_seed(seed)
    if isinstance(target_modules, str):  # a regex, matched in full (PEFT)
        sel = [m for m in peft_lora.module_names(fam) if re.fullmatch(target_modules, m)]
    else:
        sel = [m for m in peft_lora.module_names(fam) if any(m == t or m.endswith("." + t) for t in target_modules)]
    tensors = {}
    for name, n_in, n_out in peft_lora.peft_layout(fam):
        if name not in sel or (layers is not None and not any(name.startswith(fam.layer_prefix.format(n))
                                                               for n in layers)):
            continue
        tensors[name + ".lora_A"] = torch.randn(r, n_in, generator=g) * std
        tensors[name + ".lora_B"] = torch.randn(n_out, r, generator=g) * std
    peft_lora.write_peft(peft_dir, dict(config, r=r, lora_alpha=alpha, target_modules=target_modules), tensors)
    return tensors


@torch.no_grad()
def peft_merged(model, peft_dir: str):
    """PEFT's merge_and_unload on a copy of the eager model: module.weight += B @ A * scaling ([out, in]; GPT-2's
    Conv1D stores [in, out], so the transpose), read straight from the PEFT files."""
    import copy
    m = copy.deepcopy(model)
    with open(os.path.join(peft_dir, "adapter_config.json")) as f:
        c = json.load(f)
    s = c["lora_alpha"] / (math.sqrt(c["r"]) if c.get("use_rslora") else c["r"])
    sd = peft_lora.safetensors_io.load(os.path.join(peft_dir, "adapter_model.safetensors"))
    for k, a in sd.items():
        if ".lora_A." not in k:
            continue
        module = k[len("base_model.model."):-len(".lora_A.weight")]
        b = sd[k.replace(".lora_A.", ".lora_B.")]
        delta = b @ a * s
        fused = {"qkv_proj": ("q_proj", "k_proj", "v_proj"), "gate_up_proj": ("gate_proj", "up_proj")}
        head, last = module.rsplit(".", 1)
        if last in fused:  # phi3: the snapshot's fused weight is the parts' rows stacked in this order
            parts = [m.get_submodule(head + "." + p) for p in fused[last]]
            for mod, piece in zip(parts, torch.split(delta, [p.weight.shape[0] for p in parts])):
                mod.weight += piece
            continue
        mod = m.get_submodule(module)
        mod.weight += delta.t() if isinstance(mod, gpt2.Conv1D) else delta
    return m
