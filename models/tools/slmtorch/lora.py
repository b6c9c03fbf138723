"""Per-row LoRA updates for the slot-cache decoders (gpt2.py, llama.py): many adapters in one batch.

The ``*_lora`` serving methods take ``lora``: for each name of the model's ``lora_targets()``, in that order,
the A stack [L, N, R, in] then the B stack [L, N, out, R] (N adapter slots, slot 0 all zeros = no adapter;
R the largest loaded rank, lower ranks zero-padded; the PEFT scaling already folded into B), and each row's
adapter index (int64 [B]). A target's output gets x @ A[l, idx]^T @ B[l, idx]^T added per row: the gathered
two-GEMM form of Punica / S-LoRA, gathered once per row (not per token) and never merged into the base weight,
so rows with different adapters share the base GEMMs. A target whose A stack is empty (numel 0) is skipped:
the server may pass ``torch.zeros(0)`` for targets that no loaded adapter touches.

Pure tensor code, differentiable: training (train_nano_lora.py) runs the same path as serving.
"""
from typing import List, NamedTuple

import torch
from torch import Tensor


class Rows(NamedTuple):
    """Which adapter each row of one call uses, and how the call's tokens are laid out: ``bd`` one-token decode
    rows first (``forward_mixed``), then ``bp`` rows of ``t`` tokens each. ``forward`` has bd = 0."""
    stacks: List[Tensor]  # the whole lora argument: A, B stack per target, each [L, N, ...]
    layer: int
    decode: Tensor  # [Bd] adapter index of each decode row (may be empty)
    rows: Tensor  # [Bp] adapter index of each prompt row
    bd: int
    bp: int
    t: int


def for_layer(r: Rows, layer: int) -> Rows:
    return Rows(r.stacks, layer, r.decode, r.rows, r.bd, r.bp, r.t)


def _bgmv(x: Tensor, idx: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """x [B, T, in], idx [B], a [N, R, in], b [N, out, R] -> [B, T, out]: row i's x @ a[idx[i]]^T @ b[idx[i]]^T."""
    ai = a.index_select(0, idx)
    bi = b.index_select(0, idx)
    return torch.bmm(torch.bmm(x, ai.transpose(1, 2)), bi.transpose(1, 2))


def add(y: Tensor, x: Tensor, r: Rows, target: int) -> Tensor:
    """y (the base projection of x, any shape [..., out]) plus each row's low-rank update of target number
    ``target`` (its position in lora_targets()). x: the projection's input, [..., in], tokens laid out as r says."""
    a = r.stacks[2 * target]
    if a.numel() == 0:
        return y
    a = a[r.layer]
    b = r.stacks[2 * target + 1][r.layer]
    x2 = x.reshape(-1, x.shape[-1])
    parts: List[Tensor] = []
    if r.bd > 0:
        parts.append(_bgmv(x2[:r.bd].view(r.bd, 1, -1), r.decode, a, b).view(r.bd, -1))
    if r.bp > 0:
        parts.append(_bgmv(x2[r.bd:].view(r.bp, r.t, -1), r.rows, a, b).view(r.bp * r.t, -1))
    d = parts[0] if len(parts) == 1 else torch.cat(parts)
    return y + d.view(y.shape).to(y.dtype)


def rows_of(stacks: List[Tensor], adapters: Tensor, b: int, t: int) -> Rows:
    """Rows for a plain call of b rows of t tokens; a single adapter index applies to every row."""
    idx = adapters.expand(b) if adapters.numel() == 1 else adapters
    return Rows(stacks, 0, idx[:0], idx, 0, b, t)


def check(stacks: List[Tensor], n_targets: int) -> None:
    if len(stacks) != 2 * n_targets:
        raise ValueError("lora: expected an A and a B stack per target of lora_targets()")
