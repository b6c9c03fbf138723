"""Weight-only int8 linear layers for CPU serving (``--quantize int8``): per-output-channel symmetric int8
weights run by ``slm::int8_linear``, the kernel of src/main/native/int8_gemm.h (slmtorch/kernels.py defines its
schema and writes its formula out for torch 1.13).

Why our own kernel: ``aten::_weight_int8pack_mm`` (libtorch 2.7.1) runs a scalar fallback on these AVX2 cores
(AMD EPYC Zen 3, no AVX-512): 159 ms for a GPT-2-small step's 124 MB of int8 weights. FBGEMM's int8 GEMM
(``quantized::linear_with_input_q_dq_qweight_dq_output_fp32``, what archives of earlier versions call) takes
5.8 ms with 2 threads, but at one to a few rows it streams the weights at about half the read bandwidth, and
needs 3 graph ops a layer around it (row scaling, the GEMM, the scale multiplied back). int8_linear is one op a
layer (bias and the layer's residual folded in) and stores the weights in tiles that a one-row product reads as
one sequential stream, at the machine's read bandwidth (bench/generation/README.md, "Own int8 GEMM").

Per-row activation scales: a per-tensor scale would make a row's result depend on the other rows of the call
(a one-token decode step rounds differently from the same token inside a prefill, and a stream's tokens change
with its batchmates under continuous batching). So each row is divided by its own max |x| (into [-1, 1]) and
rounded to multiples of 1/63: 7 bits, held as 1..127 (zero point 64), since the AVX2 product sums u8 x s8 pairs
in int16, which 8-bit activations could saturate. The result is multiplied back by the row's max |x|: every row
is rounded to multiples of max |x| / 63, whatever the call holds. Gain: the cache agrees with a full recompute as
closely as fp32 does (test_llama_int8.py), and prefill rows are not rounded at the scale of the largest row.

The archive holds, per layer, the int8 weight in int8_linear's tiles, its float32 scale per output channel, each
row's int32 sum (the kernel's zero-point term), and the float32 bias.

Encoders use the second half of this file instead (Int8StoredLinear, quantize_encoder): int8 weights with a scale
per 32 inputs, dequantized once by ``cast`` and run as float GEMMs; QLinear is unchanged by them.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from slmtorch import kernels
from slmtorch.layers import dtype_of


def quantize_per_channel(w: Tensor) -> Tensor:
    """Symmetric int8 per output channel of a [out, in] weight: scale = max|row| / 127, zero point 0."""
    w = w.detach().to(torch.float32).contiguous()
    scales = (w.abs().amax(dim=1).clamp(min=1e-12) / 127.0).to(torch.float64)
    zeros = torch.zeros(w.shape[0], dtype=torch.long)
    return torch.quantize_per_channel(w, scales, zeros, 0, torch.qint8)


def dequantized(w: Tensor) -> Tensor:
    """The float32 weight the int8 layer stands for (what its product multiplies by)."""
    return quantize_per_channel(w).dequantize()


class FusedForms(nn.Module):
    """The forms a decoder's served linear layer offers (QLinear here, HalfLinear in slmtorch/halflinear.py): each
    calls the subclass's _product, one kernel op that folds the layer's op before or after the product in."""

    def _product(self, x: Tensor, residual: Tensor, norm: Tensor, eps: float, offset: float, gate: int) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        y = self._product(x if x.dtype == torch.float32 else x.float(), self.none, self.none, 0.0, 0.0, 0)
        return y if y.dtype == x.dtype else y.to(x.dtype)

    # The fused decode step's forms (llama.DecoderLayer._forward_fused, gpt2.Block._forward_fused; float32 x,
    # contiguous residual): the op before or after the product folded in. llama.Linear and gpt2.Conv1D have the
    # same forms as separate ops.

    def forward_add(self, x: Tensor, residual: Tensor) -> Tensor:
        """residual + forward(x)."""
        return self._product(x, residual, self.none, 0.0, 0.0, 0)

    def forward_normed(self, x: Tensor, norm: Tensor, eps: float, offset: float) -> Tensor:
        """forward(slm::rms_norm(x, norm, eps, offset)) for norm [K]; forward(layer_norm(x, norm[0], norm[1], eps))
        for norm [2, K] (GPT-2's LayerNorm, weight and bias stacked; offset 0)."""
        return self._product(x, self.none, norm, eps, offset, 0)

    def forward_gated_add(self, gate_up: Tensor, gelu: bool, residual: Tensor) -> Tensor:
        """residual + forward(slm::silu_mul(gate_up, gelu))."""
        return self._product(gate_up, residual, self.none, 0.0, 0.0, 2 if gelu else 1)

    def forward_gelu_add(self, x: Tensor, residual: Tensor) -> Tensor:
        """residual + forward(tanh-GELU(x)) (GPT-2's MLP)."""
        return self._product(x, residual, self.none, 0.0, 0.0, 3)

    @torch.jit.export
    def set_row_blocks(self, n: int) -> None:
        """Nothing to set: the kernel shares one row's product among the threads itself."""
        pass

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        dtype_of(dtype)  # validates the name; the stored weights stay as they are, activations follow x

    @torch.jit.export
    def pack_cpu_weights(self) -> int:
        """Nothing to pack: the weights are stored in the kernel's tiles (slmtorch/onednn.py is for float32)."""
        return 0

    @torch.jit.export
    def pack_fp16_weights(self) -> int:
        """Nothing to pack (slmtorch/fp16weights.py is for float32 layers holding fp16 values)."""
        return 0

    @torch.jit.export
    def pack_half_weights(self, dtype: str) -> int:
        """Nothing to pack: the weights are in their kernel's tiles already (the float layers' form)."""
        return 0


class QLinear(FusedForms):
    """y = x @ W^T + b with W int8 per output channel and x rounded to 7 bits per row (module docstring); x any
    float dtype, y in x's dtype."""

    def __init__(self, weight_out_in: Tensor, bias: Optional[Tensor]):
        super().__init__()
        q = quantize_per_channel(weight_out_in)
        w = q.int_repr()
        self.register_buffer("weight_tiles", kernels.tile_int8(w))
        self.register_buffer("weight_scale", q.q_per_channel_scales().to(torch.float32).contiguous())
        self.register_buffer("weight_sum", w.to(torch.int32).sum(1, dtype=torch.int32).contiguous())
        self.register_buffer("out_bias", torch.zeros(0) if bias is None else bias.detach().to(torch.float32).clone())
        self.register_buffer("none", torch.zeros(0), persistent=False)  # an empty residual or norm

    def _product(self, x: Tensor, residual: Tensor, norm: Tensor, eps: float, offset: float, gate: int) -> Tensor:
        return torch.ops.slm.int8_linear(x, self.weight_tiles, self.weight_scale, self.weight_sum, self.out_bias,
                                         residual, norm, eps, offset, gate)


class NoHead(nn.Module):
    """A decoder's head_q in a float archive: never called (its quantized_head is False); it has QLinear's forms so
    that both branches of the model's _lm_head compile."""

    def forward(self, x: Tensor) -> Tensor:
        return x

    def forward_normed(self, x: Tensor, norm: Tensor, eps: float, offset: float) -> Tensor:
        return x


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

    Why not QLinear's int8 product: it takes one weight scale per output row (as FBGEMM's linear_dynamic does), and
    int8 weights per output row alone (fp32 activations) leave all-MiniLM-L6-v2 embeddings at worst cosine 0.9964
    against fp32 on the parity inputs; a scale per 32 inputs reaches 0.9992, but no fast int8 kernel here takes it. So
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
