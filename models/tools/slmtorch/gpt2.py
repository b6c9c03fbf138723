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
hidden[b, logits_index[b]]. ``forward_mixed`` takes one-token decode rows and prompt rows in one call (one
GEMM per weight for both groups). A served archive stores Conv1D weights [out, in] (``script_for_serving``).
See docs/model-format-decoder.md.
"""
import json
import math
from typing import Dict, List, NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from slmtorch import fp16weights, kernels, lora, onednn
from slmtorch import sdpa  # noqa: F401  (defines torch.ops.aten.scaled_dot_product_attention on torch 1.13)
from slmtorch.layers import (Embedding, LayerNorm, causal_cache_mask, dtype_of, last_tokens,  # noqa: F401
                             to_buffers)  # to_buffers: for callers
from slmtorch.halflinear import pack_tiles, served_linear
from slmtorch.qlinear import NoHead
from slmtorch.rowsplit import blocks_for, linear_t


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
    """HF Conv1D: y = x @ weight + bias with weight stored [in, out] (training, HF snapshots).

    A served archive stores the weight transposed, [out, in] (``out_major``, set by ``script_for_serving``),
    and computes y^T = weight @ x^T: for the few rows of a decode step libtorch 2.7.1's MKL runs that form
    about 1.5x faster on these machines than x @ weight (bench/generation/README.md, decode-step GEMMs); one
    row is split into row blocks so that both cores work (slmtorch/rowsplit.py)."""

    packed16: Optional[torch.classes.quantized.LinearPackedParamsBase]

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.out_major = False
        self.row_blocks = 8  # set_intra_op_threads
        # after pack_cpu_weights: the [out, in] weight in oneDNN's layout (slmtorch/onednn.py), replacing the plain one
        self.packed = False
        self.register_buffer("weight_packed", torch.zeros(0), persistent=False)
        # after pack_fp16_weights: weight and bias packed for FBGEMM's fp16-weight GEMM (slmtorch/fp16weights.py)
        self.packed16 = None
        # after pack_half_weights (option.dtype bf16 / fp16 on the CPU): the [out, in] weight in slm::half_linear's
        # 16-bit tiles (slmtorch/halflinear.py), replacing the plain one
        self.register_buffer("weight_half", torch.zeros(0), persistent=False)
        self.register_buffer("none", torch.zeros(0), persistent=False)
        self.n_out = n_out
        nn.init.normal_(self.weight, std=0.02)

    def _half(self, x: Tensor, residual: Tensor, norm: Tensor, eps: float, gate: int) -> Tensor:
        return torch.ops.slm.half_linear(x, self.weight_half, self.n_out, self.bias, residual, norm, eps, 0.0, gate)

    def forward(self, x: Tensor) -> Tensor:
        if self.weight_half.numel() > 0:
            return self._half(x, self.none, self.none, 0.0, 0)
        x2 = x.reshape(-1, x.shape[-1])
        p16 = self.packed16
        if p16 is not None:
            y = fp16weights.linear(x2, p16)
        elif self.packed:
            y = onednn.linear(x2, self.weight_packed, self.bias)
        elif self.out_major:
            y = linear_t(self.weight, x2, self.bias, self.row_blocks)
        else:
            y = torch.addmm(self.bias, x2, self.weight)
        return y.reshape(x.shape[:-1] + (y.shape[1],))

    # QLinear's fused forms as separate ops, so that Block._forward_fused compiles for float32 archives too (it
    # runs only where the blocks hold the stacked LayerNorms: int8 archives, and 16-bit tiles, one op each then)

    def forward_add(self, x: Tensor, residual: Tensor) -> Tensor:
        if self.weight_half.numel() > 0:
            return self._half(x, residual, self.none, 0.0, 0)
        return residual + self.forward(x)

    def forward_normed(self, x: Tensor, norm: Tensor, eps: float, offset: float) -> Tensor:
        if self.weight_half.numel() > 0:
            return self._half(x, self.none, norm, eps, 0)
        return self.forward(F.layer_norm(x, [x.shape[-1]], norm[0], norm[1], eps))

    def forward_gelu_add(self, x: Tensor, residual: Tensor) -> Tensor:
        if self.weight_half.numel() > 0:
            return self._half(x, residual, self.none, 0.0, 3)
        return residual + self.forward(F.gelu(x, approximate="tanh"))

    @torch.jit.export
    def set_row_blocks(self, n: int) -> None:
        """Row blocks of a one-row product (slmtorch/rowsplit.py; 1: the plain product)."""
        self.row_blocks = n

    def make_out_major(self) -> None:
        """Stores the weight [out, in] for serving (a buffer by then: see to_buffers)."""
        if not self.out_major:
            self.weight = self.weight.t().contiguous()
            self.out_major = True

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        if self.packed or self.packed16 is not None or self.weight_half.numel() > 0:
            raise RuntimeError("cast must come before pack_cpu_weights, pack_fp16_weights and pack_half_weights")
        dt = dtype_of(dtype)
        self.weight = self.weight.to(dt)
        self.bias = self.bias.to(dt)

    @torch.jit.export
    def pack_half_weights(self, dtype: str) -> int:
        """Moves a served float32 CPU [out, in] weight into slm::half_linear's bf16 or fp16 tiles
        (slmtorch/halflinear.py); 1 when packed (now or before), else 0."""
        if self.weight_half.numel() > 0:
            return 1
        w = self.weight
        if self.packed or self.packed16 is not None or not self.out_major or w.numel() == 0 or w.is_cuda \
                or w.dtype != torch.float32:
            return 0
        self.n_out = w.shape[0]
        self.weight_half = pack_tiles(w, dtype)
        self.weight = torch.zeros(0)
        return 1

    @torch.jit.export
    def pack_fp16_weights(self) -> int:
        """Packs a served [out, in] weight for FBGEMM's fp16-weight GEMM when its float32 values are all fp16 values
        (slmtorch/fp16weights.py); 1 when packed (now or before), else 0."""
        if self.packed16 is not None:
            return 1
        if self.packed or not self.out_major or not fp16weights.exact(self.weight):
            return 0
        self.packed16 = fp16weights.pack(self.weight, self.bias)
        self.weight = torch.zeros(0)
        return 1

    @torch.jit.export
    def pack_cpu_weights(self) -> int:
        """Moves a served float32 CPU weight into oneDNN's layout (slmtorch/onednn.py); 1 when packed, else 0."""
        if self.packed:
            return 1
        if not self.out_major or not onednn.packable(self.weight):
            return 0
        self.weight_packed = onednn.pack(self.weight)
        self.weight = torch.zeros(0)
        self.packed = True
        return 1


class StepPlan(NamedTuple):
    """Where one group of rows writes and reads the slot cache in a step (built once, used by every layer)."""
    slots: Tensor  # [B]
    slot_idx: Tensor  # [B, T]: each token's slot
    positions: Tensor  # [B, T]
    mu: int  # visible prefix: max position + 1
    fresh: bool  # every row starts at 0: attend over the new keys only (causal)
    mask: Optional[Tensor]  # [B, 1, T, Mu] bool; None when every query sees every key below mu
    first_slot: int  # >= 0 when the rows hold consecutive slots: attention reads a view, no gather
    write_at: int  # >= 0: one token per row, all at this position, consecutive slots (write_cache copies a view)


def plan_step(positions: Tensor, slots: Tensor) -> StepPlan:
    b, t = positions.shape[0], positions.shape[1]
    mu, fresh, mask = causal_cache_mask(positions)
    first_slot = -1  # the server lists rows in slot order, so a full batch holds consecutive slots
    if b == 1:
        first_slot = int(slots)
    elif bool(((slots[1:] - slots[:-1]) == 1).all()):
        first_slot = int(slots[0])
    write_at = -1
    if t == 1 and first_slot >= 0 and mask is None:  # no mask at t == 1: every row at mu - 1
        write_at = mu - 1
    return StepPlan(slots, slots.view(b, 1).expand(b, t), positions, mu, fresh, mask, first_slot, write_at)


def write_cache(layer: Tensor, x: Tensor, plan: StepPlan) -> None:
    """Writes the new tokens' keys or values x [B, T, H, D] into layer ([S, H, M, D], one layer of the cache) at
    their slots and positions, in place. A one-token step of consecutive slots at one position (write_at) copies
    into a view: a few view ops instead of index_put_'s gather of index tensors (a one-row decode step's largest
    non-GEMM cost after SDPA, libtorch profiler)."""
    if plan.write_at >= 0:
        layer.narrow(0, plan.first_slot, x.shape[0]).select(2, plan.write_at).copy_(x.select(1, 0))
    else:
        # advanced indices (slot, position) around the head slice put B, T first
        layer[plan.slot_idx, :, plan.positions] = x.to(layer.dtype)


class Attention(nn.Module):
    def __init__(self, cfg: GPT2Config):
        super().__init__()
        self.n_head = cfg.n_head
        self.head_dim = cfg.n_embd // cfg.n_head
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd)

    def _heads(self, qkv: Tensor):
        b, t = qkv.shape[0], qkv.shape[1]
        qkv = qkv.view(b, t, 3, self.n_head, self.head_dim).permute(2, 0, 3, 1, 4)
        return qkv[0], qkv[1], qkv[2]  # each [B, H, T, D]

    def _merge(self, y: Tensor) -> Tensor:
        b, t = y.shape[0], y.shape[2]
        return y.transpose(1, 2).reshape(b, t, self.n_head * self.head_dim)

    def forward(self, x: Tensor) -> Tensor:
        """Plain causal self-attention over x (training and from-scratch reference)."""
        q, k, v = self._heads(self.c_attn(x))
        y = torch.ops.aten.scaled_dot_product_attention(q, k, v, None, 0.0, True)
        return self.c_proj(self._merge(y))

    def forward_lora(self, x: Tensor, r: lora.Rows) -> Tensor:
        """forward with each row's LoRA update on c_attn (target 0) and c_proj (target 1)."""
        q, k, v = self._heads(lora.add(self.c_attn(x), x, r, 0))
        y = self._merge(torch.ops.aten.scaled_dot_product_attention(q, k, v, None, 0.0, True))
        return lora.add(self.c_proj(y), y, r, 1)

    def attend(self, qkv: Tensor, layer_k: Tensor, layer_v: Tensor, plan: StepPlan) -> Tensor:
        """qkv: [B, T, 3C] of the new tokens -> [B, T, C] attention output (before c_proj). Writes their keys
        and values into layer_k/layer_v ([S, H, M, D] views of one layer of the cache) in place."""
        q, k, v = self._heads(qkv)
        write_cache(layer_k, k.transpose(1, 2), plan)  # [B,H,T,D] -> [B,T,H,D]
        write_cache(layer_v, v.transpose(1, 2), plan)
        if plan.fresh:
            # every row starts at position 0: the new keys are the whole visible prefix
            y = torch.ops.aten.scaled_dot_product_attention(q, k.to(q.dtype), v.to(q.dtype), None, 0.0, True)
        else:
            mu = plan.mu
            if plan.first_slot >= 0:
                # a view of consecutive slots: no copy of every row's visible keys and values
                s, n = plan.first_slot, plan.slots.shape[0]
                kk = layer_k[s:s + n, :, :mu]
                vv = layer_v[s:s + n, :, :mu]
            else:
                kk = layer_k[:, :, :mu].index_select(0, plan.slots)
                vv = layer_v[:, :, :mu].index_select(0, plan.slots)
            y = torch.ops.aten.scaled_dot_product_attention(q, kk.to(q.dtype), vv.to(q.dtype), plan.mask, 0.0,
                                                            False)
        return self._merge(y)


class MLP(nn.Module):
    def __init__(self, cfg: GPT2Config):
        super().__init__()
        self.c_fc = Conv1D(cfg.n_embd, cfg.inner)
        self.c_proj = Conv1D(cfg.inner, cfg.n_embd)

    def forward(self, x: Tensor) -> Tensor:
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))

    def forward_lora(self, x: Tensor, r: lora.Rows) -> Tensor:
        """forward with each row's LoRA update on c_fc (target 2) and c_proj (target 3, ``mlp_c_proj``)."""
        h = F.gelu(lora.add(self.c_fc(x), x, r, 2), approximate="tanh")
        return lora.add(self.c_proj(h), h, r, 3)


class Block(nn.Module):
    def __init__(self, cfg: GPT2Config):
        super().__init__()
        self.ln_1 = LayerNorm(cfg.n_embd, cfg.layer_norm_epsilon)
        self.attn = Attention(cfg)
        self.ln_2 = LayerNorm(cfg.n_embd, cfg.layer_norm_epsilon)
        self.mlp = MLP(cfg)
        self.use_kernels = True  # slm::attend_decode for one-token float32 CPU steps (slmtorch/kernels.py)
        self.register_buffer("no_rotary", torch.zeros(0), persistent=False)
        # int8 archives (quantize_int8): ln_1's and ln_2's weight and bias stacked [2, C] for int8_linear's
        # LayerNorm prologue; empty otherwise
        self.register_buffer("ln_1_wb", torch.zeros(0), persistent=False)
        self.register_buffer("ln_2_wb", torch.zeros(0), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))

    def forward_cached(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, plan: StepPlan) -> Tensor:
        a = self.attn
        if self.use_kernels and kernels.decode_ok(x, layer_k):
            if self.ln_1_wb.numel() > 0:  # an int8 block: its norms, GELU and adds fold into the products too
                return self._forward_fused(x, layer_k, layer_v, plan)
            # the head split, cache writes and attention as one op (no rotary: GPT-2's positions are embedded)
            y = torch.ops.slm.attend_decode(a.c_attn(self.ln_1(x)), self.no_rotary, self.no_rotary, layer_k, layer_v,
                                            plan.slots, plan.positions, a.n_head, a.n_head, a.head_dim ** -0.5)
        else:
            y = a.attend(a.c_attn(self.ln_1(x)), layer_k, layer_v, plan)
        x = x + a.c_proj(y)
        return x + self.mlp(self.ln_2(x))

    def _forward_fused(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, plan: StepPlan) -> Tensor:
        """forward_cached's one-token step of an int8 block in 5 ops: each LayerNorm, the GELU and both residual adds
        folded into the int8 products (QLinear's fused forms), the head split, cache writes and attention in one."""
        a = self.attn
        m = self.mlp
        qkv = a.c_attn.forward_normed(x, self.ln_1_wb, self.ln_1.eps, 0.0)
        y = torch.ops.slm.attend_decode(qkv, self.no_rotary, self.no_rotary, layer_k, layer_v, plan.slots,
                                        plan.positions, a.n_head, a.n_head, a.head_dim ** -0.5)
        x = a.c_proj.forward_add(y, x)
        return m.c_proj.forward_gelu_add(m.c_fc.forward_normed(x, self.ln_2_wb, self.ln_2.eps, 0.0), x)

    def forward_mixed(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, decode: StepPlan, prompts: StepPlan) -> Tensor:
        """x: [Bd + Bp*T, C], the decode rows' tokens first. The linear layers run on every token at once
        (one GEMM per weight for both groups); attention runs per group."""
        bd = decode.positions.shape[0]
        bp, t = prompts.positions.shape[0], prompts.positions.shape[1]
        qkv = self.attn.c_attn(self.ln_1(x))
        yd = self.attn.attend(qkv[:bd].view(bd, 1, -1), layer_k, layer_v, decode)
        yp = self.attn.attend(qkv[bd:].view(bp, t, -1), layer_k, layer_v, prompts)
        x = x + self.attn.c_proj(torch.cat([yd.reshape(bd, -1), yp.reshape(bp * t, -1)]))
        return x + self.mlp(self.ln_2(x))

    def forward_lora(self, x: Tensor, r: lora.Rows) -> Tensor:
        x = x + self.attn.forward_lora(self.ln_1(x), r)
        return x + self.mlp.forward_lora(self.ln_2(x), r)

    def forward_cached_lora(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, plan: StepPlan,
                            r: lora.Rows) -> Tensor:
        h = self.ln_1(x)
        y = self.attn.attend(lora.add(self.attn.c_attn(h), h, r, 0), layer_k, layer_v, plan)
        x = x + lora.add(self.attn.c_proj(y), y, r, 1)
        return x + self.mlp.forward_lora(self.ln_2(x), r)

    def forward_mixed_lora(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, decode: StepPlan,
                           prompts: StepPlan, r: lora.Rows) -> Tensor:
        """forward_mixed with LoRA: r lays out the same tokens (decode rows first)."""
        bd = decode.positions.shape[0]
        bp, t = prompts.positions.shape[0], prompts.positions.shape[1]
        h = self.ln_1(x)
        qkv = lora.add(self.attn.c_attn(h), h, r, 0)
        yd = self.attn.attend(qkv[:bd].view(bd, 1, -1), layer_k, layer_v, decode)
        yp = self.attn.attend(qkv[bd:].view(bp, t, -1), layer_k, layer_v, prompts)
        y = torch.cat([yd.reshape(bd, -1), yp.reshape(bp * t, -1)])
        x = x + lora.add(self.attn.c_proj(y), y, r, 1)
        return x + self.mlp.forward_lora(self.ln_2(x), r)

    @torch.jit.export
    def fold_norms(self) -> None:
        """ln_1's and ln_2's weight and bias stacked [2, C] for the kernels' LayerNorm prologue: a one-token step
        then runs _forward_fused (its layers must take the fused forms as one op: int8 or 16-bit tiles)."""
        self.ln_1_wb = torch.stack([self.ln_1.weight, self.ln_1.bias]).to(torch.float32).contiguous()
        self.ln_2_wb = torch.stack([self.ln_2.weight, self.ln_2.bias]).to(torch.float32).contiguous()

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


# archive target names, in the order of the lora argument; PEFT module name suffix -> target (convert_lora.py)
LORA_TARGETS = ("c_attn", "c_proj", "c_fc", "mlp_c_proj")
PEFT_TARGETS = {"attn.c_attn": "c_attn", "attn.c_proj": "c_proj", "mlp.c_fc": "c_fc", "mlp.c_proj": "mlp_c_proj"}


def lora_shapes(cfg: GPT2Config) -> Dict[str, List[int]]:
    """LoRA target -> [in_features, out_features]; mlp_c_proj is PEFT's mlp.c_proj (attn.c_proj is c_proj)."""
    c, f = cfg.n_embd, cfg.inner
    return {"c_attn": [c, 3 * c], "c_proj": [c, c], "c_fc": [c, f], "mlp_c_proj": [f, c]}


class GPT2LMHeadModel(nn.Module):
    """GPT-2 LM. ``forward`` is the serving step (KV cache); ``logits_all`` is the plain full-sequence pass."""

    head16: Optional[torch.classes.quantized.LinearPackedParamsBase]

    def __init__(self, cfg: GPT2Config):
        super().__init__()
        self.cfg_n_layer = cfg.n_layer
        self.cfg_n_head = cfg.n_head
        self.cfg_head_dim = cfg.n_embd // cfg.n_head
        self.cfg_n_positions = cfg.n_positions
        self.cfg_vocab_size = cfg.vocab_size
        self.transformer = Transformer(cfg)
        # LoRA targets (slmtorch/lora.py) in the order of the lora argument, [in, out] each
        self.lora_names: List[str] = list(LORA_TARGETS)
        self.lora_shapes: Dict[str, List[int]] = lora_shapes(cfg)
        # int8 serving (script_for_serving(quantize="int8")): the LM head's own int8 copy of wte, and ln_f's weight
        # and bias stacked [2, C] for its LayerNorm prologue; NoHead (unused) and empty otherwise
        self.quantized_head = False
        self.head_q: nn.Module = NoHead()
        self.register_buffer("ln_f_wb", torch.zeros(0), persistent=False)
        self.row_blocks = 8  # the LM head's (set_intra_op_threads)
        self.packed_head = False  # the tied LM head runs through oneDNN (pack_cpu_weights)
        # the head's own copy in oneDNN's layout (pack_tied_head); the embedding keeps the plain weight
        self.register_buffer("head_packed", torch.zeros(0), persistent=False)
        # the head's own fp16 copy of wte for FBGEMM (pack_fp16_weights), when wte holds fp16 values
        self.head16 = None
        # the head in slm::half_linear's 16-bit tiles (pack_half_weights); empty otherwise
        self.register_buffer("head_half", torch.zeros(0), persistent=False)
        self.register_buffer("none", torch.zeros(0), persistent=False)
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
        return self._head_all(self.hidden_all(input_ids))

    def _head_all(self, h: Tensor) -> Tensor:
        """[B, T, C] normed hidden states -> [B, T, V] float32 logits (the no-cache passes)."""
        if self.quantized_head:
            return self.head_q(h).float()
        if self.head_half.numel() > 0:  # the head's 16-bit tiles (pack_half_weights)
            return torch.ops.slm.half_linear(h, self.head_half, self.cfg_vocab_size, self.none, self.none,
                                             self.none, 0.0, 0.0, 0)
        return torch.matmul(h, self.transformer.wte.weight.t()).float()

    def forward(self, input_ids: Tensor, positions: Tensor, slots: Tensor, logits_index: Tensor,
                cache_k: Tensor, cache_v: Tensor) -> Tensor:
        plan = plan_step(positions, slots)
        x = self.transformer.wte(input_ids) + self.transformer.wpe(positions)
        i = 0
        for blk in self.transformer.h:
            x = blk.forward_cached(x, cache_k[i], cache_v[i], plan)
            i += 1
        return self._lm_head(last_tokens(x, logits_index))

    @torch.jit.export
    def forward_mixed(self, decode_ids: Tensor, decode_positions: Tensor, decode_slots: Tensor, input_ids: Tensor,
                      positions: Tensor, slots: Tensor, logits_index: Tensor, cache_k: Tensor,
                      cache_v: Tensor) -> Tensor:
        """One step for running rows (one token each: decode_* [Bd, 1] and [Bd]) and prompt rows (as in
        forward) together, so a new prompt costs the running rows no extra call. Slots distinct across both
        groups. Returns [Bd + Bp, V] float32 logits, decode rows first."""
        bd, c = decode_ids.shape[0], self.transformer.wte.weight.shape[1]
        bp, t = input_ids.shape[0], input_ids.shape[1]
        decode = plan_step(decode_positions, decode_slots)
        prompts = plan_step(positions, slots)
        x = torch.cat([(self.transformer.wte(decode_ids) + self.transformer.wpe(decode_positions)).view(bd, c),
                       (self.transformer.wte(input_ids) + self.transformer.wpe(positions)).view(bp * t, c)])
        i = 0
        for blk in self.transformer.h:
            x = blk.forward_mixed(x, cache_k[i], cache_v[i], decode, prompts)
            i += 1
        last = bd + torch.arange(bp, dtype=torch.long, device=x.device) * t + logits_index
        return self._lm_head(torch.cat([x[:bd], x[last]]))

    @torch.jit.export
    def lora_targets(self) -> List[str]:
        """LoRA target names in the order forward_lora's lora argument lists their stacks."""
        return self.lora_names

    @torch.jit.export
    def lora_target_shapes(self) -> Dict[str, List[int]]:
        """target -> [in_features, out_features]."""
        return self.lora_shapes

    @torch.jit.export
    def logits_all_lora(self, input_ids: Tensor, adapter: Tensor, lora_w: List[Tensor]) -> Tensor:
        """logits_all with adapter slot adapter[0] (int64 [1]) on every row, or one index per row ([B])."""
        lora.check(lora_w, len(self.lora_names))
        b, t = input_ids.shape[0], input_ids.shape[1]
        r = lora.rows_of(lora_w, adapter, b, t)
        pos = torch.arange(t, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = self.transformer.wte(input_ids) + self.transformer.wpe(pos)
        i = 0
        for blk in self.transformer.h:
            x = blk.forward_lora(x, lora.for_layer(r, i))
            i += 1
        return self._head_all(self.transformer.ln_f(x))

    @torch.jit.export
    def forward_lora(self, input_ids: Tensor, positions: Tensor, slots: Tensor, logits_index: Tensor,
                     cache_k: Tensor, cache_v: Tensor, adapters: Tensor, lora_w: List[Tensor]) -> Tensor:
        """forward with row b's adapter adapters[b] (int64 [B], 0 = none); lora_w: slmtorch/lora.py."""
        lora.check(lora_w, len(self.lora_names))
        b, t = input_ids.shape[0], input_ids.shape[1]
        r = lora.rows_of(lora_w, adapters, b, t)
        plan = plan_step(positions, slots)
        x = self.transformer.wte(input_ids) + self.transformer.wpe(positions)
        i = 0
        for blk in self.transformer.h:
            x = blk.forward_cached_lora(x, cache_k[i], cache_v[i], plan, lora.for_layer(r, i))
            i += 1
        return self._lm_head(last_tokens(x, logits_index))

    @torch.jit.export
    def forward_mixed_lora(self, decode_ids: Tensor, decode_positions: Tensor, decode_slots: Tensor,
                           input_ids: Tensor, positions: Tensor, slots: Tensor, logits_index: Tensor,
                           cache_k: Tensor, cache_v: Tensor, decode_adapters: Tensor, adapters: Tensor,
                           lora_w: List[Tensor]) -> Tensor:
        """forward_mixed with each decode row's and prompt row's adapter (int64 [Bd] and [Bp])."""
        lora.check(lora_w, len(self.lora_names))
        bd, c = decode_ids.shape[0], self.transformer.wte.weight.shape[1]
        bp, t = input_ids.shape[0], input_ids.shape[1]
        r = lora.Rows(lora_w, 0, decode_adapters, adapters, bd, bp, t)
        decode = plan_step(decode_positions, decode_slots)
        prompts = plan_step(positions, slots)
        x = torch.cat([(self.transformer.wte(decode_ids) + self.transformer.wpe(decode_positions)).view(bd, c),
                       (self.transformer.wte(input_ids) + self.transformer.wpe(positions)).view(bp * t, c)])
        i = 0
        for blk in self.transformer.h:
            x = blk.forward_mixed_lora(x, cache_k[i], cache_v[i], decode, prompts, lora.for_layer(r, i))
            i += 1
        last = bd + torch.arange(bp, dtype=torch.long, device=x.device) * t + logits_index
        return self._lm_head(torch.cat([x[:bd], x[last]]))

    def _lm_head(self, h: Tensor) -> Tensor:
        """[B, C] final hidden states -> [B, V] float32 logits, as (wte @ h^T)^T: the faster GEMM form for few
        rows, as in Conv1D."""
        if self.quantized_head and h.dtype == torch.float32 and not h.is_cuda and self.ln_f_wb.numel() > 0:
            return self.head_q.forward_normed(h, self.ln_f_wb, self.transformer.ln_f.eps, 0.0)
        if self.head_half.numel() > 0:  # float32 on the CPU: ln_f folded in, as above
            return torch.ops.slm.half_linear(h, self.head_half, self.cfg_vocab_size, self.none, self.none,
                                             self.ln_f_wb, self.transformer.ln_f.eps, 0.0, 0)
        h = self.transformer.ln_f(h)
        if self.quantized_head:
            return self.head_q(h).float()
        head16 = self.head16
        if head16 is not None:
            return fp16weights.linear(h, head16)
        if self.packed_head:  # its packed copy when it has one, else wte's plain weight (shared with the embedding)
            w = self.head_packed if self.head_packed.numel() > 0 else self.transformer.wte.weight
            return onednn.linear(h, w, None).float()
        return linear_t(self.transformer.wte.weight, h, None, self.row_blocks).float()

    @torch.jit.export
    def set_kernels(self, on: bool) -> None:
        """Whether one-token steps take the fused attention op (slmtorch/kernels.py); for side-by-side runs."""
        for blk in self.transformer.h:
            blk.use_kernels = on

    @torch.jit.export
    def set_intra_op_threads(self, threads: int) -> None:
        """The engine's intra-op threads for this model (called after load): one-row products are split into
        row blocks only when more than one thread can share them (slmtorch/rowsplit.py)."""
        n = blocks_for(threads)
        self.row_blocks = n
        for blk in self.transformer.h:
            blk.attn.c_attn.set_row_blocks(n)
            blk.attn.c_proj.set_row_blocks(n)
            blk.mlp.c_fc.set_row_blocks(n)
            blk.mlp.c_proj.set_row_blocks(n)

    @torch.jit.export
    def pack_cpu_weights(self) -> int:
        """Called by the engine after load and cast: float32 linear layers on the CPU move into oneDNN's layout
        (slmtorch/onednn.py) and the tied LM head runs through oneDNN. Returns the layers packed (0: nothing
        applies, e.g. int8 or CUDA)."""
        n = 0
        for blk in self.transformer.h:
            n += blk.attn.c_attn.pack_cpu_weights() + blk.attn.c_proj.pack_cpu_weights()
            n += blk.mlp.c_fc.pack_cpu_weights() + blk.mlp.c_proj.pack_cpu_weights()
        self.packed_head = not self.quantized_head and self.head_half.numel() == 0 \
            and onednn.packable(self.transformer.wte.weight)
        return n

    @torch.jit.export
    def pack_half_weights(self, dtype: str) -> int:
        """Called by the engine after load and cast("float32") when a float archive serves with option.dtype bf16 or
        fp16 on the CPU: every Conv1D and the tied LM head move into slm::half_linear's 16-bit tiles
        (slmtorch/halflinear.py; the lookup keeps wte), and the LayerNorms fold into the products as in int8
        archives. Returns the layers in 16-bit tiles, the head included (again: the same count; a --quantize bf16 /
        fp16 archive: its own tiles' count; 0: nothing applies, e.g. an int8 archive)."""
        if self.packed_head or self.head16 is not None:
            return 0
        n = 0
        for blk in self.transformer.h:
            k = blk.attn.c_attn.pack_half_weights(dtype) + blk.attn.c_proj.pack_half_weights(dtype)
            k += blk.mlp.c_fc.pack_half_weights(dtype) + blk.mlp.c_proj.pack_half_weights(dtype)
            if k == 4:
                blk.fold_norms()
            n += k
        if self.quantized_head:  # --quantize archives: 16-bit tiles already (1 a layer), or int8 (0)
            return n + int(n > 0)
        w = self.transformer.wte.weight
        if n > 0 and self.head_half.numel() == 0 and w.dtype == torch.float32 and not w.is_cuda:
            self.head_half = pack_tiles(w, dtype)
            ln = self.transformer.ln_f
            self.ln_f_wb = torch.stack([ln.weight, ln.bias]).to(torch.float32).contiguous()
        return n + int(self.head_half.numel() > 0)

    @torch.jit.export
    def pack_fp16_weights(self) -> int:
        """Called by the engine after load and cast, before pack_cpu_weights: float32 linear layers on the CPU whose
        values are all fp16 values (archives written with convert.py --fp16-weights) are packed for FBGEMM's
        fp16-weight GEMM (slmtorch/fp16weights.py), and the tied LM head gets an fp16 copy of wte (the lookup keeps
        the plain one). Returns the layers packed, the head included."""
        n = 0
        for blk in self.transformer.h:
            n += blk.attn.c_attn.pack_fp16_weights() + blk.attn.c_proj.pack_fp16_weights()
            n += blk.mlp.c_fc.pack_fp16_weights() + blk.mlp.c_proj.pack_fp16_weights()
        if not self.quantized_head and self.head_half.numel() == 0:
            if self.head16 is None and fp16weights.exact(self.transformer.wte.weight):
                self.head16 = fp16weights.pack(self.transformer.wte.weight, None)
            n += int(self.head16 is not None)
        return n

    @torch.jit.export
    def pack_tied_head(self) -> int:
        """After pack_cpu_weights: gives the tied LM head its own copy of wte in oneDNN's layout (the lookup keeps
        the plain one). Costs the table's bytes again; a one-row head product then reads at the packed layers' rate
        (slmtorch/onednn.py). Returns 1 when packed (now or before)."""
        if self.head_packed.numel() > 0:
            return 1
        if not self.packed_head or self.head16 is not None:
            return 0
        self.head_packed = onednn.pack(self.transformer.wte.weight)
        return 1

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        """Casts every floating weight in place to float32 | float16 | bfloat16 (call once after load)."""
        if self.head16 is not None or self.head_half.numel() > 0:
            raise RuntimeError("cast must come before pack_cpu_weights, pack_fp16_weights and pack_half_weights")
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


def quantize_int8(model: GPT2LMHeadModel) -> GPT2LMHeadModel:
    """quantize_weights(model, "int8")."""
    return quantize_weights(model, "int8")


def quantize_weights(model: GPT2LMHeadModel, kind: str) -> GPT2LMHeadModel:
    """Replaces every Conv1D by the served layer of ``kind`` (halflinear.served_linear: int8 QLinear per output
    channel, or a bf16/fp16 HalfLinear) and gives the LM head such a copy of wte (the embedding lookup keeps the
    float table). In place; returns the model (eager, runnable here)."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, Conv1D):
                w = child.weight if child.out_major else child.weight.t()
                setattr(parent, name, served_linear(kind, w, child.bias))
    model.head_q = served_linear(kind, model.transformer.wte.weight, None)
    model.quantized_head = True
    # the LayerNorms before the products, stacked for the kernels' prologue (Block._forward_fused, _lm_head)
    for blk in model.transformer.h:
        blk.ln_1_wb = stacked_norm(blk.ln_1)
        blk.ln_2_wb = stacked_norm(blk.ln_2)
    model.ln_f_wb = stacked_norm(model.transformer.ln_f)
    return model


def stacked_norm(ln: LayerNorm) -> Tensor:
    """A LayerNorm's weight and bias as one float32 [2, C] tensor: int8_linear's LayerNorm prologue."""
    return torch.stack([ln.weight.detach(), ln.bias.detach()]).to(torch.float32).contiguous()


def script_for_serving(model: GPT2LMHeadModel, quantize: Optional[str] = None) -> torch.jit.ScriptModule:
    """Scripts the model for serving: weights become buffers and Conv1D weights are stored [out, in]; with
    quantize="int8" the linear layers and the LM head become int8 (quantize_int8). Changes the model it is
    given: pass a copy to keep the training layout."""
    model = to_buffers(model.eval())
    for m in model.modules():
        if isinstance(m, Conv1D):
            m.make_out_major()
    if quantize is not None:
        quantize_weights(model, quantize)
    return torch.jit.script(model)
