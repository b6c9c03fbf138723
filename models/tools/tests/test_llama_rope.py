"""Rotary inverse frequencies of every rope_scaling type against values written out from Hugging Face's
modeling_rope_utils formulas (plain math here, not slmtorch/rope.py), and Qwen3's q/k norm against its formula.

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests -p 'test_llama_*.py'
"""
import math
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from llama_testkit import tiny  # noqa: E402
from slmtorch import llama, rope  # noqa: E402


def default(theta, dim):
    return [1.0 / theta ** (2 * i / dim) for i in range(dim // 2)]


class RopeScaling(unittest.TestCase):
    def assert_close_list(self, got, want, rel=1e-6):
        self.assertEqual(len(got), len(want))
        for i, (g, w) in enumerate(zip(got, want)):
            self.assertLessEqual(abs(g - w), rel * abs(w) + 1e-12, f"index {i}: {g} != {w}")

    def test_llama_3_2_1b(self):
        # Llama-3.2-1B: head_dim 64, rope_theta 500000, factor 32, low_freq_factor 1, high_freq_factor 4,
        # original_max_position_embeddings 8192 (_compute_llama3_parameters)
        s = {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
             "original_max_position_embeddings": 8192}
        got, att = rope.inv_freq_for(500000.0, 64, s, 131072)
        self.assertEqual(att, 1.0)
        want = []
        for f in default(500000.0, 64):
            wavelen = 2 * math.pi / f
            if wavelen < 8192 / 4:  # high frequencies: unchanged
                want.append(f)
            elif wavelen > 8192 / 1:  # low frequencies: divided by the factor
                want.append(f / 32)
            else:  # between: smooth interpolation
                smooth = (8192 / wavelen - 1) / (4 - 1)
                want.append((1 - smooth) * f / 32 + smooth * f)
        self.assert_close_list(got.tolist(), want)
        # a few of them written out: 0 and 14 unchanged, 15-17 smoothed, 18 and 31 divided by 32
        for i, v in ((0, 1.0), (14, 0.0032114459947525913), (15, 0.001290547928209264),
                     (16, 0.00042955679655936815), (17, 9.70828780262767e-05), (18, 1.9461638184831125e-05),
                     (31, 9.418306725434909e-08)):
            self.assertAlmostEqual(float(got[i]) / v, 1.0, places=5)

    def test_linear(self):
        got, att = rope.inv_freq_for(10000.0, 32, {"type": "linear", "factor": 4.0}, 2048)
        self.assert_close_list(got.tolist(), [f / 4 for f in default(10000.0, 32)])
        self.assertEqual(att, 1.0)

    def test_yarn(self):
        # Qwen2.5's recommended long-context setting: factor 4, original 32768; head_dim 128, theta 1e6
        theta, dim, factor, orig = 1000000.0, 128, 4.0, 32768
        got, att = rope.inv_freq_for(theta, dim, {"rope_type": "yarn", "factor": factor,
                                                  "original_max_position_embeddings": orig}, 131072)
        self.assertAlmostEqual(att, 0.1 * math.log(4.0) + 1.0, places=12)  # 1.1386...

        def corr(rot):
            return dim * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(theta))

        low, high = max(math.floor(corr(32)), 0), min(math.ceil(corr(1)), dim - 1)
        want = []
        for i in range(dim // 2):
            pos = theta ** (2 * i / dim)
            ramp = min(max((i - low) / (high - low), 0.0), 1.0)
            extra = 1 - ramp
            want.append((1 / (factor * pos)) * (1 - extra) + (1 / pos) * extra)
        self.assert_close_list(got.tolist(), want, rel=1e-5)
        self.assertEqual(float(got[0]), 1.0)  # fastest band: extrapolated (unchanged)
        self.assertAlmostEqual(float(got[-1]) * factor * theta ** (126 / 128), 1.0, places=5)  # slowest: / factor

    def test_dynamic_is_fixed_for_the_longest_sequence(self):
        # base' = theta * (factor * L / orig - (factor - 1)) ^ (dim / (dim - 2)), L = orig * factor
        got, _ = rope.inv_freq_for(10000.0, 64, {"type": "dynamic", "factor": 2.0}, 4096)
        base = 10000.0 * (2.0 * 8192 / 4096 - 1.0) ** (64 / 62)
        self.assert_close_list(got.tolist(), default(base, 64), rel=1e-5)

    def test_unknown_type_is_refused_listing_the_supported(self):
        with self.assertRaises(ValueError) as e:
            rope.inv_freq_for(10000.0, 64, {"rope_type": "mrope", "factor": 2.0}, 4096)
        self.assertIn("default, linear, dynamic, llama3, yarn, longrope", str(e.exception))

    def test_longrope(self):
        # Phi-3.5-mini: head_dim 96, theta 10000, original 4096, max_position_embeddings 131072
        short = [1.0 + 0.01 * i for i in range(48)]
        long = [1.0 + 0.5 * i for i in range(48)]
        s = {"type": "longrope", "short_factor": short, "long_factor": long}
        for serving_len, ext in ((4096, short), (8192, long)):
            got, att = rope.inv_freq_for(10000.0, 96, s, 131072, 4096, serving_len)
            self.assert_close_list(got.tolist(), [1.0 / (e * 10000.0 ** (2 * i / 96)) for i, e in enumerate(ext)])
            self.assertAlmostEqual(att, math.sqrt(1 + math.log(32) / math.log(4096)), places=12)  # 1.19024
        self.assertAlmostEqual(att, 1.1902380714238083, places=12)

    def test_partial_rotary_leaves_the_tail(self):
        x = torch.randn(1, 3, 2, 8)  # [B, T, heads, D], tokens first
        cos, sin = rope.cos_sin(torch.tensor([[0, 5, 9]]), torch.tensor([1.0, 0.1]), 1.0, torch.float32)
        for scripted in (False, True):
            y = (torch.jit.script(rope.apply) if scripted else rope.apply)(x, cos, sin)
            self.assertTrue(torch.equal(y[..., 4:], x[..., 4:]))
            # position 5, pair (0, 2): rotation by 5 rad; pair (1, 3) by 0.5 rad
            for h in range(2):
                for i, angle in ((0, 5.0), (1, 0.5)):
                    a, b = x[0, 1, h, i], x[0, 1, h, i + 2]
                    self.assertAlmostEqual(float(y[0, 1, h, i]), float(a * math.cos(angle) - b * math.sin(angle)),
                                           places=5)
                    self.assertAlmostEqual(float(y[0, 1, h, i + 2]),
                                           float(b * math.cos(angle) + a * math.sin(angle)), places=5)

    def test_full_rotary_of_strided_heads(self):
        # q's and k's heads as columns of a wider projection output (Attention.heads rotates them in one call)
        y = torch.randn(2, 3, 5 * 4)
        x = y.narrow(-1, 0, 3 * 4).view(2, 3, 3, 4)
        cos, sin = rope.cos_sin(torch.tensor([[0, 5, 9], [1, 2, 3]]), torch.tensor([1.0, 0.1]), 1.0, torch.float32)
        got = torch.jit.script(rope.apply)(x, cos, sin)
        p = torch.tensor([[0, 5, 9], [1, 2, 3]], dtype=torch.float32)
        for i, f in ((0, 1.0), (1, 0.1)):
            c, s = torch.cos(p * f).unsqueeze(-1), torch.sin(p * f).unsqueeze(-1)
            a, b = x[..., i], x[..., i + 2]
            torch.testing.assert_close(got[..., i], a * c - b * s)
            torch.testing.assert_close(got[..., i + 2], b * c + a * s)


class Qwen3QkNorm(unittest.TestCase):
    def test_q_and_k_are_rms_normalised_per_head_before_rotary(self):
        model, cfg, sd = tiny("qwen3-tiny")
        attn = model.model.layers[0].self_attn
        x = torch.randn(1, 1, cfg.hidden_size)
        cos, sin = rope.cos_sin(torch.zeros(1, 1, dtype=torch.long), model.rope_inv_freq, 1.0, torch.float32)
        q, k, _ = attn.heads(x, 1, 1, cos, sin)  # position 0: rotary is the identity
        eps = cfg.rms_norm_eps
        for name, got, heads in (("q", q, cfg.num_attention_heads), ("k", k, cfg.num_key_value_heads)):
            w = sd[f"model.layers.0.self_attn.{name}_proj.weight"]
            g = sd[f"model.layers.0.self_attn.{name}_norm.weight"]
            raw = (x[0, 0] @ w.t()).view(heads, cfg.head_dim)
            for h in range(heads):
                v = raw[h]
                want = g * v / math.sqrt(float((v * v).mean()) + eps)
                torch.testing.assert_close(got[0, h, 0], want, rtol=1e-5, atol=1e-5)
        self.assertEqual(cfg.head_dim, 32)  # != hidden_size / heads = 16
        self.assertTrue(llama.LlamaConfig(dict(sd and {}, **{
            "model_type": "qwen3", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 8,
            "num_hidden_layers": 1, "num_attention_heads": 2})).qk_norm)


if __name__ == "__main__":
    unittest.main()
