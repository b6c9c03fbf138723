"""bf16 or fp16 weights for CPU serving (``--quantize bf16`` / ``--quantize fp16``): every linear layer of a decoder
and its LM head hold their weights in 16 bits, in the tiles of ``slm::half_linear`` (src/main/native/half_gemm.h),
which widens them to float32 in registers; activations, sums, norms and the cache stay float32.

Why: a one-row decode step reads every weight once, so its time follows the weight bytes. These AVX2 cores (AMD
Zen 3) have no AVX512-BF16, so an archive cast to bf16 runs libtorch's slow bf16 fallback (a one-row product at
8.7 GB/s, 16 rows 3.7x slower than float32). FBGEMM's fp16-weight GEMM (slmtorch/fp16weights.py, ``--fp16-weights``)
reads half the bytes but takes no prologue or epilogue and no bf16. half_linear is one op a layer, with the layer's
norm, gate or GELU before the product and its bias and residual after it folded in, as int8_linear
(slmtorch/qlinear.py) does; the layers offer QLinear's forms (FusedForms), so the models' fused decode steps call
either.

bf16 keeps a bf16 checkpoint's values exactly (SmolLM2, Qwen2.5, Llama-3.2 and Gemma are published in bf16); fp16
has 3 more significant bits (exact for bf16 values of magnitude at least 2^-17) and a narrower range, the better
choice for an fp32 checkpoint such as GPT-2.
"""
from typing import Optional

import torch
from torch import Tensor

from slmtorch import kernels
from slmtorch.layers import dtype_of
from slmtorch.qlinear import FusedForms, QLinear

KINDS = {"bf16": torch.bfloat16, "fp16": torch.float16}


class HalfLinear(FusedForms):
    """y = x @ W^T + b with W in bf16 or fp16 (widened to float32 in the kernel); x any float dtype, y in x's."""

    def __init__(self, weight_out_in: Tensor, bias: Optional[Tensor], kind: str):
        super().__init__()
        w = weight_out_in.detach().to(torch.float32)
        self.out_features = int(w.shape[0])
        self.register_buffer("weight_tiles", kernels.tile_half(w, KINDS[kind]))
        self.register_buffer("out_bias", torch.zeros(0) if bias is None else bias.detach().to(torch.float32).clone())
        self.register_buffer("none", torch.zeros(0), persistent=False)  # an empty residual or norm

    @torch.jit.export
    def pack_half_weights(self, dtype: str) -> int:
        """1: the weights are in 16-bit tiles already (the server then serves this archive in float32)."""
        return 1

    def _product(self, x: Tensor, residual: Tensor, norm: Tensor, eps: float, offset: float, gate: int) -> Tensor:
        return torch.ops.slm.half_linear(x, self.weight_tiles, self.out_features, self.out_bias, residual, norm, eps,
                                         offset, gate)


def served_linear(kind: str, weight_out_in: Tensor, bias: Optional[Tensor]) -> FusedForms:
    """The layer a decoder's ``--quantize KIND`` archive serves: int8 (QLinear), bf16 or fp16 (HalfLinear)."""
    if kind == "int8":
        return QLinear(weight_out_in, bias)
    if kind in KINDS:
        return HalfLinear(weight_out_in, bias, kind)
    raise ValueError(f"unsupported weight kind {kind!r}; supported: int8, bf16, fp16")


def pack_tiles(w: Tensor, dtype: str) -> Tensor:
    """A float32 [out, in] weight rounded to dtype (bfloat16 | bf16 | float16 | fp16) in half_linear's tiles: what
    the float layers' ``pack_half_weights`` keep (the server calls it for option.dtype=bf16 or fp16 on the CPU)."""
    dt = dtype_of(dtype)
    if dt != torch.bfloat16 and dt != torch.float16:
        raise ValueError("pack_half_weights takes bfloat16 or float16")
    return kernels.tile_half(w, dt)
