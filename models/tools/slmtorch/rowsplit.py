"""The served linear product y = x @ W^T (+ b) for a [out, in] weight, written so that a one-row decode step
uses every core.

Why: for a single row, libtorch 2.7.1's MKL runs y^T = W @ x^T as one ``sgemv`` whose second OpenMP thread
only waits: a GPT-2-small step's 49 matrices (494 MB) took 28-38 ms with 1 or 2 threads, about half the
machine's 2-thread read bandwidth. Cutting W into row blocks and multiplying them as one batch (``torch.bmm``
over [blocks, out/blocks, in]) lets libtorch hand the blocks to its threads: 20.4 against 29.9 ms for the same
matrices on 2 threads (bench/generation/README.md, "One-row products in row blocks"). From 2 rows on, MKL's
``sgemm`` splits the work itself and the plain form is as fast, so it is kept there (prefill, batched decode).
With one intra-op thread the blocks only add work (35.7 against 31.6 ms), so the engine tells the archive its
thread count (``set_intra_op_threads``) and one thread keeps the plain form. The products are the same sums in
another order: equal to float rounding.

A weight whose row count the block count does not divide (GPT-2's 50,257-token LM head) runs its last rows as a
second, tiny product. CUDA keeps the plain form (cuBLAS already spreads one row over the GPU).
"""
from typing import Optional

import torch
from torch import Tensor


def blocks_for(threads: int) -> int:
    """Row blocks for an engine with this many intra-op threads: 8 (up to 8 cores share a one-row product; on 2
    cores 8 blocks measured the same as 2 or 4), or 1 (no split) for one thread. The archives' default is 8; their set_intra_op_threads calls this."""
    return 8 if threads > 1 else 1


def linear_t(w: Tensor, x: Tensor, bias: Optional[Tensor], blocks: int) -> Tensor:
    """x [rows, in] @ w[out, in]^T (+ bias [out]) -> [rows, out], contiguous (SDPA wants unstrided heads); one row
    in ``blocks`` row blocks of w when blocks > 1."""
    out = w.shape[0]
    main = out - out % blocks if blocks > 1 else 0
    if x.shape[0] != 1 or main == 0 or w.is_cuda:
        if bias is None:
            return torch.mm(w, x.t()).t().contiguous()
        return torch.addmm(bias.unsqueeze(1), w, x.t()).t().contiguous()
    bias_b: Optional[Tensor] = None
    if bias is not None:
        bias_b = bias.narrow(0, 0, main).view(blocks, main // blocks, 1)
    y = linear_blocked(w.narrow(0, 0, main).view(blocks, main // blocks, w.shape[1]), x, bias_b)
    if main < out:
        w_rest = w.narrow(0, main, out - main)
        if bias is None:
            rest = torch.mm(x, w_rest.t())
        else:
            rest = torch.addmm(bias.narrow(0, main, out - main).unsqueeze(0), x, w_rest.t())
        y = torch.cat([y, rest], 1)
    return y


def block_view(w: Tensor, blocks: int) -> Tensor:
    """w [out, in] as [blocks, out / blocks, in] (a view: no copy), for ``linear_blocked``; empty when the blocks do
    not divide the rows, blocks is 1 or w is on CUDA (``linear_t`` then)."""
    out = w.shape[0]
    if blocks <= 1 or out == 0 or out % blocks != 0 or w.is_cuda:
        return torch.zeros(0, dtype=w.dtype, device=w.device)
    return w.view(blocks, out // blocks, w.shape[1])


def linear_blocked(wb: Tensor, x: Tensor, bias_b: Optional[Tensor]) -> Tensor:
    """One row x [1, in] @ w^T (+ bias) -> [1, out] through w's block view wb (``block_view``; bias_b the bias as
    [blocks, out / blocks, 1]): ``linear_t``'s one-row product without re-slicing the weight on every call."""
    blocks, n_in = wb.shape[0], wb.shape[2]
    # x as x^T broadcast over the blocks (strides 0, 1, in); a unit-stride x.reshape(1, in, 1) of the same shape
    # made libtorch take a path 2.4x slower than the split saves (measured on SmolLM2-135M)
    xb = x.t().unsqueeze(0).expand(blocks, n_in, 1)
    if bias_b is None:
        return torch.bmm(wb, xb).view(1, blocks * wb.shape[1])
    return torch.baddbmm(bias_b, wb, xb).view(1, blocks * wb.shape[1])
