"""The fused CPU ops of a one-token decode step (``slm::rms_norm``, ``slm::silu_mul``, ``slm::row_scale``,
``slm::attend_decode``). Under DJL's libtorch 2.7.1 they run the C++ kernels of src/main/native/slm_kernels.cpp,
which the server loads next to libtorch: one op each where the TorchScript forms take 6-40 (a one-row decode step
is bound by the count of graph ops, ~3.7 us each; bench/generation/README.md, "Fused decode kernels"). Here, under
torch 1.13, each schema is defined with its math written out below (slmtorch/stand_in.py), so archives scripted
here record the calls and the Python tests run the same formulas.

Models call them through ``decode_ok`` guards: float32 CPU tensors, one token per row, and no feature the kernels
lack (sliding windows, logit soft-capping, q/k norms); every other call keeps the TorchScript forms.
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


# schemas exactly as src/main/native/slm_kernels.cpp registers them
stand_in.define("slm", "CPU", {
    "rms_norm(Tensor x, Tensor weight, float eps, float offset) -> Tensor": _rms_norm,
    "silu_mul(Tensor gate_up, bool gelu) -> Tensor": _silu_mul,
    "row_scale(Tensor x) -> (Tensor, Tensor)": _row_scale,
    "attend_decode(Tensor qkv, Tensor cos, Tensor sin, Tensor(a!) cache_k, Tensor(b!) cache_v, Tensor slots, "
    "Tensor positions, int n_head, int n_kv, float scale) -> Tensor": _attend_decode,
})


def decode_ok(x: Tensor, cache: Tensor) -> bool:
    """Whether a step may take the fused ops: float32 CPU hidden states [B, 1, C] and a float32 cache."""
    return (not x.is_cuda and x.dtype == torch.float32 and cache.dtype == torch.float32 and x.dim() == 3
            and x.shape[1] == 1)
