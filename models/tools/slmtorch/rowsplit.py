"""The served linear product y = x @ W^T (+ b) for a [out, in] weight, written so that a one-row decode step
uses every core.

Why: for a single row, libtorch 2.7.1's MKL runs y^T = W @ x^T as one ``sgemv`` whose second OpenMP thread
only waits: a GPT-2-small step's 49 matrices (494 MB) took 28-38 ms with 1 or 2 threads, about half the
machine's 2-thread read bandwidth. Cutting W into 8 row blocks and multiplying them as one batch
(``torch.bmm`` over [8, out/8, in]) lets libtorch hand the blocks to its threads: 22.5 ms for the
same matrices, 25.6 against 42.8 ms for SmolLM2-135M's 211 (bench/generation/README.md, "One-row GEMMs"). From
3 rows on MKL's ``sgemm`` already splits the work, and the plain form is as fast or faster, so it is kept there
(prefill, batched decode). The products are the same sums in another order: equal to float rounding.

A weight whose row count 8 does not divide (GPT-2's 50,257-token LM head) runs its last rows as a
second, tiny product. CUDA keeps the plain form (cuBLAS already spreads one row over the GPU).
"""
from typing import Optional

import torch
from torch import Tensor

# (constants in the scripted function itself: TorchScript does not read module globals)
#   blocks = 8: up to 8 cores share a one-row product; more blocks than cores cost nothing measurable on 2.
#   max_split_rows = 2: from 3 rows on, MKL's sgemm uses every thread by itself.


def linear_t(w: Tensor, x: Tensor, bias: Optional[Tensor]) -> Tensor:
    """x [rows, in] @ w[out, in]^T (+ bias [out]) -> [rows, out], contiguous (SDPA wants unstrided heads)."""
    blocks = 8
    max_split_rows = 2
    rows = x.shape[0]
    out = w.shape[0]
    main = out - out % blocks
    if rows > max_split_rows or main == 0 or w.is_cuda:
        if bias is None:
            return torch.mm(w, x.t()).t().contiguous()
        return torch.addmm(bias.unsqueeze(1), w, x.t()).t().contiguous()
    n_in = w.shape[1]
    if rows == 1 and main == out:
        # the decode step's case, in as few ops as possible (each op costs a few microseconds of dispatch). x is
        # passed as x^T expanded (strides 0, 1, in): the same shape as a unit-stride x.reshape(1, in, 1), which
        # made libtorch take a path 2.4x slower than the split is meant to save (measured on SmolLM2-135M)
        xb = x.t().unsqueeze(0).expand(blocks, n_in, 1)
        if bias is None:
            return torch.bmm(w.view(blocks, out // blocks, n_in), xb).view(1, out)
        return torch.baddbmm(bias.view(blocks, out // blocks, 1), w.view(blocks, out // blocks, n_in), xb).view(1, out)
    wb = w.narrow(0, 0, main).view(blocks, main // blocks, n_in)
    xb = x.t().unsqueeze(0).expand(blocks, n_in, rows)
    if bias is None:
        y = torch.bmm(wb, xb).view(main, rows)
    else:
        y = torch.baddbmm(bias.narrow(0, 0, main).view(blocks, main // blocks, 1), wb, xb).view(main, rows)
    if main < out:
        w_rest = w.narrow(0, main, out - main)
        if bias is None:
            rest = torch.mm(w_rest, x.t())
        else:
            rest = torch.addmm(bias.narrow(0, main, out - main).unsqueeze(1), w_rest, x.t())
        y = torch.cat([y, rest])
    return y.t().contiguous()
