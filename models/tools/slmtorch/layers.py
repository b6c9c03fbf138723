"""Layers the slot-cache models (gpt2.py, bart.py) share: LayerNorm and Embedding with Hugging Face parameter
names plus a TorchScript-exported ``cast``, the dtype names ``cast`` accepts, and ``to_buffers``, which lets the
scripted ``cast`` methods reassign weights."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from slmtorch import kernels  # noqa: F401  (defines torch.ops.slm on torch 1.13)


def dtype_of(name: str) -> torch.dtype:
    if name == "float16":
        return torch.float16
    if name == "bfloat16":
        return torch.bfloat16
    if name == "float32":
        return torch.float32
    raise ValueError("dtype must be float32, float16 or bfloat16")


class LayerNorm(nn.Module):
    def __init__(self, n: int, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, [self.weight.shape[0]], self.weight, self.bias, self.eps)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        dt = dtype_of(dtype)
        self.weight = self.weight.to(dt)
        self.bias = self.bias.to(dt)


class Embedding(nn.Module):
    def __init__(self, n: int, d: int, std: float = 0.02):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n, d))
        nn.init.normal_(self.weight, std=std)

    def forward(self, ids: Tensor) -> Tensor:
        return F.embedding(ids, self.weight)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.weight = self.weight.to(dtype_of(dtype))


def to_buffers(model: nn.Module) -> nn.Module:
    """Turns every parameter into a buffer of the same name (TorchScript methods may then reassign it, which
    `cast` does); state_dict keys are unchanged."""
    for mod in model.modules():
        for name, p in list(mod._parameters.items()):
            if p is None:
                continue
            del mod._parameters[name]
            mod.register_buffer(name, p.detach().clone())
    return model


def last_tokens(x: Tensor, logits_index: Tensor) -> Tensor:
    """x [B, T, C] -> [B, C]: row b's token logits_index[b]. A one-token step (T 1, so every index is 0) takes a
    view: arange and a gather cost a decode step about 0.15 ms of its ~9 (libtorch profiler, GPT-2 small int8)."""
    if x.shape[1] == 1:
        return x.select(1, 0)
    rows = torch.arange(x.shape[0], dtype=torch.long, device=x.device)
    return x[rows, logits_index]


def causal_cache_mask(positions: Tensor) -> Tuple[int, bool, Optional[Tensor]]:
    """For new tokens at positions [B, T] attending over a slot cache: (mu, fresh, mask). mu = max position + 1
    (the visible prefix); fresh when every row starts at 0 (attend over the new keys only, causal); mask
    [B, 1, T, mu] bool with key j visible to the query at position p iff j <= p, or None when not needed."""
    b, t = positions.shape[0], positions.shape[1]
    if b == 1 and t == 1:  # one stream's decode step: one read of its position instead of three reductions
        p = int(positions)
        return p + 1, p == 0, None
    mu = int(positions.max()) + 1
    fresh = int(positions[:, 0].max()) == 0
    # One new token per row, all rows at the same position: every cached key up to it is visible, so no
    # mask is needed and SDPA may pick its flash kernel for the decode step too.
    aligned_decode = t == 1 and int(positions.min()) == mu - 1
    mask: Optional[Tensor] = None
    if not fresh and not aligned_decode:
        keys = torch.arange(mu, dtype=positions.dtype, device=positions.device)
        mask = keys.view(1, 1, 1, mu) <= positions.view(b, 1, t, 1)
    return mu, fresh, mask


class RMSNorm(nn.Module):
    """Hugging Face LlamaRMSNorm: x / sqrt(mean(x^2) + eps) in float32, cast back, times weight.
    ``offset`` 1.0 gives Gemma's (1 + weight) form (scaled in float32 before the cast, as Gemma does)."""

    def __init__(self, n: int, eps: float = 1e-6, offset: float = 0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n) if offset == 0.0 else torch.zeros(n))
        self.eps = eps
        self.offset = offset
        self.inv_n = 1.0 / n
        # eps as a float32 tensor (not saved in the state dict; cast leaves it): adding a Python float wraps it
        # into a tensor and copies it on every call, as mean's division does (libtorch profiler of a decode step)
        self.register_buffer("eps_t", torch.tensor(eps, dtype=torch.float32), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        h = x.float()
        # eps + sum(h^2) / n: mean(h^2) + eps in fewer, cheaper ops (equal to float rounding)
        h = h * torch.rsqrt(torch.add(self.eps_t, (h * h).sum(-1, keepdim=True), alpha=self.inv_n))
        if self.offset != 0.0:
            return (h * (self.offset + self.weight.float())).to(x.dtype)
        return self.weight * h.to(x.dtype)

    def fused(self, x: Tensor) -> Tensor:
        """forward as one op (slmtorch/kernels.py: float32 CPU x and weight)."""
        return torch.ops.slm.rms_norm(x, self.weight, self.eps, self.offset)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        self.weight = self.weight.to(dtype_of(dtype))
