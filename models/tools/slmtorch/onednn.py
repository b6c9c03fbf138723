"""Served fp32 linear layers on CPU through oneDNN, with weights reordered once at load.

Why: libtorch 2.7.1 runs fp32 products through MKL, which on these AMD cores reads a one-row product's weights
at about 24 GB/s on 2 threads even split into row blocks (rowsplit.py), and runs a few rows (prefill, batched
decode) far slower per row. oneDNN, also inside libtorch (``mkldnn::_linear_pointwise``, the op torch.compile's
CPU backend emits for a linear layer), picks its kernels by instruction set rather than by vendor. With the weight
reordered once into its blocked layout (``mkldnn::_reorder_linear_weight``), the 49 products of a GPT-2-small
step took 0.85x the row-block time for one row and 0.64x MKL's for 16 rows, and 0.91x / 0.64x on one thread
(bench/generation/README.md, "oneDNN linear layers").

A reordered weight is an opaque oneDNN tensor that cannot be saved, so archives keep the plain [out, in] weight
and the engine calls the archive's exported ``pack_cpu_weights()`` after load and cast (slm.engine.pack-cpu-weights);
each layer then drops its plain weight, so memory stays about the same. A weight shared with the token embedding (a tied
LM head) stays plain and runs through the same op unreordered (0.9x the row-block time for one row).

torch 1.13 has neither op. As slmtorch/sdpa.py does for SDPA, their libtorch-2.x schemas are defined here as
stand-ins with plain implementations (the reorder returns the weight itself), so archives scripted here record the
calls and libtorch 2.7.1 runs its own kernels; eager Python keeps the plain math.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from slmtorch import stand_in

LINEAR = "_linear_pointwise(Tensor X, Tensor W, Tensor? B, str attr, Scalar?[] scalars, str? algorithm) -> Tensor Y"
REORDER = "_reorder_linear_weight(Tensor self, int? batch_size=None) -> Tensor Y"


stand_in.define("mkldnn", "CompositeExplicitAutograd", {
    LINEAR: lambda x, w, b, attr, scalars, algorithm: F.linear(x, w, b),
    REORDER: lambda w, batch_size: w,
})


def packable(w: Tensor) -> bool:
    """oneDNN serves the layer: a float32 [out, in] weight on the CPU (CUDA keeps cuBLAS; bf16/fp16 and int8 keep
    their own paths)."""
    return w.dim() == 2 and w.numel() > 0 and w.dtype == torch.float32 and not w.is_cuda


def pack(w: Tensor) -> Tensor:
    """w [out, in] in oneDNN's layout for few-row inputs (the hint of one row; measured as fast for 16)."""
    return torch.ops.mkldnn._reorder_linear_weight(w, 1)


def linear(x: Tensor, w: Tensor, bias: Optional[Tensor]) -> Tensor:
    """x [rows, in] @ w^T (+ bias) -> [rows, out], contiguous; w from ``pack`` or a plain [out, in] weight."""
    return torch.ops.mkldnn._linear_pointwise(x, w, bias, "none", [], "")
