"""convert_lora.py: random PEFT folders (PEFT's tensor names) converted and served through the archive's
logits_all_lora equal PEFT's merge of the same files into the base (written out in lora_testkit, not through the
converter); every refused folder exits 2 with one line naming the fault.

Run: /usr/bin/python3 -m unittest models/tools/tests/test_lora_convert.py (from the repository root)
"""
import contextlib
import copy
import io
import json
import os
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import convert_lora  # noqa: E402
from lora_testkit import base_folder, peft_merged, random_peft  # noqa: E402
from slmtorch import gpt2, llama, peft_lora, safetensors_io  # noqa: E402


def run(*argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = convert_lora.main(list(argv))
    return code, err.getvalue().strip()


class ConvertedEqualsPeftMerge(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def _check(self, kind, target_modules, script, layers=None, **config):
        base = os.path.join(self.dir, kind + "-base")
        model, _ = base_folder(kind, base)
        peft, out = os.path.join(self.dir, kind + "-peft"), os.path.join(self.dir, kind + "-out")
        random_peft(base, peft, target_modules, layers=layers, **config)
        code, msg = run("--base", base, "--peft", peft, "--out", out)
        self.assertEqual(code, 0, msg)
        meta, tensors = peft_lora.read_converted(out)
        self.assertEqual(meta["format"], "slm-lora-1")
        self.assertEqual(meta["layers"], model.cfg_n_layer)
        s = script(copy.deepcopy(model))
        stacks = peft_lora.stacks_for(s.lora_targets(), s.lora_target_shapes(), meta["layers"], [tensors])
        ids = torch.tensor([[3, 14, 15, 92, 65, 35, 89, 79]])
        want = peft_merged(model, peft).logits_all(ids)
        self.assertGreater(float((want - model.logits_all(ids)).abs().max()), 0.1, "adapter has no effect")
        torch.testing.assert_close(s.logits_all_lora(ids, torch.tensor([1]), stacks), want, rtol=1e-4, atol=1e-4)
        # no adapter: the base model's logits, to float rounding (the served graph stacks q/k/v and gate/up, so
        # its products sum in another order than the eager model's separate ones)
        torch.testing.assert_close(s.logits_all_lora(ids, torch.tensor([0]), stacks), model.logits_all(ids),
                                   rtol=1e-5, atol=3e-5)
        return meta, tensors

    def test_gpt2_all_targets(self):
        # "c_proj" selects attn.c_proj and mlp.c_proj, as in PEFT; fused c_attn as one target
        meta, tensors = self._check("gpt2", ["c_attn", "c_proj", "c_fc"], gpt2.script_for_serving)
        self.assertEqual(meta["targets"], ["c_attn", "c_proj", "c_fc", "mlp_c_proj"])
        self.assertEqual(list(tensors["c_attn.a"].shape), [2, 4, 32])
        self.assertEqual(list(tensors["c_attn.b"].shape), [2, 96, 4])

    def test_gpt2_rslora_one_layer(self):
        meta, tensors = self._check("gpt2", ["attn.c_attn"], gpt2.script_for_serving, layers=[1], use_rslora=True,
                                    fan_in_fan_out=True)
        self.assertEqual(meta["targets"], ["c_attn"])
        self.assertEqual(float(tensors["c_attn.a"][0].abs().sum()), 0.0)  # layer 0 untouched: zeros

    def test_llama_attention_and_mlp(self):
        meta, _ = self._check("llama-tiny", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                             "down_proj"], llama.script_for_serving)
        self.assertEqual(meta["targets"], list(llama.LORA_TARGETS))

    def test_llama_regex_targets(self):
        meta, _ = self._check("qwen2-tiny", r".*\.(q_proj|v_proj)", llama.script_for_serving)
        self.assertEqual(meta["targets"], ["q_proj", "v_proj"])

    def test_phi3_fused_qkv_and_gate_up(self):
        # phi3's fused modules: PEFT's B splits by output rows into q/k/v and gate/up
        meta, _ = self._check("phi3-tiny", ["qkv_proj", "gate_up_proj"], llama.script_for_serving)
        self.assertEqual(meta["targets"], ["q_proj", "k_proj", "v_proj", "gate_proj", "up_proj"])


class RefusedFolders(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.base, self.peft, self.out = os.path.join(d, "base"), os.path.join(d, "peft"), os.path.join(d, "out")
        base_folder("gpt2", self.base)
        random_peft(self.base, self.peft, ["c_attn"])

    def tearDown(self):
        self.tmp.cleanup()

    def _config(self, **change):
        path = os.path.join(self.peft, "adapter_config.json")
        with open(path) as f:
            c = json.load(f)
        c.update(change)
        with open(path, "w") as f:
            json.dump(c, f)

    def _tensors(self, fn):
        path = os.path.join(self.peft, "adapter_model.safetensors")
        sd = safetensors_io.load(path)
        fn(sd)
        safetensors_io.save(sd, path)

    def assertRefused(self, *needles):
        code, msg = run("--base", self.base, "--peft", self.peft, "--out", self.out)
        self.assertEqual(code, 2, msg)
        self.assertEqual(len(msg.splitlines()), 1, msg)
        self.assertTrue(msg.startswith("convert_lora.py: error: "), msg)
        for n in needles:
            self.assertIn(n, msg)
        self.assertFalse(os.path.exists(self.out))

    def test_rank_mismatch_between_a_and_b(self):
        key = "base_model.model.transformer.h.0.attn.c_attn.lora_B.weight"
        self._tensors(lambda sd: sd.__setitem__(key, torch.zeros(96, 3)))
        self.assertRefused("rank mismatch", "transformer.h.0.attn.c_attn", "lora_A has rank 4", "lora_B has rank 3")

    def test_rank_mismatch_with_config(self):
        self._config(r=8)
        self.assertRefused("rank mismatch", "r=8", "rank 4")

    def test_shape_mismatch_with_base(self):
        key = "base_model.model.transformer.h.1.attn.c_attn.lora_A.weight"
        self._tensors(lambda sd: sd.__setitem__(key, torch.zeros(4, 48)))
        self.assertRefused("shape mismatch", "transformer.h.1.attn.c_attn", "[4, 48]")

    def test_unknown_target_module_in_config(self):
        self._config(target_modules=["c_attn", "lm_head"])
        self.assertRefused("unknown target module 'lm_head'")

    def test_unknown_module_tensor(self):
        self._tensors(lambda sd: sd.update({"base_model.model.transformer.wte.lora_A.weight": torch.zeros(4, 97)}))
        self.assertRefused("unknown target module transformer.wte")

    def test_tensor_of_module_not_in_target_modules(self):
        self._tensors(lambda sd: sd.update({"base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight":
                                            torch.zeros(4, 32)}))
        self.assertRefused("unknown target module transformer.h.0.mlp.c_fc")

    def test_missing_tensor(self):
        key = "base_model.model.transformer.h.1.attn.c_attn.lora_B.weight"
        self._tensors(lambda sd: sd.pop(key))
        self.assertRefused("missing tensor " + key)

    def test_missing_files(self):
        os.remove(os.path.join(self.peft, "adapter_model.safetensors"))
        self.assertRefused("missing file", "adapter_model.safetensors")
        os.remove(os.path.join(self.peft, "adapter_config.json"))
        self.assertRefused("missing file", "adapter_config.json")
        os.remove(os.path.join(self.base, "config.json"))
        self.assertRefused("missing file", "config.json")

    def test_modules_to_save(self):
        self._config(modules_to_save=["lm_head"])
        self.assertRefused("modules_to_save", "lm_head", "not supported")

    def test_bias(self):
        self._config(bias="lora_only")
        self.assertRefused("bias 'lora_only' is not supported")

    def test_peft_type(self):
        self._config(peft_type="IA3")
        self.assertRefused("peft_type 'IA3' is not supported")

    def test_dora(self):
        self._config(use_dora=True)
        self.assertRefused("use_dora is not supported")


if __name__ == "__main__":
    unittest.main()
