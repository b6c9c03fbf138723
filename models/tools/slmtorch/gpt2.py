"""GPT-2 in torch, with Hugging Face GPT-2 parameter names, for training (eager) and serving (TorchScript).

Parameter names (state_dict keys) follow transformers' GPT2LMHeadModel:
``transformer.wte.weight``, ``transformer.wpe.weight``, ``transformer.h.N.ln_1.{weight,bias}``,
``transformer.h.N.attn.c_attn.{weight,bias}`` (Conv1D layout: weight [in, out]), ``...attn.c_proj``,
``...ln_2``, ``...mlp.c_fc``, ``...mlp.c_proj``, ``transformer.ln_f``. The LM head is tied to ``wte``
(no separate ``lm_head.weight``). Learned absolute positions, tanh GELU (HF ``gelu_new``), LayerNorm eps
from the config (1e-5), attention through ``torch.ops.aten.scaled_dot_product_attention`` (import
``slmtorch.sdpa`` first on torch 1.13).

Serving entry point (``forward``), scripted and saved as model.pt::

    forward(input_ids: int64[B,T], positions: int64[B,T], slots: int64[B], logits_index: int64[B],
            cache_k: float[L,S,H,M,D], cache_v: float[L,S,H,M,D]) -> float32[B,V]

Row b's tokens sit at absolute positions positions[b, :] (consecutive integers, all < M). Their keys and
values are written in place into cache[l, slots[b], :, positions[b, t], :] (index_put_ inside the graph),
then row b attends over cache[l, slots[b], :, 0:Mu, :] (Mu = max position in the call + 1), key j visible to
the query at position p iff j <= p. Right-padded prefill rows are fine as long as the pads' positions
continue past the real tokens (distinct, < M): they write garbage beyond the sequence end that is overwritten
before it can become visible. When every row starts at position 0 (a fresh prefill) attention runs over the
new keys only with ``is_causal=True`` and no mask (flash-eligible on CUDA). The LM head runs only on
hidden[b, logits_index[b]]. See docs/model-format-decoder.md.
"""
import json
import math
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from slmtorch import sdpa  # noqa: F401  (defines torch.ops.aten.scaled_dot_product_attention on torch 1.13)
from slmtorch.layers import Embedding, LayerNorm, dtype_of, to_buffers  # noqa: F401  (to_buffers: callers)


class GPT2Config:
    def __init__(self, vocab_size: int = 8192, n_positions: int = 512, n_embd: int = 256, n_layer: int = 4,
                 n_head: int = 4, n_inner: Optional[int] = None, layer_norm_epsilon: float = 1e-5,
                 bos_token_id: Optional[int] = None, eos_token_id: Optional[int] = None,
                 embd_pdrop: float = 0.0, resid_pdrop: float = 0.0, attn_pdrop: float = 0.0):
        self.vocab_size = vocab_size
        self.n_positions = n_positions
        self.n_embd = n_embd
        self.n_layer = n_layer
        self.n_head = n_head
        self.n_inner = n_inner
        self.layer_norm_epsilon = layer_norm_epsilon
        self.bos_token_id = vocab_size - 1 if bos_token_id is None else bos_token_id
        self.eos_token_id = vocab_size - 1 if eos_token_id is None else eos_token_id
        self.embd_pdrop = embd_pdrop
        self.resid_pdrop = resid_pdrop
        self.attn_pdrop = attn_pdrop

    @property
    def inner(self) -> int:
        return self.n_inner if self.n_inner else 4 * self.n_embd

    def to_hf_dict(self) -> Dict:
        """A transformers GPT2Config-compatible config.json body."""
        return {
            "architectures": ["GPT2LMHeadModel"],
            "model_type": "gpt2",
            "activation_function": "gelu_new",
            "vocab_size": self.vocab_size,
            "n_positions": self.n_positions,
            "n_ctx": self.n_positions,
            "n_embd": self.n_embd,
            "n_layer": self.n_layer,
            "n_head": self.n_head,
            "n_inner": self.n_inner,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "bos_token_id": self.bos_token_id,
            "eos_token_id": self.eos_token_id,
            "embd_pdrop": self.embd_pdrop,
            "resid_pdrop": self.resid_pdrop,
            "attn_pdrop": self.attn_pdrop,
            "initializer_range": 0.02,
            "scale_attn_weights": True,
            "tie_word_embeddings": True,
            "torch_dtype": "float32",
        }

    @classmethod
    def from_hf_dict(cls, d: Dict) -> "GPT2Config":
        if d.get("activation_function", "gelu_new") not in ("gelu_new", "gelu_pytorch_tanh"):
            raise ValueError(f"unsupported activation {d.get('activation_function')}")
        for flag in ("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"):
            if d.get(flag):
                raise ValueError(f"unsupported GPT-2 option {flag}")
        return cls(vocab_size=d["vocab_size"], n_positions=d.get("n_positions", d.get("n_ctx", 1024)),
                   n_embd=d["n_embd"], n_layer=d["n_layer"], n_head=d["n_head"], n_inner=d.get("n_inner"),
                   layer_norm_epsilon=d.get("layer_norm_epsilon", 1e-5), bos_token_id=d.get("bos_token_id"),
                   eos_token_id=d.get("eos_token_id"))

    @classmethod
    def load(cls, path: str) -> "GPT2Config":
        with open(path) as f:
            return cls.from_hf_dict(json.load(f))


class Conv1D(nn.Module):
    """HF Conv1D: y = x @ weight + bias with weight stored [in, out]."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        shape = x.shape[:-1] + (self.weight.shape[1],)
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(shape)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        dt = dtype_of(dtype)
        self.weight = self.weight.to(dt)
        self.bias = self.bias.to(dt)


class Attention(nn.Module):
    def __init__(self, cfg: GPT2Config):
        super().__init__()
        self.n_head = cfg.n_head
        self.head_dim = cfg.n_embd // cfg.n_head
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd)

    def _qkv(self, x: Tensor):
        b, t, c = x.shape[0], x.shape[1], x.shape[2]
        qkv = self.c_attn(x).view(b, t, 3, self.n_head, self.head_dim).permute(2, 0, 3, 1, 4)
        return qkv[0], qkv[1], qkv[2]  # each [B, H, T, D]

    def _out(self, y: Tensor) -> Tensor:
        b, t = y.shape[0], y.shape[2]
        return self.c_proj(y.transpose(1, 2).reshape(b, t, self.n_head * self.head_dim))

    def forward(self, x: Tensor) -> Tensor:
        """Plain causal self-attention over x (training and from-scratch reference)."""
        q, k, v = self._qkv(x)
        y = torch.ops.aten.scaled_dot_product_attention(q, k, v, None, 0.0, True)
        return self._out(y)

    def forward_cached(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, slot_idx: Tensor, pos_idx: Tensor,
                       slots: Tensor, mu: int, fresh: bool, mask: Optional[Tensor]) -> Tensor:
        """layer_k/layer_v: [S, H, M, D] views of one layer of the cache, updated in place."""
        q, k, v = self._qkv(x)
        # [B,H,T,D] -> [B,T,H,D]: advanced indices (slot, position) around the head slice put B,T first.
        layer_k[slot_idx, :, pos_idx] = k.transpose(1, 2).to(layer_k.dtype)
        layer_v[slot_idx, :, pos_idx] = v.transpose(1, 2).to(layer_v.dtype)
        if fresh:
            # every row starts at position 0: the new keys are the whole visible prefix
            y = torch.ops.aten.scaled_dot_product_attention(q, k.to(q.dtype), v.to(q.dtype), None, 0.0, True)
        else:
            if slots.shape[0] == 1:
                s = int(slots[0])
                kk = layer_k[s:s + 1, :, :mu]
                vv = layer_v[s:s + 1, :, :mu]
            else:
                kk = layer_k[:, :, :mu].index_select(0, slots)
                vv = layer_v[:, :, :mu].index_select(0, slots)
            y = torch.ops.aten.scaled_dot_product_attention(q, kk.to(q.dtype), vv.to(q.dtype), mask, 0.0, False)
        return self._out(y)


class MLP(nn.Module):
    def __init__(self, cfg: GPT2Config):
        super().__init__()
        self.c_fc = Conv1D(cfg.n_embd, cfg.inner)
        self.c_proj = Conv1D(cfg.inner, cfg.n_embd)

    def forward(self, x: Tensor) -> Tensor:
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, cfg: GPT2Config):
        super().__init__()
        self.ln_1 = LayerNorm(cfg.n_embd, cfg.layer_norm_epsilon)
        self.attn = Attention(cfg)
        self.ln_2 = LayerNorm(cfg.n_embd, cfg.layer_norm_epsilon)
        self.mlp = MLP(cfg)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))

    def forward_cached(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, slot_idx: Tensor, pos_idx: Tensor,
                       slots: Tensor, mu: int, fresh: bool, mask: Optional[Tensor]) -> Tensor:
        x = x + self.attn.forward_cached(self.ln_1(x), layer_k, layer_v, slot_idx, pos_idx, slots, mu, fresh, mask)
        return x + self.mlp(self.ln_2(x))

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.ln_1.cast(dtype)
        self.attn.c_attn.cast(dtype)
        self.attn.c_proj.cast(dtype)
        self.ln_2.cast(dtype)
        self.mlp.c_fc.cast(dtype)
        self.mlp.c_proj.cast(dtype)


class Transformer(nn.Module):
    def __init__(self, cfg: GPT2Config):
        super().__init__()
        self.wte = Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = Embedding(cfg.n_positions, cfg.n_embd)
        self.h = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = LayerNorm(cfg.n_embd, cfg.layer_norm_epsilon)


class GPT2LMHeadModel(nn.Module):
    """GPT-2 LM. ``forward`` is the serving step (KV cache); ``logits_all`` is the plain full-sequence pass."""

    def __init__(self, cfg: GPT2Config):
        super().__init__()
        self.cfg_n_layer = cfg.n_layer
        self.cfg_n_head = cfg.n_head
        self.cfg_head_dim = cfg.n_embd // cfg.n_head
        self.cfg_n_positions = cfg.n_positions
        self.cfg_vocab_size = cfg.vocab_size
        self.transformer = Transformer(cfg)
        # GPT-2 init: residual projections scaled by 1/sqrt(2 * n_layer)
        for blk in self.transformer.h:
            nn.init.normal_(blk.attn.c_proj.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))
            nn.init.normal_(blk.mlp.c_proj.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))

    def hidden_all(self, input_ids: Tensor) -> Tensor:
        t = input_ids.shape[1]
        pos = torch.arange(t, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = self.transformer.wte(input_ids) + self.transformer.wpe(pos)
        for blk in self.transformer.h:
            x = blk(x)
        return self.transformer.ln_f(x)

    @torch.jit.export
    def logits_all(self, input_ids: Tensor) -> Tensor:
        """[B,T] -> [B,T,V] logits, no cache; positions 0..T-1."""
        h = self.hidden_all(input_ids)
        return torch.matmul(h, self.transformer.wte.weight.t()).float()

    def forward(self, input_ids: Tensor, positions: Tensor, slots: Tensor, logits_index: Tensor,
                cache_k: Tensor, cache_v: Tensor) -> Tensor:
        b, t = input_ids.shape[0], input_ids.shape[1]
        x = self.transformer.wte(input_ids) + self.transformer.wpe(positions)
        mu = int(positions.max()) + 1
        fresh = int(positions[:, 0].max()) == 0
        # One new token per row, all rows at the same position: every cached key up to it is visible, so no
        # mask is needed and SDPA may pick its flash kernel for the decode step too.
        aligned_decode = t == 1 and int(positions.min()) == mu - 1
        mask: Optional[Tensor] = None
        if not fresh and not aligned_decode:
            keys = torch.arange(mu, dtype=positions.dtype, device=positions.device)
            mask = (keys.view(1, 1, 1, mu) <= positions.view(b, 1, t, 1))  # [B,1,T,Mu] bool
        slot_idx = slots.view(b, 1).expand(b, t)
        i = 0
        for blk in self.transformer.h:
            x = blk.forward_cached(x, cache_k[i], cache_v[i], slot_idx, positions, slots, mu, fresh, mask)
            i += 1
        rows = torch.arange(b, dtype=torch.long, device=x.device)
        h = self.transformer.ln_f(x[rows, logits_index])  # [B, C]
        return torch.matmul(h, self.transformer.wte.weight.t()).float()

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        """Casts every floating weight in place to float32 | float16 | bfloat16 (call once after load)."""
        self.transformer.wte.cast(dtype)
        self.transformer.wpe.cast(dtype)
        for blk in self.transformer.h:
            blk.cast(dtype)
        self.transformer.ln_f.cast(dtype)

    @torch.jit.export
    def cache_shape(self, slots: int, max_len: int) -> List[int]:
        """[L, S, H, M, D] for a cache of `slots` sequences of up to max_len tokens (max_len <= n_positions)."""
        return [self.cfg_n_layer, slots, self.cfg_n_head, max_len, self.cfg_head_dim]

    @torch.jit.export
    def new_cache_tensor(self, slots: int, max_len: int) -> Tensor:
        """Zeros [L, S, H, M, D] in the weights' current dtype and device (call twice: keys, values). Lets the
        server allocate bf16/fp16 caches on the model's device without creating them itself."""
        w = self.transformer.wte.weight
        return torch.zeros(self.cache_shape(slots, max_len), dtype=w.dtype, device=w.device)

    def new_cache(self, slots: int, max_len: int, dtype: torch.dtype = torch.float32):
        shape = self.cache_shape(slots, max_len)
        return torch.zeros(shape, dtype=dtype), torch.zeros(shape, dtype=dtype)


def build(cfg: GPT2Config) -> GPT2LMHeadModel:
    return GPT2LMHeadModel(cfg)


def hf_state_dict(model: GPT2LMHeadModel) -> Dict[str, Tensor]:
    """state_dict with HF names (already the module's names); no lm_head (tied)."""
    return {k: v for k, v in model.state_dict().items()}


def load_hf_state_dict(model: GPT2LMHeadModel, sd: Dict[str, Tensor]) -> None:
    """Loads HF GPT-2 weights (with or without the 'transformer.' prefix; lm_head.weight and attn.bias /
    attn.masked_bias buffers ignored)."""
    own = model.state_dict()
    fixed: Dict[str, Tensor] = {}
    for k, v in sd.items():
        if k.endswith(".attn.bias") or k.endswith(".attn.masked_bias") or k == "lm_head.weight":
            continue
        key = k if k.startswith("transformer.") else "transformer." + k
        if key not in own:
            raise KeyError(f"unexpected weight {k}")
        if tuple(own[key].shape) != tuple(v.shape):
            raise ValueError(f"{k}: shape {tuple(v.shape)} != {tuple(own[key].shape)}")
        fixed[key] = v.to(torch.float32)
    missing = set(own) - set(fixed)
    if missing:
        raise KeyError(f"missing weights: {sorted(missing)[:5]}")
    model.load_state_dict(fixed)


def script_for_serving(model: GPT2LMHeadModel) -> torch.jit.ScriptModule:
    model = to_buffers(model.eval())
    return torch.jit.script(model)
