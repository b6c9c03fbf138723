"""T5 (v1.0) and T5 v1.1 / Flan-T5 in torch, with Hugging Face T5ForConditionalGeneration parameter names, for
training (eager) and serving (TorchScript). The serving contract is BART's (docs/model-format-seq2seq.md):
``encode`` fills a cross cache, ``forward`` runs decoder steps against a self cache, so slm-serve's seq2seq
session runs either family unchanged.

Names (state_dict keys): ``shared.weight``; ``encoder.block.N.layer.0.SelfAttention.{q,k,v,o}.weight`` (no
biases; ``relative_attention_bias.weight`` [buckets, heads] on block 0 only), ``encoder.block.N.layer.0.layer_norm``,
``encoder.block.N.layer.1.DenseReluDense.{wi,wo}`` (``relu`` and other plain activations) or ``{wi_0,wi_1,wo}``
(``gated-*``), ``encoder.block.N.layer.1.layer_norm``, ``encoder.final_layer_norm``; the decoder likewise with
``layer.1.EncDecAttention.{q,k,v,o}`` and the feed-forward in ``layer.2``; ``lm_head.weight`` when untied.

T5 differs from BART in ways that matter here: pre-norm blocks with T5LayerNorm (RMS: no mean, no bias, eps
``layer_norm_epsilon``), no absolute positions but a bucketed relative position bias added to the attention
scores (computed once per call from the first block's table and shared by every layer, bidirectional in the
encoder, causal in the decoder, none in cross-attention), and no 1/sqrt(d) score scaling (SDPA with
``scale=1.0``). A tied head multiplies the decoder output by d_model^-0.5 first (v1.0); v1.1 / Flan-T5 have an
untied ``lm_head``. ``decoder_start_token_id`` is the pad id.

Serving methods (scripted, saved as model.pt)::

    encode(input_ids[B,T], lengths[B], slots[B], cross_k[L,S,H,Ms,D], cross_v) -> lengths
    forward(input_ids[B,T], positions[B,T], slots[B], logits_index[B], enc_lengths[B],
            self_k[L,S,H,M,D], self_v, cross_k[L,S,H,Ms,D], cross_v) -> float32[B,V]
    cast(dtype), new_cache_tensor(slots, max_len), new_cross_cache_tensor(slots, max_source_len),
    logits_all(input_ids[1,Ts], decoder_input_ids[1,Td]) -> float32[1,Td,V]
"""
import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from slmtorch import sdpa  # noqa: F401  (defines torch.ops.aten.scaled_dot_product_attention on torch 1.13)
from slmtorch.layers import Embedding, dtype_of, to_buffers  # noqa: F401  (to_buffers: for callers)

# activation codes usable inside TorchScript
_ACTS = {"relu": 0, "gelu": 1, "gelu_new": 2, "gelu_pytorch_tanh": 2, "silu": 3, "swish": 3}


def parse_feed_forward_proj(ffp: str) -> Tuple[str, bool]:
    """(activation, gated) as transformers' T5Config reads ``feed_forward_proj``: ``"gated-gelu"`` means
    gelu_new (tanh) for backwards compatibility. Anything else not in _ACTS raises with a one-line reason."""
    parts = ffp.split("-")
    gated = parts[0] == "gated"
    if (gated and len(parts) != 2) or (not gated and len(parts) != 1):
        raise ValueError(f"unsupported T5 feed_forward_proj {ffp!r}: expected ACT or gated-ACT")
    act = parts[-1]
    if ffp == "gated-gelu":
        act = "gelu_new"
    if act not in _ACTS:
        raise ValueError(f"unsupported T5 feed_forward_proj {ffp!r}: activation {act!r} not one of "
                         f"{sorted(_ACTS)}")
    return act, gated


class T5Config:
    def __init__(self, vocab_size: int, d_model: int = 128, d_kv: int = 32, d_ff: int = 256, num_layers: int = 2,
                 num_decoder_layers: Optional[int] = None, num_heads: int = 4,
                 relative_attention_num_buckets: int = 32, relative_attention_max_distance: int = 128,
                 layer_norm_epsilon: float = 1e-6, feed_forward_proj: str = "gated-gelu",
                 tie_word_embeddings: bool = False, pad_token_id: int = 0, eos_token_id: int = 1,
                 decoder_start_token_id: int = 0, initializer_factor: float = 1.0,
                 max_position_embeddings: int = 512, extra: Optional[Dict] = None):
        self.act, self.gated = parse_feed_forward_proj(feed_forward_proj)
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.d_kv = d_kv
        self.d_ff = d_ff
        self.num_layers = num_layers
        self.num_decoder_layers = num_layers if num_decoder_layers is None else num_decoder_layers
        self.num_heads = num_heads
        self.relative_attention_num_buckets = relative_attention_num_buckets
        self.relative_attention_max_distance = relative_attention_max_distance
        self.layer_norm_epsilon = layer_norm_epsilon
        self.feed_forward_proj = feed_forward_proj
        self.tie_word_embeddings = tie_word_embeddings
        self.pad_token_id = pad_token_id
        self.eos_token_id = eos_token_id
        self.decoder_start_token_id = decoder_start_token_id
        self.initializer_factor = initializer_factor
        # Not a T5 field (positions are relative): the longest source / decoder sequence slm-serve admits.
        # Written into the served config.json because the seq2seq loader checks its token limits against it.
        self.max_position_embeddings = max_position_embeddings
        self.extra = dict(extra or {})

    def to_hf_dict(self) -> Dict:
        """A transformers T5Config-compatible config.json body (plus max_position_embeddings, see above)."""
        d = dict(self.extra)
        d.update({
            "architectures": ["T5ForConditionalGeneration"],
            "model_type": "t5",
            "vocab_size": self.vocab_size,
            "d_model": self.d_model,
            "d_kv": self.d_kv,
            "d_ff": self.d_ff,
            "num_layers": self.num_layers,
            "num_decoder_layers": self.num_decoder_layers,
            "num_heads": self.num_heads,
            "relative_attention_num_buckets": self.relative_attention_num_buckets,
            "relative_attention_max_distance": self.relative_attention_max_distance,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "feed_forward_proj": self.feed_forward_proj,
            "tie_word_embeddings": self.tie_word_embeddings,
            "pad_token_id": self.pad_token_id,
            "eos_token_id": self.eos_token_id,
            "decoder_start_token_id": self.decoder_start_token_id,
            "initializer_factor": self.initializer_factor,
            "dropout_rate": 0.0,
            "is_encoder_decoder": True,
            "use_cache": True,
            "max_position_embeddings": self.max_position_embeddings,
            "torch_dtype": "float32",
        })
        return d

    @classmethod
    def from_hf_dict(cls, d: Dict, max_position_embeddings: Optional[int] = None) -> "T5Config":
        """Reads a Hugging Face T5 config.json; refuses what this module does not implement (one-line reasons)."""
        if d.get("model_type", "t5") != "t5":
            raise ValueError(f"not a T5 checkpoint: model_type={d.get('model_type')}")
        arch = d.get("architectures") or ["T5ForConditionalGeneration"]
        if "T5ForConditionalGeneration" not in arch:
            raise ValueError(f"unsupported T5 architecture {arch}: only T5ForConditionalGeneration")
        pad = d.get("pad_token_id", 0)
        start = d.get("decoder_start_token_id", pad)
        mpe = max_position_embeddings or d.get("max_position_embeddings") or d.get("n_positions") or 512
        keep = {k: d[k] for k in ("_name_or_path", "n_positions", "task_specific_params") if k in d}
        return cls(vocab_size=d["vocab_size"], d_model=d["d_model"], d_kv=d["d_kv"], d_ff=d["d_ff"],
                   num_layers=d["num_layers"], num_decoder_layers=d.get("num_decoder_layers"),
                   num_heads=d["num_heads"],
                   relative_attention_num_buckets=d.get("relative_attention_num_buckets", 32),
                   relative_attention_max_distance=d.get("relative_attention_max_distance", 128),
                   layer_norm_epsilon=d.get("layer_norm_epsilon", 1e-6),
                   feed_forward_proj=d.get("feed_forward_proj", "relu"),
                   tie_word_embeddings=d.get("tie_word_embeddings", True), pad_token_id=pad,
                   eos_token_id=d.get("eos_token_id", 1), decoder_start_token_id=start,
                   initializer_factor=d.get("initializer_factor", 1.0), max_position_embeddings=int(mpe),
                   extra=keep)


def relative_position_bucket(relative_position: Tensor, bidirectional: bool, num_buckets: int,
                             max_distance: int) -> Tensor:
    """transformers' T5Attention._relative_position_bucket (relative_position = key - query position)."""
    buckets = torch.zeros_like(relative_position)
    if bidirectional:
        num_buckets = num_buckets // 2
        buckets = buckets + (relative_position > 0).to(torch.long) * num_buckets
        relative_position = torch.abs(relative_position)
    else:
        relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    large = max_exact + (torch.log(relative_position.float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(is_small, relative_position, large)


class T5LayerNorm(nn.Module):
    """RMS norm: weight * x / sqrt(mean(x^2) + eps), computed in float32 (as transformers does)."""

    def __init__(self, n: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        xf = x.float()
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * y.to(self.weight.dtype)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.weight = self.weight.to(dtype_of(dtype))


class Linear(nn.Module):
    """Bias-free nn.Linear (weight [out, in]) plus cast()."""

    def __init__(self, n_in: int, n_out: int, std: float):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        nn.init.normal_(self.weight, std=std)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.weight = self.weight.to(dtype_of(dtype))


def _sdpa(q: Tensor, k: Tensor, v: Tensor, bias: Optional[Tensor]) -> Tensor:
    """T5 attention: softmax(q k^T + bias) v, no 1/sqrt(d) scaling. bias is float (position bias plus -inf
    for hidden keys) in q's dtype, or None."""
    return torch.ops.aten.scaled_dot_product_attention(q, k, v, bias, 0.0, False, scale=1.0)


class Attention(nn.Module):
    """T5Attention: q/k/v/o without biases; inner size heads * d_kv (need not equal d_model)."""

    def __init__(self, cfg: T5Config, has_bias_table: bool):
        super().__init__()
        d, h, dk = cfg.d_model, cfg.num_heads, cfg.d_kv
        f = cfg.initializer_factor
        self.n_head = h
        self.head_dim = dk
        self.q = Linear(d, h * dk, f * (d * dk) ** -0.5)  # transformers' _init_weights
        self.k = Linear(d, h * dk, f * d ** -0.5)
        self.v = Linear(d, h * dk, f * d ** -0.5)
        self.o = Linear(h * dk, d, f * (h * dk) ** -0.5)
        if has_bias_table:
            self.relative_attention_bias = Embedding(cfg.relative_attention_num_buckets, h, f * d ** -0.5)

    def heads(self, x: Tensor) -> Tensor:
        """[B, T, H*D] -> [B, H, T, D]"""
        return x.view(x.shape[0], x.shape[1], self.n_head, self.head_dim).transpose(1, 2)

    def out(self, y: Tensor) -> Tensor:
        b, t = y.shape[0], y.shape[2]
        return self.o(y.transpose(1, 2).reshape(b, t, self.n_head * self.head_dim))

    def forward(self, x: Tensor, kv: Tensor, bias: Optional[Tensor]) -> Tensor:
        q = self.heads(self.q(x))
        k = self.heads(self.k(kv))
        v = self.heads(self.v(kv))
        return self.out(_sdpa(q, k, v, bias))

    def self_cached(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, slot_idx: Tensor, pos_idx: Tensor,
                    slots: Tensor, mu: int, fresh: bool, bias: Tensor) -> Tensor:
        """Decoder self-attention against one layer [S, H, M, D] of the slot cache, written in place."""
        q = self.heads(self.q(x))
        k = self.k(x).view(x.shape[0], x.shape[1], self.n_head, self.head_dim)  # [B, T, H, D]
        v = self.v(x).view(x.shape[0], x.shape[1], self.n_head, self.head_dim)
        layer_k[slot_idx, :, pos_idx] = k.to(layer_k.dtype)
        layer_v[slot_idx, :, pos_idx] = v.to(layer_v.dtype)
        if fresh:  # every row starts at 0: the new keys are the visible prefix (bias covers keys 0..T-1)
            return self.out(_sdpa(q, k.transpose(1, 2), v.transpose(1, 2), bias))
        kk = _gather(layer_k, slots, mu)
        vv = _gather(layer_v, slots, mu)
        return self.out(_sdpa(q, kk.to(q.dtype), vv.to(q.dtype), bias))

    def cross_cached(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, slots: Tensor, mx: int,
                     mask: Optional[Tensor]) -> Tensor:
        q = self.heads(self.q(x))
        kk = _gather(layer_k, slots, mx)
        vv = _gather(layer_v, slots, mx)
        return self.out(_sdpa(q, kk.to(q.dtype), vv.to(q.dtype), mask))

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.q.cast(dtype)
        self.k.cast(dtype)
        self.v.cast(dtype)
        self.o.cast(dtype)


def _gather(layer: Tensor, slots: Tensor, n: int) -> Tensor:
    """layer [S, H, M, D] -> [B, H, n, D] rows of the given slots."""
    if slots.shape[0] == 1:
        s = int(slots[0])
        return layer[s:s + 1, :, :n]
    return layer[:, :, :n].index_select(0, slots)


def _act(x: Tensor, kind: int) -> Tensor:
    if kind == 0:
        return F.relu(x)
    if kind == 1:
        return F.gelu(x)
    if kind == 2:
        return F.gelu(x, approximate="tanh")
    return F.silu(x)


class DenseActDense(nn.Module):
    """T5DenseActDense: wo(act(wi(x)))."""

    def __init__(self, cfg: T5Config):
        super().__init__()
        d, ff, f = cfg.d_model, cfg.d_ff, cfg.initializer_factor
        self.kind = _ACTS[cfg.act]
        self.wi = Linear(d, ff, f * d ** -0.5)
        self.wo = Linear(ff, d, f * ff ** -0.5)

    def forward(self, x: Tensor) -> Tensor:
        return self.wo(_act(self.wi(x), self.kind))

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.wi.cast(dtype)
        self.wo.cast(dtype)


class DenseGatedActDense(nn.Module):
    """T5DenseGatedActDense: wo(act(wi_0(x)) * wi_1(x))."""

    def __init__(self, cfg: T5Config):
        super().__init__()
        d, ff, f = cfg.d_model, cfg.d_ff, cfg.initializer_factor
        self.kind = _ACTS[cfg.act]
        self.wi_0 = Linear(d, ff, f * d ** -0.5)
        self.wi_1 = Linear(d, ff, f * d ** -0.5)
        self.wo = Linear(ff, d, f * ff ** -0.5)

    def forward(self, x: Tensor) -> Tensor:
        return self.wo(_act(self.wi_0(x), self.kind) * self.wi_1(x))

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.wi_0.cast(dtype)
        self.wi_1.cast(dtype)
        self.wo.cast(dtype)


class LayerFF(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        self.DenseReluDense = DenseGatedActDense(cfg) if cfg.gated else DenseActDense(cfg)
        self.layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.DenseReluDense(self.layer_norm(x))

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.DenseReluDense.cast(dtype)
        self.layer_norm.cast(dtype)


class LayerSelfAttention(nn.Module):
    def __init__(self, cfg: T5Config, has_bias_table: bool):
        super().__init__()
        self.SelfAttention = Attention(cfg, has_bias_table)
        self.layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)

    def forward(self, x: Tensor, bias: Optional[Tensor]) -> Tensor:
        h = self.layer_norm(x)
        return x + self.SelfAttention(h, h, bias)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.SelfAttention.cast(dtype)
        self.layer_norm.cast(dtype)


class LayerCrossAttention(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        self.EncDecAttention = Attention(cfg, False)
        self.layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)

    def forward(self, x: Tensor, enc: Tensor, mask: Optional[Tensor]) -> Tensor:
        return x + self.EncDecAttention(self.layer_norm(x), enc, mask)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.EncDecAttention.cast(dtype)
        self.layer_norm.cast(dtype)


class EncoderBlock(nn.Module):
    def __init__(self, cfg: T5Config, first: bool):
        super().__init__()
        self.layer = nn.ModuleList([LayerSelfAttention(cfg, first), LayerFF(cfg)])

    def forward(self, x: Tensor, bias: Optional[Tensor]) -> Tensor:
        x = self.layer[0](x, bias)
        return self.layer[1](x)


class DecoderBlock(nn.Module):
    def __init__(self, cfg: T5Config, first: bool):
        super().__init__()
        self.layer = nn.ModuleList([LayerSelfAttention(cfg, first), LayerCrossAttention(cfg), LayerFF(cfg)])

    def forward(self, x: Tensor, bias: Optional[Tensor], enc: Tensor, enc_mask: Optional[Tensor]) -> Tensor:
        x = self.layer[0](x, bias)
        x = self.layer[1](x, enc, enc_mask)
        return self.layer[2](x)

    def forward_cached(self, x: Tensor, self_k: Tensor, self_v: Tensor, slot_idx: Tensor, pos_idx: Tensor,
                       slots: Tensor, mu: int, fresh: bool, bias: Tensor, cross_k: Tensor, cross_v: Tensor,
                       mx: int, cross_mask: Optional[Tensor]) -> Tensor:
        h = self.layer[0].layer_norm(x)
        x = x + self.layer[0].SelfAttention.self_cached(h, self_k, self_v, slot_idx, pos_idx, slots, mu, fresh, bias)
        h = self.layer[1].layer_norm(x)
        x = x + self.layer[1].EncDecAttention.cross_cached(h, cross_k, cross_v, slots, mx, cross_mask)
        return self.layer[2](x)


class Stack(nn.Module):
    def __init__(self, cfg: T5Config, decoder: bool):
        super().__init__()
        n = cfg.num_decoder_layers if decoder else cfg.num_layers
        if decoder:
            self.block = nn.ModuleList([DecoderBlock(cfg, i == 0) for i in range(n)])
        else:
            self.block = nn.ModuleList([EncoderBlock(cfg, i == 0) for i in range(n)])
        self.final_layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)


class T5ForConditionalGeneration(nn.Module):
    """``encode`` + ``forward`` are the serving steps (slot caches); ``logits_all`` the plain reference pass."""

    def __init__(self, cfg: T5Config):
        super().__init__()
        self.cfg_decoder_layers = cfg.num_decoder_layers
        self.cfg_heads = cfg.num_heads
        self.cfg_head_dim = cfg.d_kv
        self.cfg_vocab_size = cfg.vocab_size
        self.cfg_buckets = cfg.relative_attention_num_buckets
        self.cfg_max_distance = cfg.relative_attention_max_distance
        self.tied = cfg.tie_word_embeddings
        # v1.0's tied head rescales the decoder output (transformers: sequence_output * model_dim ** -0.5)
        self.head_scale = cfg.d_model ** -0.5 if cfg.tie_word_embeddings else 1.0
        self.shared = Embedding(cfg.vocab_size, cfg.d_model, cfg.initializer_factor * 1.0)
        self.encoder = Stack(cfg, False)
        self.decoder = Stack(cfg, True)
        # untied: a real lm_head; tied: a 1-element placeholder so TorchScript sees the attribute either way
        self.lm_head = Linear(cfg.d_model, cfg.vocab_size if not cfg.tie_word_embeddings else 1,
                              cfg.initializer_factor * cfg.d_model ** -0.5)

    # ------------------------------------------------------------------ shared pieces
    def head(self, h: Tensor) -> Tensor:
        if self.tied:
            return torch.matmul(h * self.head_scale, self.shared.weight.t()).float()
        return self.lm_head(h).float()

    def position_bias(self, table: Tensor, q_pos: Tensor, k_pos: Tensor, bidirectional: bool) -> Tensor:
        """table [buckets, H]; q_pos [B, T], k_pos [K] -> [B, H, T, K] float32 bias."""
        rel = k_pos.view(1, 1, -1) - q_pos.unsqueeze(-1)  # [B, T, K]
        buckets = relative_position_bucket(rel, bidirectional, self.cfg_buckets, self.cfg_max_distance)
        return F.embedding(buckets, table).float().permute(0, 3, 1, 2)

    def encoder_table(self) -> Tensor:
        return self.encoder.block[0].layer[0].SelfAttention.relative_attention_bias.weight

    def decoder_table(self) -> Tensor:
        return self.decoder.block[0].layer[0].SelfAttention.relative_attention_bias.weight

    def encoder_states(self, input_ids: Tensor, lengths: Optional[Tensor]) -> Tensor:
        """[B, T] right-padded (lengths[b] real tokens, or None: no padding) -> final-normed states [B, T, C]."""
        b, t = input_ids.shape[0], input_ids.shape[1]
        x = self.shared(input_ids)
        pos = torch.arange(t, dtype=torch.long, device=input_ids.device)
        bias = self.position_bias(self.encoder_table(), pos.view(1, t), pos, True)  # [1, H, T, T]
        if lengths is not None and int(lengths.min()) != t:
            hidden = pos.view(1, 1, 1, t) >= lengths.view(b, 1, 1, 1)
            bias = bias.masked_fill(hidden, float("-inf"))
        bias = bias.to(x.dtype)
        for blk in self.encoder.block:
            x = blk(x, bias)
        return self.encoder.final_layer_norm(x)

    def cross_mask(self, lengths: Optional[Tensor], b: int, t: int, mx: int, dtype: torch.dtype,
                   device: torch.device) -> Optional[Tensor]:
        """Float mask [B, 1, t, mx] hiding source keys past each row's length, or None when all are mx long."""
        if lengths is None or int(lengths.min()) == mx:
            return None
        keys = torch.arange(mx, dtype=lengths.dtype, device=device)
        hidden = (keys.view(1, 1, 1, mx) >= lengths.view(b, 1, 1, 1)).expand(b, 1, t, mx)
        return torch.zeros(hidden.shape, dtype=dtype, device=device).masked_fill(hidden, float("-inf"))

    def decoder_states(self, decoder_input_ids: Tensor, enc: Tensor, enc_lengths: Optional[Tensor]) -> Tensor:
        b, t = decoder_input_ids.shape[0], decoder_input_ids.shape[1]
        x = self.shared(decoder_input_ids)
        pos = torch.arange(t, dtype=torch.long, device=x.device)
        bias = self.position_bias(self.decoder_table(), pos.view(1, t), pos, False)
        bias = bias.masked_fill(pos.view(1, 1, 1, t) > pos.view(1, 1, t, 1), float("-inf")).to(x.dtype)
        cmask = self.cross_mask(enc_lengths, b, t, enc.shape[1], x.dtype, x.device)
        for blk in self.decoder.block:
            x = blk(x, bias, enc, cmask)
        return self.decoder.final_layer_norm(x)

    # ------------------------------------------------------------------ reference / training
    @torch.jit.export
    def logits_all(self, input_ids: Tensor, decoder_input_ids: Tensor) -> Tensor:
        """Teacher-forced pass without caches: [B, Ts] source (no padding), [B, Td] -> float32 [B, Td, V]."""
        enc = self.encoder_states(input_ids, None)
        return self.head(self.decoder_states(decoder_input_ids, enc, None))

    def logits_padded(self, input_ids: Tensor, lengths: Tensor, decoder_input_ids: Tensor) -> Tensor:
        """Training pass over right-padded sources and right-padded decoder inputs (pads after real tokens)."""
        enc = self.encoder_states(input_ids, lengths)
        return self.head(self.decoder_states(decoder_input_ids, enc, lengths))

    # ------------------------------------------------------------------ serving
    @torch.jit.export
    def encode(self, input_ids: Tensor, lengths: Tensor, slots: Tensor, cross_k: Tensor,
               cross_v: Tensor) -> Tensor:
        """Runs the encoder over right-padded rows and writes every decoder layer's EncDecAttention keys and
        values of row b into cross_{k,v}[l, slots[b], :, 0:T] in place. Returns lengths."""
        b, t = input_ids.shape[0], input_ids.shape[1]
        enc = self.encoder_states(input_ids, lengths)
        slot_idx = slots.view(b, 1).expand(b, t)
        pos_idx = torch.arange(t, dtype=torch.long, device=input_ids.device).view(1, t).expand(b, t)
        i = 0
        for blk in self.decoder.block:
            attn = blk.layer[1].EncDecAttention
            k = attn.k(enc).view(b, t, attn.n_head, attn.head_dim)
            v = attn.v(enc).view(b, t, attn.n_head, attn.head_dim)
            layer_k = cross_k[i]
            layer_v = cross_v[i]
            layer_k[slot_idx, :, pos_idx] = k.to(layer_k.dtype)
            layer_v[slot_idx, :, pos_idx] = v.to(layer_v.dtype)
            i += 1
        return lengths

    def forward(self, input_ids: Tensor, positions: Tensor, slots: Tensor, logits_index: Tensor,
                enc_lengths: Tensor, self_k: Tensor, self_v: Tensor, cross_k: Tensor, cross_v: Tensor) -> Tensor:
        b, t = input_ids.shape[0], input_ids.shape[1]
        x = self.shared(input_ids)
        mu = int(positions.max()) + 1
        fresh = int(positions[:, 0].max()) == 0
        # Relative bias from each row's own query positions: [B, H, T, K] over key positions 0..K-1, K = T when
        # every row starts at 0 (the new keys are the whole prefix), else the cache prefix mu; keys after the
        # query's position get -inf (causal), so stale cache entries past a row's end are never seen.
        n_keys = t if fresh else mu
        keys = torch.arange(n_keys, dtype=torch.long, device=x.device)
        bias = self.position_bias(self.decoder_table(), positions, keys, False)
        bias = bias.masked_fill(keys.view(1, 1, 1, n_keys) > positions.view(b, 1, t, 1), float("-inf"))
        bias = bias.to(x.dtype)
        mx = int(enc_lengths.max())
        cmask = self.cross_mask(enc_lengths, b, t, mx, x.dtype, x.device)
        slot_idx = slots.view(b, 1).expand(b, t)
        i = 0
        for blk in self.decoder.block:
            x = blk.forward_cached(x, self_k[i], self_v[i], slot_idx, positions, slots, mu, fresh, bias,
                                   cross_k[i], cross_v[i], mx, cmask)
            i += 1
        x = self.decoder.final_layer_norm(x)
        rows = torch.arange(b, dtype=torch.long, device=x.device)
        return self.head(x[rows, logits_index])

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        """Casts every floating weight in place to float32 | float16 | bfloat16 (call once after load)."""
        self.shared.cast(dtype)
        self.lm_head.cast(dtype)
        for blk in self.encoder.block:
            for sub in blk.layer:
                sub.cast(dtype)
        self.encoder.final_layer_norm.cast(dtype)
        for blk in self.decoder.block:
            for sub in blk.layer:
                sub.cast(dtype)
        self.decoder.final_layer_norm.cast(dtype)
        self.encoder.block[0].layer[0].SelfAttention.relative_attention_bias.cast(dtype)
        self.decoder.block[0].layer[0].SelfAttention.relative_attention_bias.cast(dtype)

    @torch.jit.export
    def cache_shape(self, slots: int, max_len: int) -> List[int]:
        return [self.cfg_decoder_layers, slots, self.cfg_heads, max_len, self.cfg_head_dim]

    @torch.jit.export
    def new_cache_tensor(self, slots: int, max_len: int) -> Tensor:
        """Zeros [L, S, H, M, D] (decoder self-attention cache) in the weights' dtype and device; call twice."""
        w = self.shared.weight
        return torch.zeros(self.cache_shape(slots, max_len), dtype=w.dtype, device=w.device)

    @torch.jit.export
    def new_cross_cache_tensor(self, slots: int, max_source_len: int) -> Tensor:
        """Zeros [L, S, H, Ms, D] (cross-attention keys/values of the encoder output); call twice."""
        w = self.shared.weight
        return torch.zeros(self.cache_shape(slots, max_source_len), dtype=w.dtype, device=w.device)


def build(cfg: T5Config) -> T5ForConditionalGeneration:
    return T5ForConditionalGeneration(cfg)


def load_hf_state_dict(model: T5ForConditionalGeneration, sd: Dict[str, Tensor]) -> None:
    """Loads HF T5 weights. ``encoder.embed_tokens.weight`` / ``decoder.embed_tokens.weight`` (tied copies of
    ``shared``) are checked equal and dropped; a tied model ignores ``lm_head.weight`` when it equals ``shared``
    and refuses a different one; an untied model needs it."""
    own = model.state_dict()
    fixed: Dict[str, Tensor] = {}
    dup: Dict[str, Tensor] = {}
    for k, v in sd.items():
        if k in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight") or (k == "lm_head.weight" and
                                                                                    model.tied):
            dup[k] = v
            continue
        if k not in own:
            raise KeyError(f"unexpected weight {k}")
        if tuple(own[k].shape) != tuple(v.shape):
            raise ValueError(f"{k}: shape {tuple(v.shape)} != {tuple(own[k].shape)}")
        fixed[k] = v.to(torch.float32)
    if "shared.weight" not in fixed:
        for k in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight"):
            if k in dup:
                fixed["shared.weight"] = dup[k].to(torch.float32)
                break
    shared = fixed.get("shared.weight")
    for k, v in dup.items():
        if shared is not None and not torch.equal(v.to(torch.float32), shared):
            raise ValueError(f"{k} differs from shared.weight but the config says the embeddings are tied")
    if model.tied:
        fixed["lm_head.weight"] = own["lm_head.weight"]  # placeholder (unused)
    missing = set(own) - set(fixed)
    if missing:
        raise KeyError(f"missing weights: {sorted(missing)[:5]}")
    model.load_state_dict(fixed)


def hf_state_dict(model: T5ForConditionalGeneration) -> Dict[str, Tensor]:
    """What save_pretrained stores (fp32): our names, the tied embed_tokens copies, lm_head only when untied."""
    sd = {k: v.float().contiguous() for k, v in model.state_dict().items()}
    if model.tied:
        del sd["lm_head.weight"]
    sd["encoder.embed_tokens.weight"] = sd["shared.weight"].clone()
    sd["decoder.embed_tokens.weight"] = sd["shared.weight"].clone()
    return sd


def script_for_serving(model: T5ForConditionalGeneration) -> torch.jit.ScriptModule:
    model = to_buffers(model.eval())
    return torch.jit.script(model)
