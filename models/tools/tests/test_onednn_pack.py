"""pack_cpu_weights (slmtorch/onednn.py) in served GPT-2 and Llama-family archives: the archive records oneDNN's
ops, packing counts every float32 linear layer once, releases the plain weights, keeps cache == recompute and the
logits of the unpacked archive, gives a tied LM head its own copy on request (pack_tied_head), leaves int8 layers
alone and refuses a later cast. Torch 1.13 runs the ops'
stand-ins (plain F.linear), so this checks the graph's wiring; the real kernels are checked through libtorch
2.7.1 by PackCpuWeightsTest, TorchLlamaDecoderTest and JlamaParityTest.

Run: /usr/bin/python3 -m unittest tests.test_onednn_pack (from models/tools)
"""
import copy
import io
import os
import sys
import unittest
import zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_testkit import greedy_cached_batch, tiny  # noqa: E402
from slmtorch import gpt2, llama  # noqa: E402
from test_gpt2_cache import tiny_model  # noqa: E402


def plain_weights(sm: torch.jit.ScriptModule) -> int:
    """Elements left in the linear layers' plain weights (the embeddings excluded)."""
    return sum(v.numel() for k, v in sm.state_dict().items() if k.endswith(".weight") and v.dim() == 2
               and "embed_tokens" not in k and "wte" not in k and "wpe" not in k)


def archive_code(sm: torch.jit.ScriptModule) -> str:
    """The TorchScript source the saved archive records (every .py file in its zip)."""
    buf = io.BytesIO()
    torch.jit.save(sm, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".py"))


def records_onednn(sm: torch.jit.ScriptModule) -> bool:
    """The saved archive's code calls oneDNN's reorder and linear ops."""
    code = archive_code(sm)
    return "ops.mkldnn._linear_pointwise(" in code and "ops.mkldnn._reorder_linear_weight(" in code


class PackCpuWeights(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)
        g = torch.Generator().manual_seed(3)
        self.prompts = [torch.randint(0, 97, (k,), generator=g).tolist() for k in (5, 11, 2)]

    def check(self, sm: torch.jit.ScriptModule, layers: int, ids: torch.Tensor, tied: bool = True):
        self.assertTrue(records_onednn(sm))
        want = sm.logits_all(ids)
        before = greedy_cached_batch(sm, self.prompts, 6, [2, 0, 3])
        self.assertGreater(plain_weights(sm), 0)
        self.assertEqual(sm.pack_tied_head(), 0)  # only after the layers
        self.assertEqual(sm.pack_cpu_weights(), layers)
        self.assertEqual(plain_weights(sm), 0)
        self.assertEqual(sm.pack_cpu_weights(), layers)  # again: nothing changes
        torch.testing.assert_close(sm.logits_all(ids), want, rtol=1e-5, atol=1e-5)
        self.assertEqual(greedy_cached_batch(sm, self.prompts, 6, [2, 0, 3]), before)
        # a tied head's own copy: the step reads it, the lookup and logits_all keep the plain table
        self.assertEqual(sm.pack_tied_head(), int(tied))
        self.assertEqual(sm.head_packed.numel() > 0, tied)
        self.assertEqual(sm.pack_tied_head(), int(tied))  # again: nothing changes
        torch.testing.assert_close(sm.logits_all(ids), want, rtol=1e-5, atol=1e-5)
        self.assertEqual(greedy_cached_batch(sm, self.prompts, 6, [2, 0, 3]), before)
        with self.assertRaises(Exception) as e:
            sm.cast("float32")
        self.assertIn("cast must come before pack_cpu_weights", str(e.exception))

    def test_llama_tied_and_untied(self):
        ids = torch.tensor([self.prompts[1]])
        for shape, layers in (("llama-tiny", 2 * 4), ("llama-tiny-untied", 2 * 4 + 1), ("qwen3-tiny", 2 * 4)):
            with self.subTest(shape=shape):
                model, cfg, _ = tiny(shape, std=0.2)
                self.assertEqual(cfg.num_hidden_layers, 2)
                self.check(llama.script_for_serving(copy.deepcopy(model)), layers, ids, tied=cfg.tie_word_embeddings)

    def test_gpt2(self):
        ids = torch.tensor([self.prompts[1]])
        self.check(gpt2.script_for_serving(copy.deepcopy(tiny_model())), 2 * 4, ids)

    def test_int8_layers_are_left_alone(self):
        model, _, _ = tiny("llama-tiny", std=0.2)
        sm = llama.script_for_serving(copy.deepcopy(model), quantize="int8")
        self.assertEqual(sm.pack_cpu_weights(), 0)
        self.assertEqual(sm.pack_tied_head(), 0)
        g = gpt2.script_for_serving(copy.deepcopy(tiny_model()), quantize="int8")
        self.assertEqual(g.pack_cpu_weights(), 0)
        self.assertEqual(g.pack_tied_head(), 0)


if __name__ == "__main__":
    unittest.main()
