"""Writes a random-weight Hugging Face snapshot (config.json, model.safetensors, tokenizer.json,
tokenizer_config.json, generation_config.json) in the layout of a real Llama-family model, for tests and
benchmarks. Never commit its output: the weights are noise.

    cd models/tools && /usr/bin/python3 -m slmtorch.random_snapshot --shape smollm2-135m --out DIR \
        [--seed N] [--layers N] [--std 0.02] [--dtype float32|float16|bfloat16]

Shapes (config.json fields of the real models; ``--layers`` cuts the depth): smollm2-135m, qwen2.5-0.5b
(q/k/v biases), llama-3.2-1b (llama3 rope scaling, three eos ids), qwen3-0.6b (head_dim 128 != hidden/heads,
q/k norm), mistral-7b-v0.1 (sliding window), phi-3.5-mini and phi-4-mini (fused qkv_proj / gate_up_proj,
longrope with synthetic factors; phi-4-mini: partial rotary 0.75, GQA), gemma-2-2b (softcapping, alternating
4096 windows), gemma-3-1b and gemma-3-270m (5 local 512-token layers per global one, local rope base, q/k norm);
tiny ones for fast tests: llama-tiny (tied, GQA 4/2),
llama-tiny-untied (GQA 4/1), llama3-tiny (llama3 rope scaling, three eos ids), mistral-tiny (untied, sliding
window 96), qwen2-tiny (q/k/v biases), qwen3-tiny (head_dim 32 != 64/4, q/k norm), phi3-tiny (fused
projections, partial rotary 0.5, longrope, untied), gemma-tiny, gemma2-tiny and gemma3-tiny (windows of 8
tokens, so that short tests cross them), gemma-tiny-jlama and gemma2-tiny-jlama (what Jlama 0.8.4 computes as
Hugging Face does: head_dim = hidden / heads, query_pre_attn_scalar = head_dim, a 4096-token window).

Weights: matrices and biases normal(0, std), norm weights 1 + normal(0, 0.1); each tensor from its own
generator (seed, tensor index), written one tensor at a time, so a 1B shape needs one tensor's memory.
The tokenizer is models/nano-gpt's byte-level BPE (8192 ids, ``<|endoftext|>`` = 8191) padded with unreachable
``<|unused_N|>`` tokens to vocab_size, with the config's bos/eos ids as special tokens ``<|special_ID|>``
(every id decodes to text). Real models whose bos/eos ids fall inside the stand-in's 8192 ids (SmolLM2: 1/2,
Mistral: 1/2) use ``<|endoftext|>`` (8191) instead.
"""
import argparse
import copy
import json
import os
import struct
import sys
from typing import Dict, Optional

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from slmtorch import llama  # noqa: E402
from slmtorch.layers import dtype_of  # noqa: E402
from slmtorch.safetensors_io import _NAMES  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
NANO_TOKENIZER = os.path.join(REPO, "models", "nano-gpt", "tokenizer.json")
EOT_ID = 8191


def _tiny(model_type: str, **kw) -> Dict:
    d = {"architectures": [{"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM",
                            "qwen3": "Qwen3ForCausalLM", "phi3": "Phi3ForCausalLM", "gemma": "GemmaForCausalLM",
                            "gemma2": "Gemma2ForCausalLM", "gemma3_text": "Gemma3ForCausalLM"}[model_type]],
         "model_type": model_type, "vocab_size": 8192, "hidden_size": 64, "intermediate_size": 128,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu",
         "max_position_embeddings": 256, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": True,
         "bos_token_id": EOT_ID, "eos_token_id": EOT_ID, "torch_dtype": "float32"}
    d.update(kw)
    return d


def _factors(n: int, top: float) -> list:
    """Synthetic longrope factors rising from 1 to 1 + top (the real lists are trained values; the layout is
    what matters here)."""
    return [round(1.0 + top * (i / (n - 1)) ** 2, 4) for i in range(n)]


SHAPES: Dict[str, Dict] = {
    "smollm2-135m": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 49152, "hidden_size": 576,
        "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3,
        "head_dim": 64, "hidden_act": "silu", "max_position_embeddings": 8192, "rms_norm_eps": 1e-5,
        "rope_theta": 100000.0, "rope_scaling": None, "attention_bias": False, "mlp_bias": False,
        "tie_word_embeddings": True, "bos_token_id": EOT_ID, "eos_token_id": EOT_ID, "torch_dtype": "bfloat16"},
    "qwen2.5-0.5b": {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 151936, "hidden_size": 896,
        "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
        "hidden_act": "silu", "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
        "sliding_window": 32768, "use_sliding_window": False, "max_window_layers": 21,
        "tie_word_embeddings": True, "bos_token_id": 151643, "eos_token_id": 151645, "torch_dtype": "bfloat16"},
    "llama-3.2-1b": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256, "hidden_size": 2048,
        "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
        "head_dim": 64, "hidden_act": "silu", "max_position_embeddings": 131072, "rms_norm_eps": 1e-5,
        "rope_theta": 500000.0, "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                                 "original_max_position_embeddings": 8192, "rope_type": "llama3"},
        "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": True, "bos_token_id": 128000,
        "eos_token_id": [128001, 128008, 128009], "torch_dtype": "bfloat16"},
    "qwen3-0.6b": {
        "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "vocab_size": 151936, "hidden_size": 1024,
        "intermediate_size": 3072, "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8,
        "head_dim": 128, "hidden_act": "silu", "max_position_embeddings": 40960, "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0, "rope_scaling": None, "attention_bias": False, "sliding_window": None,
        "use_sliding_window": False, "tie_word_embeddings": True, "bos_token_id": 151643, "eos_token_id": 151645,
        "torch_dtype": "bfloat16"},
    "mistral-7b-v0.1": {
        "architectures": ["MistralForCausalLM"], "model_type": "mistral", "vocab_size": 32000, "hidden_size": 4096,
        "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
        "hidden_act": "silu", "max_position_embeddings": 32768, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "sliding_window": 4096, "tie_word_embeddings": False, "bos_token_id": EOT_ID, "eos_token_id": EOT_ID,
        "torch_dtype": "bfloat16"},
    "phi-3.5-mini": {
        "architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "vocab_size": 32064, "hidden_size": 3072,
        "intermediate_size": 8192, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
        "hidden_act": "silu", "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "sliding_window": 262144, "tie_word_embeddings": False,
        "rope_scaling": {"type": "longrope", "short_factor": _factors(48, 0.1), "long_factor": _factors(48, 40.0)},
        "bos_token_id": EOT_ID, "eos_token_id": 32000, "torch_dtype": "bfloat16"},
    "phi-4-mini": {
        "architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "vocab_size": 200064, "hidden_size": 3072,
        "intermediate_size": 8192, "num_hidden_layers": 32, "num_attention_heads": 24, "num_key_value_heads": 8,
        "head_dim": 128, "partial_rotary_factor": 0.75, "hidden_act": "silu", "max_position_embeddings": 131072,
        "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "sliding_window": 262144, "tie_word_embeddings": True,
        "rope_scaling": {"type": "longrope", "short_factor": _factors(48, 0.1), "long_factor": _factors(48, 40.0)},
        "bos_token_id": 199999, "eos_token_id": 199999, "torch_dtype": "bfloat16"},
    "gemma-2-2b": {
        "architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "vocab_size": 256000, "hidden_size": 2304,
        "intermediate_size": 9216, "num_hidden_layers": 26, "num_attention_heads": 8, "num_key_value_heads": 4,
        "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh", "max_position_embeddings": 8192,
        "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "query_pre_attn_scalar": 256, "attn_logit_softcapping": 50.0,
        "final_logit_softcapping": 30.0, "sliding_window": 4096, "tie_word_embeddings": True,
        "bos_token_id": EOT_ID, "eos_token_id": EOT_ID, "torch_dtype": "bfloat16"},
    "gemma-3-1b": {
        "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "vocab_size": 262144,
        "hidden_size": 1152, "intermediate_size": 6912, "num_hidden_layers": 26, "num_attention_heads": 4,
        "num_key_value_heads": 1, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
        "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
        "rope_local_base_freq": 10000.0, "rope_scaling": None, "query_pre_attn_scalar": 256,
        "sliding_window": 512, "sliding_window_pattern": 6, "final_logit_softcapping": None,
        "attn_logit_softcapping": None, "tie_word_embeddings": True, "bos_token_id": EOT_ID,
        "eos_token_id": EOT_ID, "torch_dtype": "bfloat16"},
    "gemma-3-270m": {
        "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "vocab_size": 262144,
        "hidden_size": 640, "intermediate_size": 2048, "num_hidden_layers": 18, "num_attention_heads": 4,
        "num_key_value_heads": 1, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
        "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
        "rope_local_base_freq": 10000.0, "rope_scaling": None, "query_pre_attn_scalar": 256,
        "sliding_window": 512, "layer_types": (["sliding_attention"] * 5 + ["full_attention"]) * 3,
        "tie_word_embeddings": True, "bos_token_id": EOT_ID, "eos_token_id": EOT_ID, "torch_dtype": "bfloat16"},
    "llama-tiny": _tiny("llama"),
    "llama-tiny-untied": _tiny("llama", num_key_value_heads=1, tie_word_embeddings=False),
    "llama3-tiny": _tiny("llama", vocab_size=8256, rope_theta=500000.0, bos_token_id=8192,
                         eos_token_id=[8193, 8200, EOT_ID],
                         rope_scaling={"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                       "original_max_position_embeddings": 64, "rope_type": "llama3"}),
    "mistral-tiny": _tiny("mistral", tie_word_embeddings=False, sliding_window=96),
    "qwen2-tiny": _tiny("qwen2", sliding_window=32, use_sliding_window=False),
    "qwen3-tiny": _tiny("qwen3", head_dim=32),
    "gemma-tiny": _tiny("gemma", num_key_value_heads=1, head_dim=32),
    "gemma2-tiny": _tiny("gemma2", head_dim=32, query_pre_attn_scalar=24, attn_logit_softcapping=50.0,
                         final_logit_softcapping=30.0, sliding_window=8, num_hidden_layers=3),
    # the configurations Jlama 0.8.4 computes as Hugging Face does (JlamaParityTest): head_dim = hidden / heads
    # (Jlama's Gemma config ignores head_dim, its Gemma-2 mis-computes other values), query_pre_attn_scalar =
    # head_dim (Jlama scales by head_dim^-0.5), hidden_act as well as hidden_activation (Jlama reads the first)
    # and gemma-2-2b's 4096-token window (Jlama applies none); caps lowered so that they bite at std 0.1
    "gemma-tiny-jlama": _tiny("gemma", num_key_value_heads=1, hidden_act="gelu_pytorch_tanh",
                              hidden_activation="gelu_pytorch_tanh"),
    "gemma2-tiny-jlama": _tiny("gemma2", head_dim=16, query_pre_attn_scalar=16, attn_logit_softcapping=2.0,
                               final_logit_softcapping=4.0, sliding_window=4096, num_hidden_layers=3,
                               hidden_act="gelu_pytorch_tanh", hidden_activation="gelu_pytorch_tanh"),
    "gemma3-tiny": _tiny("gemma3_text", head_dim=32, query_pre_attn_scalar=32, sliding_window=8,
                         sliding_window_pattern=3, num_hidden_layers=3, rope_theta=1000000.0,
                         rope_local_base_freq=10000.0, rope_scaling={"rope_type": "linear", "factor": 8.0}),
    "phi3-tiny": _tiny("phi3", tie_word_embeddings=False, partial_rotary_factor=0.5, original_max_position_embeddings=64,
                       rope_scaling={"type": "longrope", "short_factor": _factors(4, 0.3),
                                     "long_factor": _factors(4, 8.0)}),
}

GENERATION = {
    "llama-3.2-1b": {"do_sample": True, "temperature": 0.6, "top_p": 0.9},
    "llama3-tiny": {"do_sample": True, "temperature": 0.6, "top_p": 0.9},
    "qwen2.5-0.5b": {"do_sample": True, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "repetition_penalty": 1.1},
}

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}{{ message['content'] }}{{ eos_token }}"
    "{% else %}{{ message['content'] }}\n{% endif %}"
    "{% endfor %}"
)


def _ids(v) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def special_name(i: int) -> str:
    return "<|endoftext|>" if i == EOT_ID else f"<|special_{i}|>"


def write_tokenizer(cfg: Dict, out_dir: str, base: str = NANO_TOKENIZER) -> None:
    with open(base, encoding="utf-8") as f:
        tok = json.load(f)
    vocab = tok["model"]["vocab"]
    n = cfg["vocab_size"]
    if n < len(vocab):
        raise ValueError(f"vocab_size {n} is below the tokenizer's {len(vocab)} ids")
    specials = sorted(set(_ids(cfg.get("bos_token_id")) + _ids(cfg.get("eos_token_id"))) - {EOT_ID})
    added = list(tok["added_tokens"])
    for s in specials:
        if s < len(vocab):
            raise ValueError(f"special token id {s} collides with the stand-in tokenizer's {len(vocab)} ids")
        vocab[special_name(s)] = s
        added.append({"id": s, "content": special_name(s), "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True})
    used = set(vocab.values())
    u = 0
    for i in range(n):
        if i not in used:
            vocab[f"<|unused_{u}|>"] = i
            u += 1
    tok["model"]["vocab"] = dict(sorted(vocab.items(), key=lambda kv: kv[1]))
    tok["added_tokens"] = sorted(added, key=lambda t: t["id"])
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    eos = _ids(cfg.get("eos_token_id"))
    bos = _ids(cfg.get("bos_token_id"))
    tc = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": special_name(bos[0]) if bos else None,
          "eos_token": special_name(eos[0]) if eos else None, "add_bos_token": False,
          "model_max_length": cfg["max_position_embeddings"], "clean_up_tokenization_spaces": False,
          "chat_template": CHAT_TEMPLATE}
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tc, f, indent=2)


def shape_config(shape: str, layers: Optional[int] = None) -> Dict:
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
    cfg = copy.deepcopy(SHAPES[shape])
    if layers:
        cfg["num_hidden_layers"] = layers
    return cfg


def random_tensor(name: str, shape, index: int, seed: int, std: float) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed * 1000003 + index)
    t = torch.randn(shape, generator=g) * std
    if name.endswith("norm.weight"):
        t = 1.0 + torch.randn(shape, generator=g) * 0.1
    return t


def write_weights(cfg: Dict, path: str, seed: int = 0, std: float = 0.02, dtype: str = "float32") -> None:
    """model.safetensors with every tensor hf_shapes(cfg) names, streamed one tensor at a time."""
    shapes = llama.hf_shapes(llama.LlamaConfig(cfg))
    dt = dtype_of(dtype)
    size = torch.tensor([], dtype=dt).element_size()
    names = sorted(shapes)
    header: Dict[str, object] = {"__metadata__": {"format": "pt"}}
    off = 0
    for k in names:
        n = size
        for s in shapes[k]:
            n *= s
        header[k] = {"dtype": _NAMES[dt], "shape": list(shapes[k]), "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for i, k in enumerate(names):
            t = random_tensor(k, shapes[k], i, seed, std).to(dt).contiguous()
            f.write(t.view(torch.uint8).numpy().tobytes())


def write_snapshot(shape: str, out_dir: str, seed: int = 0, layers: Optional[int] = None, std: float = 0.02,
                   dtype: str = "float32", config_overrides: Optional[Dict] = None) -> Dict:
    """Writes the snapshot and returns its config dict."""
    cfg = shape_config(shape, layers)
    cfg.update(config_overrides or {})
    cfg["torch_dtype"] = dtype
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
    gen = {"bos_token_id": cfg.get("bos_token_id"), "eos_token_id": cfg.get("eos_token_id")}
    gen.update(GENERATION.get(shape, {}))
    with open(os.path.join(out_dir, "generation_config.json"), "w", encoding="utf-8") as f:
        json.dump(gen, f, indent=2)
    write_tokenizer(cfg, out_dir)
    write_weights(cfg, os.path.join(out_dir, "model.safetensors"), seed, std, dtype)
    return cfg


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", required=True, choices=sorted(SHAPES))
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int, default=0, help="override num_hidden_layers")
    ap.add_argument("--std", type=float, default=0.02, help="normal std of matrices and biases")
    ap.add_argument("--dtype", default="float32", choices=("float32", "float16", "bfloat16"))
    args = ap.parse_args(argv)
    cfg = write_snapshot(args.shape, args.out, args.seed, args.layers or None, args.std, args.dtype)
    n = sum(int(torch.Size(s).numel()) for s in llama.hf_shapes(llama.LlamaConfig(cfg)).values())
    print(f"wrote {args.out}: {args.shape}, {cfg['num_hidden_layers']} layers, {n} parameters, {args.dtype}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
