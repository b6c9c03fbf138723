"""Served fp32 linear layers on CPU through FBGEMM's fp16-weight GEMM, where that is lossless.

``quantized::linear_dynamic_fp16`` multiplies float32 activations by a packed fp16 weight, widening it inside the
kernel and accumulating in float32: for a weight whose values are all fp16 values it is the float32 product, and
it reads half the bytes. On the serving AVX2 cores (no AVX512-BF16, so bf16 GEMMs fall back to slow code) it is
also the fastest form measured for decoder shapes: all linear layers of a GPT-2-small step, one row, 2 threads,
10.4-11.8 ms against 22.8-26.0 ms through oneDNN on float32 (slmtorch/onednn.py), and 36 against 49 ms for 16
rows; SmolLM2-135M 14-16 against 27-31 ms and 48 against 62 ms (bench/generation/README.md, "fp16 weights on FBGEMM and a packed tied head").

Which archives hold fp16 values: those written with ``convert.py --fp16-weights`` (matrices and tables stored in
fp16, served in float32). For a checkpoint published in bf16 (SmolLM2, Qwen2.5, Llama-3.2, Gemma) that rounding is
exact for every value of magnitude at least 2^-17 (bf16 has 8 significant bits, fp16 11 down to 2^-24); an fp32
checkpoint (GPT-2) is rounded to fp16 (relative 2^-11). The engine calls the archive's exported
``pack_fp16_weights()`` after ``cast("float32")`` (slm.engine.fp16-weight-gemm), before ``pack_cpu_weights()``,
which then packs what is left; each packed layer releases its plain weight.

Debian's torch 1.13 has no FBGEMM: the ops script here and run under libtorch 2.7.1. tests/test_fp16_weights.py
checks the wiring (what is packed, what the converter writes); Fp16WeightDecoderTest the packed products.
"""
from typing import Optional

import torch
from torch import Tensor


def exact(w: Tensor) -> bool:
    """w is a float32 CPU matrix whose values are all fp16 values (packing it loses nothing)."""
    if w.dim() != 2 or w.numel() == 0 or w.dtype != torch.float32 or w.is_cuda:
        return False
    return bool(torch.equal(w.to(torch.float16).to(torch.float32), w))


def pack(w: Tensor, bias: Optional[Tensor]) -> torch.classes.quantized.LinearPackedParamsBase:
    """w [out, in] (and the float32 bias, added in float32) packed for ``linear``."""
    return torch.ops.quantized.linear_prepack_fp16(w, bias)


def linear(x: Tensor, packed: torch.classes.quantized.LinearPackedParamsBase) -> Tensor:
    """x [rows, in] float32 -> [rows, out] float32."""
    return torch.ops.quantized.linear_dynamic_fp16(x, packed)
