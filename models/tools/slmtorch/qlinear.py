"""Weight-only int8 linear layers for CPU serving (``--quantize int8``): per-output-channel symmetric int8
weights, packed for ``quantized::linear_dynamic``.

Why this op and not ``aten::_weight_int8pack_mm``: libtorch 2.7.1 (DJL's) has both, but on these AVX2 cores
(AMD EPYC Zen 3, no AVX-512) _weight_int8pack_mm runs its scalar fallback: 159 ms for the 124 MB of int8
weights of a GPT-2-small step against 31 ms for the fp32 weights through MKL. linear_dynamic runs FBGEMM's
AVX2 int8 GEMM: 9.8 ms with 1 thread, 5.8 ms with 2 (16 rows: 29 / 18 ms against fp32's 105 / 62 ms);
bench/generation/gemm_forms.py and bench/generation/README.md. It quantizes each call's activations per tensor
to 7-bit unsigned (``reduce_range``: FBGEMM's AVX2 kernel sums u8 x s8 pairs in int16, which 8-bit activations
could saturate) and accumulates in int32; the output is float32.

The packed weights are saved in the archive as (int8 per-channel tensor, bias) and re-packed at load by the
libtorch that loads it: onednn's packing here (Debian's torch 1.13 has no FBGEMM), FBGEMM's in libtorch 2.7.1.
"""
from typing import Optional

import torch
from torch import Tensor, nn

from slmtorch.layers import dtype_of


def quantize_per_channel(w: Tensor) -> Tensor:
    """Symmetric int8 per output channel of a [out, in] weight: scale = max|row| / 127, zero point 0."""
    w = w.detach().to(torch.float32).contiguous()
    scales = (w.abs().amax(dim=1).clamp(min=1e-12) / 127.0).to(torch.float64)
    zeros = torch.zeros(w.shape[0], dtype=torch.long)
    return torch.quantize_per_channel(w, scales, zeros, 0, torch.qint8)


def dequantized(w: Tensor) -> Tensor:
    """The float32 weight the int8 layer stands for (what its GEMM multiplies by)."""
    return quantize_per_channel(w).dequantize()


class QLinear(nn.Module):
    """y = x @ W^T + b with W int8 per output channel; x any float dtype, y in x's dtype."""

    def __init__(self, weight_out_in: Tensor, bias: Optional[Tensor]):
        super().__init__()
        if torch.backends.quantized.engine == "none":
            torch.backends.quantized.engine = torch.backends.quantized.supported_engines[0]
        b = None if bias is None else bias.detach().to(torch.float32).contiguous()
        self.packed = torch.ops.quantized.linear_prepack(quantize_per_channel(weight_out_in), b)
        self.n_in = int(weight_out_in.shape[1])

    def forward(self, x: Tensor) -> Tensor:
        x2 = x.reshape(-1, self.n_in).to(torch.float32).contiguous()
        y = torch.ops.quantized.linear_dynamic(x2, self.packed, True)
        return y.to(x.dtype).reshape(x.shape[:-1] + (y.shape[1],))

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        dtype_of(dtype)  # validates the name; the int8 weights stay as they are, activations follow x


def check_engine() -> None:
    """Quantized ops need an engine (Debian's torch 1.13: onednn or qnnpack)."""
    if torch.backends.quantized.engine == "none":
        torch.backends.quantized.engine = torch.backends.quantized.supported_engines[0]
