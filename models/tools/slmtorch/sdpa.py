"""Makes ``torch.ops.aten.scaled_dot_product_attention`` callable from torch 1.13.

Torch 1.13 has no public SDPA, but libtorch 2.x (what DJL runs) has the fused op. We define the
libtorch 2.7 schema as a stand-in op in the ``aten`` namespace, with a math implementation registered
as CompositeImplicitAutograd (so training differentiates through it). A TorchScript archive saved here
records a call to ``aten::scaled_dot_product_attention``; libtorch 2.7.1 binds that call to its real
fused kernels (flash / memory-efficient on CUDA, flash-for-cpu on CPU).

Import this module before building or scripting any model. Python 1.13 cannot reload such an archive,
so Python-side reference outputs come from the eager math path.
"""
import math
from typing import Optional

import torch

from slmtorch import stand_in

SCHEMA = (
    "scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None, "
    "float dropout_p=0.0, bool is_causal=False, *, float? scale=None, bool enable_gqa=False) -> Tensor"
)
MASK_MIN = -3.4028234663852886e38


def _math_sdpa(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
               attn_mask: Optional[torch.Tensor] = None, dropout_p: float = 0.0,
               is_causal: bool = False, scale: Optional[float] = None,
               enable_gqa: bool = False) -> torch.Tensor:
    s = scale if scale is not None else 1.0 / math.sqrt(query.size(-1))
    scores = torch.matmul(query, key.transpose(-2, -1)) * s
    if is_causal:
        t, k = query.size(-2), key.size(-2)
        causal = torch.ones(t, k, dtype=torch.bool, device=query.device).tril(k - t)
        scores = scores.masked_fill(~causal, float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    probs = torch.softmax(scores, dim=-1)
    if dropout_p > 0.0:
        probs = torch.dropout(probs, dropout_p, True)
    return torch.matmul(probs, value)


stand_in.define("aten", "CompositeImplicitAutograd", {SCHEMA: _math_sdpa})


def sdpa_reference(query, key, value, attn_mask=None, is_causal=False):
    """Eager math path, for Python-side reference outputs."""
    return _math_sdpa(query, key, value, attn_mask, 0.0, is_causal)
