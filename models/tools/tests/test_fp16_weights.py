"""Decoders with fp16 weights served in float32 (slmtorch/fp16weights.py, convert.py --fp16-weights,
fp16_weights.py): the archive stores fp16, records FBGEMM's fp16-weight ops, and after cast("float32") holds weights
that are all fp16 values, which is what pack_fp16_weights() packs; float32 weights that are not (any archive written
without the flag) are left alone. Debian's torch 1.13 has no FBGEMM to run the packing: the packed products are
checked through libtorch 2.7.1 by Fp16WeightDecoderTest (held-out perplexity and greedy tokens against sgemm).

Run: /usr/bin/python3 -m unittest tests.test_fp16_weights (from models/tools)
"""
import contextlib
import copy
import io
import os
import subprocess
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert  # noqa: E402
import convert_gpt2  # noqa: E402
from llama_testkit import tiny  # noqa: E402
from slmtorch import fp16weights, gpt2, llama  # noqa: E402
from test_convert_families import NANO_TOKENIZER, props  # noqa: E402
from test_gpt2_cache import tiny_model  # noqa: E402
from test_onednn_pack import archive_code  # noqa: E402

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def records_fp16_gemm(sm: torch.jit.ScriptModule) -> bool:
    """The saved archive's code calls FBGEMM's fp16-weight prepack and linear ops."""
    code = archive_code(sm)
    return "ops.quantized.linear_dynamic_fp16(" in code and "ops.quantized.linear_prepack_fp16(" in code


class Fp16Weights(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)

    def test_exact(self):
        w = torch.randn(8, 16) * 0.02
        self.assertFalse(fp16weights.exact(w))
        self.assertTrue(fp16weights.exact(w.half().float()))
        self.assertFalse(fp16weights.exact(w.half()))  # the served dtype is float32
        self.assertFalse(fp16weights.exact(torch.zeros(0)))
        self.assertFalse(fp16weights.exact(torch.full((2, 2), 1e5)))  # beyond fp16's range
        # bf16 values of magnitude >= 2^-17 are fp16 values (the checkpoints published in bf16)
        b = (torch.randn(64, 64) * 0.02).to(torch.bfloat16).float()
        self.assertTrue(fp16weights.exact(b[b.abs() >= 2.0 ** -17].view(1, -1)))

    def test_float32_archives_are_left_alone(self):
        ids = torch.tensor([[3, 5, 7, 11]])
        model, cfg, _ = tiny("llama-tiny", std=0.2)
        for sm in (llama.script_for_serving(copy.deepcopy(model)), gpt2.script_for_serving(tiny_model())):
            with self.subTest(archive=type(sm).__name__):
                self.assertTrue(records_fp16_gemm(sm))
                want = sm.logits_all(ids)
                self.assertEqual(sm.pack_fp16_weights(), 0)
                torch.testing.assert_close(sm.logits_all(ids), want, rtol=0, atol=0)
        q = llama.script_for_serving(copy.deepcopy(model), quantize="int8")
        self.assertEqual(q.pack_fp16_weights(), 0)

    def test_convert_writes_fp16_served_in_float32(self):
        torch.manual_seed(0)
        cfg = gpt2.GPT2Config(vocab_size=8192, n_positions=64, n_embd=32, n_layer=2, n_head=4)
        model = gpt2.build(cfg).eval()
        with tempfile.TemporaryDirectory() as d:
            convert_gpt2.export_hf_snapshot(model, cfg, NANO_TOKENIZER, os.path.join(d, "hf"))
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                rc = convert.main([os.path.join(d, "hf"), os.path.join(d, "out"), "--fp16-weights"])
            self.assertEqual(rc, 0, err.getvalue())
            self.assertEqual(props(os.path.join(d, "out"))["option.dtype"], "float32")
            m = torch.jit.load(os.path.join(d, "out", "model.pt"))
            sd = m.state_dict()
            self.assertEqual(sd["transformer.h.0.attn.c_attn.weight"].dtype, torch.float16)
            m.cast("float32")
            sd = m.state_dict()
            for name in ("transformer.h.0.attn.c_attn.weight", "transformer.h.1.mlp.c_proj.weight",
                         "transformer.wte.weight"):
                self.assertTrue(fp16weights.exact(sd[name]), name)
            for bad in (["--quantize", "int8"], ["--dtype", "float16"]):
                with contextlib.redirect_stderr(io.StringIO()) as e:
                    rc = convert.main([os.path.join(d, "hf"), os.path.join(d, "bad"), "--fp16-weights"] + bad)
                self.assertEqual(rc, 2)
                self.assertIn("--fp16-weights serves in float32", e.getvalue())

    def test_fp16_copy_of_a_served_folder(self):
        with tempfile.TemporaryDirectory() as d:
            model, cfg, _ = tiny("llama-tiny", std=0.2)
            src = os.path.join(d, "src")
            from families import llama_family
            llama_family.write_served_folder(copy.deepcopy(model), cfg, os.path.join(TOOLS, "..", "nano-llama"), src,
                                             max_total_tokens=32)
            out = os.path.join(d, "out")
            tool = os.path.join(TOOLS, "fp16_weights.py")
            r = subprocess.run([sys.executable, tool, src, out], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(props(out)["option.dtype"], "float32")
            m = torch.jit.load(os.path.join(out, "model.pt"))
            self.assertEqual(m.model.embed_tokens.weight.dtype, torch.float16)
            again = subprocess.run([sys.executable, tool, out, os.path.join(d, "x")], capture_output=True, text=True)
            self.assertEqual(again.returncode, 2)
            self.assertIn("expected float32", again.stderr)


if __name__ == "__main__":
    unittest.main()
