"""Rotary position embeddings in Hugging Face's rotate-half layout, with the inverse frequencies of every
rope_scaling type transformers' ``modeling_rope_utils`` defines that the served models need.

The inverse frequencies are computed here in Python, once, at conversion (``inv_freq_for``) and stored as a
float32 buffer of the archive; the graph only multiplies positions by them. Types:
- ``default``: ``1 / theta^(2i / dim)``, dim = head_dim * partial_rotary_factor.
- ``linear``: default / factor.
- ``llama3``: Llama-3.1/3.2's band-wise scaling (factor, low_freq_factor, high_freq_factor,
  original_max_position_embeddings).
- ``yarn`` (transformers' current reading: the explicit factor, original_max_position_embeddings for the
  correction range, ``truncate``): NTK-by-parts interpolation with a ramp between beta_fast and beta_slow, plus an attention factor
  (``0.1 * mscale * ln(factor) + 1`` unless given) that multiplies cos and sin.
- ``dynamic`` (NTK): transformers recomputes the base from each call's longest sequence, which changes the
  frequencies of keys already in a cache. The archive instead fixes the base once for the longest sequence
  the folder serves, as vLLM's DynamicNTKScalingRotaryEmbedding does: base' = theta *
  (factor * L / original_max - (factor - 1))^(dim / (dim - 2)) with L = original_max * factor.
"""
import math
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor

ROPE_TYPES = ("default", "linear", "dynamic", "llama3", "yarn", "longrope")


def rope_type_of(scaling: Optional[Dict]) -> str:
    if not scaling:
        return "default"
    return str(scaling.get("rope_type", scaling.get("type", "default")))


def default_inv_freq(theta: float, dim: int) -> Tensor:
    return 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def inv_freq_for(theta: float, dim: int, scaling: Optional[Dict], max_position_embeddings: int,
                 original_max_position_embeddings: Optional[int] = None,
                 serving_len: Optional[int] = None) -> Tuple[Tensor, float]:
    """(inverse frequencies float32[dim / 2], attention factor multiplying cos and sin). ``serving_len``: the
    longest sequence the archive serves (longrope picks its factors by it)."""
    kind = rope_type_of(scaling)
    if kind not in ROPE_TYPES:
        raise ValueError(f"unsupported rope_scaling type {kind!r}; supported: {', '.join(ROPE_TYPES)}")
    if kind == "default":
        return default_inv_freq(theta, dim), 1.0
    assert scaling is not None
    factor = float(scaling.get("factor", 1.0))
    if kind == "linear":
        return default_inv_freq(theta, dim) / factor, 1.0
    if kind == "dynamic":
        original = int(scaling.get("original_max_position_embeddings") or max_position_embeddings)
        longest = original * factor
        base = theta * ((factor * longest / original) - (factor - 1)) ** (dim / (dim - 2))
        return default_inv_freq(base, dim), 1.0
    if kind == "llama3":
        return _llama3(theta, dim, scaling), 1.0
    if kind == "longrope":
        return _longrope(theta, dim, scaling, max_position_embeddings, original_max_position_embeddings, serving_len)
    return _yarn(theta, dim, scaling, max_position_embeddings)


def _llama3(theta: float, dim: int, s: Dict) -> Tensor:
    inv_freq = default_inv_freq(theta, dim)
    factor = float(s["factor"])
    low_freq_factor = float(s["low_freq_factor"])
    high_freq_factor = float(s["high_freq_factor"])
    old_context_len = float(s["original_max_position_embeddings"])
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium, smoothed, inv_freq_llama)


def _yarn(theta: float, dim: int, s: Dict, max_position_embeddings: int) -> Tuple[Tensor, float]:
    factor = float(s["factor"])
    original = int(s.get("original_max_position_embeddings") or max_position_embeddings)
    attention_factor = s.get("attention_factor")
    mscale = s.get("mscale")
    mscale_all_dim = s.get("mscale_all_dim")

    def get_mscale(scale: float, m: float = 1.0) -> float:
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
        else:
            attention_factor = get_mscale(factor)
    beta_fast = float(s.get("beta_fast") or 32)
    beta_slow = float(s.get("beta_slow") or 1)

    def correction_dim(rotations: float) -> float:
        return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(theta))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if s.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    pos_freqs = theta ** (torch.arange(0, dim, 2).float() / dim)
    extrapolation = 1.0 / pos_freqs
    interpolation = 1.0 / (factor * pos_freqs)
    extrapolation_factor = 1 - ramp
    inv_freq = interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor
    return inv_freq, float(attention_factor)


def _longrope(theta: float, dim: int, s: Dict, max_position_embeddings: int, original: Optional[int],
              serving_len: Optional[int]) -> Tuple[Tensor, float]:
    """Phi-3's longrope: inv_freq = 1 / (ext * theta^(2i/dim)) with ext = long_factor when the sequence is longer
    than original_max_position_embeddings, else short_factor; attention factor sqrt(1 + ln(f) / ln(orig)),
    f = max_position_embeddings / orig. transformers switches factors per call by the current length (re-rotating
    cached keys differently); the archive fixes them by the longest sequence it serves (serving_len)."""
    orig = int(original or s.get("original_max_position_embeddings") or max_position_embeddings)
    factor = max_position_embeddings / orig
    attention_factor = s.get("attention_factor")
    if attention_factor is None:
        attention_factor = 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(orig))
    longest = serving_len or max_position_embeddings
    ext = s["long_factor"] if longest > orig else s["short_factor"]
    if len(ext) != dim // 2:
        raise ValueError(f"longrope factors have {len(ext)} entries, the rotary dimension needs {dim // 2}")
    shape = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
    return 1.0 / (torch.tensor(ext, dtype=torch.float32) * theta ** shape), float(attention_factor)


def cos_sin(positions: Tensor, inv_freq: Tensor, attention_factor: float, dtype: torch.dtype) -> Tuple[Tensor, Tensor]:
    """positions [B, T] -> cos and signed sin [B, T, 1, R] (R = 2 * len(inv_freq)) in dtype, for tokens-first
    heads [B, T, N, D]. The sin's first half is negated, so that ``apply``'s x * cos + swap(x) * sin is Hugging
    Face's x * cos + rotate_half(x) * sin (rotate_half = swap of the halves with the first negated). Computed once
    per call, used by every layer."""
    freqs = positions.to(torch.float32).unsqueeze(-1) * inv_freq.view(1, 1, -1)
    cos = freqs.cos() * attention_factor
    sin = freqs.sin() * attention_factor
    cos = torch.cat([cos, cos], dim=-1)
    sin = torch.cat([-sin, sin], dim=-1)
    return cos.unsqueeze(2).to(dtype), sin.unsqueeze(2).to(dtype)


def swap_halves(x: Tensor) -> Tensor:
    """[..., D] -> its two halves swapped (one flip over a [..., 2, D/2] view; contiguous)."""
    h = x.shape[-1] // 2
    return x.view(list(x.shape[:-1]) + [2, h]).flip(-2).view(x.shape)


def apply(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """x [B, T, N, D] (any strides: several heads' columns of a projection's output) -> rotated, contiguous;
    cos and sin from ``cos_sin``. Rotates the first R = cos.shape[-1] features (partial rotary leaves the rest).
    Queries and keys may be rotated in one call (their heads side by side)."""
    r = cos.shape[-1]
    if r == x.shape[-1]:
        return torch.addcmul(x * cos, swap_halves(x), sin)
    xr = x[..., :r]
    return torch.cat([torch.addcmul(xr * cos, swap_halves(xr), sin), x[..., r:]], dim=-1)
