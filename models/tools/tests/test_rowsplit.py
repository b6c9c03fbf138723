"""slmtorch.rowsplit.linear_t against the plain product x @ W^T + b, scripted as archives run it: every row count
(the one-row block path, the two-row path, the plain path), weights whose row count 8 divides or not, with and
without bias; the result is [rows, out] and contiguous."""
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from slmtorch.rowsplit import linear_t  # noqa: E402


class RowSplitTest(unittest.TestCase):
    def test_equals_plain_product(self):
        f = torch.jit.script(linear_t)
        g = torch.Generator().manual_seed(0)
        for out in (576, 50257, 960, 7, 3):
            for rows in (1, 2, 3, 5, 16):
                w = torch.randn(out, 96, generator=g)
                x = torch.randn(rows, 96, generator=g)
                b = torch.randn(out, generator=g)
                for bias in (None, b):
                    with self.subTest(out=out, rows=rows, bias=bias is not None):
                        want = x @ w.t() + (0 if bias is None else bias)
                        y = f(w, x, bias)
                        self.assertEqual(tuple(y.shape), (rows, out))
                        self.assertTrue(y.is_contiguous())
                        self.assertLess(float((y - want).abs().max()), 1e-4)

    def test_one_row_of_a_strided_input(self):
        # a row picked out of a batch (x[last] in the mixed step) is a view; reshape must still see it whole
        f = torch.jit.script(linear_t)
        w = torch.randn(64, 32)
        x = torch.randn(4, 32)[2:3]
        self.assertLess(float((f(w, x, None) - x @ w.t()).abs().max()), 1e-4)
        xt = torch.randn(32, 4).t()[1:2]  # non-contiguous row
        self.assertLess(float((f(w, xt, None) - xt @ w.t()).abs().max()), 1e-4)


if __name__ == "__main__":
    unittest.main()
