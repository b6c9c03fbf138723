"""Llama-family decoders (model_type llama, mistral, qwen2, qwen3) in torch, with Hugging Face parameter names,
for training (eager) and serving (TorchScript, the slot-cache contract of gpt2.py).

One module with flags rather than a copy per family:
- RMSNorm (rms_norm_eps), SwiGLU MLP (gate_proj, up_proj, down_proj; silu);
- biases only where the config asks: ``attention_bias`` (q, k, v, o), Qwen2's q/k/v biases, ``mlp_bias``;
- rotary embeddings, rotate-half layout, rope_theta, explicit ``head_dim``, ``partial_rotary_factor``,
  rope_scaling default / linear / dynamic / llama3 / yarn (inverse frequencies computed at conversion into the
  ``rope_inv_freq`` buffer: slmtorch/rope.py);
- grouped-query attention: the cache holds only the KV heads, [L, S, KVH, M, D]; queries are grouped per KV
  head ([B, KVH, G*T, D]) so attention reads the cache slice without repeating it;
- Qwen3's per-head ``q_norm`` / ``k_norm`` (RMSNorm over head_dim, before rotary);
- ``tie_word_embeddings`` true (LM head = embed_tokens) or false (``lm_head.weight``);
- ``sliding_window`` where enabled: the served folder's max_total_tokens is capped at the window
  (``LlamaConfig.max_total_tokens``), so no query ever has a key outside its window and the graph needs no
  banded mask; longer sequences are refused by the server's max_total_tokens check.

Parameter names (state_dict keys, as transformers' LlamaForCausalLM): ``model.embed_tokens.weight``,
``model.layers.N.self_attn.{q,k,v,o}_proj.{weight,bias}``, ``...self_attn.{q,k}_norm.weight`` (qwen3),
``...mlp.{gate,up,down}_proj.weight``, ``...input_layernorm.weight``, ``...post_attention_layernorm.weight``,
``model.norm.weight``, ``lm_head.weight`` (untied only). Linear weights are [out, in] (nn.Linear's layout), so
serving uses the y^T = W @ x^T GEMM form of gpt2.py with no transposition.

Serving methods and their contract are gpt2.py's (forward, forward_mixed, logits_all, cast, cache_shape,
new_cache_tensor); see docs/model-format-decoder.md.
"""
import json
from typing import Dict, Iterable, List, NamedTuple, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from slmtorch import fp16weights, kernels, lora, onednn, rope
from slmtorch import sdpa  # noqa: F401  (defines torch.ops.aten.scaled_dot_product_attention on torch 1.13)
from slmtorch.gpt2 import StepPlan, plan_step, write_cache
from slmtorch.layers import Embedding, RMSNorm, dtype_of, last_tokens, to_buffers
from slmtorch.halflinear import pack_tiles, served_linear
from slmtorch.qlinear import NoHead
from slmtorch.rowsplit import block_view, blocks_for, linear_blocked, linear_t

MODEL_TYPES = ("llama", "mistral", "qwen2", "qwen3", "phi3", "gemma", "gemma2", "gemma3_text")
GEMMA = ("gemma", "gemma2", "gemma3_text")
# snapshot tensors stored fused (phi3) -> the module's parts, split by rows in this order
FUSED = {"self_attn.qkv_proj": ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"),
         "mlp.gate_up_proj": ("mlp.gate_proj", "mlp.up_proj")}


class LlamaConfig:
    def __init__(self, d: Dict, max_total_tokens: Optional[int] = None):
        """``max_total_tokens``: the user's cap on the served sequence length (convert.py --max-total-tokens)."""
        mt = d.get("model_type")
        if mt not in MODEL_TYPES:
            raise ValueError(f"unsupported model_type {mt!r}; the Llama family supports: {', '.join(MODEL_TYPES)}")
        if mt in GEMMA:  # transformers uses hidden_activation (gelu_pytorch_tanh when unset) for Gemma
            act = d.get("hidden_activation") or "gelu_pytorch_tanh"
        else:
            act = d.get("hidden_act", "silu")
        if act not in ("silu", "gelu_pytorch_tanh"):
            raise ValueError(f"unsupported activation {act!r}; supported: silu, gelu_pytorch_tanh (Gemma)")
        self.act = act
        self.raw = dict(d)
        self.model_type = mt
        self.vocab_size = int(d["vocab_size"])
        self.hidden_size = int(d["hidden_size"])
        self.intermediate_size = int(d["intermediate_size"])
        self.num_hidden_layers = int(d["num_hidden_layers"])
        self.num_attention_heads = int(d["num_attention_heads"])
        self.num_key_value_heads = int(d.get("num_key_value_heads") or self.num_attention_heads)
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError(f"num_attention_heads {self.num_attention_heads} is not a multiple of "
                             f"num_key_value_heads {self.num_key_value_heads}")
        self.head_dim = int(d.get("head_dim") or self.hidden_size // self.num_attention_heads)
        self.rms_norm_eps = float(d.get("rms_norm_eps", 1e-6))
        self.rope_theta = float(d.get("rope_theta", 10000.0))
        self.rope_scaling = d.get("rope_scaling")
        self.partial_rotary_factor = float(d.get("partial_rotary_factor", 1.0))
        self.max_position_embeddings = int(d.get("max_position_embeddings", 2048))
        self.attention_bias = bool(d.get("attention_bias", False))
        self.qkv_bias = self.attention_bias or mt == "qwen2"
        self.o_bias = self.attention_bias and mt != "qwen2"
        self.mlp_bias = bool(d.get("mlp_bias", False))
        self.qk_norm = mt in ("qwen3", "gemma3_text")
        gemma = mt in GEMMA
        self.norm_offset = 1.0 if gemma else 0.0  # Gemma's RMSNorm scales by (1 + weight)
        self.embed_scale = self.hidden_size ** 0.5 if gemma else 1.0
        self.sandwich = mt in ("gemma2", "gemma3_text")  # post-attention and pre/post-feedforward norms
        scalar = d.get("query_pre_attn_scalar") if mt in ("gemma2", "gemma3_text") else None
        self.scaling = float(scalar) ** -0.5 if scalar else 0.0  # 0: SDPA's default 1/sqrt(head_dim)
        self.attn_softcap = float(d.get("attn_logit_softcapping") or 0.0) if mt == "gemma2" else 0.0
        self.final_softcap = float(d.get("final_logit_softcapping") or 0.0) if mt in ("gemma2", "gemma3_text") else 0.0
        self.layer_windows = self._layer_windows(d, mt)
        self.rope_local_theta = float(d.get("rope_local_base_freq", 10000.0)) if mt == "gemma3_text" else 0.0
        self.fused = mt == "phi3"  # qkv_proj and gate_up_proj in the snapshot
        self.original_max_position_embeddings = d.get("original_max_position_embeddings")
        self.cap = max_total_tokens
        self.tie_word_embeddings = bool(d.get("tie_word_embeddings", mt in GEMMA))  # transformers' default for all four
        self.bos_token_id = d.get("bos_token_id")
        self.eos_token_id = d.get("eos_token_id")
        window = d.get("sliding_window")
        if (mt in ("qwen2", "qwen3") and not d.get("use_sliding_window", False)) or mt in GEMMA:
            window = None  # Gemma: real banded attention on its local layers (layer_windows), no cap
        self.sliding_window = int(window) if window else None
        self.rope()

    @staticmethod
    def _layer_windows(d: Dict, mt: str) -> List[int]:
        """Per layer: the sliding window (keys with q - k < window are visible) or 0 for full attention."""
        n = int(d["num_hidden_layers"])
        w = int(d.get("sliding_window") or 0)
        if mt == "gemma2":
            return [w if i % 2 == 0 else 0 for i in range(n)]  # transformers: is_sliding = not layer_idx % 2
        if mt != "gemma3_text":
            return [0] * n
        types = d.get("layer_types")
        if types:
            bad = set(types) - {"sliding_attention", "full_attention"}
            if bad:
                raise ValueError(f"unsupported layer_types {sorted(bad)}; supported: sliding_attention, full_attention")
            return [w if t == "sliding_attention" else 0 for t in types]
        pattern = int(d.get("sliding_window_pattern", 6))
        return [w if (i + 1) % pattern else 0 for i in range(n)]

    def local_rope(self) -> Tensor:
        """Gemma-3's local (sliding) layers: default rotary at rope_local_base_freq, no scaling."""
        return rope.default_inv_freq(self.rope_local_theta, self.rotary_dim)

    def rope(self) -> Tuple[Tensor, float]:
        return rope.inv_freq_for(self.rope_theta, self.rotary_dim, self.rope_scaling, self.max_position_embeddings,
                                 self.original_max_position_embeddings, self.max_total_tokens(self.cap))

    @property
    def rotary_dim(self) -> int:
        return int(self.head_dim * self.partial_rotary_factor)

    def max_total_tokens(self, cap: Optional[int] = None) -> int:
        """Longest sequence the folder serves: max_position_embeddings, the sliding window if one applies
        (see the module docstring), and the user's cap."""
        n = self.max_position_embeddings
        if rope.rope_type_of(self.rope_scaling) == "longrope" and not cap:
            # short factors (transformers' choice up to the original length) unless the user asks for more
            n = min(n, int(self.original_max_position_embeddings or n))
        if self.sliding_window:
            n = min(n, self.sliding_window)
        return min(n, cap) if cap else n

    def to_hf_dict(self) -> Dict:
        return dict(self.raw)

    @classmethod
    def load(cls, path: str) -> "LlamaConfig":
        with open(path) as f:
            return cls(json.load(f))


class Linear(nn.Module):
    """nn.Linear's names and [out, in] layout; bias only when asked. Serving computes y^T = W @ x^T (the GEMM
    form gpt2.py measured faster for the few rows of a decode step; one row in row blocks, slmtorch/rowsplit.py)."""

    packed16: Optional[torch.classes.quantized.LinearPackedParamsBase]

    def __init__(self, n_in: int, n_out: int, bias: bool, std: float = 0.02):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        nn.init.normal_(self.weight, std=std)
        self.has_bias = bias
        if bias:
            self.bias = nn.Parameter(torch.zeros(n_out))
        else:
            self.register_buffer("bias", torch.zeros(0), persistent=False)
        self.serving = False
        self.row_blocks = 8  # set_intra_op_threads
        # serving, one row: the weight's row blocks and the bias's (views of them, not saved in the state dict;
        # empty when the blocks do not divide the rows; rebuilt by set_row_blocks and cast)
        self.register_buffer("weight_blocks", torch.zeros(0), persistent=False)
        self.register_buffer("bias_blocks", torch.zeros(0), persistent=False)
        # serving on the CPU after pack_cpu_weights: the weight in oneDNN's layout (slmtorch/onednn.py), which then
        # replaces the plain one (emptied; not saved)
        self.packed = False
        self.register_buffer("weight_packed", torch.zeros(0), persistent=False)
        # serving on the CPU after pack_fp16_weights: the weight (and bias) packed for FBGEMM's fp16-weight GEMM
        # (slmtorch/fp16weights.py), which then replaces the plain one
        self.packed16 = None
        # serving on the CPU after pack_half_weights (option.dtype bf16 / fp16): the weight in slm::half_linear's
        # 16-bit tiles (slmtorch/halflinear.py), which then replaces the plain one; n_out its rows
        self.register_buffer("weight_half", torch.zeros(0), persistent=False)
        self.register_buffer("none", torch.zeros(0), persistent=False)
        self.n_out = n_out

    def _half(self, x: Tensor, residual: Tensor, norm: Tensor, eps: float, offset: float, gate: int) -> Tensor:
        return torch.ops.slm.half_linear(x, self.weight_half, self.n_out, self.bias if self.has_bias else self.none,
                                         residual, norm, eps, offset, gate)

    def forward(self, x: Tensor) -> Tensor:
        n_in = x.shape[-1]
        if self.weight_half.numel() > 0:
            return self._half(x, self.none, self.none, 0.0, 0.0, 0)
        p16 = self.packed16
        if p16 is not None:
            y = fp16weights.linear(x.reshape(-1, n_in), p16)
            return y.view(x.shape[:-1] + (y.shape[1],))
        if self.packed:
            y = onednn.linear(x.reshape(-1, n_in), self.weight_packed, self.bias if self.has_bias else None)
            return y.view(x.shape[:-1] + (y.shape[1],))
        if self.serving and x.numel() == n_in and self.weight_blocks.numel() > 0:
            x1 = x.reshape(1, n_in)
            y = linear_blocked(self.weight_blocks, x1, self.bias_blocks if self.has_bias else None)
            return y.view(x.shape[:-1] + (y.shape[1],))
        x2 = x.reshape(-1, n_in)
        if self.serving:
            y = linear_t(self.weight, x2, self.bias if self.has_bias else None, self.row_blocks)
        else:
            y = F.linear(x2, self.weight, self.bias if self.has_bias else None)
        return y.reshape(x.shape[:-1] + (y.shape[1],))

    # QLinear's fused-step forms (one op each there), here as separate ops: the same signatures let layers call either

    # (16-bit tiles: one half_linear op, as QLinear's)

    def forward_add(self, x: Tensor, residual: Tensor) -> Tensor:
        """residual + forward(x)."""
        if self.weight_half.numel() > 0:
            return self._half(x, residual, self.none, 0.0, 0.0, 0)
        return residual + self.forward(x)

    def forward_normed(self, x: Tensor, norm: Tensor, eps: float, offset: float) -> Tensor:
        """forward(slm::rms_norm(x, norm, eps, offset))."""
        if self.weight_half.numel() > 0:
            return self._half(x, self.none, norm, eps, offset, 0)
        return self.forward(torch.ops.slm.rms_norm(x, norm, eps, offset))

    def forward_gated_add(self, gate_up: Tensor, gelu: bool, residual: Tensor) -> Tensor:
        """residual + forward(slm::silu_mul(gate_up, gelu))."""
        if self.weight_half.numel() > 0:
            return self._half(gate_up, residual, self.none, 0.0, 0.0, 2 if gelu else 1)
        return residual + self.forward(torch.ops.slm.silu_mul(gate_up, gelu))

    @torch.jit.export
    def set_row_blocks(self, n: int) -> None:
        """Row blocks of a one-row product (slmtorch/rowsplit.py; 1: the plain product)."""
        self.row_blocks = n
        self._block()

    def _block(self) -> None:
        self.weight_blocks = block_view(self.weight, self.row_blocks)
        self.bias_blocks = torch.zeros(0)
        if self.has_bias and self.weight_blocks.numel() > 0:
            self.bias_blocks = self.bias.view(self.row_blocks, self.weight_blocks.shape[1], 1)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        if self.packed or self.packed16 is not None or self.weight_half.numel() > 0:
            raise RuntimeError("cast must come before pack_cpu_weights, pack_fp16_weights and pack_half_weights")
        dt = dtype_of(dtype)
        self.weight = self.weight.to(dt)
        self.bias = self.bias.to(dt)
        self._block()

    @torch.jit.export
    def pack_half_weights(self, dtype: str) -> int:
        """Moves a float32 CPU weight into slm::half_linear's bf16 or fp16 tiles (16-bit weights, float32 math:
        slmtorch/halflinear.py); returns 1 when packed (now or before), else 0."""
        if self.weight_half.numel() > 0:
            return 1
        w = self.weight
        if self.packed or self.packed16 is not None or w.dim() != 2 or w.numel() == 0 or w.is_cuda \
                or w.dtype != torch.float32:
            return 0
        self.n_out = w.shape[0]
        self.weight_half = pack_tiles(w, dtype)
        self.weight = torch.zeros(0)
        self.weight_blocks = torch.zeros(0)
        self.bias_blocks = torch.zeros(0)
        return 1

    @torch.jit.export
    def pack_fp16_weights(self) -> int:
        """Packs the weight for FBGEMM's fp16-weight GEMM when its float32 values are all fp16 values
        (slmtorch/fp16weights.py); returns 1 when packed (now or before), else 0."""
        if self.packed16 is not None:
            return 1
        if self.packed or not fp16weights.exact(self.weight):
            return 0
        self.packed16 = fp16weights.pack(self.weight, self.bias if self.has_bias else None)
        self.weight = torch.zeros(0)
        self.weight_blocks = torch.zeros(0)
        self.bias_blocks = torch.zeros(0)
        return 1

    @torch.jit.export
    def pack_cpu_weights(self) -> int:
        """Moves the weight into oneDNN's layout when it serves on the CPU in float32 (slmtorch/onednn.py); returns
        1 when packed (now or before), else 0."""
        if self.packed:
            return 1
        if not onednn.packable(self.weight):
            return 0
        self.weight_packed = onednn.pack(self.weight)
        self.weight = torch.zeros(0)
        self.weight_blocks = torch.zeros(0)
        self.bias_blocks = torch.zeros(0)
        self.packed = True
        return 1


class Attention(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.n_head = cfg.num_attention_heads
        self.n_kv = cfg.num_key_value_heads
        self.groups = self.n_head // self.n_kv
        self.head_dim = cfg.head_dim
        c = cfg.hidden_size
        self.q_proj = Linear(c, self.n_head * self.head_dim, cfg.qkv_bias)
        self.k_proj = Linear(c, self.n_kv * self.head_dim, cfg.qkv_bias)
        self.v_proj = Linear(c, self.n_kv * self.head_dim, cfg.qkv_bias)
        self.o_proj = Linear(self.n_head * self.head_dim, c, cfg.o_bias)
        self.qk_norm = cfg.qk_norm
        # Qwen3's norms; unused (and absent from the HF state dict) elsewhere
        self.q_norm = RMSNorm(self.head_dim, cfg.rms_norm_eps, cfg.norm_offset)
        self.k_norm = RMSNorm(self.head_dim, cfg.rms_norm_eps, cfg.norm_offset)
        self.scaling = cfg.scaling
        self.softcap = cfg.attn_softcap

    def _sdpa(self, q: Tensor, k: Tensor, v: Tensor, mask: Optional[Tensor], causal: bool) -> Tensor:
        """SDPA, or the explicit softmax when Gemma-2 caps the logits (tanh(s / cap) * cap) before it."""
        if self.softcap > 0.0:
            scale = self.scaling if self.scaling > 0.0 else self.head_dim ** -0.5
            s = torch.matmul(q, k.transpose(-2, -1)).float() * scale
            s = torch.tanh(s / self.softcap) * self.softcap
            if causal:
                tq, tk = q.shape[-2], k.shape[-2]
                keep = torch.ones(tq, tk, dtype=torch.bool, device=q.device).tril(tk - tq)
                s = s.masked_fill(~keep, float("-inf"))
            if mask is not None:
                s = s.masked_fill(~mask, float("-inf"))
            return torch.matmul(torch.softmax(s, dim=-1).to(v.dtype), v)
        if self.scaling > 0.0:
            return torch.ops.aten.scaled_dot_product_attention(q, k, v, mask, 0.0, causal, scale=self.scaling)
        return torch.ops.aten.scaled_dot_product_attention(q, k, v, mask, 0.0, causal)

    def qkv(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """The q, k and v projections of x [..., C]; one product over the stacked weight once fuse_for_serving
        has made it (q, k, v are then column ranges of its output)."""
        if hasattr(self, "qkv_proj"):
            y = self.qkv_proj(x)
            h, kv = self.n_head * self.head_dim, self.n_kv * self.head_dim
            return y.narrow(-1, 0, h), y.narrow(-1, h, kv), y.narrow(-1, h + kv, kv)
        return self.q_proj(x), self.k_proj(x), self.v_proj(x)

    def qkv_lora(self, x: Tensor, r: lora.Rows) -> Tuple[Tensor, Tensor, Tensor]:
        """qkv with each row's LoRA update on q_proj, k_proj, v_proj (targets 0, 1, 2)."""
        q, k, v = self.qkv(x)
        return lora.add(q, x, r, 0), lora.add(k, x, r, 1), lora.add(v, x, r, 2)

    def heads(self, x: Tensor, b: int, t: int, cos: Tensor, sin: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """x: normed hidden states [B*T or B, T, C] -> q [B,H,T,D], k and v [B,KVH,T,D], rotary applied (rope.cos_sin's
        tables). With the stacked qkv_proj and no q/k norms, q's and k's heads are adjacent columns of its output and
        are rotated in one call (half the rotary ops of a decode step)."""
        if hasattr(self, "qkv_proj") and not self.qk_norm:
            y = self.qkv_proj(x)
            n, d = self.n_head + self.n_kv, self.head_dim
            qk = rope.apply(y.narrow(-1, 0, n * d).view(b, t, n, d), cos, sin).transpose(1, 2)
            v = y.narrow(-1, n * d, self.n_kv * d).view(b, t, self.n_kv, d).transpose(1, 2)
            return qk.narrow(1, 0, self.n_head), qk.narrow(1, self.n_head, self.n_kv), v
        q, k, v = self.qkv(x)
        return self._heads(q, k, v, b, t, cos, sin)

    def heads_lora(self, x: Tensor, b: int, t: int, cos: Tensor, sin: Tensor, r: lora.Rows
                   ) -> Tuple[Tensor, Tensor, Tensor]:
        """heads with each row's LoRA update on q_proj, k_proj, v_proj (targets 0, 1, 2)."""
        q, k, v = self.qkv_lora(x, r)
        return self._heads(q, k, v, b, t, cos, sin)

    def _heads(self, q: Tensor, k: Tensor, v: Tensor, b: int, t: int, cos: Tensor, sin: Tensor
               ) -> Tuple[Tensor, Tensor, Tensor]:
        q = q.view(b, t, self.n_head, self.head_dim)
        k = k.view(b, t, self.n_kv, self.head_dim)
        v = v.view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        if self.qk_norm:
            q = self.q_norm(q)
            k = self.k_norm(k)
        return rope.apply(q, cos, sin).transpose(1, 2), rope.apply(k, cos, sin).transpose(1, 2), v

    def _expand(self, x: Tensor) -> Tensor:
        """[B, KVH, T, D] -> [B, H, T, D] (HF repeat_kv: query head h reads KV head h // groups)."""
        if self.groups == 1:
            return x
        b, t, d = x.shape[0], x.shape[2], x.shape[3]
        return x.unsqueeze(2).expand(b, self.n_kv, self.groups, t, d).reshape(b, self.n_head, t, d)

    def _merge(self, y: Tensor) -> Tensor:
        b, t = y.shape[0], y.shape[2]
        return y.transpose(1, 2).reshape(b, t, self.n_head * self.head_dim)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, wmask: Optional[Tensor] = None) -> Tensor:
        """Plain causal self-attention over x [B, T, C] (training and from-scratch reference); wmask: the sliding
        window's mask [B, 1, T, T] when this layer has one and T exceeds it."""
        b, t = x.shape[0], x.shape[1]
        q, k, v = self.heads(x, b, t, cos, sin)
        y = self._sdpa(q, self._expand(k), self._expand(v), wmask, wmask is None)
        return self.o_proj(self._merge(y))

    def forward_lora(self, x: Tensor, cos: Tensor, sin: Tensor, wmask: Optional[Tensor], r: lora.Rows) -> Tensor:
        """forward with each row's LoRA update on q/k/v_proj and o_proj (target 3)."""
        b, t = x.shape[0], x.shape[1]
        q, k, v = self.heads_lora(x, b, t, cos, sin, r)
        y = self._merge(self._sdpa(q, self._expand(k), self._expand(v), wmask, wmask is None))
        return lora.add(self.o_proj(y), y, r, 3)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, layer_k: Tensor, layer_v: Tensor, plan: StepPlan,
               wmask: Optional[Tensor] = None) -> Tensor:
        """q [B,H,T,D], k/v [B,KVH,T,D] of the new tokens -> [B, T, H*D] (before o_proj). Writes k and v into
        layer_k/layer_v ([S, KVH, M, D] views of one layer of the cache) in place."""
        b, t, d = q.shape[0], q.shape[2], q.shape[3]
        write_cache(layer_k, k.transpose(1, 2), plan)
        write_cache(layer_v, v.transpose(1, 2), plan)
        if plan.fresh:
            # every row starts at 0: the new keys are the visible prefix (only these few are repeated)
            y = self._sdpa(q, self._expand(k.to(q.dtype)), self._expand(v.to(q.dtype)), wmask, wmask is None)
            return self._merge(y)
        mu = plan.mu
        if plan.first_slot >= 0:
            s, n = plan.first_slot, plan.slots.shape[0]
            kk = layer_k[s:s + n, :, :mu]
            vv = layer_v[s:s + n, :, :mu]
        else:
            kk = layer_k[:, :, :mu].index_select(0, plan.slots)
            vv = layer_v[:, :, :mu].index_select(0, plan.slots)
        # GQA without repeating the cache: the queries of one KV head's group become rows of one head
        qg = q.reshape(b, self.n_kv, self.groups * t, d)
        mask = plan.mask if wmask is None else wmask
        if mask is None and t == 1 and self.softcap == 0.0 and not q.is_cuda:  # CUDA keeps SDPA's kernels
            y = self._attend_one(qg, kk.to(q.dtype), vv.to(q.dtype))
            return self._merge(y.view(b, self.n_head, t, d))
        if mask is not None and self.groups > 1:
            mask = mask.unsqueeze(2).expand(b, 1, self.groups, t, mu).reshape(b, 1, self.groups * t, mu)
        y = self._sdpa(qg, kk.to(q.dtype), vv.to(q.dtype), mask, False)
        return self._merge(y.view(b, self.n_head, t, d))

    def _attend_one(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """One token per row, every key visible: q [B, KVH, G, D] (the query heads grouped by KV head), k and v
        [B, KVH, Mu, D] -> [B, KVH, G, D], softmax(q k^T * scale) v as two batched products, the softmax in float32.
        For a few queries SDPA's fused CPU kernel costs more to set up than these (libtorch profiler)."""
        b, n, g, d = q.shape[0], q.shape[1], q.shape[2], q.shape[3]
        mu = k.shape[2]
        scale = self.scaling if self.scaling > 0.0 else d ** -0.5
        s = torch.bmm(q.reshape(b * n, g, d), k.reshape(b * n, mu, d).transpose(1, 2))
        p = torch.softmax(s.float() * scale, -1).to(v.dtype)
        return torch.bmm(p, v.reshape(b * n, mu, d)).view(b, n, g, d)

    @torch.jit.export
    def pack_cpu_weights(self) -> int:
        if hasattr(self, "qkv_proj"):
            n = self.qkv_proj.pack_cpu_weights()
        else:
            n = self.q_proj.pack_cpu_weights() + self.k_proj.pack_cpu_weights() + self.v_proj.pack_cpu_weights()
        return n + self.o_proj.pack_cpu_weights()

    @torch.jit.export
    def pack_fp16_weights(self) -> int:
        if hasattr(self, "qkv_proj"):
            n = self.qkv_proj.pack_fp16_weights()
        else:
            n = self.q_proj.pack_fp16_weights() + self.k_proj.pack_fp16_weights() + self.v_proj.pack_fp16_weights()
        return n + self.o_proj.pack_fp16_weights()

    @torch.jit.export
    def pack_half_weights(self, dtype: str) -> int:
        if hasattr(self, "qkv_proj"):
            n = self.qkv_proj.pack_half_weights(dtype)
        else:
            n = (self.q_proj.pack_half_weights(dtype) + self.k_proj.pack_half_weights(dtype)
                 + self.v_proj.pack_half_weights(dtype))
        return n + self.o_proj.pack_half_weights(dtype)

    @torch.jit.export
    def set_row_blocks(self, n: int) -> None:
        if hasattr(self, "qkv_proj"):
            self.qkv_proj.set_row_blocks(n)
        else:
            self.q_proj.set_row_blocks(n)
            self.k_proj.set_row_blocks(n)
            self.v_proj.set_row_blocks(n)
        self.o_proj.set_row_blocks(n)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        if hasattr(self, "qkv_proj"):
            self.qkv_proj.cast(dtype)
        else:
            self.q_proj.cast(dtype)
            self.k_proj.cast(dtype)
            self.v_proj.cast(dtype)
        self.o_proj.cast(dtype)
        self.q_norm.cast(dtype)
        self.k_norm.cast(dtype)


class MLP(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.gate_proj = Linear(cfg.hidden_size, cfg.intermediate_size, cfg.mlp_bias)
        self.up_proj = Linear(cfg.hidden_size, cfg.intermediate_size, cfg.mlp_bias)
        self.down_proj = Linear(cfg.intermediate_size, cfg.hidden_size, cfg.mlp_bias)
        self.gelu = cfg.act == "gelu_pytorch_tanh"  # Gemma's GeGLU
        self.inter = cfg.intermediate_size

    def gate_up(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """The gate and up projections; one product once fuse_for_serving has stacked them."""
        if hasattr(self, "gate_up_proj"):
            y = self.gate_up_proj(x)
            return y.narrow(-1, 0, self.inter), y.narrow(-1, self.inter, self.inter)
        return self.gate_proj(x), self.up_proj(x)

    def forward(self, x: Tensor) -> Tensor:
        g, u = self.gate_up(x)
        g = F.gelu(g, approximate="tanh") if self.gelu else F.silu(g)
        return self.down_proj(g * u)

    def forward_lora(self, x: Tensor, r: lora.Rows) -> Tensor:
        """forward with each row's LoRA update on gate_proj, up_proj, down_proj (targets 4, 5, 6)."""
        g, u = self.gate_up(x)
        g = lora.add(g, x, r, 4)
        g = F.gelu(g, approximate="tanh") if self.gelu else F.silu(g)
        h = g * lora.add(u, x, r, 5)
        return lora.add(self.down_proj(h), h, r, 6)

    @torch.jit.export
    def pack_cpu_weights(self) -> int:
        if hasattr(self, "gate_up_proj"):
            n = self.gate_up_proj.pack_cpu_weights()
        else:
            n = self.gate_proj.pack_cpu_weights() + self.up_proj.pack_cpu_weights()
        return n + self.down_proj.pack_cpu_weights()

    @torch.jit.export
    def pack_fp16_weights(self) -> int:
        if hasattr(self, "gate_up_proj"):
            n = self.gate_up_proj.pack_fp16_weights()
        else:
            n = self.gate_proj.pack_fp16_weights() + self.up_proj.pack_fp16_weights()
        return n + self.down_proj.pack_fp16_weights()

    @torch.jit.export
    def pack_half_weights(self, dtype: str) -> int:
        if hasattr(self, "gate_up_proj"):
            n = self.gate_up_proj.pack_half_weights(dtype)
        else:
            n = self.gate_proj.pack_half_weights(dtype) + self.up_proj.pack_half_weights(dtype)
        return n + self.down_proj.pack_half_weights(dtype)

    @torch.jit.export
    def set_row_blocks(self, n: int) -> None:
        if hasattr(self, "gate_up_proj"):
            self.gate_up_proj.set_row_blocks(n)
        else:
            self.gate_proj.set_row_blocks(n)
            self.up_proj.set_row_blocks(n)
        self.down_proj.set_row_blocks(n)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        if hasattr(self, "gate_up_proj"):
            self.gate_up_proj.cast(dtype)
        else:
            self.gate_proj.cast(dtype)
            self.up_proj.cast(dtype)
        self.down_proj.cast(dtype)


class Rot(NamedTuple):
    """One group of rows' rotary tables (global layers; local = Gemma-3's sliding layers) and the sliding
    window's mask for this call (None when no layer needs one)."""
    cos: Tensor
    sin: Tensor
    cos_l: Tensor
    sin_l: Tensor
    wmask: Optional[Tensor]


def window_mask(positions: Tensor, fresh: bool, mu: int, window: int) -> Optional[Tensor]:
    """Sliding-window attention for new tokens at positions [B, T]: [B, 1, T, K] bool, key j visible to the query
    at position p iff p - window < j <= p (transformers' sliding mask), over the keys a call attends to (fresh:
    the new tokens, positions 0..T-1; else cache positions 0..mu-1). None when the window hides nothing."""
    b, t = positions.shape[0], positions.shape[1]
    n = t if fresh else mu
    if window <= 0 or n <= window:
        return None
    keys = torch.arange(n, dtype=positions.dtype, device=positions.device).view(1, 1, 1, n)
    p = positions.view(b, 1, t, 1)
    return (keys <= p) & (keys > p - window)


class DecoderLayer(nn.Module):
    def __init__(self, cfg: LlamaConfig, index: int = 0):
        super().__init__()
        eps, off, c = cfg.rms_norm_eps, cfg.norm_offset, cfg.hidden_size
        self.input_layernorm = RMSNorm(c, eps, off)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(c, eps, off)
        self.mlp = MLP(cfg)
        # Gemma-2/3 sandwich: post_attention_layernorm normalises the attention output, and the MLP has its own
        # pre and post norms; unused (and absent from the HF state dict) elsewhere
        self.sandwich = cfg.sandwich
        self.pre_feedforward_layernorm = RMSNorm(c, eps, off)
        self.post_feedforward_layernorm = RMSNorm(c, eps, off)
        self.window = cfg.layer_windows[index]
        self.local = cfg.rope_local_theta > 0.0 and self.window > 0
        self.use_kernels = True  # the fused decode ops (slmtorch/kernels.py) where they apply; set_kernels

    def _rest(self, x: Tensor, attn: Tensor) -> Tensor:
        """Residual around the attention output, then the MLP block."""
        if self.sandwich:
            x = x + self.post_attention_layernorm(attn)
            return x + self.post_feedforward_layernorm(self.mlp(self.pre_feedforward_layernorm(x)))
        x = x + attn
        return x + self.mlp(self.post_attention_layernorm(x))

    def _rest_lora(self, x: Tensor, attn: Tensor, r: lora.Rows) -> Tensor:
        if self.sandwich:
            x = x + self.post_attention_layernorm(attn)
            return x + self.post_feedforward_layernorm(self.mlp.forward_lora(self.pre_feedforward_layernorm(x), r))
        x = x + attn
        return x + self.mlp.forward_lora(self.post_attention_layernorm(x), r)

    def _rot(self, r: Rot) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
        cos, sin = (r.cos_l, r.sin_l) if self.local else (r.cos, r.sin)
        return cos, sin, (r.wmask if self.window > 0 else None)

    def forward(self, x: Tensor, r: Rot) -> Tensor:
        cos, sin, wmask = self._rot(r)
        return self._rest(x, self.self_attn(self.input_layernorm(x), cos, sin, wmask))

    def forward_cached(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, plan: StepPlan, r: Rot) -> Tensor:
        b, t = x.shape[0], x.shape[1]
        a = self.self_attn
        cos, sin, wmask = self._rot(r)
        if (self.use_kernels and wmask is None and a.softcap == 0.0 and not a.qk_norm and hasattr(a, "qkv_proj")
                and hasattr(self.mlp, "gate_up_proj") and kernels.decode_ok(x, layer_k)):
            return self._forward_fused(x, layer_k, layer_v, plan, cos, sin)
        q, k, v = a.heads(self.input_layernorm(x), b, t, cos, sin)
        return self._rest(x, a.o_proj(a.attend(q, k, v, layer_k, layer_v, plan, wmask)))

    def _forward_fused(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, plan: StepPlan, cos: Tensor, sin: Tensor
                       ) -> Tensor:
        """forward_cached of one token per row through the fused ops (slmtorch/kernels.py): the norms, rotary,
        cache write, attention and gated activation are one op each; the products are the layers' own, and int8
        ones fold the norm before them, the gate and the residual into themselves (QLinear.forward_normed)."""
        a = self.self_attn
        m = self.mlp
        scale = a.scaling if a.scaling > 0.0 else a.head_dim ** -0.5
        n = self.input_layernorm
        y = torch.ops.slm.attend_decode(a.qkv_proj.forward_normed(x, n.weight, n.eps, n.offset), cos, sin, layer_k,
                                        layer_v, plan.slots, plan.positions, a.n_head, a.n_kv, scale)
        if self.sandwich:
            x = x + self.post_attention_layernorm.fused(a.o_proj(y))
            h = m.down_proj(torch.ops.slm.silu_mul(m.gate_up_proj(self.pre_feedforward_layernorm.fused(x)), m.gelu))
            return x + self.post_feedforward_layernorm.fused(h)
        x = a.o_proj.forward_add(y, x)
        n = self.post_attention_layernorm
        return m.down_proj.forward_gated_add(m.gate_up_proj.forward_normed(x, n.weight, n.eps, n.offset), m.gelu, x)

    def forward_mixed(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, decode: StepPlan, prompts: StepPlan,
                      rd: Rot, rp: Rot) -> Tensor:
        """x: [Bd + Bp*T, C], decode rows first; linear layers run on all tokens at once, attention per group."""
        bd = decode.positions.shape[0]
        bp, t = prompts.positions.shape[0], prompts.positions.shape[1]
        a = self.self_attn
        h = self.input_layernorm(x)
        cos_d, sin_d, wm_d = self._rot(rd)
        cos_p, sin_p, wm_p = self._rot(rp)
        qd, kd, vd = a.heads(h[:bd], bd, 1, cos_d, sin_d)
        qp, kp, vp = a.heads(h[bd:], bp, t, cos_p, sin_p)
        yd = a.attend(qd, kd, vd, layer_k, layer_v, decode, wm_d)
        yp = a.attend(qp, kp, vp, layer_k, layer_v, prompts, wm_p)
        return self._rest(x, a.o_proj(torch.cat([yd.reshape(bd, -1), yp.reshape(bp * t, -1)])))

    def forward_lora(self, x: Tensor, r: Rot, lr: lora.Rows) -> Tensor:
        cos, sin, wmask = self._rot(r)
        return self._rest_lora(x, self.self_attn.forward_lora(self.input_layernorm(x), cos, sin, wmask, lr), lr)

    def forward_cached_lora(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, plan: StepPlan, r: Rot,
                            lr: lora.Rows) -> Tensor:
        b, t = x.shape[0], x.shape[1]
        a = self.self_attn
        cos, sin, wmask = self._rot(r)
        q, k, v = a.heads_lora(self.input_layernorm(x), b, t, cos, sin, lr)
        y = a.attend(q, k, v, layer_k, layer_v, plan, wmask)
        return self._rest_lora(x, lora.add(a.o_proj(y), y, lr, 3), lr)

    def forward_mixed_lora(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, decode: StepPlan, prompts: StepPlan,
                           rd: Rot, rp: Rot, lr: lora.Rows) -> Tensor:
        """forward_mixed with LoRA; lr lays out the same tokens (decode rows first)."""
        bd = decode.positions.shape[0]
        bp, t = prompts.positions.shape[0], prompts.positions.shape[1]
        a = self.self_attn
        h = self.input_layernorm(x)
        q, k, v = a.qkv_lora(h, lr)
        cos_d, sin_d, wm_d = self._rot(rd)
        cos_p, sin_p, wm_p = self._rot(rp)
        qd, kd, vd = a._heads(q[:bd], k[:bd], v[:bd], bd, 1, cos_d, sin_d)
        qp, kp, vp = a._heads(q[bd:], k[bd:], v[bd:], bp, t, cos_p, sin_p)
        yd = a.attend(qd, kd, vd, layer_k, layer_v, decode, wm_d)
        yp = a.attend(qp, kp, vp, layer_k, layer_v, prompts, wm_p)
        y = torch.cat([yd.reshape(bd, -1), yp.reshape(bp * t, -1)])
        return self._rest_lora(x, lora.add(a.o_proj(y), y, lr, 3), lr)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.input_layernorm.cast(dtype)
        self.self_attn.cast(dtype)
        self.post_attention_layernorm.cast(dtype)
        self.pre_feedforward_layernorm.cast(dtype)
        self.post_feedforward_layernorm.cast(dtype)
        self.mlp.cast(dtype)


class LlamaModel(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.embed_tokens = Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(cfg, i) for i in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, cfg.norm_offset)


# archive target names, in the order of the lora argument; PEFT module name suffix -> target (convert_lora.py)
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
PEFT_TARGETS = {"self_attn." + n: n for n in LORA_TARGETS[:4]}
PEFT_TARGETS.update({"mlp." + n: n for n in LORA_TARGETS[4:]})
# phi3's fused modules: a LoRA on them splits by output rows into these targets (convert_lora.py)
PEFT_FUSED = {"self_attn.qkv_proj": ("q_proj", "k_proj", "v_proj"), "mlp.gate_up_proj": ("gate_proj", "up_proj")}


def lora_shapes(cfg: LlamaConfig) -> Dict[str, List[int]]:
    """LoRA target -> [in_features, out_features]."""
    c, f, d = cfg.hidden_size, cfg.intermediate_size, cfg.head_dim
    h, kv = cfg.num_attention_heads * d, cfg.num_key_value_heads * d
    return {"q_proj": [c, h], "k_proj": [c, kv], "v_proj": [c, kv], "o_proj": [h, c], "gate_proj": [c, f],
            "up_proj": [c, f], "down_proj": [f, c]}


class LlamaForCausalLM(nn.Module):
    """``forward`` is the serving step (KV cache); ``logits_all`` the plain full-sequence pass."""

    head16: Optional[torch.classes.quantized.LinearPackedParamsBase]

    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.cfg_n_layer = cfg.num_hidden_layers
        self.cfg_n_kv = cfg.num_key_value_heads
        self.cfg_head_dim = cfg.head_dim
        self.cfg_n_positions = cfg.max_position_embeddings
        self.cfg_vocab_size = cfg.vocab_size
        self.tied = cfg.tie_word_embeddings
        self.fused = cfg.fused
        self.hf_names: List[str] = sorted(module_shapes(cfg))
        self.embed_scale = cfg.embed_scale
        self.final_softcap = cfg.final_softcap
        windows = [w for w in cfg.layer_windows if w > 0]
        self.window = windows[0] if windows else 0
        if len(set(windows)) > 1:
            raise ValueError(f"sliding windows of several sizes {sorted(set(windows))} are not supported")
        self.model = LlamaModel(cfg)
        # LoRA targets (slmtorch/lora.py) in the order of the lora argument, [in, out] each
        self.lora_names: List[str] = list(LORA_TARGETS)
        self.lora_shapes: Dict[str, List[int]] = lora_shapes(cfg)
        # tied: an empty lm_head (TorchScript needs the attribute; hf_state_dict leaves it out)
        self.lm_head = Linear(cfg.hidden_size, 0 if self.tied else cfg.vocab_size, False)
        # int8 serving (quantize_int8): the LM head's int8 copy; NoHead (unused) otherwise
        self.quantized_head = False
        self.head_q: nn.Module = NoHead()
        self.row_blocks = 8  # the LM head's (set_intra_op_threads)
        self.packed_head = False  # the LM head runs through oneDNN (pack_cpu_weights)
        # a tied head's own copy in oneDNN's layout (pack_tied_head); the embedding keeps the plain weight
        self.register_buffer("head_packed", torch.zeros(0), persistent=False)
        # a tied head's own fp16 copy for FBGEMM (pack_fp16_weights), when the table holds fp16 values
        self.head16 = None
        # the head in slm::half_linear's 16-bit tiles (pack_half_weights); empty otherwise
        self.register_buffer("head_half", torch.zeros(0), persistent=False)
        self.register_buffer("none", torch.zeros(0), persistent=False)
        inv_freq, self.attention_factor = cfg.rope()
        # float32 always (cast leaves it): bf16 frequencies would rotate far positions wrongly
        self.register_buffer("rope_inv_freq", inv_freq.to(torch.float32))
        self.has_local_rope = cfg.rope_local_theta > 0.0
        self.register_buffer("rope_local_inv_freq", cfg.local_rope().to(torch.float32) if self.has_local_rope
                             else torch.zeros(0))
        for layer in self.model.layers:
            nn.init.normal_(layer.self_attn.o_proj.weight, std=0.02 / (2 * cfg.num_hidden_layers) ** 0.5)
            nn.init.normal_(layer.mlp.down_proj.weight, std=0.02 / (2 * cfg.num_hidden_layers) ** 0.5)

    def _lm_weight(self) -> Tensor:
        if self.tied:
            return self.model.embed_tokens.weight
        return self.lm_head.weight

    def _embed(self, ids: Tensor) -> Tensor:
        x = self.model.embed_tokens(ids)
        if self.embed_scale != 1.0:  # Gemma: times sqrt(hidden_size), rounded to the weights' dtype first
            x = x * torch.tensor(self.embed_scale, dtype=x.dtype, device=x.device)
        return x

    def _rot(self, positions: Tensor, like: Tensor, fresh: bool, mu: int) -> Rot:
        cos, sin = rope.cos_sin(positions, self.rope_inv_freq, self.attention_factor, like.dtype)
        cos_l, sin_l = cos, sin
        if self.has_local_rope:
            cos_l, sin_l = rope.cos_sin(positions, self.rope_local_inv_freq, 1.0, like.dtype)
        return Rot(cos, sin, cos_l, sin_l, window_mask(positions, fresh, mu, self.window))

    def _softcap(self, logits: Tensor) -> Tensor:
        if self.final_softcap > 0.0:  # Gemma-2: tanh(logits / cap) * cap
            return torch.tanh(logits / self.final_softcap) * self.final_softcap
        return logits

    def hidden_all(self, input_ids: Tensor) -> Tensor:
        b, t = input_ids.shape[0], input_ids.shape[1]
        pos = torch.arange(t, dtype=torch.long, device=input_ids.device).unsqueeze(0).expand(b, t)
        x = self._embed(input_ids)
        r = self._rot(pos, x, True, t)
        for layer in self.model.layers:
            x = layer(x, r)
        return self.model.norm(x)

    @torch.jit.export
    def logits_all(self, input_ids: Tensor) -> Tensor:
        """[B,T] -> [B,T,V] float32 logits, no cache; positions 0..T-1."""
        return self._head_all(self.hidden_all(input_ids))

    def _head_all(self, h: Tensor) -> Tensor:
        """[B, T, C] normed hidden states -> [B, T, V] float32 logits (the no-cache passes)."""
        if self.quantized_head:
            return self._softcap(self.head_q(h).float())
        if self.head_half.numel() > 0:  # the head's 16-bit tiles (pack_half_weights); the plain weight may be gone
            return self._softcap(torch.ops.slm.half_linear(h, self.head_half, self.cfg_vocab_size, self.none,
                                                           self.none, self.none, 0.0, 0.0, 0))
        if self.packed_head and not self.tied:  # lm_head's plain weight is gone
            return self._softcap(self.lm_head(h).float())
        return self._softcap(torch.matmul(h, self._lm_weight().t()).float())

    def forward(self, input_ids: Tensor, positions: Tensor, slots: Tensor, logits_index: Tensor,
                cache_k: Tensor, cache_v: Tensor) -> Tensor:
        plan = plan_step(positions, slots)
        x = self._embed(input_ids)
        r = self._rot(positions, x, plan.fresh, plan.mu)
        i = 0
        for layer in self.model.layers:
            x = layer.forward_cached(x, cache_k[i], cache_v[i], plan, r)
            i += 1
        return self._lm_head(last_tokens(x, logits_index))

    @torch.jit.export
    def forward_mixed(self, decode_ids: Tensor, decode_positions: Tensor, decode_slots: Tensor, input_ids: Tensor,
                      positions: Tensor, slots: Tensor, logits_index: Tensor, cache_k: Tensor,
                      cache_v: Tensor) -> Tensor:
        """Decode rows (one token each) and prompt rows in one call, as gpt2.py; [Bd + Bp, V], decode first."""
        bd = decode_ids.shape[0]
        bp, t = input_ids.shape[0], input_ids.shape[1]
        decode = plan_step(decode_positions, decode_slots)
        prompts = plan_step(positions, slots)
        xd = self._embed(decode_ids)
        xp = self._embed(input_ids)
        rd = self._rot(decode_positions, xd, decode.fresh, decode.mu)
        rp = self._rot(positions, xp, prompts.fresh, prompts.mu)
        c = xd.shape[-1]
        x = torch.cat([xd.view(bd, c), xp.view(bp * t, c)])
        i = 0
        for layer in self.model.layers:
            x = layer.forward_mixed(x, cache_k[i], cache_v[i], decode, prompts, rd, rp)
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
        lr = lora.rows_of(lora_w, adapter, b, t)
        pos = torch.arange(t, dtype=torch.long, device=input_ids.device).unsqueeze(0).expand(b, t)
        x = self._embed(input_ids)
        r = self._rot(pos, x, True, t)
        i = 0
        for layer in self.model.layers:
            x = layer.forward_lora(x, r, lora.for_layer(lr, i))
            i += 1
        return self._head_all(self.model.norm(x))

    @torch.jit.export
    def forward_lora(self, input_ids: Tensor, positions: Tensor, slots: Tensor, logits_index: Tensor,
                     cache_k: Tensor, cache_v: Tensor, adapters: Tensor, lora_w: List[Tensor]) -> Tensor:
        """forward with row b's adapter adapters[b] (int64 [B], 0 = none); lora_w: slmtorch/lora.py."""
        lora.check(lora_w, len(self.lora_names))
        b, t = input_ids.shape[0], input_ids.shape[1]
        lr = lora.rows_of(lora_w, adapters, b, t)
        plan = plan_step(positions, slots)
        x = self._embed(input_ids)
        r = self._rot(positions, x, plan.fresh, plan.mu)
        i = 0
        for layer in self.model.layers:
            x = layer.forward_cached_lora(x, cache_k[i], cache_v[i], plan, r, lora.for_layer(lr, i))
            i += 1
        return self._lm_head(last_tokens(x, logits_index))

    @torch.jit.export
    def forward_mixed_lora(self, decode_ids: Tensor, decode_positions: Tensor, decode_slots: Tensor,
                           input_ids: Tensor, positions: Tensor, slots: Tensor, logits_index: Tensor,
                           cache_k: Tensor, cache_v: Tensor, decode_adapters: Tensor, adapters: Tensor,
                           lora_w: List[Tensor]) -> Tensor:
        """forward_mixed with each decode row's and prompt row's adapter (int64 [Bd] and [Bp])."""
        lora.check(lora_w, len(self.lora_names))
        bd = decode_ids.shape[0]
        bp, t = input_ids.shape[0], input_ids.shape[1]
        lr = lora.Rows(lora_w, 0, decode_adapters, adapters, bd, bp, t)
        decode = plan_step(decode_positions, decode_slots)
        prompts = plan_step(positions, slots)
        xd = self._embed(decode_ids)
        xp = self._embed(input_ids)
        rd = self._rot(decode_positions, xd, decode.fresh, decode.mu)
        rp = self._rot(positions, xp, prompts.fresh, prompts.mu)
        c = xd.shape[-1]
        x = torch.cat([xd.view(bd, c), xp.view(bp * t, c)])
        i = 0
        for layer in self.model.layers:
            x = layer.forward_mixed_lora(x, cache_k[i], cache_v[i], decode, prompts, rd, rp, lora.for_layer(lr, i))
            i += 1
        last = bd + torch.arange(bp, dtype=torch.long, device=x.device) * t + logits_index
        return self._lm_head(torch.cat([x[:bd], x[last]]))

    def _lm_head(self, h: Tensor) -> Tensor:
        """[B, C] -> [B, V] float32 logits as (W @ h^T)^T (the faster GEMM form for few rows)."""
        n = self.model.norm
        if self.quantized_head and h.dtype == torch.float32 and not h.is_cuda:
            # the final norm folded into the int8 head (int8_linear's prologue)
            return self._softcap(self.head_q.forward_normed(h, n.weight, n.eps, n.offset))
        if self.head_half.numel() > 0:  # float32 on the CPU: the final norm folded in, as above
            return self._softcap(torch.ops.slm.half_linear(h, self.head_half, self.cfg_vocab_size, self.none,
                                                           self.none, n.weight, n.eps, n.offset, 0))
        h = n(h)
        if self.quantized_head:
            return self._softcap(self.head_q(h).float())
        head16 = self.head16
        if head16 is not None:
            return self._softcap(fp16weights.linear(h, head16))
        if self.packed_head:
            # an untied head is packed like any layer; a tied one reads its packed copy when it has one, else the
            # embedding's plain weight
            if not self.tied:
                y = self.lm_head(h)
            elif self.head_packed.numel() > 0:
                y = onednn.linear(h, self.head_packed, None)
            else:
                y = onednn.linear(h, self.model.embed_tokens.weight, None)
            return self._softcap(y.float())
        return self._softcap(linear_t(self._lm_weight(), h, None, self.row_blocks).float())

    @torch.jit.export
    def set_kernels(self, on: bool) -> None:
        """Whether one-token steps take the fused decode ops (slmtorch/kernels.py); on unless switched off, for
        side-by-side measurements (bench/generation's DecodeAb)."""
        for layer in self.model.layers:
            layer.use_kernels = on

    @torch.jit.export
    def set_intra_op_threads(self, threads: int) -> None:
        """The engine's intra-op threads for this model (called after load): one-row products are split into
        row blocks only when more than one thread can share them (slmtorch/rowsplit.py)."""
        n = blocks_for(threads)
        self.row_blocks = n
        self.lm_head.set_row_blocks(n)  # (its weight is read through _lm_weight; kept consistent)
        for layer in self.model.layers:
            layer.self_attn.set_row_blocks(n)
            layer.mlp.set_row_blocks(n)

    @torch.jit.export
    def pack_cpu_weights(self) -> int:
        """Called by the engine after load and cast: float32 linear layers on the CPU move into oneDNN's layout
        (slmtorch/onednn.py), and the LM head runs through oneDNN too. Returns the layers packed (0: nothing
        applies, e.g. int8 or CUDA)."""
        n = 0
        for layer in self.model.layers:
            n += layer.self_attn.pack_cpu_weights()
            n += layer.mlp.pack_cpu_weights()
        if not self.quantized_head and self.head_half.numel() == 0:
            if self.tied:
                self.packed_head = onednn.packable(self.model.embed_tokens.weight)
            elif self.lm_head.pack_cpu_weights() == 1:
                self.packed_head = True
                n += 1
        return n

    @torch.jit.export
    def pack_fp16_weights(self) -> int:
        """Called by the engine after load and cast, before pack_cpu_weights: float32 linear layers on the CPU whose
        values are all fp16 values (archives written with convert.py --fp16-weights) are packed for FBGEMM's
        fp16-weight GEMM (slmtorch/fp16weights.py), and a tied LM head gets an fp16 copy of the table (the lookup
        keeps the plain one). Returns the layers packed, the head included."""
        n = 0
        for layer in self.model.layers:
            n += layer.self_attn.pack_fp16_weights()
            n += layer.mlp.pack_fp16_weights()
        if not self.quantized_head and self.head_half.numel() == 0:
            if self.tied:
                if self.head16 is None and fp16weights.exact(self.model.embed_tokens.weight):
                    self.head16 = fp16weights.pack(self.model.embed_tokens.weight, None)
                n += int(self.head16 is not None)
            elif self.lm_head.pack_fp16_weights() == 1:
                self.packed_head = True  # lm_head's plain weight is gone (_head_all)
                n += 1
        return n

    @torch.jit.export
    def pack_half_weights(self, dtype: str) -> int:
        """Called by the engine after load and cast("float32") when a float archive serves with option.dtype bf16 or
        fp16 on the CPU: every linear layer and the LM head move into slm::half_linear's 16-bit tiles
        (slmtorch/halflinear.py: the weights' bytes halved, float32 math; a tied head gets its own copy, the
        lookup keeps the float table). Returns the layers in 16-bit tiles, the head included (again: the same count;
        a --quantize bf16 / fp16 archive: its own tiles' count; 0: nothing applies, e.g. an int8 archive or one
        packed for oneDNN or FBGEMM already)."""
        if self.packed_head or self.head16 is not None:
            return 0
        n = 0
        for layer in self.model.layers:
            n += layer.self_attn.pack_half_weights(dtype)
            n += layer.mlp.pack_half_weights(dtype)
        if self.quantized_head:  # --quantize archives: 16-bit tiles already (1 a layer), or int8 (0)
            return n + int(n > 0)
        w = self._lm_weight()
        if n > 0 and self.head_half.numel() == 0 and w.dtype == torch.float32 and not w.is_cuda:
            self.head_half = pack_tiles(w, dtype)
            if not self.tied:
                self.lm_head.weight = torch.zeros(0)
        return n + int(self.head_half.numel() > 0)

    @torch.jit.export
    def pack_tied_head(self) -> int:
        """After pack_cpu_weights, when the LM head shares the embedding's weight: gives the head its own copy in
        oneDNN's layout (the lookup keeps the plain one). Costs the table's bytes again; a one-row head product
        then reads at the packed layers' rate (slmtorch/onednn.py). Returns 1 when packed (now or before)."""
        if self.head_packed.numel() > 0:
            return 1
        if not self.tied or not self.packed_head or self.head16 is not None or self.head_half.numel() > 0:
            return 0
        self.head_packed = onednn.pack(self.model.embed_tokens.weight)
        return 1

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        """Casts every floating weight (not the rotary frequencies) to float32 | float16 | bfloat16."""
        if self.packed_head or self.head16 is not None or self.head_half.numel() > 0:
            raise RuntimeError("cast must come before pack_cpu_weights, pack_fp16_weights and pack_half_weights")
        self.model.embed_tokens.cast(dtype)
        for layer in self.model.layers:
            layer.cast(dtype)
        self.model.norm.cast(dtype)
        if not self.tied:
            self.lm_head.cast(dtype)

    @torch.jit.export
    def cache_shape(self, slots: int, max_len: int) -> List[int]:
        """[L, S, KVH, M, D]: only the KV heads are cached."""
        return [self.cfg_n_layer, slots, self.cfg_n_kv, max_len, self.cfg_head_dim]

    @torch.jit.export
    def new_cache_tensor(self, slots: int, max_len: int) -> Tensor:
        w = self.model.embed_tokens.weight
        return torch.zeros(self.cache_shape(slots, max_len), dtype=w.dtype, device=w.device)

    def new_cache(self, slots: int, max_len: int, dtype: torch.dtype = torch.float32):
        shape = self.cache_shape(slots, max_len)
        return torch.zeros(shape, dtype=dtype), torch.zeros(shape, dtype=dtype)


def build(cfg: LlamaConfig) -> LlamaForCausalLM:
    return LlamaForCausalLM(cfg)


def hf_state_dict(model: LlamaForCausalLM) -> Dict[str, Tensor]:
    """The HF snapshot's tensors (the names module_shapes gives: no rotary buffers, no absent biases or norms,
    lm_head only when untied; phi3's fused names)."""
    names = set(model.hf_names)
    out = {k: v for k, v in model.state_dict().items() if k in names}
    return fuse_names(out) if model.fused else out


def fuse_names(sd: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Module names -> phi3's snapshot names: q/k/v stacked into qkv_proj, gate/up into gate_up_proj."""
    out = dict(sd)
    for k in list(sd):
        for fused, parts in FUSED.items():
            if k.endswith("." + parts[0] + ".weight"):
                prefix = k[: -len(parts[0] + ".weight")]
                out[prefix + fused + ".weight"] = torch.cat([out.pop(prefix + p + ".weight") for p in parts])
    return out


def module_shapes(cfg: LlamaConfig) -> Dict[str, Tuple[int, ...]]:
    """The module's tensor names (q/k/v and gate/up separate) with their shapes."""
    c, i, d = cfg.hidden_size, cfg.intermediate_size, cfg.head_dim
    h, kv = cfg.num_attention_heads, cfg.num_key_value_heads
    out: Dict[str, Tuple[int, ...]] = {"model.embed_tokens.weight": (cfg.vocab_size, c), "model.norm.weight": (c,)}
    if not cfg.tie_word_embeddings:
        out["lm_head.weight"] = (cfg.vocab_size, c)
    for n in range(cfg.num_hidden_layers):
        p = f"model.layers.{n}."
        out[p + "input_layernorm.weight"] = (c,)
        out[p + "post_attention_layernorm.weight"] = (c,)
        if cfg.sandwich:
            out[p + "pre_feedforward_layernorm.weight"] = (c,)
            out[p + "post_feedforward_layernorm.weight"] = (c,)
        for name, rows in (("q_proj", h * d), ("k_proj", kv * d), ("v_proj", kv * d)):
            out[p + f"self_attn.{name}.weight"] = (rows, c)
            if cfg.qkv_bias:
                out[p + f"self_attn.{name}.bias"] = (rows,)
        out[p + "self_attn.o_proj.weight"] = (c, h * d)
        if cfg.o_bias:
            out[p + "self_attn.o_proj.bias"] = (c,)
        if cfg.qk_norm:
            out[p + "self_attn.q_norm.weight"] = (d,)
            out[p + "self_attn.k_norm.weight"] = (d,)
        for name, shape in (("gate_proj", (i, c)), ("up_proj", (i, c)), ("down_proj", (c, i))):
            out[p + f"mlp.{name}.weight"] = shape
            if cfg.mlp_bias:
                out[p + f"mlp.{name}.bias"] = (shape[0],)
    return out


def hf_shapes(cfg: LlamaConfig) -> Dict[str, Tuple[int, ...]]:
    """Every tensor name of the HF snapshot the config implies, with its shape (no model built)."""
    out = module_shapes(cfg)
    if not cfg.fused:
        return out
    for k in list(out):
        for fused, parts in FUSED.items():
            if k.endswith("." + parts[0] + ".weight"):
                prefix = k[: -len(parts[0] + ".weight")]
                shapes = [out.pop(prefix + p + ".weight") for p in parts]
                out[prefix + fused + ".weight"] = (sum(r for r, _ in shapes), shapes[0][1])
    return out


def split_fused(cfg: LlamaConfig, items: Iterable[Tuple[str, Tensor]]) -> Iterable[Tuple[str, Tensor]]:
    """Fused tensors (phi3's snapshots; served archives, fuse_for_serving) -> the module's parts (rows in q, k, v /
    gate, up order), others unchanged."""
    mod = module_shapes(cfg)
    for k, v in items:
        done = False
        for fused, parts in FUSED.items():
            for kind in (".weight", ".bias"):
                if not k.endswith("." + fused + kind) or v.numel() == 0:  # empty: an absent bias's placeholder
                    continue
                prefix = k[: -len(fused + kind)]
                rows = [mod[prefix + p + ".weight"][0] for p in parts]
                if v.dim() != (2 if kind == ".weight" else 1) or v.shape[0] != sum(rows):
                    raise ValueError(f"tensor {k} has shape {list(v.shape)}, config.json implies "
                                     f"{[sum(rows), mod[prefix + parts[0] + '.weight'][1]]}")
                for p, piece in zip(parts, torch.split(v, rows)):
                    yield prefix + p + kind, piece
                done = True
        if not done:
            yield k, v


def load_hf_tensors(model: LlamaForCausalLM, cfg: LlamaConfig, items: Iterable[Tuple[str, Tensor]]) -> None:
    """Copies HF tensors, one at a time, into the model (so a converter holds one copy of the weights plus one
    tensor). Every tensor the config implies must come, with its shape; lm_head.weight is skipped when tied and
    rotary_emb.inv_freq always (the archive computes its own)."""
    want = module_shapes(cfg)
    if cfg.fused:
        items = split_fused(cfg, items)
    dest = dict(model.named_parameters())
    dest.update(dict(model.named_buffers()))
    seen = set()
    with torch.no_grad():
        for k, v in items:
            if (k == "lm_head.weight" and cfg.tie_word_embeddings) or k.endswith("rotary_emb.inv_freq"):
                continue
            if k not in want:
                raise KeyError(f"unexpected tensor {k} (not implied by config.json for model_type {cfg.model_type})")
            if tuple(v.shape) != want[k]:
                raise ValueError(f"tensor {k} has shape {list(v.shape)}, config.json implies {list(want[k])}")
            dest[k].copy_(v)
            seen.add(k)
    missing = [k for k in want if k not in seen]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise KeyError(f"missing tensor {missing[0]}{more}")


def load_hf_state_dict(model: LlamaForCausalLM, cfg: LlamaConfig, sd: Dict[str, Tensor]) -> None:
    load_hf_tensors(model, cfg, sd.items())


def quantize_int8(model: LlamaForCausalLM) -> LlamaForCausalLM:
    """quantize_weights(model, "int8")."""
    return quantize_weights(model, "int8")


def quantize_weights(model: LlamaForCausalLM, kind: str) -> LlamaForCausalLM:
    """Replaces every linear layer (not the lm_head attribute) by the served layer of ``kind``
    (halflinear.served_linear: int8 QLinear per output channel, or a bf16/fp16 HalfLinear) and gives the LM head
    such a copy of its weight (the embedding lookup keeps the float table). In place."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, Linear) and child is not model.lm_head:
                setattr(parent, name, served_linear(kind, child.weight, child.bias if child.has_bias else None))
    model.head_q = served_linear(kind, model._lm_weight(), None)
    model.quantized_head = True
    return model


def _stacked(parts: List[Linear]) -> Linear:
    """One Linear whose output is the parts' outputs side by side (weights and biases stacked by rows)."""
    w = torch.cat([p.weight.detach() for p in parts])
    out = Linear(int(w.shape[1]), int(w.shape[0]), parts[0].has_bias)
    with torch.no_grad():
        out.weight.copy_(w)
        if parts[0].has_bias:
            out.bias.copy_(torch.cat([p.bias.detach() for p in parts]))
    return out


def fuse_for_serving(model: LlamaForCausalLM) -> LlamaForCausalLM:
    """Stacks each layer's q/k/v weights into one qkv_proj and gate/up into gate_up_proj (phi3's names and row
    order) and removes the separate modules: a decode step then runs 4 products per layer instead of 7, and
    dispatches fewer ops (bench/generation/README.md). Float layers only (an int8 model is left as it is). In place;
    the archive's state dict then holds the stacked tensors, which model_from_archive splits again."""
    for layer in model.model.layers:
        a, m = layer.self_attn, layer.mlp
        if isinstance(getattr(a, "q_proj", None), Linear) and isinstance(a.k_proj, Linear):
            a.qkv_proj = _stacked([a.q_proj, a.k_proj, a.v_proj])
            del a.q_proj, a.k_proj, a.v_proj
        if isinstance(getattr(m, "gate_proj", None), Linear) and isinstance(m.up_proj, Linear):
            m.gate_up_proj = _stacked([m.gate_proj, m.up_proj])
            del m.gate_proj, m.up_proj
    return model


def script_for_serving(model: LlamaForCausalLM, quantize: Optional[str] = None) -> torch.jit.ScriptModule:
    """Scripts the model for serving: q/k/v and gate/up stacked (fuse_for_serving), weights become buffers,
    linear layers use the W @ x^T form; with quantize="int8" they and the LM head become int8 (quantize_int8).
    Changes the model it is given."""
    if quantize not in (None, "int8", "bf16", "fp16"):
        raise ValueError(f"unsupported quantization {quantize!r}; supported: int8, bf16, fp16")
    fuse_for_serving(model)
    if quantize is not None and not model.quantized_head:
        quantize_weights(model, quantize)
    model = to_buffers(model.eval())
    for m in model.modules():
        if isinstance(m, Linear):
            m.serving = True
            m.set_row_blocks(m.row_blocks)
    return torch.jit.script(model)
