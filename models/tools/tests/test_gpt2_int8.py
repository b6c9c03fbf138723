"""int8 linear layers (slmtorch/qlinear.py, convert_gpt2.py --quantize int8) on a tiny random GPT-2, run here
by slm::int8_linear's written-out formula (slmtorch/kernels.py; libtorch 2.7.1 runs the same archive with the
C++ kernel, Int8DecoderTest):
the int8 layer against the formula it stands for, int8 logits near fp32's, the scripted archive equal to the
eager int8 model, and greedy decoding with the cache equal to greedy recomputed from scratch.

Run: /usr/bin/python3 -m unittest models/tools/tests/test_gpt2_int8.py (from the repo root, or discover)
"""
import copy
import io
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slmtorch import gpt2, qlinear  # noqa: E402
from test_gpt2_cache import greedy_cached_batch, greedy_recompute, tiny_model  # noqa: E402


def fake_quant_activation(x: torch.Tensor) -> torch.Tensor:
    """Per-row 7-bit activation rounding as QLinear feeds its int8 product: each row to multiples of its own
    max |x| / 63 (rows divided by max |x|, then step 1/63)."""
    step = x.abs().amax(1, keepdim=True) / 63.0
    return torch.round(x / step) * step


class Int8Gpt2(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)
        self.fp32 = tiny_model()
        self.int8 = gpt2.quantize_int8(copy.deepcopy(self.fp32))

    def test_layer_equals_its_formula(self):
        g = torch.Generator().manual_seed(3)
        w, b, x = torch.randn(48, 32, generator=g), torch.randn(48, generator=g), torch.randn(5, 32, generator=g)
        layer = qlinear.QLinear(w, b)
        # written out: per-channel int8 weight (round(w / (max|row| / 127))), activations rounded per row
        x[1] *= 50.0  # one large row must not coarsen the others' rounding
        scale = w.abs().amax(1, keepdim=True) / 127.0
        wq = torch.clamp(torch.round(w / scale), -127, 127) * scale
        expected = fake_quant_activation(x) @ wq.t() + b
        got = layer(x)
        for r in range(5):
            self.assertLess(float((got[r] - expected[r]).abs().max()), 1e-3 * float(expected[r].abs().max()), r)
        # each row as computed alone: a row's result does not depend on the other rows of the call
        alone = torch.cat([layer(x[r:r + 1]) for r in range(5)])
        self.assertLess(float((got - alone).abs().max()), 1e-5 * float(got.abs().max()))

    def test_logits_near_fp32(self):
        ids = torch.randint(0, 97, (2, 12), generator=torch.Generator().manual_seed(4))
        with torch.no_grad():
            a, b = self.fp32.logits_all(ids), self.int8.logits_all(ids)
        rel = float((a - b).abs().max() / a.abs().max())
        self.assertLess(rel, 0.1)  # a tiny model with weights scaled up 10x: large activations, coarse steps
        self.assertGreater(float((a.argmax(-1) == b.argmax(-1)).float().mean()), 0.9)

    def test_scripted_archive_equals_eager_int8(self):
        scripted = gpt2.script_for_serving(copy.deepcopy(self.fp32), "int8")
        buf = io.BytesIO()
        torch.jit.save(scripted, buf)
        buf.seek(0)
        loaded = torch.jit.load(buf)
        ids = torch.randint(0, 97, (1, 9), generator=torch.Generator().manual_seed(5))
        with torch.no_grad():
            self.assertTrue(torch.equal(loaded.logits_all(ids), self.int8.logits_all(ids)))

    def test_cache_equals_recompute(self):
        prompt = torch.randint(0, 97, (7,), generator=torch.Generator().manual_seed(6)).tolist()
        with torch.no_grad():
            cached, _, _ = greedy_cached_batch(self.int8, [prompt], 12, [2])
        self.assertEqual(cached[0], greedy_recompute(self.int8, prompt, 12))

    def test_unknown_quantization_is_refused(self):
        with self.assertRaises(ValueError):
            gpt2.script_for_serving(copy.deepcopy(self.fp32), "int4")


if __name__ == "__main__":
    unittest.main()
