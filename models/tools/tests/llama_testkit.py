"""Shared helpers of the test_llama_* tests: tiny random Llama-family models of every flavour and an
independent reference forward written from Hugging Face's modeling code (not slmtorch/llama.py)."""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from slmtorch import llama, random_snapshot  # noqa: E402

FLAVOURS = ("llama-tiny", "llama-tiny-untied", "llama3-tiny", "mistral-tiny", "qwen2-tiny", "qwen3-tiny", "phi3-tiny")


def tiny(shape: str, vocab: int = 97, positions: int = 64, std: float = 0.25, seed: int = 0):
    """(eval model, cfg, HF-named tensors): random_snapshot's tiny config with a small vocabulary; std large
    enough that greedy choices have clear margins."""
    d = random_snapshot.shape_config(shape)
    d.update(vocab_size=vocab, max_position_embeddings=positions, bos_token_id=0, eos_token_id=1)
    if d.get("rope_scaling") and "original_max_position_embeddings" in d["rope_scaling"]:
        d["rope_scaling"] = dict(d["rope_scaling"], original_max_position_embeddings=16)
    cfg = llama.LlamaConfig(d)
    shapes = llama.hf_shapes(cfg)
    sd = {k: random_snapshot.random_tensor(k, shapes[k], i, seed, std) for i, k in enumerate(sorted(shapes))}
    model = llama.build(cfg).eval()
    llama.load_hf_tensors(model, cfg, sd.items())
    if cfg.fused:  # the reference reads q/k/v and gate/up separately
        sd = dict(llama._split_fused(cfg, sd.items()))
    return model, cfg, sd


def _rms(x, w, eps):
    return w * (x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps))


def _rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


@torch.no_grad()
def reference_logits(cfg: llama.LlamaConfig, sd, ids, inv_freq, attention_factor: float = 1.0):
    """[T] ids -> [T, V] logits, following transformers' LlamaModel / Qwen2 / Qwen3 forward: RMSNorm, q/k/v
    projections (+bias), per-head q/k RMSNorm (qwen3), rotate-half rotary, repeat_kv (query head h reads KV
    head h // groups), causal softmax(q k^T / sqrt(head_dim)) v, o_proj, SwiGLU."""
    t = len(ids)
    h, kv, d = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
    eps = cfg.rms_norm_eps
    x = sd["model.embed_tokens.weight"][torch.tensor(ids)]
    pos = torch.arange(t, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos() * attention_factor, emb.sin() * attention_factor
    r = cos.shape[-1]

    def lin(name, v):
        y = v @ sd[name + ".weight"].t()
        return y + sd[name + ".bias"] if name + ".bias" in sd else y

    for n in range(cfg.num_hidden_layers):
        p = f"model.layers.{n}."
        a = _rms(x, sd[p + "input_layernorm.weight"], eps)
        q = lin(p + "self_attn.q_proj", a).view(t, h, d)
        k = lin(p + "self_attn.k_proj", a).view(t, kv, d)
        v = lin(p + "self_attn.v_proj", a).view(t, kv, d)
        if p + "self_attn.q_norm.weight" in sd:
            q = _rms(q, sd[p + "self_attn.q_norm.weight"], eps)
            k = _rms(k, sd[p + "self_attn.k_norm.weight"], eps)
        c, s = cos.unsqueeze(1), sin.unsqueeze(1)
        q = torch.cat((q[..., :r] * c + _rotate_half(q[..., :r]) * s, q[..., r:]), dim=-1)
        k = torch.cat((k[..., :r] * c + _rotate_half(k[..., :r]) * s, k[..., r:]), dim=-1)
        out = torch.zeros(t, h, d)
        causal = torch.ones(t, t).tril().bool()
        for head in range(h):
            g = head // (h // kv)
            scores = (q[:, head] @ k[:, g].t()) / math.sqrt(d)
            scores = scores.masked_fill(~causal, float("-inf"))
            out[:, head] = torch.softmax(scores, -1) @ v[:, g]
        x = x + lin(p + "self_attn.o_proj", out.reshape(t, h * d))
        m = _rms(x, sd[p + "post_attention_layernorm.weight"], eps)
        gate = lin(p + "mlp.gate_proj", m)
        x = x + lin(p + "mlp.down_proj", gate * torch.sigmoid(gate) * lin(p + "mlp.up_proj", m))
    x = _rms(x, sd["model.norm.weight"], eps)
    head_w = sd.get("lm_head.weight", sd["model.embed_tokens.weight"])
    return x @ head_w.t()


@torch.no_grad()
def greedy_recompute(model, prompt, n):
    ids = list(prompt)
    for _ in range(n):
        ids.append(int(model.logits_all(torch.tensor([ids]))[0, -1].argmax()))
    return ids[len(prompt):]


@torch.no_grad()
def greedy_cached_batch(model, prompts, n, slots, n_slots=4, max_len=48):
    """Right-padded batched prefill into dirty slots, then n - 1 batched decode steps."""
    b = len(prompts)
    shape = model.cache_shape(n_slots, max_len)
    ck, cv = torch.randn(shape), torch.randn(shape)  # stale values must never be visible
    lens = [len(p) for p in prompts]
    t = max(lens)
    ids = torch.ones(b, t, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, :len(p)] = torch.tensor(p)
    pos = torch.arange(t).view(1, t).expand(b, t).contiguous()
    slots_t = torch.tensor(slots)
    logits = model(ids, pos, slots_t, torch.tensor([k - 1 for k in lens]), ck, cv)
    out = [[int(x)] for x in logits.argmax(-1)]
    cur = torch.tensor(lens)
    for _ in range(n - 1):
        step = torch.tensor([[o[-1]] for o in out])
        logits = model(step, cur.view(b, 1), slots_t, torch.zeros(b, dtype=torch.long), ck, cv)
        for i, x in enumerate(logits.argmax(-1)):
            out[i].append(int(x))
        cur = cur + 1
    return out
