"""Hugging Face PEFT LoRA folders <-> the converted adapter folder the server loads (docs/model-format-decoder.md).

A PEFT folder holds adapter_config.json and adapter_model.safetensors (or adapter_model.bin) with tensors named
``base_model.model.<module>.lora_A.weight`` [r, in] and ``...lora_B.weight`` [out, r] (PEFT strips the adapter
name, e.g. ``.default``, when saving; both forms are read). Its forward adds ``lora_B(lora_A(x)) * scaling`` to
the module's output, scaling = lora_alpha / r (lora_alpha / sqrt(r) with use_rslora), for Linear and GPT-2's
Conv1D alike (fan_in_fan_out only changes how PEFT merges, not the tensors).

``read_peft`` validates a PEFT folder against a base model folder's config.json and returns per-target stacks
[L, r, in] / [L, out, r] with the scaling folded into B; ``write_converted`` writes them as lora.safetensors
+ lora.json. ``write_peft`` writes a PEFT folder (training here, tests). Every fault raises ``LoraError`` with a
one-line message naming it.
"""
import json
import math
import os
import re
import shutil
from typing import Dict, List, NamedTuple, Optional, Tuple

import torch

from slmtorch import gpt2, llama, safetensors_io

FORMAT = "slm-lora-1"


class LoraError(ValueError):
    pass


class Family(NamedTuple):
    """What a base folder offers adapters: layer count, target shapes, PEFT module suffix -> target(s)."""
    model_type: str
    layers: int
    hidden_size: int
    targets: List[str]  # archive order
    shapes: Dict[str, List[int]]  # target -> [in, out]
    peft: Dict[str, Tuple[str, ...]]  # PEFT module path inside a layer -> targets (fused: several, split by rows)
    layer_prefix: str  # module path of layer N: layer_prefix.format(N)


def family_of(base_dir: str) -> Family:
    path = os.path.join(base_dir, "config.json")
    if not os.path.isfile(path):
        raise LoraError(f"missing file {path} (the base model folder's config.json)")
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    mt = d.get("model_type")
    if mt == "gpt2":
        cfg = gpt2.GPT2Config.from_hf_dict(d)
        return Family(mt, cfg.n_layer, cfg.n_embd, list(gpt2.LORA_TARGETS), gpt2.lora_shapes(cfg),
                      {k: (v,) for k, v in gpt2.PEFT_TARGETS.items()}, "transformer.h.{}.")
    if mt in llama.MODEL_TYPES:
        cfg = llama.LlamaConfig(d)
        peft = {k: (v,) for k, v in llama.PEFT_TARGETS.items()}
        if cfg.fused:
            peft.update(llama.PEFT_FUSED)
        return Family(mt, cfg.num_hidden_layers, cfg.hidden_size, list(llama.LORA_TARGETS), llama.lora_shapes(cfg),
                      peft, "model.layers.{}.")
    raise LoraError(f"base model_type {mt!r} takes no LoRA adapters (supported: gpt2, {', '.join(llama.MODEL_TYPES)})")


def module_names(fam: Family) -> List[str]:
    return [fam.layer_prefix.format(n) + m for n in range(fam.layers) for m in fam.peft]


def _selected(fam: Family, target_modules) -> List[str]:
    """PEFT's matching: a list names modules by suffix (exact or after a dot), a string is a regex matched in
    full, "all-linear" every linear layer but the LM head. Each listed name must select some module."""
    names = module_names(fam)
    if target_modules == "all-linear":
        return names
    if isinstance(target_modules, str):
        hit = [n for n in names if re.fullmatch(target_modules, n)]
        if not hit:
            raise LoraError(f"unknown target module: target_modules regex {target_modules!r} matches no module of "
                            f"the {fam.model_type} base (LoRA targets: {', '.join(sorted(fam.peft))})")
        return hit
    if not isinstance(target_modules, list) or not target_modules:
        raise LoraError("adapter_config.json: target_modules must be a non-empty list or a string")
    out = []
    for t in target_modules:
        hit = [n for n in names if n == t or n.endswith("." + t)]
        if not hit:
            raise LoraError(f"unknown target module {t!r} for a {fam.model_type} base (LoRA targets: "
                            f"{', '.join(sorted(fam.peft))})")
        out += hit
    return out


def read_config(peft_dir: str) -> Dict:
    path = os.path.join(peft_dir, "adapter_config.json")
    if not os.path.isfile(path):
        raise LoraError(f"missing file {path}")
    with open(path, encoding="utf-8") as f:
        c = json.load(f)
    if c.get("peft_type") != "LORA":
        raise LoraError(f"peft_type {c.get('peft_type')!r} is not supported (only LORA)")
    if c.get("bias", "none") != "none":
        raise LoraError(f"bias {c.get('bias')!r} is not supported (only \"none\": trained biases change the base)")
    if c.get("modules_to_save"):
        raise LoraError(f"modules_to_save {c['modules_to_save']} is not supported (it replaces base weights; "
                        "merge the adapter with merge_lora.py instead)")
    for flag in ("use_dora", "lora_bias"):
        if c.get(flag):
            raise LoraError(f"{flag} is not supported")
    for pat in ("rank_pattern", "alpha_pattern"):
        if c.get(pat):
            raise LoraError(f"{pat} is not supported (one rank and alpha for every module)")
    r = c.get("r")
    if not isinstance(r, int) or r <= 0:
        raise LoraError(f"adapter_config.json: r must be a positive integer, got {r!r}")
    return c


def scaling(c: Dict) -> float:
    alpha = float(c.get("lora_alpha", 8))
    r = c["r"]
    return alpha / math.sqrt(r) if c.get("use_rslora") else alpha / r


def read_tensors(peft_dir: str) -> Dict[str, torch.Tensor]:
    st = os.path.join(peft_dir, "adapter_model.safetensors")
    binf = os.path.join(peft_dir, "adapter_model.bin")
    if os.path.isfile(st):
        return safetensors_io.load(st)
    if os.path.isfile(binf):
        return torch.load(binf, map_location="cpu", weights_only=True)
    raise LoraError(f"missing file {st} (nor adapter_model.bin)")


_KEY = re.compile(r"^(?:base_model\.model\.)?(.+)\.lora_([AB])(?:\.[^.]+)?\.weight$")


def read_peft(base_dir: str, peft_dir: str) -> Tuple[Dict, Dict[str, torch.Tensor], Family]:
    """(adapter_config, {"{target}.a": [L, r, in], "{target}.b": [L, out, r] (scaled)}, family). Layers the
    adapter leaves alone hold zeros; only targets the adapter touches are present."""
    fam = family_of(base_dir)
    c = read_config(peft_dir)
    r = c["r"]
    selected = set(_selected(fam, c.get("target_modules")))
    pairs: Dict[str, Dict[str, torch.Tensor]] = {}
    for k, v in read_tensors(peft_dir).items():
        m = _KEY.match(k)
        if not m:
            raise LoraError(f"unknown tensor {k} (only lora_A / lora_B weights of LoRA target modules are served)")
        module = m.group(1)
        if module not in selected:
            raise LoraError(f"unknown target module {module} (tensor {k}; not a LoRA target of the "
                            f"{fam.model_type} base selected by target_modules)")
        pairs.setdefault(module, {})[m.group(2)] = v
    if not pairs:
        raise LoraError(f"{peft_dir}: adapter_model holds no lora_A/lora_B tensors")
    scale = scaling(c)
    out: Dict[str, torch.Tensor] = {}
    for module in sorted(pairs):
        ab = pairs[module]
        for side in "AB":
            if side not in ab:
                raise LoraError(f"missing tensor base_model.model.{module}.lora_{side}.weight")
        a, b = ab["A"].float(), ab["B"].float()
        if a.dim() != 2 or b.dim() != 2:
            raise LoraError(f"{module}: lora_A and lora_B must be matrices, got {list(a.shape)} and {list(b.shape)}")
        if a.shape[0] != b.shape[1]:
            raise LoraError(f"rank mismatch in {module}: lora_A has rank {a.shape[0]}, lora_B has rank {b.shape[1]}")
        if a.shape[0] != r:
            raise LoraError(f"rank mismatch in {module}: tensors have rank {a.shape[0]}, adapter_config.json r={r}")
        layer = _layer_of(fam, module)
        inner = module[len(fam.layer_prefix.format(layer)):]
        targets = fam.peft[inner]
        outs = [fam.shapes[t][1] for t in targets]
        n_in = fam.shapes[targets[0]][0]
        if a.shape[1] != n_in or b.shape[0] != sum(outs):
            raise LoraError(f"shape mismatch in {module}: lora_A {list(a.shape)}, lora_B {list(b.shape)}; the base "
                            f"takes [r, {n_in}] and [{sum(outs)}, r]")
        for t, piece in zip(targets, torch.split(b, outs)):
            if t + ".a" not in out:
                n_i, n_o = fam.shapes[t]
                out[t + ".a"] = torch.zeros(fam.layers, r, n_i)
                out[t + ".b"] = torch.zeros(fam.layers, n_o, r)
            out[t + ".a"][layer] = a
            out[t + ".b"][layer] = piece * scale
    return c, out, fam


def _layer_of(fam: Family, module: str) -> int:
    for n in range(fam.layers):
        if module.startswith(fam.layer_prefix.format(n)):
            return n
    raise LoraError(f"unknown target module {module}")


def write_converted(peft_dir: str, out_dir: str, config: Dict, tensors: Dict[str, torch.Tensor], fam: Family) -> Dict:
    """OUT/adapter_config.json (PEFT's, unchanged), lora.safetensors, lora.json. Returns lora.json's body."""
    os.makedirs(out_dir, exist_ok=True)
    targets = [t for t in fam.targets if t + ".a" in tensors]
    meta = {"format": FORMAT, "rank": config["r"], "targets": targets, "layers": fam.layers,
            "base_model_type": fam.model_type, "base_hidden_size": fam.hidden_size, "source": "peft"}
    shutil.copyfile(os.path.join(peft_dir, "adapter_config.json"), os.path.join(out_dir, "adapter_config.json"))
    safetensors_io.save({k: v.contiguous() for k, v in tensors.items()}, os.path.join(out_dir, "lora.safetensors"),
                        {"format": "pt"})
    with open(os.path.join(out_dir, "lora.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def read_converted(folder: str) -> Tuple[Dict, Dict[str, torch.Tensor]]:
    with open(os.path.join(folder, "lora.json"), encoding="utf-8") as f:
        meta = json.load(f)
    return meta, safetensors_io.load(os.path.join(folder, "lora.safetensors"))


def stacks_for(targets: List[str], shapes: Dict[str, List[int]], layers: int, adapters: List[Dict[str, torch.Tensor]],
               dtype: torch.dtype = torch.float32) -> List[torch.Tensor]:
    """The archive's lora argument for converted adapters in slots 1..N (slot 0 = no adapter): ranks padded to the
    largest; a target no adapter touches gets empty tensors."""
    rank = max([t.shape[1] for ad in adapters for k, t in ad.items() if k.endswith(".a")] or [1])
    out = []
    for t in targets:
        if not any(t + ".a" in ad for ad in adapters):
            out += [torch.zeros(0, dtype=dtype), torch.zeros(0, dtype=dtype)]
            continue
        n_in, n_out = shapes[t]
        a = torch.zeros(layers, len(adapters) + 1, rank, n_in, dtype=dtype)
        b = torch.zeros(layers, len(adapters) + 1, n_out, rank, dtype=dtype)
        for i, ad in enumerate(adapters):
            if t + ".a" in ad:
                r = ad[t + ".a"].shape[1]
                a[:, i + 1, :r] = ad[t + ".a"]
                b[:, i + 1, :, :r] = ad[t + ".b"]
        out += [a, b]
    return out


def write_peft(peft_dir: str, config: Dict, tensors: Dict[str, torch.Tensor]) -> None:
    """A PEFT folder as save_pretrained writes it: adapter_config.json (PEFT's LoRA defaults, then ``config``)
    and adapter_model.safetensors; tensor names are the module paths (``transformer.h.0.attn.c_attn``) given by
    the caller, written as base_model.model.<module>.lora_{A,B}.weight."""
    os.makedirs(peft_dir, exist_ok=True)
    body = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 8, "lora_alpha": 16, "lora_dropout": 0.0,
            "bias": "none", "fan_in_fan_out": False, "modules_to_save": None, "use_rslora": False,
            "use_dora": False, "init_lora_weights": True, "layers_to_transform": None, "rank_pattern": {},
            "alpha_pattern": {}, "inference_mode": True, "base_model_name_or_path": None, "revision": None}
    body.update(config)
    with open(os.path.join(peft_dir, "adapter_config.json"), "w", encoding="utf-8") as f:
        json.dump(body, f, indent=2, sort_keys=True)
        f.write("\n")
    named = {f"base_model.model.{k}.weight" if not k.startswith("base_model.") else k: v.contiguous()
             for k, v in tensors.items()}
    safetensors_io.save(named, os.path.join(peft_dir, "adapter_model.safetensors"), {"format": "pt"})


def peft_layout(fam: Family, module_suffixes: Optional[List[str]] = None) -> List[Tuple[str, int, int]]:
    """(module path, in, out) of every PEFT module of the base (or those ending in module_suffixes)."""
    out = []
    for name in module_names(fam):
        inner = name[len(fam.layer_prefix.format(_layer_of(fam, name))):]
        if module_suffixes and not any(name == s or name.endswith("." + s) for s in module_suffixes):
            continue
        targets = fam.peft[inner]
        out.append((name, fam.shapes[targets[0]][0], sum(fam.shapes[t][1] for t in targets)))
    return out
