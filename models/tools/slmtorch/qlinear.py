"""Weight-only int8 linear layers for CPU serving (``--quantize int8``): per-output-channel symmetric int8
weights, packed for FBGEMM's int8 GEMM.

Why this GEMM and not ``aten::_weight_int8pack_mm``: libtorch 2.7.1 (DJL's) has both, but on these AVX2 cores
(AMD EPYC Zen 3, no AVX-512) _weight_int8pack_mm runs its scalar fallback: 159 ms for the 124 MB of int8
weights of a GPT-2-small step against 31 ms for the fp32 weights through MKL. FBGEMM's AVX2 int8 GEMM
(``quantized::linear_dynamic``) takes 9.8 ms with 1 thread, 5.8 ms with 2 (16 rows: 29 / 18 ms against fp32's
105 / 62 ms); bench/generation/gemm_forms.py and bench/generation/README.md. It rounds the activations to
unsigned 8-bit values and accumulates in int32; the output is float32.

Per-row activation scales: a per-tensor scale would make a row's result depend on the other rows of the call
(a one-token decode step rounds differently from the same token inside a prefill, and a stream's tokens change
with its batchmates under continuous batching). So each row is divided by its own max |x| (into [-1, 1], its
largest element exactly +-1) and rounded with one fixed step, 1/63, and zero point 64: to 1..127, 7 bits, since
FBGEMM's AVX2 kernel sums u8 x s8 pairs in int16, which 8-bit activations could saturate. The output is then
multiplied back by the row's max |x|: every row is rounded to multiples of max |x| / 63, whatever the call holds.
The op that takes a fixed step is ``quantized::linear_with_input_q_dq_qweight_dq_output_fp32`` (libtorch 2.x,
the same FBGEMM packing and GEMM as linear_dynamic); Debian's torch 1.13 lacks it, so this module defines its
libtorch-2.7 schema with a reference implementation written out, the way slmtorch/sdpa.py does for SDPA.
The row scaling is one fused op, ``slm::row_scale`` (slmtorch/kernels.py), and FBGEMM takes [..., C] as it is: 3
ops a layer (4 with a bias), where the form before it took 7. Archives written by earlier versions call
linear_dynamic on two extra range-pinning columns (+1, -1) instead, the same rounding in 13 ops. Gain: the
cache agrees with a full recompute as closely as fp32 does (test_llama_int8.py), and prefill rows are not
rounded at the scale of the largest row.

The packed weights are saved in the archive as (int8 per-channel tensor, bias) and re-packed at load by the
libtorch that loads it: onednn's packing here (Debian's torch 1.13 has no FBGEMM), FBGEMM's in libtorch 2.7.1.

Encoders use the second half of this file instead (Int8StoredLinear, quantize_encoder): int8 weights with a scale
per 32 inputs, dequantized once by ``cast`` and run as float GEMMs; QLinear is unchanged by them.
"""
from typing import Final, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from slmtorch import kernels  # noqa: F401  (defines torch.ops.slm on torch 1.13)
from slmtorch import stand_in
from slmtorch.layers import dtype_of

# the activations' fixed quantization: rows divided by their max |x| become 1..127 (module docstring)
STEP = 1.0 / 63.0
ZERO = 64
QDQ = "linear_with_input_q_dq_qweight_dq_output_fp32"
QDQ_SCHEMA = (QDQ + "(Tensor X, float X_scale, int X_zero_point, "
              "__torch__.torch.classes.quantized.LinearPackedParamsBase W_prepack) -> Tensor Y")


def _reference_qdq(x: Tensor, scale: float, zero_point: int, packed) -> Tensor:
    """libtorch 2.x's op, written out: x rounded to uint8 with (scale, zero_point), times the dequantized weight,
    plus the packed bias; float32 out."""
    w, b = torch.ops.quantized.linear_unpack(packed)
    q = torch.clamp(torch.round(x / scale) + zero_point, 0, 255)
    return F.linear((q - zero_point) * scale, w.dequantize(), b)


stand_in.define("quantized", "CPU", {QDQ_SCHEMA: _reference_qdq})


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
    """y = x @ W^T + b with W int8 per output channel and x rounded to 7 bits per row (module docstring); x any
    float dtype, y in x's dtype."""

    step: Final[float]
    zero: Final[int]

    def __init__(self, weight_out_in: Tensor, bias: Optional[Tensor]):
        super().__init__()
        check_engine()
        self.step = STEP
        self.zero = ZERO
        w = weight_out_in.detach().to(torch.float32)
        self.packed = torch.ops.quantized.linear_prepack(quantize_per_channel(w), None)
        self.n_in = int(weight_out_in.shape[1])
        self.has_bias = bias is not None
        # added after the row scale is multiplied back (a packed bias would be scaled with the row)
        self.register_buffer("out_bias", torch.zeros(0) if bias is None else bias.detach().to(torch.float32).clone())

    def forward(self, x: Tensor) -> Tensor:
        h = x if x.dtype == torch.float32 else x.float()
        # each row over its max |x|, and that max: one fused op (slmtorch/kernels.py) instead of norm, clamp, div;
        # FBGEMM's product takes [..., C] as it is, so no reshapes around it
        xs, s = torch.ops.slm.row_scale(h)
        y = torch.ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32(xs, self.step, self.zero, self.packed)
        y = torch.addcmul(self.out_bias, y, s) if self.has_bias else y * s
        return y if y.dtype == x.dtype else y.to(x.dtype)

    def forward_add(self, x: Tensor, residual: Tensor) -> Tensor:
        """residual + forward(x), the residual added by the op that multiplies the row scale back (float32 residual)."""
        h = x if x.dtype == torch.float32 else x.float()
        xs, s = torch.ops.slm.row_scale(h)
        y = torch.ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32(xs, self.step, self.zero, self.packed)
        return torch.addcmul(residual + self.out_bias if self.has_bias else residual, y, s)

    @torch.jit.export
    def set_row_blocks(self, n: int) -> None:
        """Nothing to set: FBGEMM already shares one row's int8 product among the threads (slmtorch/rowsplit.py)."""
        pass

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        dtype_of(dtype)  # validates the name; the int8 weights stay as they are, activations follow x

    @torch.jit.export
    def pack_cpu_weights(self) -> int:
        """Nothing to pack: FBGEMM's int8 weights are packed already (slmtorch/onednn.py is for float32)."""
        return 0

    @torch.jit.export
    def pack_fp16_weights(self) -> int:
        """Nothing to pack: int8 weights (slmtorch/fp16weights.py is for float32 layers holding fp16 values)."""
        return 0


def check_engine() -> None:
    """Quantized ops need an engine (Debian's torch 1.13: onednn or qnnpack)."""
    if torch.backends.quantized.engine == "none":
        torch.backends.quantized.engine = torch.backends.quantized.supported_engines[0]


# ---------------------------------------------------------------------------------------------------
# Encoders: int8 weights in the archive, float GEMMs at run time

ENCODER_GROUP = 32  # inputs per weight scale: MiniLM's worst cosine 0.99924 (64: 0.99902, too close to 0.999)


def quantize_groups(w: Tensor, group: int) -> Tuple[Tensor, Tensor]:
    """Symmetric int8 of a 2-D weight with one fp16 scale per ``group`` consecutive inputs of each row
    (``group`` 0, or one that does not divide the row: one scale per row): (int8 [out, in], fp16 [out, in / g]).
    The scale is rounded to fp16 before the weights are rounded with it, so the pair is exact as stored."""
    w = w.detach().to(torch.float32)
    g = w.shape[1] if group <= 0 or w.shape[1] % group != 0 else group
    wg = w.reshape(w.shape[0], -1, g)
    # floor: fp16's smallest normal (an all-zero group would otherwise get scale 0)
    s = (wg.abs().amax(dim=2, keepdim=True) / 127.0).clamp(min=2.0 ** -14).to(torch.float16).to(torch.float32)
    q = torch.round(wg / s).clamp(-127, 127).to(torch.int8)
    return q.reshape(w.shape), s.squeeze(2).to(torch.float16).contiguous()


def dequantize_groups(q: Tensor, s: Tensor) -> Tensor:
    """The float32 weight an int8 (q, s) pair from quantize_groups stands for."""
    wg = q.reshape(q.shape[0], s.shape[1], -1).to(torch.float32) * s.to(torch.float32).unsqueeze(2)
    return wg.reshape(q.shape)


class Int8StoredLinear(nn.Module):
    """Encoder mode of ``--quantize int8`` (slmtorch/bert.py's Linear, same forward and ``cast(dtype)``): the
    archive holds the weight as int8 with a scale per ``group`` inputs of each output row; ``cast``, which the
    server calls once after load, dequantizes it into a float weight of that dtype, and forward is the float GEMM.

    Why not QLinear's int8 GEMM: FBGEMM's linear_dynamic takes one weight scale per output row, and int8 weights
    per output row alone (fp32 activations) leave all-MiniLM-L6-v2 embeddings at worst cosine 0.9964 against
    fp32 on the parity inputs; a scale per 32 inputs reaches 0.9992, but no fast int8 kernel here takes it. So
    an encoder gets a ~4x smaller weight file and the float model's speed (docs/model-format-decoder.md, int8
    paragraph, for the measurements)."""

    def __init__(self, weight_out_in: Tensor, bias: Optional[Tensor], group: int):
        super().__init__()
        q, s = quantize_groups(weight_out_in, group)
        self.register_buffer("qweight", q)
        self.register_buffer("qscale", s)
        self.register_buffer("weight", torch.zeros(0))  # filled by cast
        self.register_buffer("bias", torch.zeros(q.shape[0]) if bias is None else bias.detach().to(torch.float32))

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.weight = dequantize_groups(self.qweight, self.qscale).to(dt)
        self.bias = self.bias.to(dt)


class Int8StoredEmbedding(nn.Module):
    """An embedding table stored int8 per row (one scale per row), dequantized by ``cast`` like Int8StoredLinear."""

    def __init__(self, weight: Tensor):
        super().__init__()
        q, s = quantize_groups(weight, 0)
        self.register_buffer("qweight", q)
        self.register_buffer("qscale", s)
        self.register_buffer("weight", torch.zeros(0))

    def forward(self, ids: Tensor) -> Tensor:
        return F.embedding(ids, self.weight)

    @torch.jit.export
    def cast(self, dt: torch.dtype) -> None:
        self.weight = dequantize_groups(self.qweight, self.qscale).to(dt)


def quantize_encoder(model: nn.Module, group: int = ENCODER_GROUP) -> nn.Module:
    """Encoder ``--quantize int8`` (bert.py, roberta.py, distilbert.py models, in place): every bert.Linear becomes
    an Int8StoredLinear with a scale per ``group`` inputs, the word-embedding table an Int8StoredEmbedding (per
    row); position and token-type tables and LayerNorms stay as they are (fp16 / fp32 in the archive)."""
    from slmtorch import bert
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, bert.Linear):
                setattr(parent, name, Int8StoredLinear(child.weight, child.bias, group))
            elif isinstance(child, bert.Embedding) and name == "word_embeddings":
                setattr(parent, name, Int8StoredEmbedding(child.weight))
    return model


@torch.no_grad()
def round_like_int8_encoder(model: nn.Module, group: int = ENCODER_GROUP) -> nn.Module:
    """The float twin of quantize_encoder's model (in place): the same layers with the values its archive holds
    after ``cast("float32")`` (int8 matrices and word embeddings dequantized, other tables rounded to fp16)."""
    from slmtorch import bert
    for name, mod in model.named_modules():
        w = getattr(mod, "weight", None)
        if isinstance(mod, bert.Linear) or (isinstance(mod, bert.Embedding) and name.endswith("word_embeddings")):
            w.copy_(dequantize_groups(*quantize_groups(w, group if isinstance(mod, bert.Linear) else 0)))
        elif isinstance(w, Tensor) and w.dim() == 2:
            w.copy_(w.half().float())
    return model
