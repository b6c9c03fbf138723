"""Shared helpers of the test_llama_* tests: tiny random Llama-family models of every flavour and an
independent reference forward written from Hugging Face's modeling code (not slmtorch/llama.py)."""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from slmtorch import llama, random_snapshot  # noqa: E402

FLAVOURS = ("llama-tiny", "llama-tiny-untied", "llama3-tiny", "mistral-tiny", "qwen2-tiny", "qwen3-tiny", "phi3-tiny",
            "gemma-tiny", "gemma2-tiny", "gemma3-tiny")


def tiny(shape: str, vocab: int = 97, positions: int = 64, std: float = 0.0, seed: int = 0):
    """(eval model, cfg, HF-named tensors): random_snapshot's tiny config with a small vocabulary; std large
    enough that greedy choices have clear margins, small enough that they vary (Gemma-2/3's sandwich norms
    saturate sooner)."""
    std = std or (0.05 if shape in ("gemma2-tiny", "gemma3-tiny") else 0.25)
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
        sd = dict(llama.split_fused(cfg, sd.items()))
    return model, cfg, sd


def _rms(x, w, eps, offset=0.0):
    return (offset + w) * (x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps))


def _rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


@torch.no_grad()
def reference_logits(cfg: llama.LlamaConfig, sd, ids, inv_freq, attention_factor: float = 1.0, local_inv_freq=None):
    """[T] ids -> [T, V] logits, following transformers' Llama / Qwen2 / Qwen3 / Phi3 / Gemma / Gemma2 / Gemma3
    forward: RMSNorm ((1 + w) for Gemma), embeddings times sqrt(hidden) (Gemma), q/k/v projections (+bias),
    per-head q/k RMSNorm (qwen3, gemma3), rotate-half rotary (Gemma-3's local layers: their own base), repeat_kv
    (query head h reads KV head h // groups), softmax(q k^T * scale) with scale query_pre_attn_scalar^-0.5
    (Gemma-2/3) or head_dim^-0.5, Gemma-2's tanh logit capping, causal mask narrowed to q - k < window on
    sliding layers, o_proj, sandwich norms (Gemma-2/3), SwiGLU or GeGLU, final logit capping."""
    t = len(ids)
    h, kv, d = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
    eps, off = cfg.rms_norm_eps, cfg.norm_offset
    x = sd["model.embed_tokens.weight"][torch.tensor(ids)] * cfg.embed_scale
    pos = torch.arange(t, dtype=torch.float32)

    def table(freq, factor):
        f = torch.outer(pos, freq)
        emb = torch.cat((f, f), dim=-1)
        return emb.cos() * factor, emb.sin() * factor

    glob = table(inv_freq, attention_factor)
    loc = table(local_inv_freq, 1.0) if local_inv_freq is not None and len(local_inv_freq) else glob
    scale = cfg.scaling if cfg.scaling > 0 else 1 / math.sqrt(d)

    def lin(name, v):
        y = v @ sd[name + ".weight"].t()
        return y + sd[name + ".bias"] if name + ".bias" in sd else y

    for n in range(cfg.num_hidden_layers):
        p = f"model.layers.{n}."
        window = cfg.layer_windows[n]
        cos, sin = loc if window and cfg.rope_local_theta else glob
        r = cos.shape[-1]
        a = _rms(x, sd[p + "input_layernorm.weight"], eps, off)
        q = lin(p + "self_attn.q_proj", a).view(t, h, d)
        k = lin(p + "self_attn.k_proj", a).view(t, kv, d)
        v = lin(p + "self_attn.v_proj", a).view(t, kv, d)
        if p + "self_attn.q_norm.weight" in sd:
            q = _rms(q, sd[p + "self_attn.q_norm.weight"], eps, off)
            k = _rms(k, sd[p + "self_attn.k_norm.weight"], eps, off)
        c, s = cos.unsqueeze(1), sin.unsqueeze(1)
        q = torch.cat((q[..., :r] * c + _rotate_half(q[..., :r]) * s, q[..., r:]), dim=-1)
        k = torch.cat((k[..., :r] * c + _rotate_half(k[..., :r]) * s, k[..., r:]), dim=-1)
        out = torch.zeros(t, h, d)
        qi = torch.arange(t).view(t, 1)
        ki = torch.arange(t).view(1, t)
        visible = (ki <= qi) & ((qi - ki < window) if window else torch.ones(t, t, dtype=torch.bool))
        for head in range(h):
            g = head // (h // kv)
            scores = (q[:, head] @ k[:, g].t()) * scale
            if cfg.attn_softcap:
                scores = torch.tanh(scores / cfg.attn_softcap) * cfg.attn_softcap
            scores = scores.masked_fill(~visible, float("-inf"))
            out[:, head] = torch.softmax(scores, -1) @ v[:, g]
        o = lin(p + "self_attn.o_proj", out.reshape(t, h * d))
        if cfg.sandwich:
            x = x + _rms(o, sd[p + "post_attention_layernorm.weight"], eps, off)
            m = _rms(x, sd[p + "pre_feedforward_layernorm.weight"], eps, off)
        else:
            x = x + o
            m = _rms(x, sd[p + "post_attention_layernorm.weight"], eps, off)
        gate = lin(p + "mlp.gate_proj", m)
        if cfg.act == "gelu_pytorch_tanh":
            act = 0.5 * gate * (1 + torch.tanh(math.sqrt(2 / math.pi) * (gate + 0.044715 * gate ** 3)))
        else:
            act = gate * torch.sigmoid(gate)
        y = lin(p + "mlp.down_proj", act * lin(p + "mlp.up_proj", m))
        x = x + (_rms(y, sd[p + "post_feedforward_layernorm.weight"], eps, off) if cfg.sandwich else y)
    x = _rms(x, sd["model.norm.weight"], eps, off)
    head_w = sd.get("lm_head.weight", sd["model.embed_tokens.weight"])
    logits = x @ head_w.t()
    if cfg.final_softcap:
        logits = torch.tanh(logits / cfg.final_softcap) * cfg.final_softcap
    return logits


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
