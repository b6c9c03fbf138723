"""merge_lora.py: the merged served folder's archive computes what the base archive computes with the adapter
through logits_all_lora / forward_lora (and what PEFT's merge of the same files gives, lora_testkit), for GPT-2
and a Llama-family base, from a PEFT folder and from a converted one; a bad adapter exits 2 with one line.

Run: /usr/bin/python3 -m unittest models/tools/tests/test_lora_merge.py (from the repository root)
"""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import convert_gpt2  # noqa: E402
import convert_lora  # noqa: E402
import merge_lora  # noqa: E402
from families import llama_family  # noqa: E402
from lora_testkit import base_folder, peft_merged, random_peft  # noqa: E402
from slmtorch import peft_lora  # noqa: E402


def quiet(fn, *argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = fn(list(argv))
    return code, err.getvalue().strip()


class MergedFolder(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def _served(self, kind):
        """A served base folder (model.pt via the family's writer) and its eager model."""
        cfg_dir = os.path.join(self.dir, "cfg")
        model, d = base_folder(kind, cfg_dir)
        tok = os.path.join(self.dir, "tok")
        os.makedirs(tok, exist_ok=True)
        with open(os.path.join(tok, "tokenizer.json"), "w") as f:
            json.dump({"added_tokens": []}, f)
        served = os.path.join(self.dir, "served")
        with contextlib.redirect_stderr(io.StringIO()):
            if kind == "gpt2":
                from slmtorch import gpt2
                convert_gpt2.write_served_folder(model, gpt2.GPT2Config.from_hf_dict(d),
                                                 os.path.join(tok, "tokenizer.json"), served)
            else:
                from slmtorch import llama
                import copy
                llama_family.write_served_folder(copy.deepcopy(model), llama.LlamaConfig(d), tok, served)
        return served, model

    def _check(self, kind, targets):
        served, model = self._served(kind)
        peft = os.path.join(self.dir, "peft")
        random_peft(served, peft, targets, seed=4)
        conv = os.path.join(self.dir, "conv")
        self.assertEqual(quiet(convert_lora.main, "--base", served, "--peft", peft, "--out", conv)[0], 0)
        base = torch.jit.load(os.path.join(served, "model.pt"))
        _, tensors = peft_lora.read_converted(conv)
        stacks = peft_lora.stacks_for(base.lora_targets(), base.lora_target_shapes(), model.cfg_n_layer, [tensors])
        ids = torch.tensor([[5, 17, 33, 2, 90, 41, 7, 7, 63]])
        want = base.logits_all_lora(ids, torch.tensor([1]), stacks)
        self.assertGreater(float((want - base.logits_all(ids)).abs().max()), 0.1, "adapter has no effect")
        torch.testing.assert_close(want, peft_merged(model, peft).logits_all(ids), rtol=1e-4, atol=1e-4)
        for flag, src in (("--peft", peft), ("--adapter", conv)):
            out = os.path.join(self.dir, "merged" + flag)
            code, msg = quiet(merge_lora.main, "--base", served, flag, src, "--out", out)
            self.assertEqual(code, 0, msg)
            merged = torch.jit.load(os.path.join(out, "model.pt"))
            torch.testing.assert_close(merged.logits_all(ids), want, rtol=1e-4, atol=1e-4)
            # the cached serving step too: the merged plain forward == the base's forward_lora
            pos = torch.arange(ids.shape[1]).view(1, -1)
            got = merged(ids, pos, torch.tensor([0]), torch.tensor([8]), *[merged.new_cache_tensor(1, 16)
                                                                           for _ in range(2)])
            lo = base.forward_lora(ids, pos, torch.tensor([0]), torch.tensor([8]), base.new_cache_tensor(1, 16),
                                   base.new_cache_tensor(1, 16), torch.tensor([1]), stacks)
            torch.testing.assert_close(got, lo, rtol=1e-4, atol=1e-4)
            self.assertTrue(os.path.isfile(os.path.join(out, "serving.properties")))
            self.assertTrue(os.path.isfile(os.path.join(out, "tokenizer.json")))
            with open(os.path.join(out, "README.md")) as f:
                self.assertIn("merge_lora.py", f.read())

    def test_gpt2(self):
        self._check("gpt2", ["c_attn", "c_proj", "c_fc"])

    def test_llama(self):
        self._check("llama-tiny", ["q_proj", "v_proj", "o_proj", "down_proj", "up_proj"])

    def test_bad_adapter_refused(self):
        served, _ = self._served("gpt2")
        peft = os.path.join(self.dir, "peft")
        random_peft(served, peft, ["c_attn"], modules_to_save=["lm_head"])
        code, msg = quiet(merge_lora.main, "--base", served, "--peft", peft, "--out", os.path.join(self.dir, "m"))
        self.assertEqual(code, 2)
        self.assertTrue(msg.startswith("merge_lora.py: error: modules_to_save"), msg)


if __name__ == "__main__":
    unittest.main()
