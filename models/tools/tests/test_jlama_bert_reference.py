"""jlama_bert_reference.py: its written-out Hugging Face formula equals slmtorch.bert's module (and the served
archive) on a random snapshot, and its Jlama switches change the result.

    /usr/bin/python3 -m unittest models/tools/tests/test_jlama_bert_reference.py
"""
import os
import sys
import tempfile
import unittest

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)

import torch  # noqa: E402

import hf_bert  # noqa: E402
import jlama_bert_reference as ref  # noqa: E402

torch.set_num_threads(1)


class JlamaBertReferenceTest(unittest.TestCase):

    def test_hf_formula_is_the_module_and_the_archive_and_jlama_switches_differ(self):
        with tempfile.TemporaryDirectory() as d:
            snap, served = os.path.join(d, "snap"), os.path.join(d, "served")
            ref.random_snapshot(snap, layers=2, hidden=32, heads=4, seed=3, std=0.2)
            hf_bert.write_served(*hf_bert.load_snapshot(snap), served, snap)
            ids = [2, 57, 912, 33, 700, 3]
            hf = ref.states(snap, ids, jlama=False)
            jl = ref.states(snap, ids, jlama=True)
            model, _ = hf_bert.load_snapshot(snap)
            sm = torch.jit.load(os.path.join(served, "model.pt"))
            sm.cast("float32")
            t = torch.tensor([ids])
            with torch.no_grad():
                eager = model(t, torch.ones_like(t), torch.zeros_like(t))[0].double()
                archive = sm(t, torch.ones_like(t), torch.zeros_like(t))[0].double()
            self.assertLess((eager - hf).abs().max().item(), 1e-5)
            self.assertLess((archive - hf).abs().max().item(), 1e-5)  # fp16-representable matrices: same weights
            self.assertGreater((jl - hf).abs().max().item(), 0.1)
            # the first position attends only to itself under Jlama's causal attention, all of them under BERT's
            self.assertGreater((jl[0] - hf[0]).abs().max().item(), 0.01)


if __name__ == "__main__":
    unittest.main()
