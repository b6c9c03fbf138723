"""slmtorch.rowsplit.linear_t against the plain product x @ W^T + b, scripted as archives run it: one row in row
blocks (weights whose row count the blocks divide or not), one block (the plain form), several rows (the plain
form), with and without bias; the result is [rows, out] and contiguous. And set_intra_op_threads, which the engine
calls after load, reaches every linear layer of a served archive."""
import copy
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_testkit import greedy_cached_batch, tiny  # noqa: E402
from test_gpt2_cache import tiny_model  # noqa: E402
from slmtorch import gpt2, llama  # noqa: E402
from slmtorch.rowsplit import blocks_for, linear_t  # noqa: E402


class RowSplitTest(unittest.TestCase):
    def test_equals_plain_product(self):
        f = torch.jit.script(linear_t)
        g = torch.Generator().manual_seed(0)
        for out in (576, 50257, 960, 7, 3):
            for rows in (1, 2, 5, 16):
                for blocks in (8, 2, 1):
                    w = torch.randn(out, 96, generator=g)
                    x = torch.randn(rows, 96, generator=g)
                    b = torch.randn(out, generator=g)
                    for bias in (None, b):
                        with self.subTest(out=out, rows=rows, blocks=blocks, bias=bias is not None):
                            want = x @ w.t() + (0 if bias is None else bias)
                            y = f(w, x, bias, blocks)
                            self.assertEqual(tuple(y.shape), (rows, out))
                            self.assertTrue(y.is_contiguous())
                            self.assertLess(float((y - want).abs().max()), 1e-4)

    def test_one_row_of_a_strided_input(self):
        # a row picked out of a batch (x[last] in the mixed step) is a view
        f = torch.jit.script(linear_t)
        w = torch.randn(64, 32)
        for x in (torch.randn(4, 32)[2:3], torch.randn(32, 4).t()[1:2]):
            self.assertLess(float((f(w, x, None, 8) - x @ w.t()).abs().max()), 1e-4)

    def test_blocks_for_threads(self):
        self.assertEqual([blocks_for(t) for t in (1, 2, 4, 16)], [1, 8, 8, 8])

    def test_set_intra_op_threads_reaches_every_linear_layer(self):
        ids = torch.tensor([[3, 14, 15, 9, 2]])
        llama_model, _, _ = tiny("qwen2-tiny")
        for scripted in (llama.script_for_serving(copy.deepcopy(llama_model)), gpt2.script_for_serving(tiny_model())):
            want = scripted.logits_all(ids)
            for threads, blocks in ((1, 1), (2, 8)):
                scripted.set_intra_op_threads(threads)
                found = [m.row_blocks for _, m in scripted.named_modules() if hasattr(m, "row_blocks")]
                self.assertGreater(len(found), 4)
                self.assertEqual(set(found), {blocks})
                torch.testing.assert_close(scripted.logits_all(ids), want, rtol=1e-5, atol=1e-5)

    def test_one_stream_decodes_the_same_split_or_not(self):
        # one prompt alone: every decode step is one row, so the split runs in every linear layer and the LM head
        model, _, _ = tiny("qwen2-tiny")
        scripted = llama.script_for_serving(copy.deepcopy(model))
        prompts = [[5, 17, 33, 2, 60]]
        scripted.set_intra_op_threads(1)
        plain = greedy_cached_batch(scripted, prompts, 12, slots=[1])
        scripted.set_intra_op_threads(2)
        self.assertEqual(greedy_cached_batch(scripted, prompts, 12, slots=[1]), plain)
        self.assertGreater(len(set(plain[0])), 3, "degenerate test: constant output")

if __name__ == "__main__":
    unittest.main()
