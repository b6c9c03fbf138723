"""Writes gemm_forms.pt: a TorchScript module that times the linear layers of one decode step of the GPT-2-small
shape (12 x [qkv 2304x768, proj 768x768, fc 3072x768, fc_proj 768x3072] + LM head 50257x768, distinct weights,
494.6 MB in fp32) in several GEMM forms and weight dtypes, under libtorch 2.7.1 through DJL
(io.slmserve.bench.GemmForms). Weights are made at run time (setup), so the archive is tiny.

    /usr/bin/python3 bench/generation/gemm_forms.py OUT_DIR
"""
import os
import sys
from typing import List

import torch
from torch import Tensor, nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "tools"))
from slmtorch import onednn, stand_in  # noqa: E402  (onednn: the served archives' linear and reorder)
from slmtorch.rowsplit import linear_t  # noqa: E402  (the served form: one row as 8 row blocks)


# libtorch-2.x ops as stand-ins on torch 1.13 (slmtorch/stand_in.py): the archive records the calls, DJL's
# libtorch 2.7.1 runs its own kernels. aten::_weight_int8pack_mm; MKL's packed sgemm (mkl::_mkl_linear and its
# weight reorder). oneDNN's linear and reorder come from slmtorch/onednn.py, as the served archives use them.
stand_in.define("aten", "CompositeExplicitAutograd", {
    "_weight_int8pack_mm(Tensor self, Tensor mat2, Tensor scales) -> Tensor":
        lambda x, w, s: torch.mm(x, w.to(x.dtype).t()) * s,
})
stand_in.define("mkl", "CompositeExplicitAutograd", {
    "_mkl_linear(Tensor X, Tensor MKL_W, Tensor ORI_W, Tensor? B, int batch_size) -> Tensor":
        lambda x, pw, w, b, n: torch.nn.functional.linear(x, w, b),
    "_mkl_reorder_linear_weight(Tensor X, int batch_size) -> Tensor": lambda w, n: w,
})


class Forms(nn.Module):
    ws: List[Tensor]
    scales: List[Tensor]
    packed: List[torch.classes.quantized.LinearPackedParamsBase]

    def __init__(self):
        super().__init__()
        self.ws = []
        self.scales = []
        self.packed = []
        self.head_only = False

    @torch.jit.export
    def setup(self, dtype: str, head_only: bool) -> int:
        """Random weights [out, in] in float32 | bfloat16 | float16 | int8 (per-row scales); returns bytes."""
        shapes: List[List[int]] = []
        if not head_only:
            for _ in range(12):
                shapes += [[2304, 768], [768, 768], [3072, 768], [768, 3072]]
        shapes.append([50257, 768])
        self.ws = []
        self.scales = []
        self.packed = torch.jit.annotate(List[torch.classes.quantized.LinearPackedParamsBase], [])
        total = 0
        for s in shapes:
            w = torch.randn(s) * 0.02
            if dtype == "qfp16":  # fp16 weights packed for FBGEMM's fp16-weight GEMM (slmtorch/fp16weights.py)
                self.packed.append(torch.ops.quantized.linear_prepack_fp16(w, None))
                total += w.numel() * 2
                self.ws.append(w[:1].contiguous())
                continue
            if dtype == "qdyn":  # fbgemm / onednn dynamic int8 linear (per-channel int8 weights)
                amax = w.abs().amax(1).clamp_min(1e-12)
                q = torch.quantize_per_channel(w, amax / 127.0, torch.zeros([s[0]], dtype=torch.long), 0,
                                               torch.qint8)
                self.packed.append(torch.ops.quantized.linear_prepack(q, None))
                total += w.numel()
                self.ws.append(w[:1].contiguous())
                continue
            if dtype == "fbgemm16":  # fbgemm fp16 weights, fp32 activations
                self.ws.append(torch.ops.aten.fbgemm_pack_gemm_matrix_fp16(w))
                self.scales.append(torch.zeros([s[0]]))
                total += w.numel() * 2
                continue
            if dtype.startswith("mkldnn"):  # oneDNN's packed layout; mkldnnN: for N-row inputs (default 1, 0: none)
                hint = int(dtype[6:]) if len(dtype) > 6 else 1
                self.ws.append(torch.ops.mkldnn._reorder_linear_weight(w, hint) if hint > 0
                               else torch.ops.mkldnn._reorder_linear_weight(w))
                self.scales.append(w)
                total += w.numel() * 4
                continue
            if dtype == "mklpack":  # MKL's packed sgemm layout, the original kept as _mkl_linear wants
                self.ws.append(torch.ops.mkl._mkl_reorder_linear_weight(w, 1))
                self.scales.append(w)
                total += w.numel() * 4
                continue
            if dtype == "int8":
                amax = w.abs().amax(1).clamp_min(1e-12)
                self.scales.append(amax / 127.0)
                w = torch.round(w / (amax / 127.0).unsqueeze(1)).clamp(-127.0, 127.0).to(torch.int8)
            elif dtype == "bfloat16":
                w = w.to(torch.bfloat16)
            elif dtype == "float16":
                w = w.to(torch.float16)
            self.ws.append(w.contiguous())
            total += w.numel() * w.element_size()
        return total

    @torch.jit.export
    def run(self, form: str, rows: int, n: int) -> float:
        """n passes over every weight with x [rows, in]; returns a checksum (keeps the work alive)."""
        dt = self.scales[0].dtype if form == "mkldnn" or form == "mklpack" else self.ws[0].dtype
        if dt == torch.int8 or dt == torch.uint8:
            dt = torch.float32
        x768 = torch.randn([rows, 768]).to(dt)
        x3072 = torch.randn([rows, 3072]).to(dt)
        acc = 0.0
        for _ in range(n):
            for i in range(len(self.ws)):
                w = self.ws[i]
                x = x768
                if form == "qdyn" or form == "qfp16":
                    x = x3072 if i < len(self.packed) - 1 and i % 4 == 3 else x768
                    if form == "qdyn":
                        y = torch.ops.quantized.linear_dynamic(x, self.packed[i], True)
                    else:
                        y = torch.ops.quantized.linear_dynamic_fp16(x, self.packed[i])
                    acc += float(y[0, 0])
                    continue
                if form == "fbgemm16":
                    x = x3072 if i < 48 and i % 4 == 3 else x768
                    y = torch.ops.aten.fbgemm_linear_fp16_weight_fp32_activation(x, w, self.scales[i])
                    acc += float(y[0, 0])
                    continue
                if form == "mkldnn" or form == "mklpack":  # (weights from setup("mkldnn[N]") / setup("mklpack"))
                    x = x3072 if self.scales[i].shape[1] == 3072 else x768
                    if form == "mkldnn":
                        y = onednn.linear(x, w, None)
                    else:
                        y = torch.ops.mkl._mkl_linear(x, w, self.scales[i], None, 1)
                    acc += float(y[0, 0])
                    continue
                if w.shape[1] == 3072:
                    x = x3072
                if form == "blocks":
                    y = linear_t(w, x, None, 8)
                elif form == "wx":
                    y = torch.mm(w, x.t()).t().contiguous()
                elif form == "xw":
                    y = torch.mm(x, w.t())
                elif form == "linear":
                    y = torch.nn.functional.linear(x, w)
                elif form == "mv":
                    y = torch.mv(w, x[0]).unsqueeze(0)
                elif form == "matmul":
                    y = torch.matmul(x, w.t())
                elif form == "dnn":  # oneDNN on the plain [out, in] weight (no packing)
                    y = onednn.linear(x, w, None)
                elif form == "int8":
                    y = torch.ops.aten._weight_int8pack_mm(x, w, self.scales[i])
                else:
                    raise RuntimeError("unknown form " + form)
                acc += float(y[0, 0])
        return acc


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.jit.script(Forms()).save(os.path.join(out, "model.pt"))
    print("wrote", os.path.join(out, "model.pt"))
