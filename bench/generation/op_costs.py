"""Writes op_costs.pt: a TorchScript module with one method per small op of a decode step, each running that op
in a loop on a [1, 1, 576] float32 row (SmolLM2-135M's width), for io.slmserve.bench.OpCosts, which times them
under libtorch 2.7.1 through DJL. What one graph op costs when its tensors are tiny: the part of a one-row decode
step that is not the weights' stream (bench/generation/README.md, "int8 layers in 7 ops").

    /usr/bin/python3 bench/generation/op_costs.py OUT_DIR
"""
import importlib.util
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "tools"))

# name -> the loop body (x: the [1, 1, 576] row; self.w [576]; self.q: an int8 QLinear 576 -> 64;
# self.a [3, 3, 64] and self.b [3, 64, 40]: a decode step's grouped queries times keys; self.z [1, 1, 1])
OPS = {
    "empty_loop": "pass",
    "to_same_dtype": "y = x.to(torch.float32)",
    "view": "y = x.view(1, 1, 576)",
    "reshape": "y = x.reshape(-1, 576)",
    "transpose": "y = x.transpose(0, 1)",
    "narrow": "y = x.narrow(-1, 0, 100)",
    "slice_3_dims": "y = x[0:1, :, :100]",
    "mul": "y = x * self.w",
    "add": "y = x + self.w",
    "addcmul": "y = torch.addcmul(x, x, self.w)",
    "rsqrt": "y = torch.rsqrt(x)",
    "silu": "y = torch.nn.functional.silu(x)",
    "softmax": "y = torch.softmax(x, -1)",
    "sum": "y = x.sum(-1, keepdim=True)",
    "abs_amax": "y = x.abs().amax(-1, keepdim=True)",
    "inf_norm": "y = torch.linalg.vector_norm(x, float('inf'), dim=[-1], keepdim=True)",
    "copy_into_view": "y = self.w.narrow(0, 0, 64).copy_(x.view(576).narrow(0, 0, 64))",
    "bmm": "y = torch.bmm(self.a, self.b)",
    "bmm_then_scale": "y = torch.bmm(self.a, self.b) * 0.125",
    "baddbmm_alpha": "y = torch.baddbmm(self.z, self.a, self.b, beta=0.0, alpha=0.125)",
    "qlinear_576x64": "y = self.q(x)",
}

HEADER = '''import torch
from torch import Tensor
from slmtorch import qlinear


class OpCosts(torch.nn.Module):
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = torch.randn(576, generator=g)
        self.q = qlinear.QLinear(torch.randn(64, 576, generator=g), None)
        self.a = torch.randn(3, 3, 64, generator=g)
        self.b = torch.randn(3, 64, 40, generator=g)
        self.z = torch.zeros(1, 1, 1)

    @torch.jit.export
    def names(self) -> str:
        return "{names}"

    def forward(self, x: Tensor) -> Tensor:
        return x
'''


def source() -> str:
    lines = [HEADER.replace("{names}", " ".join(OPS))]
    for name, body in OPS.items():
        lines += ["    @torch.jit.export", f"    def {name}(self, x: Tensor, n: int) -> Tensor:", "        y = x",
                  "        for i in range(n):", f"            {body}", "        return y", ""]
    return "\n".join(lines)


def main(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    # TorchScript compiles from source files: write the module, import it, script it
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "op_costs_module.py")
        with open(path, "w") as f:
            f.write(source())
        spec = importlib.util.spec_from_file_location("op_costs_module", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        torch.jit.script(module.OpCosts()).save(os.path.join(out, "op_costs.pt"))
    print(f"wrote {out}/op_costs.pt ({len(OPS)} ops)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/target/op-costs")
