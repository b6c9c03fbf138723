"""The fused CPU ops of a one-token decode step (``slm::rms_norm``, ``slm::silu_mul``, ``slm::row_scale``,
``slm::attend_decode``) and the int8 and bf16/fp16 linear layers' products (``slm::int8_linear``,
``slm::half_linear``, any row count). Under DJL's libtorch 2.7.1 they run the C++ kernels of src/main/native
(slm_kernels.cpp, linear_ops.h, int8_gemm.h, half_gemm.h),
which the server loads next to libtorch: one op each where the TorchScript forms take 6-40 (a one-row decode step
is bound by the count of graph ops, ~3.7 us each; bench/generation/README.md, "Fused decode kernels"). Here, under
torch 1.13, each schema is defined with its math written out below (slmtorch/stand_in.py), so archives scripted
here record the calls and the Python tests run the same formulas.

Models call the first four through ``decode_ok`` guards: float32 CPU tensors, one token per row, and no feature the
kernels lack (sliding windows, logit soft-capping, q/k norms); every other call keeps the TorchScript forms.
int8 layers (slmtorch/qlinear.py) call ``int8_linear`` for every row count, bf16/fp16 layers
(slmtorch/halflinear.py) ``half_linear``.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from slmtorch import stand_in


def _rms_norm(x: Tensor, weight: Tensor, eps: float, offset: float) -> Tensor:
    """x / sqrt(mean(x^2) + eps) * (weight + offset) over the last dimension (HF LlamaRMSNorm; offset 1: Gemma)."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * (weight + offset)


def _silu_mul(gate_up: Tensor, gelu: bool) -> Tensor:
    """[..., 2F] = [g | u] -> act(g) * u, act SiLU or tanh-approximated GELU (Gemma's GeGLU)."""
    g, u = gate_up.chunk(2, dim=-1)
    return (F.gelu(g, approximate="tanh") if gelu else F.silu(g)) * u


def _row_scale(x: Tensor) -> Tuple[Tensor, Tensor]:
    """x [rows, C] divided by each row's max |x| (at least 1e-30), and those maxima [rows, 1] (QLinear's scale)."""
    s = x.abs().amax(-1, keepdim=True).clamp_min(1e-30)
    return x / s, s


def _rotate(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """x [N, D]: the first R = cos.shape[-1] features become x cos + swap(x) sin (rope.cos_sin's signed sin)."""
    r = cos.shape[-1]
    if r == 0:
        return x
    xr = x[:, :r]
    swapped = torch.cat([xr[:, r // 2:], xr[:, :r // 2]], dim=-1)
    return torch.cat([xr * cos + swapped * sin, x[:, r:]], dim=-1)


def _attend_decode(qkv: Tensor, cos: Tensor, sin: Tensor, cache_k: Tensor, cache_v: Tensor, slots: Tensor,
                   positions: Tensor, n_head: int, n_kv: int, scale: float) -> Tensor:
    """One new token per row b: q, k, v are column ranges of qkv [B, ..., (H + 2 KVH) D]; q and k rotated by the
    row's cos/sin [B, ..., R] (R 0: no rotation); k and v written into the cache [S, KVH, M, D] at (slots[b],
    positions[b]); each query head attends to its KV head's keys 0..positions[b]. -> [B, 1, H D]."""
    b = slots.shape[0]
    d = cache_k.shape[3]
    rows = qkv.reshape(b, (n_head + 2 * n_kv), d)
    out = []
    for i in range(b):
        slot, p = int(slots[i]), int(positions.reshape(-1)[i])
        c, s = cos.reshape(b, cos.shape[-1])[i:i + 1], sin.reshape(b, sin.shape[-1])[i:i + 1]
        q = _rotate(rows[i, :n_head], c, s)
        cache_k[slot, :, p] = _rotate(rows[i, n_head:n_head + n_kv], c, s)
        cache_v[slot, :, p] = rows[i, n_head + n_kv:]
        k = cache_k[slot, :, :p + 1].repeat_interleave(n_head // n_kv, dim=0)  # [H, p+1, D]
        v = cache_v[slot, :, :p + 1].repeat_interleave(n_head // n_kv, dim=0)
        w = torch.softmax((k @ q.unsqueeze(-1)).squeeze(-1) * scale, dim=-1)  # [H, p+1]
        out.append((w.unsqueeze(1) @ v).reshape(1, 1, n_head * d))
    return torch.cat(out)


def tile_int8(w: Tensor) -> Tensor:
    """An int8 [N, K] weight in int8_linear's layout: zero-padded to [Np, Kp] (multiples of 4 and 32) and stored as
    [Np / 4, Kp / 32, 4, 32], the 32-byte pieces of four output rows side by side (src/main/native/tiles.h)."""
    n, k = w.shape
    np_, kp = (n + 3) // 4 * 4, (k + 31) // 32 * 32
    padded = torch.zeros(np_, kp, dtype=torch.int8)
    padded[:n, :k] = w
    return padded.reshape(np_ // 4, 4, kp // 32, 32).permute(0, 2, 1, 3).contiguous()


def untile_int8(tiles: Tensor, n: int, k: int) -> Tensor:
    """tile_int8's inverse: the [N, K] int8 weight."""
    t4, kb = tiles.shape[0], tiles.shape[1]
    return tiles.permute(0, 2, 1, 3).reshape(t4 * 4, kb * 32)[:n, :k]


def _int8_linear(x: Tensor, weight: Tensor, scale: Tensor, weight_sum: Tensor, bias: Tensor, residual: Tensor,
                 norm: Tensor, eps: float, norm_offset: float, gate: int) -> Tensor:
    """p(x) [..., K] rounded per row to 7 bits (q = round(p(x) / max|p(x)| * 63), the max at least 1e-30) times the
    int8 weight (tile_int8's layout) with its per-output scale: y = max / 63 * scale * (q W^T), plus bias and
    residual when not empty. p, the layer's op before the product: _rms_norm(x, norm, eps, norm_offset) when norm
    is [K], F.layer_norm(x, [K], norm[0], norm[1], eps) when norm is [2, K] (GPT-2's LayerNorm: weight and bias
    stacked), _silu_mul(x, gate == 2) when gate is 1 or 2, tanh-GELU(x) when gate is 3, else none. weight_sum (each
    row's sum, which the C++ kernel needs for its unsigned form) is not read."""
    x = _prologue(x, norm, eps, norm_offset, gate)
    n, k = scale.shape[0], x.shape[-1]
    w = untile_int8(weight, n, k).to(torch.float32)
    s = x.abs().amax(-1, keepdim=True).clamp_min(1e-30)
    q = torch.round(x / s * 63.0)
    y = torch.matmul(q, w.t()) * (scale / 63.0) * s  # integer sums below 2^24: exact in float32
    if bias.numel() > 0:
        y = y + bias
    if residual.numel() > 0:
        y = y + residual
    return y


def tile_half(w: Tensor, dtype: torch.dtype) -> Tensor:
    """A float [N, K] weight rounded to dtype (bfloat16 or float16) in half_linear's layout: zero-padded to [Np, Kp]
    (multiples of 4 and 16) and stored as [Np / 4, Kp / 16, 4, 16] (src/main/native/tiles.h)."""
    n, k = w.shape
    np_, kp = (n + 3) // 4 * 4, (k + 15) // 16 * 16
    padded = torch.zeros(np_, kp, dtype=dtype)
    padded[:n, :k] = w.to(dtype)
    return padded.reshape(np_ // 4, 4, kp // 16, 16).permute(0, 2, 1, 3).contiguous()


def untile_half(tiles: Tensor, n: int, k: int) -> Tensor:
    """tile_half's inverse: the [N, K] weight in the tiles' dtype."""
    t4, kb = tiles.shape[0], tiles.shape[1]
    return tiles.permute(0, 2, 1, 3).reshape(t4 * 4, kb * 16)[:n, :k]


def _prologue(x: Tensor, norm: Tensor, eps: float, norm_offset: float, gate: int) -> Tensor:
    """The layer's op before a product, as int8_linear and half_linear fold it in (see _int8_linear)."""
    if norm.dim() == 2:
        return F.layer_norm(x, [x.shape[-1]], norm[0], norm[1], eps)
    if norm.numel() > 0:
        return _rms_norm(x, norm, eps, norm_offset)
    if gate == 3:
        return F.gelu(x, approximate="tanh")
    if gate > 0:
        return _silu_mul(x, gate == 2)
    return x


def _half_linear(x: Tensor, weight: Tensor, n: int, bias: Tensor, residual: Tensor, norm: Tensor, eps: float,
                 norm_offset: float, gate: int) -> Tensor:
    """p(x) [..., K] in float32 times the bf16 or fp16 weight (tile_half's layout, n outputs) widened to float32,
    plus bias and residual when not empty; p as in _int8_linear."""
    x = _prologue(x, norm, eps, norm_offset, gate)
    w = untile_half(weight, n, x.shape[-1]).to(torch.float32)
    y = torch.matmul(x, w.t())
    if bias.numel() > 0:
        y = y + bias
    if residual.numel() > 0:
        y = y + residual
    return y


# schemas exactly as src/main/native/slm_kernels.cpp registers them
stand_in.define("slm", "CPU", {
    "rms_norm(Tensor x, Tensor weight, float eps, float offset) -> Tensor": _rms_norm,
    "silu_mul(Tensor gate_up, bool gelu) -> Tensor": _silu_mul,
    "row_scale(Tensor x) -> (Tensor, Tensor)": _row_scale,
    "attend_decode(Tensor qkv, Tensor cos, Tensor sin, Tensor(a!) cache_k, Tensor(b!) cache_v, Tensor slots, "
    "Tensor positions, int n_head, int n_kv, float scale) -> Tensor": _attend_decode,
    "int8_linear(Tensor x, Tensor weight, Tensor scale, Tensor weight_sum, Tensor bias, Tensor residual, "
    "Tensor norm, float eps, float norm_offset, int gate) -> Tensor": _int8_linear,
    "half_linear(Tensor x, Tensor weight, int n, Tensor bias, Tensor residual, Tensor norm, float eps, "
    "float norm_offset, int gate) -> Tensor": _half_linear,
})


def decode_ok(x: Tensor, cache: Tensor) -> bool:
    """Whether a step may take the fused ops: float32 CPU hidden states [B, 1, C] and a float32 cache."""
    return (not x.is_cuda and x.dtype == torch.float32 and cache.dtype == torch.float32 and x.dim() == 3
            and x.shape[1] == 1)
