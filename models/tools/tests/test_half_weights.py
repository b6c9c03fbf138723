"""bf16 and fp16 weights (slmtorch/halflinear.py; convert.py --quantize bf16|fp16) on tiny random GPT-2 and
Llama-family shapes, run here by slm::half_linear's written-out formula (slmtorch/kernels.py; libtorch 2.7.1 runs
the same archives with the C++ kernel, HalfWeightDecoderTest): the layer against the product of the rounded
weights, logits near fp32's, greedy decoding with the cache equal to greedy recomputed from scratch, and the
scripted archive equal to the eager model.

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests -p test_half_weights.py
"""
import copy
import io
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama_testkit  # noqa: E402
import test_gpt2_cache  # noqa: E402
from slmtorch import gpt2, halflinear, llama  # noqa: E402

KINDS = {"bf16": torch.bfloat16, "fp16": torch.float16}


class HalfWeights(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)

    def test_layer_equals_rounded_weights_product(self):
        g = torch.Generator().manual_seed(3)
        # K = 40 and N = 10: neither a multiple of the tiles' 16 and 4 (the padding must not show)
        w, b, x = torch.randn(10, 40, generator=g), torch.randn(10, generator=g), torch.randn(5, 40, generator=g)
        for kind, dt in KINDS.items():
            layer = halflinear.HalfLinear(w, b, kind)
            self.assertEqual(layer.weight_tiles.dtype, dt)
            expected = x.double() @ w.to(dt).double().t() + b.double()
            self.assertLess(float((layer(x).double() - expected).abs().max()), 1e-5, kind)
            res = torch.randn(5, 10, generator=g)
            self.assertLess(float((layer.forward_add(x, res).double() - expected - res.double()).abs().max()), 1e-5)

    def test_gpt2(self):
        fp32 = test_gpt2_cache.tiny_model()
        ids = torch.randint(0, 97, (2, 12), generator=torch.Generator().manual_seed(4))
        prompt = ids[0, :7].tolist()
        for kind in KINDS:
            half = gpt2.quantize_weights(copy.deepcopy(fp32), kind)
            with torch.no_grad():
                a, b = fp32.logits_all(ids), half.logits_all(ids)
                self.assertLess(float((a - b).abs().max() / a.abs().max()), 0.05, kind)
                self.assertGreater(float((a.argmax(-1) == b.argmax(-1)).float().mean()), 0.9, kind)
                cached, _, _ = test_gpt2_cache.greedy_cached_batch(half, [prompt], 12, [2])
                self.assertEqual(cached[0], test_gpt2_cache.greedy_recompute(half, prompt, 12), kind)
                self.assertTrue(torch.equal(self.reloaded(gpt2.script_for_serving(copy.deepcopy(fp32), kind))
                                            .logits_all(ids), b), kind)

    def test_llama_family(self):
        for shape in ("llama-tiny", "qwen2-tiny"):
            fp32 = llama_testkit.tiny(shape)[0]
            ids = torch.randint(0, 97, (2, 10), generator=torch.Generator().manual_seed(2))
            prompt, other = ids[0, :6].tolist(), ids[1, :9].tolist()
            for kind in KINDS:
                half = llama.quantize_weights(copy.deepcopy(fp32), kind)
                with torch.no_grad():
                    a, b = fp32.logits_all(ids), half.logits_all(ids)
                    self.assertLess(float((a - b).abs().max() / a.abs().max()), 0.05, (shape, kind))
                    # two prompts of different lengths batched (padded prefill, then two-row steps)
                    cached = llama_testkit.greedy_cached_batch(half, [prompt, other], 10, [1, 3])
                    self.assertEqual(cached[0], llama_testkit.greedy_recompute(half, prompt, 10), (shape, kind))
                    self.assertEqual(cached[1], llama_testkit.greedy_recompute(half, other, 10), (shape, kind))
                    scripted = self.reloaded(llama.script_for_serving(copy.deepcopy(half), kind))
                    self.assertTrue(torch.equal(scripted.logits_all(ids), b), (shape, kind))

    def test_pack_half_weights_serves_a_float_archive_like_the_quantized_one(self):
        """A float archive's pack_half_weights (option.dtype bf16 / fp16 on the CPU): every layer and the head in
        16-bit tiles, the same logits as the archive written with --quantize, through a prefill and cached steps."""
        ids = torch.randint(0, 97, (2, 7), generator=torch.Generator().manual_seed(5))
        models = [(test_gpt2_cache.tiny_model(), gpt2, 4 * 2 + 1)]  # tiny GPT-2: 2 blocks of 4 layers and the head
        models += [(llama_testkit.tiny(shape)[0], llama, None) for shape in ("llama-tiny", "qwen2-tiny")]
        for fp32, family, layers in models:
            for kind, dtype in (("bf16", "bfloat16"), ("fp16", "float16")):
                want = family.script_for_serving(copy.deepcopy(fp32), kind)
                got = family.script_for_serving(copy.deepcopy(fp32))
                got.cast("float32")
                n = got.pack_half_weights(dtype)
                if layers is not None:
                    self.assertEqual(n, layers)
                self.assertGreater(n, 1)
                self.assertEqual(got.pack_half_weights(dtype), n, "packing twice changes nothing")
                self.assertEqual(want.pack_half_weights(dtype), n, "a --quantize archive's tiles count the same")
                self.assertEqual(got.pack_cpu_weights(), 0, "nothing left for oneDNN")
                with torch.no_grad():
                    self.assertTrue(torch.equal(got.logits_all(ids), want.logits_all(ids)), (family.__name__, kind))
                    caches = [fp32.new_cache(2, 16), fp32.new_cache(2, 16)]
                    pos = torch.arange(7).view(1, 7).expand(2, 7).contiguous()
                    args = (ids, pos, torch.tensor([1, 0]), torch.tensor([6, 4]))
                    self.assertTrue(torch.equal(got(*args, *caches[0]), want(*args, *caches[1])))
                    for step in range(3):  # one-token steps: the fused path (norms folded into the products)
                        sid, spos = torch.tensor([[3 + step], [5]]), torch.tensor([[7 + step], [7 + step]])
                        zero = torch.zeros(2, dtype=torch.long)
                        a = got(sid, spos, torch.tensor([1, 0]), zero, *caches[0])
                        b = want(sid, spos, torch.tensor([1, 0]), zero, *caches[1])
                        self.assertTrue(torch.equal(a, b), (family.__name__, kind, step))
                with self.assertRaises(Exception):
                    got.cast("float32")  # after packing, refused
        self.assertEqual(gpt2.script_for_serving(copy.deepcopy(models[0][0]), "int8").pack_half_weights("bf16"), 0)
        with self.assertRaises(Exception):
            gpt2_float = gpt2.script_for_serving(copy.deepcopy(models[0][0]))
            gpt2_float.pack_half_weights("float32")  # only 16-bit kinds

    def test_unknown_kind_is_refused(self):
        with self.assertRaises(ValueError):
            halflinear.served_linear("int4", torch.zeros(4, 4), None)

    @staticmethod
    def reloaded(scripted):
        buf = io.BytesIO()
        torch.jit.save(scripted, buf)
        buf.seek(0)
        return torch.jit.load(buf)


if __name__ == "__main__":
    unittest.main()
