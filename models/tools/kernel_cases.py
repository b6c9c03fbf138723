"""Writes an archive that checks the fused decode ops, int8_linear and half_linear (slmtorch/kernels.py) where they
run in C++:
its ``forward()`` calls each slm:: op on stored inputs and returns, per case, the largest difference from the
expected output relative to that output's largest magnitude. The expected outputs are computed here by kernels.py's written-out
formulas under torch 1.13, so under DJL's libtorch 2.7.1 (KernelOpsTest) the C++ kernels meet an independent form.

    /usr/bin/python3 models/tools/kernel_cases.py OUT_DIR     # writes OUT_DIR/model.pt and OUT_DIR/cases.txt
"""
import os
import sys
from typing import List, Tuple

import torch
from torch import Tensor, nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slmtorch import kernels  # noqa: E402,F401  (defines torch.ops.slm: the written-out forms)


def _rel(a: Tensor, b: Tensor) -> Tensor:
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).reshape(1)


class Cases(nn.Module):
    """Inputs and expected outputs as buffers; forward returns one relative error per case (CASES names them)."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(7)
        r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
        self.register_buffer("x", r(3, 1, 96) * 3)
        self.register_buffer("w", r(96))
        self.register_buffer("gu", torch.cat([r(2, 1, 80) * 4, r(2, 1, 80)], -1))
        self.gu[0, 0, :4] = torch.tensor([-30.0, 30.0, -90.0, 90.0])  # the exponential's clamped ends
        wide = r(4, 128)
        self.register_buffer("wide", wide)
        zero_row = r(3, 64)
        zero_row[1] = 0.0
        self.register_buffer("zero_row", zero_row)
        # attend_decode: 5 slots, 2 KV heads, 6 query heads, D 16, 32 positions; rows at slots 4, 0, 2
        self.register_buffer("qkv", r(3, 1, (6 + 2 * 2) * 16))
        self.register_buffer("cache_k", r(5, 2, 32, 16))
        self.register_buffer("cache_v", r(5, 2, 32, 16))
        self.register_buffer("slots", torch.tensor([4, 0, 2]))
        self.register_buffer("positions", torch.tensor([[7], [0], [13]]))
        ang = r(3, 1, 1, 8)
        self.register_buffer("cos16", torch.cat([ang.cos(), ang.cos()], -1))
        self.register_buffer("sin16", torch.cat([-ang.sin(), ang.sin()], -1))
        self.register_buffer("cos8", self.cos16[..., :8].contiguous())
        self.register_buffer("sin8", torch.cat([-ang[..., :4].sin(), ang[..., :4].sin()], -1))
        self.register_buffer("none", torch.zeros(3, 1, 1, 0))
        # attend_decode with enough work for the threads (16 rows at positions 60..127 of 128): split by head
        self.register_buffer("qkv16", r(16, 1, (6 + 2 * 2) * 16))
        self.register_buffer("cache_k16", r(16, 2, 128, 16))
        self.register_buffer("cache_v16", r(16, 2, 128, 16))
        self.register_buffer("slots16", torch.randperm(16, generator=g))
        self.register_buffer("positions16", torch.randint(60, 128, (16, 1), generator=g))
        ang16 = r(16, 1, 1, 8)
        self.register_buffer("cos16r", torch.cat([ang16.cos(), ang16.cos()], -1))
        self.register_buffer("sin16r", torch.cat([-ang16.sin(), ang16.sin()], -1))
        # int8_linear: N 13 (a partial tile of four outputs), K 96 and 50 (padded to 64)
        for name, n, k in (("w96", 13, 96), ("w50", 13, 50), ("w64", 40, 64), ("w128", 13, 128)):
            w = torch.randint(-127, 128, (n, k), generator=g, dtype=torch.int8)
            self.register_buffer(name, kernels.tile_int8(w))
            self.register_buffer(name + "_scale", torch.rand(n, generator=g) * 0.01 + 1e-3)
            self.register_buffer(name + "_sum", w.to(torch.int32).sum(1, dtype=torch.int32))
        self.register_buffer("bias13", r(13))
        self.register_buffer("res13", r(5, 13))
        self.register_buffer("x50", r(5, 50) * 2)
        self.register_buffer("x64t", r(64, 6))  # transposed: rows of stride 1 along x64t's columns
        prefill = r(70, 64)  # 70 rows (past the kernel's 32-row chunks, odd), large enough for its threads
        prefill[3] = 0.0
        self.register_buffer("prefill", prefill)
        self.register_buffer("bias40", r(40))
        self.register_buffer("empty", torch.zeros(0))
        self.register_buffer("gu2", r(2, 1, 128) * 2)  # [g | u] of K 64
        self.register_buffer("res40", r(2, 1, 40))
        self.register_buffer("res2x13", r(2, 1, 13))
        self.register_buffer("ln96", torch.stack([r(96), r(96)]))  # LayerNorm weight and bias
        self.register_buffer("xm", self.x + 5.0)  # rows whose mean LayerNorm takes out
        # half_linear: the same shapes with bf16 (b) and fp16 (h) weights; K 50 padded to 64 (the kernel's 16s)
        for name, n, k in (("w96", 13, 96), ("w50", 13, 50), ("w64", 40, 64), ("w128", 13, 128)):
            w = r(n, k) * 0.2
            self.register_buffer(name + "b", kernels.tile_half(w, torch.bfloat16))
            self.register_buffer(name + "h", kernels.tile_half(w, torch.float16))
        self.register_buffer("norm64", r(64))
        self.expected: List[Tensor] = [t.clone() for t in self.compute()]
        self.n = len(self.expected)

    def attend(self, cos: Tensor, sin: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        k, v = self.cache_k.clone(), self.cache_v.clone()
        out = torch.ops.slm.attend_decode(self.qkv, cos, sin, k, v, self.slots, self.positions, 6, 2, 0.25)
        return out, k, v

    def compute(self) -> List[Tensor]:
        out: List[Tensor] = []
        out.append(torch.ops.slm.rms_norm(self.x, self.w, 1e-5, 0.0))
        out.append(torch.ops.slm.rms_norm(self.x, self.w, 1e-6, 1.0))
        out.append(torch.ops.slm.silu_mul(self.gu, False))
        out.append(torch.ops.slm.silu_mul(self.gu, True))
        for x in (self.wide.narrow(1, 10, 64), self.wide.t(), self.zero_row, self.x):
            xs, s = torch.ops.slm.row_scale(x)
            out.append(xs)
            out.append(s)
        for cos, sin in ((self.cos16, self.sin16), (self.cos8, self.sin8), (self.none, self.none)):
            y, k, v = self.attend(cos, sin)
            out.extend([y, k, v])
        k16, v16 = self.cache_k16.clone(), self.cache_v16.clone()
        out.append(torch.ops.slm.attend_decode(self.qkv16, self.cos16r, self.sin16r, k16, v16, self.slots16,
                                               self.positions16, 6, 2, 0.25))
        out.extend([k16, v16])
        e = self.empty
        out.append(torch.ops.slm.int8_linear(self.x, self.w96, self.w96_scale, self.w96_sum, self.bias13, e, e,
                                             0.0, 0.0, 0))
        out.append(torch.ops.slm.int8_linear(self.x50, self.w50, self.w50_scale, self.w50_sum, e, self.res13, e,
                                             0.0, 0.0, 0))
        out.append(torch.ops.slm.int8_linear(self.x64t.t(), self.w64, self.w64_scale, self.w64_sum, self.bias40, e,
                                             e, 0.0, 0.0, 0))
        out.append(torch.ops.slm.int8_linear(self.wide.narrow(1, 10, 64), self.w64, self.w64_scale, self.w64_sum, e,
                                             e, e, 0.0, 0.0, 0))
        out.append(torch.ops.slm.int8_linear(self.prefill, self.w64, self.w64_scale, self.w64_sum, self.bias40, e, e,
                                             0.0, 0.0, 0))
        # the layer's op before the product folded in: RMSNorm (Gemma's 1 + w too), SiLU and GELU gates
        out.append(torch.ops.slm.int8_linear(self.x, self.w96, self.w96_scale, self.w96_sum, e, e, self.w,
                                             1e-5, 0.0, 0))
        out.append(torch.ops.slm.int8_linear(self.x, self.w96, self.w96_scale, self.w96_sum, e, e, self.w,
                                             1e-6, 1.0, 0))
        out.append(torch.ops.slm.int8_linear(self.gu2, self.w64, self.w64_scale, self.w64_sum, e, self.res40, e,
                                             0.0, 0.0, 1))
        out.append(torch.ops.slm.int8_linear(self.gu2, self.w64, self.w64_scale, self.w64_sum, e, self.res40, e,
                                             0.0, 0.0, 2))
        # GPT-2's: LayerNorm (weight and bias as [2, K]) and the plain tanh-GELU
        out.append(torch.ops.slm.int8_linear(self.xm, self.w96, self.w96_scale, self.w96_sum, self.bias13, e,
                                             self.ln96, 1e-5, 0.0, 0))
        out.append(torch.ops.slm.int8_linear(self.gu2, self.w128, self.w128_scale, self.w128_sum, e, self.res2x13, e,
                                             0.0, 0.0, 3))
        # half_linear, each form once, bf16 and fp16 alternating; 70 rows: the threads (x read in place, and with a
        # prologue the shared buffer and its barrier)
        out.append(torch.ops.slm.half_linear(self.x, self.w96b, 13, self.bias13, e, e, 0.0, 0.0, 0))
        out.append(torch.ops.slm.half_linear(self.x50, self.w50h, 13, e, self.res13, e, 0.0, 0.0, 0))
        out.append(torch.ops.slm.half_linear(self.x64t.t(), self.w64b, 40, self.bias40, e, e, 0.0, 0.0, 0))
        out.append(torch.ops.slm.half_linear(self.prefill, self.w64h, 40, self.bias40, e, e, 0.0, 0.0, 0))
        out.append(torch.ops.slm.half_linear(self.prefill, self.w64b, 40, e, e, self.norm64, 1e-5, 0.0, 0))
        out.append(torch.ops.slm.half_linear(self.x, self.w96h, 13, e, e, self.w, 1e-6, 1.0, 0))
        out.append(torch.ops.slm.half_linear(self.gu2, self.w64b, 40, e, self.res40, e, 0.0, 0.0, 1))
        out.append(torch.ops.slm.half_linear(self.gu2, self.w64h, 40, e, self.res40, e, 0.0, 0.0, 2))
        out.append(torch.ops.slm.half_linear(self.xm, self.w96b, 13, self.bias13, e, self.ln96, 1e-5, 0.0, 0))
        out.append(torch.ops.slm.half_linear(self.gu2, self.w128h, 13, e, self.res2x13, e, 0.0, 0.0, 3))
        return out

    @torch.jit.export
    def wrong_half_layout(self) -> Tensor:
        """half_linear with a weight of another K than x's: refused by the kernel with its message."""
        e = self.empty
        return torch.ops.slm.half_linear(self.x50, self.w96b, 13, e, e, e, 0.0, 0.0, 0)

    @torch.jit.export
    def wrong_dtype(self) -> Tensor:
        """rms_norm on float64: the C++ kernel must refuse it with its message (the formula here would run)."""
        return torch.ops.slm.rms_norm(self.x.double(), self.w, 1e-5, 0.0)

    @torch.jit.export
    def wrong_layout(self) -> Tensor:
        """int8_linear with a weight of another K than x's: refused by the kernel with its message."""
        e = self.empty
        return torch.ops.slm.int8_linear(self.x50, self.w96, self.w96_scale, self.w96_sum, e, e, e, 0.0, 0.0, 0)

    def forward(self) -> Tensor:
        got = self.compute()
        errs: List[Tensor] = []
        for i, t in enumerate(got):
            errs.append(_rel(t, self.expected[i]))
        return torch.cat(errs)


CASES = (["rms_norm", "rms_norm offset 1", "silu_mul", "gelu_mul"]
         + [f"row_scale {n} {o}" for n in ("narrowed", "transposed", "zero row", "3-d") for o in ("x/s", "s")]
         + [f"attend_decode R={r} {o}" for r in (16, 8, 0) for o in ("out", "cache_k", "cache_v")]
         + [f"attend_decode 16 rows threads {o}" for o in ("out", "cache_k", "cache_v")]
         + ["int8_linear 3-d bias", "int8_linear K 50 residual", "int8_linear transposed", "int8_linear narrowed",
            "int8_linear 70 rows zero row", "int8_linear rms_norm", "int8_linear rms_norm offset 1",
            "int8_linear SiLU gate residual", "int8_linear GELU gate residual", "int8_linear layer_norm bias",
            "int8_linear GELU residual"]
         + ["half_linear bf16 3-d bias", "half_linear fp16 K 50 residual", "half_linear bf16 transposed",
            "half_linear fp16 70 rows", "half_linear bf16 70 rows rms_norm", "half_linear fp16 rms_norm offset 1",
            "half_linear bf16 SiLU gate residual", "half_linear fp16 GELU gate residual",
            "half_linear bf16 layer_norm bias", "half_linear fp16 GELU residual"])


def main(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    m = Cases()
    assert m.n == len(CASES)
    with torch.no_grad():
        errs = m()
    assert float(errs.max()) < 1e-6, errs  # here the ops are the written-out forms themselves
    torch.jit.script(m).save(os.path.join(out_dir, "model.pt"))
    with open(os.path.join(out_dir, "cases.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(CASES) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
