"""BART (encoder-decoder) in torch, with Hugging Face BartForConditionalGeneration parameter names, for
training (eager) and serving (TorchScript). See docs/model-format-seq2seq.md for the serving contract.

Names (state_dict keys): ``model.shared.weight`` (token embedding, shared by encoder, decoder and the LM
head), ``model.{encoder,decoder}.embed_positions.weight`` (learned, offset 2: position p uses row p + 2),
``model.{encoder,decoder}.layernorm_embedding.*``, ``model.encoder.layers.N.{self_attn.{q,k,v,out}_proj,
self_attn_layer_norm, fc1, fc2, final_layer_norm}.*``, ``model.decoder.layers.N.*`` likewise plus
``encoder_attn.{q,k,v,out}_proj.*`` and ``encoder_attn_layer_norm.*``, and the buffer ``final_logits_bias``
[1, V]. Post-LayerNorm blocks (eps 1e-5), GELU (erf; ``gelu_new`` and ``relu`` also accepted), optional
``scale_embedding`` (token embeddings times sqrt(d_model)). Every attention calls
``torch.ops.aten.scaled_dot_product_attention`` (import ``slmtorch.sdpa`` first on torch 1.13).

Serving methods (scripted, saved as model.pt)::

    encode(input_ids[B,T], lengths[B], slots[B], cross_k[L,S,H,Ms,D], cross_v) -> lengths
    forward(input_ids[B,T], positions[B,T], slots[B], logits_index[B], enc_lengths[B],
            self_k[L,S,H,M,D], self_v, cross_k[L,S,H,Ms,D], cross_v) -> float32[B,V]
    cast(dtype), new_cache_tensor(slots, max_len), new_cross_cache_tensor(slots, max_source_len),
    logits_all(input_ids[1,Ts], decoder_input_ids[1,Td]) -> float32[1,Td,V]
"""
import json
import math
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from slmtorch import sdpa  # noqa: F401  (defines torch.ops.aten.scaled_dot_product_attention on torch 1.13)
from slmtorch.layers import (Embedding, LayerNorm, causal_cache_mask, dtype_of,  # noqa: F401
                             to_buffers)  # to_buffers: for callers

_ACTS = {"gelu": 0, "gelu_new": 1, "gelu_pytorch_tanh": 1, "relu": 2}


class BartConfig:
    def __init__(self, vocab_size: int, d_model: int = 128, encoder_layers: int = 3, decoder_layers: int = 3,
                 encoder_attention_heads: int = 4, decoder_attention_heads: int = 4,
                 encoder_ffn_dim: int = 512, decoder_ffn_dim: int = 512, max_position_embeddings: int = 64,
                 activation_function: str = "gelu", scale_embedding: bool = False, pad_token_id: int = 1,
                 bos_token_id: int = 0, eos_token_id: int = 2, decoder_start_token_id: int = 2,
                 forced_eos_token_id: Optional[int] = 2, init_std: float = 0.02):
        if activation_function not in _ACTS:
            raise ValueError(f"unsupported activation {activation_function}")
        if d_model % decoder_attention_heads or d_model % encoder_attention_heads:
            raise ValueError("d_model must be divisible by the number of heads")
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.encoder_layers = encoder_layers
        self.decoder_layers = decoder_layers
        self.encoder_attention_heads = encoder_attention_heads
        self.decoder_attention_heads = decoder_attention_heads
        self.encoder_ffn_dim = encoder_ffn_dim
        self.decoder_ffn_dim = decoder_ffn_dim
        self.max_position_embeddings = max_position_embeddings
        self.activation_function = activation_function
        self.scale_embedding = scale_embedding
        self.pad_token_id = pad_token_id
        self.bos_token_id = bos_token_id
        self.eos_token_id = eos_token_id
        self.decoder_start_token_id = decoder_start_token_id
        self.forced_eos_token_id = forced_eos_token_id
        self.init_std = init_std

    def to_hf_dict(self) -> Dict:
        """A transformers BartConfig-compatible config.json body."""
        return {
            "architectures": ["BartForConditionalGeneration"],
            "model_type": "bart",
            "vocab_size": self.vocab_size,
            "d_model": self.d_model,
            "encoder_layers": self.encoder_layers,
            "decoder_layers": self.decoder_layers,
            "encoder_attention_heads": self.encoder_attention_heads,
            "decoder_attention_heads": self.decoder_attention_heads,
            "encoder_ffn_dim": self.encoder_ffn_dim,
            "decoder_ffn_dim": self.decoder_ffn_dim,
            "max_position_embeddings": self.max_position_embeddings,
            "activation_function": self.activation_function,
            "scale_embedding": self.scale_embedding,
            "pad_token_id": self.pad_token_id,
            "bos_token_id": self.bos_token_id,
            "eos_token_id": self.eos_token_id,
            "decoder_start_token_id": self.decoder_start_token_id,
            "forced_eos_token_id": self.forced_eos_token_id,
            "is_encoder_decoder": True,
            "tie_word_embeddings": True,
            "init_std": self.init_std,
            "dropout": 0.0,
            "attention_dropout": 0.0,
            "activation_dropout": 0.0,
            "encoder_layerdrop": 0.0,
            "decoder_layerdrop": 0.0,
            "classifier_dropout": 0.0,
            "num_hidden_layers": self.encoder_layers,
            "use_cache": True,
            "torch_dtype": "float32",
        }

    @classmethod
    def from_hf_dict(cls, d: Dict) -> "BartConfig":
        if d.get("model_type", "bart") != "bart":
            raise ValueError(f"not a BART checkpoint: model_type={d.get('model_type')}")
        for flag in ("normalize_before", "add_final_layer_norm", "add_bias_logits", "static_position_embeddings",
                     "normalize_embedding_off"):
            if d.get(flag):
                raise ValueError(f"unsupported BART option {flag}")
        if d.get("tie_word_embeddings", True) is False:
            raise ValueError("untied LM head not supported")
        return cls(vocab_size=d["vocab_size"], d_model=d["d_model"], encoder_layers=d["encoder_layers"],
                   decoder_layers=d["decoder_layers"], encoder_attention_heads=d["encoder_attention_heads"],
                   decoder_attention_heads=d["decoder_attention_heads"], encoder_ffn_dim=d["encoder_ffn_dim"],
                   decoder_ffn_dim=d["decoder_ffn_dim"], max_position_embeddings=d["max_position_embeddings"],
                   activation_function=d.get("activation_function", "gelu"),
                   scale_embedding=bool(d.get("scale_embedding", False)), pad_token_id=d.get("pad_token_id", 1),
                   bos_token_id=d.get("bos_token_id", 0), eos_token_id=d.get("eos_token_id", 2),
                   decoder_start_token_id=d.get("decoder_start_token_id", 2),
                   forced_eos_token_id=d.get("forced_eos_token_id"), init_std=d.get("init_std", 0.02))

    @classmethod
    def load(cls, path: str) -> "BartConfig":
        with open(path) as f:
            return cls.from_hf_dict(json.load(f))


class Linear(nn.Module):
    """nn.Linear names and layout (weight [out, in]), plus cast()."""

    def __init__(self, n_in: int, n_out: int, std: float = 0.02):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out))
        nn.init.normal_(self.weight, std=std)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        dt = dtype_of(dtype)
        self.weight = self.weight.to(dt)
        self.bias = self.bias.to(dt)


class Attention(nn.Module):
    """BartAttention: q/k/v/out projections with biases; scaling 1/sqrt(D) (SDPA's default)."""

    def __init__(self, d: int, heads: int, std: float):
        super().__init__()
        self.n_head = heads
        self.head_dim = d // heads
        self.k_proj = Linear(d, d, std)
        self.v_proj = Linear(d, d, std)
        self.q_proj = Linear(d, d, std)
        self.out_proj = Linear(d, d, std)

    def heads(self, x: Tensor) -> Tensor:
        """[B, T, C] -> [B, H, T, D]"""
        return x.view(x.shape[0], x.shape[1], self.n_head, self.head_dim).transpose(1, 2)

    def out(self, y: Tensor) -> Tensor:
        b, t = y.shape[0], y.shape[2]
        return self.out_proj(y.transpose(1, 2).reshape(b, t, self.n_head * self.head_dim))

    def forward(self, x: Tensor, kv: Tensor, mask: Optional[Tensor], is_causal: bool) -> Tensor:
        """Plain attention of x's queries over kv's keys/values (training and from-scratch reference)."""
        q = self.heads(self.q_proj(x))
        k = self.heads(self.k_proj(kv))
        v = self.heads(self.v_proj(kv))
        return self.out(torch.ops.aten.scaled_dot_product_attention(q, k, v, mask, 0.0, is_causal))

    def self_cached(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, slot_idx: Tensor, pos_idx: Tensor,
                    slots: Tensor, mu: int, fresh: bool, mask: Optional[Tensor]) -> Tensor:
        """Decoder self-attention against one layer [S, H, M, D] of the slot cache, written in place."""
        q = self.heads(self.q_proj(x))
        k = self.k_proj(x).view(x.shape[0], x.shape[1], self.n_head, self.head_dim)  # [B, T, H, D]
        v = self.v_proj(x).view(x.shape[0], x.shape[1], self.n_head, self.head_dim)
        # advanced indices (slot, position) around the head slice put B, T first: [B, T, H, D]
        layer_k[slot_idx, :, pos_idx] = k.to(layer_k.dtype)
        layer_v[slot_idx, :, pos_idx] = v.to(layer_v.dtype)
        if fresh:  # every row starts at position 0: the new keys are the whole visible prefix
            y = torch.ops.aten.scaled_dot_product_attention(q, k.transpose(1, 2), v.transpose(1, 2), None, 0.0,
                                                            True)
        else:
            kk = _gather(layer_k, slots, mu)
            vv = _gather(layer_v, slots, mu)
            y = torch.ops.aten.scaled_dot_product_attention(q, kk.to(q.dtype), vv.to(q.dtype), mask, 0.0, False)
        return self.out(y)

    def cross_cached(self, x: Tensor, layer_k: Tensor, layer_v: Tensor, slots: Tensor, mx: int,
                     mask: Optional[Tensor]) -> Tensor:
        """Cross-attention over the projected encoder keys/values held in one layer [S, H, Ms, D]."""
        q = self.heads(self.q_proj(x))
        kk = _gather(layer_k, slots, mx)
        vv = _gather(layer_v, slots, mx)
        y = torch.ops.aten.scaled_dot_product_attention(q, kk.to(q.dtype), vv.to(q.dtype), mask, 0.0, False)
        return self.out(y)


def _gather(layer: Tensor, slots: Tensor, n: int) -> Tensor:
    """layer [S, H, M, D] -> [B, H, n, D] rows of the given slots."""
    if slots.shape[0] == 1:
        s = int(slots[0])
        return layer[s:s + 1, :, :n]
    return layer[:, :, :n].index_select(0, slots)


def _act(x: Tensor, kind: int) -> Tensor:
    if kind == 0:
        return F.gelu(x)
    if kind == 1:
        return F.gelu(x, approximate="tanh")
    return F.relu(x)


class EncoderLayer(nn.Module):
    def __init__(self, cfg: BartConfig):
        super().__init__()
        d = cfg.d_model
        self.act = _ACTS[cfg.activation_function]
        self.self_attn = Attention(d, cfg.encoder_attention_heads, cfg.init_std)
        self.self_attn_layer_norm = LayerNorm(d)
        self.fc1 = Linear(d, cfg.encoder_ffn_dim, cfg.init_std)
        self.fc2 = Linear(cfg.encoder_ffn_dim, d, cfg.init_std)
        self.final_layer_norm = LayerNorm(d)

    def forward(self, x: Tensor, mask: Optional[Tensor]) -> Tensor:
        x = self.self_attn_layer_norm(x + self.self_attn(x, x, mask, False))
        return self.final_layer_norm(x + self.fc2(_act(self.fc1(x), self.act)))

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        for lin in (self.self_attn.q_proj, self.self_attn.k_proj, self.self_attn.v_proj, self.self_attn.out_proj,
                    self.fc1, self.fc2):
            lin.cast(dtype)
        self.self_attn_layer_norm.cast(dtype)
        self.final_layer_norm.cast(dtype)


class DecoderLayer(nn.Module):
    def __init__(self, cfg: BartConfig):
        super().__init__()
        d = cfg.d_model
        self.act = _ACTS[cfg.activation_function]
        self.self_attn = Attention(d, cfg.decoder_attention_heads, cfg.init_std)
        self.self_attn_layer_norm = LayerNorm(d)
        self.encoder_attn = Attention(d, cfg.decoder_attention_heads, cfg.init_std)
        self.encoder_attn_layer_norm = LayerNorm(d)
        self.fc1 = Linear(d, cfg.decoder_ffn_dim, cfg.init_std)
        self.fc2 = Linear(cfg.decoder_ffn_dim, d, cfg.init_std)
        self.final_layer_norm = LayerNorm(d)

    def ffn(self, x: Tensor) -> Tensor:
        return self.final_layer_norm(x + self.fc2(_act(self.fc1(x), self.act)))

    def forward(self, x: Tensor, enc: Tensor, enc_mask: Optional[Tensor]) -> Tensor:
        x = self.self_attn_layer_norm(x + self.self_attn(x, x, None, True))
        x = self.encoder_attn_layer_norm(x + self.encoder_attn(x, enc, enc_mask, False))
        return self.ffn(x)

    def forward_cached(self, x: Tensor, self_k: Tensor, self_v: Tensor, slot_idx: Tensor, pos_idx: Tensor,
                       slots: Tensor, mu: int, fresh: bool, mask: Optional[Tensor], cross_k: Tensor,
                       cross_v: Tensor, mx: int, cross_mask: Optional[Tensor]) -> Tensor:
        x = self.self_attn_layer_norm(
            x + self.self_attn.self_cached(x, self_k, self_v, slot_idx, pos_idx, slots, mu, fresh, mask))
        x = self.encoder_attn_layer_norm(x + self.encoder_attn.cross_cached(x, cross_k, cross_v, slots, mx,
                                                                            cross_mask))
        return self.ffn(x)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        for lin in (self.self_attn.q_proj, self.self_attn.k_proj, self.self_attn.v_proj, self.self_attn.out_proj,
                    self.encoder_attn.q_proj, self.encoder_attn.k_proj, self.encoder_attn.v_proj,
                    self.encoder_attn.out_proj, self.fc1, self.fc2):
            lin.cast(dtype)
        self.self_attn_layer_norm.cast(dtype)
        self.encoder_attn_layer_norm.cast(dtype)
        self.final_layer_norm.cast(dtype)


class Encoder(nn.Module):
    def __init__(self, cfg: BartConfig):
        super().__init__()
        self.embed_positions = Embedding(cfg.max_position_embeddings + 2, cfg.d_model, cfg.init_std)
        self.layers = nn.ModuleList([EncoderLayer(cfg) for _ in range(cfg.encoder_layers)])
        self.layernorm_embedding = LayerNorm(cfg.d_model)


class Decoder(nn.Module):
    def __init__(self, cfg: BartConfig):
        super().__init__()
        self.embed_positions = Embedding(cfg.max_position_embeddings + 2, cfg.d_model, cfg.init_std)
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.decoder_layers)])
        self.layernorm_embedding = LayerNorm(cfg.d_model)


class BartModel(nn.Module):
    def __init__(self, cfg: BartConfig):
        super().__init__()
        self.shared = Embedding(cfg.vocab_size, cfg.d_model, cfg.init_std)
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)


class BartForConditionalGeneration(nn.Module):
    """``encode`` + ``forward`` are the serving steps (slot caches); ``logits_all`` the plain reference pass."""

    def __init__(self, cfg: BartConfig):
        super().__init__()
        self.cfg_decoder_layers = cfg.decoder_layers
        self.cfg_heads = cfg.decoder_attention_heads
        self.cfg_head_dim = cfg.d_model // cfg.decoder_attention_heads
        self.cfg_vocab_size = cfg.vocab_size
        self.cfg_max_positions = cfg.max_position_embeddings
        self.embed_scale = math.sqrt(cfg.d_model) if cfg.scale_embedding else 1.0
        self.model = BartModel(cfg)
        self.register_buffer("final_logits_bias", torch.zeros(1, cfg.vocab_size))

    # ------------------------------------------------------------------ shared pieces
    def embed(self, ids: Tensor, positions: Tensor, encoder: bool) -> Tensor:
        x = self.model.shared(ids) * self.embed_scale
        if encoder:
            x = x + self.model.encoder.embed_positions(positions + 2)
            return self.model.encoder.layernorm_embedding(x)
        x = x + self.model.decoder.embed_positions(positions + 2)
        return self.model.decoder.layernorm_embedding(x)

    def lm_head(self, h: Tensor) -> Tensor:
        return torch.matmul(h, self.model.shared.weight.t()).float() + self.final_logits_bias.float()

    def encoder_states(self, input_ids: Tensor, key_mask: Optional[Tensor]) -> Tensor:
        """[B, T] -> [B, T, C]; key_mask bool [B, 1, T, T] (True = visible) or None."""
        t = input_ids.shape[1]
        pos = torch.arange(t, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = self.embed(input_ids, pos, True)
        for layer in self.model.encoder.layers:
            x = layer(x, key_mask)
        return x

    def decoder_states(self, decoder_input_ids: Tensor, enc: Tensor, enc_mask: Optional[Tensor]) -> Tensor:
        t = decoder_input_ids.shape[1]
        pos = torch.arange(t, dtype=torch.long, device=decoder_input_ids.device).unsqueeze(0)
        x = self.embed(decoder_input_ids, pos, False)
        for layer in self.model.decoder.layers:
            x = layer(x, enc, enc_mask)
        return x

    # ------------------------------------------------------------------ reference / training
    @torch.jit.export
    def logits_all(self, input_ids: Tensor, decoder_input_ids: Tensor) -> Tensor:
        """Teacher-forced pass without caches: [B, Ts] source (no padding), [B, Td] -> float32 [B, Td, V]."""
        enc = self.encoder_states(input_ids, None)
        return self.lm_head(self.decoder_states(decoder_input_ids, enc, None))

    def logits_padded(self, input_ids: Tensor, lengths: Tensor, decoder_input_ids: Tensor) -> Tensor:
        """Training pass over right-padded sources (lengths[b] real tokens) and right-padded decoder inputs
        (pads sit after the real tokens, so the causal mask already hides them)."""
        b, t = input_ids.shape[0], input_ids.shape[1]
        td = decoder_input_ids.shape[1]
        keys = torch.arange(t, device=input_ids.device).view(1, 1, 1, t) < lengths.view(b, 1, 1, 1)
        enc = self.encoder_states(input_ids, keys.expand(b, 1, t, t))
        return self.lm_head(self.decoder_states(decoder_input_ids, enc, keys.expand(b, 1, td, t)))

    # ------------------------------------------------------------------ serving
    @torch.jit.export
    def encode(self, input_ids: Tensor, lengths: Tensor, slots: Tensor, cross_k: Tensor,
               cross_v: Tensor) -> Tensor:
        """Runs the encoder over right-padded rows and writes every decoder layer's cross-attention keys and
        values of row b into cross_{k,v}[l, slots[b], :, 0:T] in place. Returns lengths."""
        b, t = input_ids.shape[0], input_ids.shape[1]
        mask: Optional[Tensor] = None
        if int(lengths.min()) != t:  # some row is padded: hide its pad keys
            keys = torch.arange(t, dtype=lengths.dtype, device=lengths.device)
            mask = (keys.view(1, 1, 1, t) < lengths.view(b, 1, 1, 1)).expand(b, 1, t, t)
        enc = self.encoder_states(input_ids, mask)
        slot_idx = slots.view(b, 1).expand(b, t)
        pos_idx = torch.arange(t, dtype=torch.long, device=input_ids.device).view(1, t).expand(b, t)
        i = 0
        for layer in self.model.decoder.layers:
            attn = layer.encoder_attn
            k = attn.k_proj(enc).view(b, t, attn.n_head, attn.head_dim)
            v = attn.v_proj(enc).view(b, t, attn.n_head, attn.head_dim)
            layer_k = cross_k[i]
            layer_v = cross_v[i]
            layer_k[slot_idx, :, pos_idx] = k.to(layer_k.dtype)
            layer_v[slot_idx, :, pos_idx] = v.to(layer_v.dtype)
            i += 1
        return lengths

    def forward(self, input_ids: Tensor, positions: Tensor, slots: Tensor, logits_index: Tensor,
                enc_lengths: Tensor, self_k: Tensor, self_v: Tensor, cross_k: Tensor, cross_v: Tensor) -> Tensor:
        b, t = input_ids.shape[0], input_ids.shape[1]
        x = self.embed(input_ids, positions, False)
        mu, fresh, mask = causal_cache_mask(positions)
        mx = int(enc_lengths.max())
        cross_mask: Optional[Tensor] = None
        if int(enc_lengths.min()) != mx:
            ckeys = torch.arange(mx, dtype=enc_lengths.dtype, device=enc_lengths.device)
            cross_mask = (ckeys.view(1, 1, 1, mx) < enc_lengths.view(b, 1, 1, 1)).expand(b, 1, t, mx)
        slot_idx = slots.view(b, 1).expand(b, t)
        i = 0
        for layer in self.model.decoder.layers:
            x = layer.forward_cached(x, self_k[i], self_v[i], slot_idx, positions, slots, mu, fresh, mask,
                                     cross_k[i], cross_v[i], mx, cross_mask)
            i += 1
        rows = torch.arange(b, dtype=torch.long, device=x.device)
        return self.lm_head(x[rows, logits_index])

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        """Casts every floating weight in place to float32 | float16 | bfloat16 (call once after load)."""
        self.model.shared.cast(dtype)
        self.model.encoder.embed_positions.cast(dtype)
        self.model.encoder.layernorm_embedding.cast(dtype)
        for layer in self.model.encoder.layers:
            layer.cast(dtype)
        self.model.decoder.embed_positions.cast(dtype)
        self.model.decoder.layernorm_embedding.cast(dtype)
        for layer in self.model.decoder.layers:
            layer.cast(dtype)
        self.final_logits_bias = self.final_logits_bias.to(dtype_of(dtype))

    @torch.jit.export
    def cache_shape(self, slots: int, max_len: int) -> List[int]:
        return [self.cfg_decoder_layers, slots, self.cfg_heads, max_len, self.cfg_head_dim]

    @torch.jit.export
    def new_cache_tensor(self, slots: int, max_len: int) -> Tensor:
        """Zeros [L, S, H, M, D] (decoder self-attention cache) in the weights' dtype and device; call twice."""
        w = self.model.shared.weight
        return torch.zeros(self.cache_shape(slots, max_len), dtype=w.dtype, device=w.device)

    @torch.jit.export
    def new_cross_cache_tensor(self, slots: int, max_source_len: int) -> Tensor:
        """Zeros [L, S, H, Ms, D] (cross-attention keys/values of the encoder output); call twice."""
        w = self.model.shared.weight
        return torch.zeros(self.cache_shape(slots, max_source_len), dtype=w.dtype, device=w.device)


def build(cfg: BartConfig) -> BartForConditionalGeneration:
    return BartForConditionalGeneration(cfg)


def load_hf_state_dict(model: BartForConditionalGeneration, sd: Dict[str, Tensor]) -> None:
    """Loads HF BART weights: ``lm_head.weight`` (tied) and the duplicated
    ``model.{encoder,decoder}.embed_tokens.weight`` are ignored (checked equal to ``model.shared.weight``
    when present); a missing ``final_logits_bias`` is zeros; names without the ``model.`` prefix (BartModel
    checkpoints) are accepted."""
    own = model.state_dict()
    fixed: Dict[str, Tensor] = {}
    dup: Dict[str, Tensor] = {}
    for k, v in sd.items():
        key = k
        if key not in own and "model." + key in own:
            key = "model." + key
        if key in ("lm_head.weight", "model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight") or \
                key.endswith("embed_tokens.weight") or key.endswith("version"):
            dup[key] = v
            continue
        if key not in own:
            raise KeyError(f"unexpected weight {k}")
        if tuple(own[key].shape) != tuple(v.shape):
            raise ValueError(f"{k}: shape {tuple(v.shape)} != {tuple(own[key].shape)}")
        fixed[key] = v.to(torch.float32)
    if "model.shared.weight" not in fixed:
        for k in ("model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight"):
            if k in dup:
                fixed["model.shared.weight"] = dup[k].to(torch.float32)
                break
    shared = fixed.get("model.shared.weight")
    for k, v in dup.items():
        if shared is not None and v.dim() == 2 and tuple(v.shape) == tuple(shared.shape) and \
                not torch.equal(v.to(torch.float32), shared):
            raise ValueError(f"{k} differs from model.shared.weight: untied embeddings are not supported")
    if "final_logits_bias" not in fixed:
        fixed["final_logits_bias"] = torch.zeros_like(own["final_logits_bias"])
    missing = set(own) - set(fixed)
    if missing:
        raise KeyError(f"missing weights: {sorted(missing)[:5]}")
    model.load_state_dict(fixed)


def script_for_serving(model: BartForConditionalGeneration) -> torch.jit.ScriptModule:
    model = to_buffers(model.eval())
    return torch.jit.script(model)


# ---------------------------------------------------------------------- greedy decoding helpers (Python side)
@torch.no_grad()
def greedy_reference(model, source: List[int], start: int, eos: int, max_new: int) -> List[int]:
    """Greedy decoding recomputed from scratch each step with ``logits_all`` (no caches). Returns the
    generated ids, eos included when produced."""
    dec = [start]
    src = torch.tensor([source], dtype=torch.long)
    for _ in range(max_new):
        nxt = int(model.logits_all(src, torch.tensor([dec], dtype=torch.long))[0, -1].argmax())
        dec.append(nxt)
        if nxt == eos:
            break
    return dec[1:]


@torch.no_grad()
def greedy_cached(model, sources: List[List[int]], start: int, eos: int, max_new: int, slots: List[int],
                  caches=None, pad: int = 1) -> List[List[int]]:
    """What the server does: one batched ``encode`` of right-padded sources into ``slots``, one ``forward``
    with every row's start token at position 0, then batched one-token steps (finished rows keep stepping
    with eos; their output is cut at the first eos). ``caches`` = (self_k, self_v, cross_k, cross_v), or
    fresh zero caches sized for the call."""
    b = len(sources)
    lens = [len(s) for s in sources]
    t = max(lens)
    if caches is None:
        n_slots = max(slots) + 1
        caches = (model.new_cache_tensor(n_slots, max_new + 1), model.new_cache_tensor(n_slots, max_new + 1),
                  model.new_cross_cache_tensor(n_slots, t), model.new_cross_cache_tensor(n_slots, t))
    self_k, self_v, cross_k, cross_v = caches
    ids = torch.full((b, t), pad, dtype=torch.long)
    for i, s in enumerate(sources):
        ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
    lengths = torch.tensor(lens, dtype=torch.long)
    slots_t = torch.tensor(slots, dtype=torch.long)
    model.encode(ids, lengths, slots_t, cross_k, cross_v)
    zeros = torch.zeros(b, dtype=torch.long)
    cur = torch.full((b, 1), start, dtype=torch.long)
    out: List[List[int]] = [[] for _ in range(b)]
    done = [False] * b
    for step in range(max_new):
        pos = torch.full((b, 1), step, dtype=torch.long)
        logits = model(cur, pos, slots_t, zeros, lengths, self_k, self_v, cross_k, cross_v)
        nxt = logits.argmax(-1)
        for i in range(b):
            if not done[i]:
                out[i].append(int(nxt[i]))
                done[i] = int(nxt[i]) == eos
        if all(done):
            break
        cur = nxt.view(b, 1)
    return out
