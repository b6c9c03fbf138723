"""Encoder archives whose linear layers the serving libtorch can pack for FBGEMM's fp16-weight GEMM.

``quantized::linear_dynamic_fp16`` multiplies fp32 activations by a packed fp16 weight, widening it to fp32 inside
the kernel and accumulating in fp32. For an archive that stores its matrices in fp16 (``half=True``) and is cast to
float32 after load, that is the same product as ``F.linear``, only faster for a few rows: on the serving AVX2
cores, the 36 linear layers of all-MiniLM-L6-v2 at 12 rows (one short text) take 2.1 ms against MKL's 5.6 ms
(2 threads) and about the same at hundreds of rows (bench/README.md).

:func:`enable_fp16_gemm` turns a :class:`slmtorch.bert.BertModel` into a :class:`Fp16GemmBertModel` in place:
same parameters and names, same outputs, plus an exported ``pack_fp16_weights()`` that the server calls after
``cast("float32")`` (slm.engine.fp16-weight-gemm). Kept out of bert.py so that other BERT archives keep their
bytes (the archives' debug info holds the source they were scripted from).
"""
from typing import Optional

import torch
from torch import Tensor
import torch.nn.functional as F

from .bert import BertModel, Linear


class Fp16Linear(Linear):
    """A :class:`Linear` with an optional packed weight for ``quantized::linear_dynamic_fp16``."""

    packed: Optional[torch.classes.quantized.LinearPackedParamsBase]

    def __init__(self, n_in: int, n_out: int):
        super().__init__(n_in, n_out)
        self.packed = None

    def forward(self, x: Tensor) -> Tensor:
        p = self.packed
        if p is not None:
            return torch.ops.quantized.linear_dynamic_fp16(x, p)
        return F.linear(x, self.weight, self.bias)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.weight = self.weight.detach().to(dt)
        self.bias = self.bias.detach().to(dt)
        self.packed = None

    @torch.jit.export
    def pack_fp16_weights(self) -> int:
        """Packs the weight when that is lossless: float32 weights whose values are all fp16 values. Returns 1
        when packed. Needs a libtorch with FBGEMM (the serving one; Debian's torch 1.13 has none: there this
        returns 0 for weights that are not fp16 values and fails for the others)."""
        w = self.weight
        if w.dtype != torch.float32 or self.bias.dtype != torch.float32 or w.device.type != "cpu":
            return 0
        if not bool(torch.equal(w.to(torch.float16).to(torch.float32), w)):
            return 0
        self.packed = torch.ops.quantized.linear_prepack_fp16(w, self.bias)
        return 1


class Fp16GemmBertModel(BertModel):
    """:class:`BertModel` whose encoder layers are :class:`Fp16Linear`; made by :func:`enable_fp16_gemm`."""

    @torch.jit.export
    def pack_fp16_weights(self) -> int:
        """Packs every encoder linear layer where lossless; returns how many. A later ``cast`` unpacks them."""
        n = 0
        for layer in self.encoder.layer:
            attention = layer.attention
            n += attention.self.query.pack_fp16_weights()
            n += attention.self.key.pack_fp16_weights()
            n += attention.self.value.pack_fp16_weights()
            n += attention.output.dense.pack_fp16_weights()
            n += layer.intermediate.dense.pack_fp16_weights()
            n += layer.output.dense.pack_fp16_weights()
        return n


def enable_fp16_gemm(model: BertModel) -> Fp16GemmBertModel:
    """Turns the encoder's linear layers into :class:`Fp16Linear` (the same Parameters) and the model into a
    :class:`Fp16GemmBertModel`, in place; state_dict and outputs are unchanged until packed."""
    for module in list(model.encoder.modules()):
        for name, child in list(module.named_children()):
            if type(child) is Linear:
                swapped = Fp16Linear(child.weight.shape[1], child.weight.shape[0])
                swapped.weight = child.weight
                swapped.bias = child.bias
                setattr(module, name, swapped)
    model.__class__ = Fp16GemmBertModel
    return model
