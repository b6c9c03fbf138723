"""Hugging Face snapshot -> GGUF v3 file for llama.cpp (bench/generation's peer rows; no gguf package here).

    /usr/bin/python3 models/tools/gguf_writer.py SNAPSHOT_DIR OUT.gguf [--type f32|f16|q8_0]

Architectures: gpt2, llama (and mistral, written as llama), qwen2: the same tensors llama.cpp's own
convert_hf_to_gguf.py writes, under llama.cpp's names (token_embd, blk.N.attn_q, ...), with the same two
layout changes: GPT-2's Conv1D weights ([in, out]) are transposed to [out, in], and for the llama arch the
q and k rows are permuted from Hugging Face's rotate-half rotary layout to the interleaved pairs llama.cpp's
"normal" rope expects (qwen2 runs NEOX rope, which is rotate-half: no permutation). The tokenizer is written
as a byte-level BPE ("gpt2" model: tokens, types, merges, bos/eos).

GGUF v3 layout: "GGUF", version 3, tensor count, metadata count (little-endian u32/u64); metadata as
(string key, u32 type, value); per tensor its name, dims (innermost first), ggml type and data offset; then,
aligned to 32 bytes, the tensor data, each tensor aligned to 32. Matrices take the requested type; 1-D
tensors (norms, biases) stay F32 as llama.cpp requires. Q8_0: blocks of 32 weights, an fp16 scale
d = max|w| / 127 then 32 int8 round(w / d).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slmtorch import safetensors_io  # noqa: E402

ALIGN = 32
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
T_U32, T_I32, T_F32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9


def _str(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value(v) -> bytes:
    if isinstance(v, bool):
        return struct.pack("<I?", T_BOOL, v)
    if isinstance(v, int):
        return struct.pack("<Ii", T_I32, v) if v < 0 else struct.pack("<II", T_U32, v)
    if isinstance(v, float):
        return struct.pack("<If", T_F32, v)
    if isinstance(v, str):
        return struct.pack("<I", T_STRING) + _str(v)
    if isinstance(v, tuple):  # (element type, list)
        kind, items = v
        body = b"".join(_str(x) for x in items) if kind == T_STRING else \
            np.asarray(items, dtype={T_I32: "<i4", T_U32: "<u4", T_F32: "<f4"}[kind]).tobytes()
        return struct.pack("<IIQ", T_ARRAY, kind, len(items)) + body
    raise TypeError(type(v))


def _ids(v):
    return v if isinstance(v, list) else [v]


def tokenizer_metadata(snapshot: str, cfg: dict) -> dict:
    with open(os.path.join(snapshot, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    vocab = tok["model"]["vocab"]
    n = cfg["vocab_size"]
    tokens = [f"[PAD{i}]" for i in range(n)]
    for t, i in vocab.items():
        if i < n:
            tokens[i] = t
    types = [1] * n
    for a in tok.get("added_tokens", []):
        if a["id"] < n:
            tokens[a["id"]] = a["content"]
            types[a["id"]] = 3 if a.get("special") else 4
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"].get("merges", [])]
    eos = _ids(cfg.get("eos_token_id"))[0]
    bos = cfg.get("bos_token_id")
    return {"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "gpt-2",
            "tokenizer.ggml.tokens": (T_STRING, tokens), "tokenizer.ggml.token_type": (T_I32, types),
            "tokenizer.ggml.merges": (T_STRING, merges), "tokenizer.ggml.bos_token_id": bos if bos is not None else eos,
            "tokenizer.ggml.eos_token_id": eos}


def _permute(w: torch.Tensor, heads: int) -> torch.Tensor:
    """HF rotate-half rows -> llama.cpp interleaved pairs, per head (convert_hf_to_gguf.py's permute)."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def tensor_plan(cfg: dict, names):
    """[(gguf name, hf name, transform)] in file order; transform(tensor) -> tensor."""
    mt = cfg["model_type"]
    plan = []
    if mt == "gpt2":
        t = lambda w: w.t().contiguous()  # noqa: E731  Conv1D [in, out] -> [out, in]
        plan += [("token_embd.weight", "wte.weight", None), ("position_embd.weight", "wpe.weight", None)]
        for i in range(cfg["n_layer"]):
            h = f"h.{i}."
            for g, hf, fn in (("attn_norm", "ln_1", None), ("attn_qkv", "attn.c_attn", t),
                              ("attn_output", "attn.c_proj", t), ("ffn_norm", "ln_2", None),
                              ("ffn_up", "mlp.c_fc", t), ("ffn_down", "mlp.c_proj", t)):
                plan += [(f"blk.{i}.{g}.weight", h + hf + ".weight", fn), (f"blk.{i}.{g}.bias", h + hf + ".bias", None)]
        plan += [("output_norm.weight", "ln_f.weight", None), ("output_norm.bias", "ln_f.bias", None)]
        return [(g, hf if hf in names else "transformer." + hf, fn) for g, hf, fn in plan]
    heads, kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
    llama_rope = mt in ("llama", "mistral")
    plan.append(("token_embd.weight", "model.embed_tokens.weight", None))
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        plan.append((f"blk.{i}.attn_norm.weight", p + "input_layernorm.weight", None))
        for g, hf, n in (("attn_q", "q_proj", heads), ("attn_k", "k_proj", kv), ("attn_v", "v_proj", None)):
            fn = (lambda w, n=n: _permute(w, n)) if llama_rope and n else None
            plan.append((f"blk.{i}.{g}.weight", p + f"self_attn.{hf}.weight", fn))
            if p + f"self_attn.{hf}.bias" in names:
                plan.append((f"blk.{i}.{g}.bias", p + f"self_attn.{hf}.bias", fn))
        plan.append((f"blk.{i}.attn_output.weight", p + "self_attn.o_proj.weight", None))
        plan.append((f"blk.{i}.ffn_norm.weight", p + "post_attention_layernorm.weight", None))
        for g, hf in (("ffn_gate", "gate_proj"), ("ffn_up", "up_proj"), ("ffn_down", "down_proj")):
            plan.append((f"blk.{i}.{g}.weight", p + f"mlp.{hf}.weight", None))
    plan.append(("output_norm.weight", "model.norm.weight", None))
    if "lm_head.weight" in names and not cfg.get("tie_word_embeddings", True):
        plan.append(("output.weight", "lm_head.weight", None))
    return plan


def arch_metadata(cfg: dict) -> dict:
    mt = cfg["model_type"]
    if mt == "gpt2":
        d = cfg["n_embd"]
        return {"general.architecture": "gpt2", "gpt2.context_length": cfg["n_positions"], "gpt2.embedding_length": d,
                "gpt2.block_count": cfg["n_layer"], "gpt2.feed_forward_length": cfg.get("n_inner") or 4 * d,
                "gpt2.attention.head_count": cfg["n_head"],
                "gpt2.attention.layer_norm_epsilon": float(cfg.get("layer_norm_epsilon", 1e-5))}
    arch = "qwen2" if mt == "qwen2" else "llama"
    heads = cfg["num_attention_heads"]
    return {"general.architecture": arch, f"{arch}.context_length": cfg["max_position_embeddings"],
            f"{arch}.embedding_length": cfg["hidden_size"], f"{arch}.block_count": cfg["num_hidden_layers"],
            f"{arch}.feed_forward_length": cfg["intermediate_size"], f"{arch}.attention.head_count": heads,
            f"{arch}.attention.head_count_kv": cfg.get("num_key_value_heads") or heads,
            f"{arch}.rope.freq_base": float(cfg.get("rope_theta", 10000.0)),
            f"{arch}.rope.dimension_count": cfg.get("head_dim") or cfg["hidden_size"] // heads,
            f"{arch}.attention.layer_norm_rms_epsilon": float(cfg.get("rms_norm_eps", 1e-6)),
            f"{arch}.vocab_size": cfg["vocab_size"]}


def encode(w: torch.Tensor, kind: int) -> bytes:
    a = w.detach().to(torch.float32).contiguous().numpy()
    if kind == GGML_F32:
        return a.astype("<f4").tobytes()
    if kind == GGML_F16:
        return a.astype("<f2").tobytes()
    blocks = a.reshape(-1, 32)
    d = np.abs(blocks).max(axis=1) / 127.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)
    q = np.clip(np.rint(blocks * inv[:, None]), -127, 127).astype(np.int8)
    out = np.empty((blocks.shape[0], 34), dtype=np.uint8)
    out[:, :2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def nbytes(shape, kind: int) -> int:
    n = int(np.prod(shape))
    return n * 4 if kind == GGML_F32 else n * 2 if kind == GGML_F16 else n // 32 * 34


def write(snapshot: str, out: str, wtype: str = "f32") -> None:
    with open(os.path.join(snapshot, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type") not in ("gpt2", "llama", "mistral", "qwen2"):
        raise ValueError(f"gguf_writer: model_type {cfg.get('model_type')!r} not supported (gpt2, llama, mistral, qwen2)")
    path = os.path.join(snapshot, "model.safetensors")
    header = safetensors_io.read_header(path)
    plan = tensor_plan(cfg, set(header))
    matrix_type = {"f32": GGML_F32, "f16": GGML_F16, "q8_0": GGML_Q8_0}[wtype]
    meta = dict(arch_metadata(cfg))
    meta["general.name"] = os.path.basename(os.path.normpath(snapshot))
    meta["general.alignment"] = ALIGN
    meta.update(tokenizer_metadata(snapshot, cfg))
    infos, offset = [], 0
    for g, hf, fn in plan:
        shape = header[hf]["shape"]
        if fn is not None:  # the stored shape after the layout change (a transpose swaps it)
            shape = list(fn(torch.empty(shape, device="meta")).shape)
        kind = matrix_type if len(shape) == 2 and (matrix_type != GGML_Q8_0 or shape[-1] % 32 == 0) else GGML_F32
        infos.append((g, hf, fn, shape, kind, offset))
        offset += (nbytes(shape, kind) + ALIGN - 1) // ALIGN * ALIGN
    with open(out, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(infos), len(meta)))
        for k, v in meta.items():
            f.write(_str(k) + _value(v))
        for g, _, _, shape, kind, off in infos:
            f.write(_str(g) + struct.pack("<I", len(shape)) + struct.pack(f"<{len(shape)}Q", *reversed(shape))
                    + struct.pack("<IQ", kind, off))
        f.write(b"\0" * ((ALIGN - f.tell() % ALIGN) % ALIGN))
        base = f.tell()
        with open(path, "rb") as src:
            for g, hf, fn, shape, kind, off in infos:
                w = safetensors_io.read_tensor(src, header[hf]).float()
                if fn is not None:
                    w = fn(w)
                f.write(b"\0" * (base + off - f.tell()))
                f.write(encode(w, kind))
    print(f"wrote {out}: {cfg['model_type']} {wtype}, {len(infos)} tensors, {os.path.getsize(out) / 1e6:.1f} MB",
          file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("snapshot")
    ap.add_argument("out")
    ap.add_argument("--type", default="f32", choices=("f32", "f16", "q8_0"))
    args = ap.parse_args()
    write(args.snapshot, args.out, args.type)


if __name__ == "__main__":
    main()
