"""int8 linear layers for the Llama family (llama.quantize_int8, convert.py --quantize int8) on tiny random
shapes, run by slm::int8_linear's written-out formula (slmtorch/kernels.py): logits near fp32's, greedy decoding with the cache (two prompts
batched) equal to greedy recomputed from scratch, and the scripted archive equal to the eager int8 model
(encoders' int8: test_encoder_int8.py).

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests -p test_llama_int8.py
"""
import copy
import io
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_testkit import greedy_cached_batch, greedy_recompute, tiny  # noqa: E402
from slmtorch import llama  # noqa: E402


class Int8Llama(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)

    def check_shape(self, shape):
        fp32 = tiny(shape)[0]
        int8 = llama.quantize_int8(copy.deepcopy(fp32))
        ids = torch.randint(0, 97, (2, 10), generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            a, b = fp32.logits_all(ids), int8.logits_all(ids)
        # toy weights (std 0.25) give large activations and coarse 7-bit steps: a loose bound; real-shape
        # agreement is measured through the engine (Int8DecoderTest)
        self.assertLess(float((a - b).abs().max() / a.abs().max()), 0.35, shape)
        self.assertGreater(float((a.argmax(-1) == b.argmax(-1)).float().mean()), 0.7, shape)
        prompt, other = ids[0, :6].tolist(), ids[1, :9].tolist()
        with torch.no_grad():
            # two prompts of different lengths batched together (padded prefill, then two-row steps): per-row
            # activation scales make each row's result independent of its batchmates, as in fp32
            cached = greedy_cached_batch(int8, [prompt, other], 10, [1, 3])
            self.assertEqual(cached[0], greedy_recompute(int8, prompt, 10), shape)
            self.assertEqual(cached[1], greedy_recompute(int8, other, 10), shape)
        scripted = llama.script_for_serving(copy.deepcopy(int8), "int8")
        buf = io.BytesIO()
        torch.jit.save(scripted, buf)
        buf.seek(0)
        with torch.no_grad():
            self.assertTrue(torch.equal(torch.jit.load(buf).logits_all(ids), int8.logits_all(ids)), shape)

    def test_tied_and_untied_gqa_biases(self):
        for shape in ("llama-tiny", "llama-tiny-untied", "qwen2-tiny"):
            self.check_shape(shape)



if __name__ == "__main__":
    unittest.main()
