"""HF GPT-2 snapshot export -> convert gives identical logits; safetensors I/O; served folder files.

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests
"""
import copy
import json
import os
import struct
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bpe  # noqa: E402
import convert_gpt2  # noqa: E402
from slmtorch import gpt2  # noqa: E402


def tiny(seed=0, vocab=300):
    torch.manual_seed(seed)
    cfg = gpt2.GPT2Config(vocab_size=vocab, n_positions=32, n_embd=32, n_layer=2, n_head=4)
    return gpt2.build(cfg).eval(), cfg


def tiny_tokenizer(path, vocab=300):
    v, merges = bpe.train_bpe(["In the beginning God created the heaven and the earth. " * 20,
                               "And the earth was without form, and void. café 日本"], vocab, verbose=False)
    bpe.ByteLevelBPE(v, merges).save(path)


class SafetensorsIO(unittest.TestCase):
    def test_round_trip_dtypes(self):
        t = {"a": torch.randn(3, 4), "b": torch.randn(5).half(), "c": torch.randn(2, 2).bfloat16()}
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            convert_gpt2.write_safetensors(t, p)
            with open(p, "rb") as f:
                n = struct.unpack("<Q", f.read(8))[0]
                header = json.loads(f.read(n))
            self.assertEqual(header["c"]["dtype"], "BF16")
            back = convert_gpt2.read_safetensors(p)
        self.assertTrue(torch.equal(back["a"], t["a"]))
        self.assertTrue(torch.equal(back["b"], t["b"]))
        self.assertTrue(torch.equal(back["c"], t["c"].float()))  # BF16 is widened to float32 on read


class ExportConvert(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)

    def test_export_then_convert_gives_identical_logits(self):
        model, cfg = tiny()
        ids = torch.randint(0, cfg.vocab_size, (2, 9), generator=torch.Generator().manual_seed(3))
        with tempfile.TemporaryDirectory() as d:
            tok = os.path.join(d, "tok.json")
            tiny_tokenizer(tok, cfg.vocab_size)
            hf = os.path.join(d, "hf")
            convert_gpt2.export_hf_snapshot(model, cfg, tok, hf)
            self.assertEqual(sorted(os.listdir(hf)),
                             ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"])
            back, cfg2 = convert_gpt2.load_hf_snapshot(hf)
            self.assertEqual(cfg2.to_hf_dict(), cfg.to_hf_dict())
            self.assertTrue(torch.equal(back.logits_all(ids), model.logits_all(ids)))

            served = os.path.join(d, "served")
            scripted = convert_gpt2.write_served_folder(back, cfg2, os.path.join(hf, "tokenizer.json"), served)
            self.assertEqual(sorted(os.listdir(served)), ["config.json", "model.pt", "serving.properties",
                                                          "tokenizer.json", "tokenizer_config.json"])
            ck = torch.zeros(scripted.cache_shape(2, 16))
            cv = torch.zeros_like(ck)
            out = scripted(ids, torch.arange(9).view(1, 9).expand(2, 9).contiguous(), torch.tensor([0, 1]),
                           torch.tensor([8, 4]), ck, cv)
            want = model.logits_all(ids)
            torch.testing.assert_close(out, torch.stack([want[0, 8], want[1, 4]]), rtol=1e-5, atol=1e-5)
            with open(os.path.join(served, "serving.properties")) as f:
                props = f.read()
            self.assertIn("option.task=text-generation", props)
            self.assertIn("max_total_tokens=32", props)
            with open(os.path.join(served, "tokenizer_config.json")) as f:
                tc = json.load(f)
            self.assertEqual(tc["eos_token"], "<|endoftext|>")

    def test_hf_name_variants_and_pytorch_bin(self):
        """Original GPT-2 checkpoints have no 'transformer.' prefix, carry attn.bias buffers and lm_head."""
        model, cfg = tiny(seed=5)
        sd = {k[len("transformer."):]: v for k, v in model.state_dict().items()}
        sd["h.0.attn.bias"] = torch.ones(1, 1, 32, 32)
        sd["lm_head.weight"] = model.state_dict()["transformer.wte.weight"]
        ids = torch.randint(0, cfg.vocab_size, (1, 7))
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(cfg.to_hf_dict(), f)
            torch.save(sd, os.path.join(d, "pytorch_model.bin"))
            back, _ = convert_gpt2.load_hf_snapshot(d)
        self.assertTrue(torch.equal(back.logits_all(ids), model.logits_all(ids)))


class Upgrade(unittest.TestCase):
    def test_upgrade_rescripts_an_old_layout_archive_with_the_same_logits(self):
        model, cfg = tiny(seed=2)
        ids = torch.randint(0, cfg.vocab_size, (1, 6), generator=torch.Generator().manual_seed(4))
        with tempfile.TemporaryDirectory() as d:
            tok = os.path.join(d, "tok.json")
            tiny_tokenizer(tok, cfg.vocab_size)
            convert_gpt2.write_served_folder(model, cfg, tok, d)
            # an archive from before the out-major serving layout: Conv1D weights stored [in, out]
            old = torch.jit.script(gpt2.to_buffers(copy.deepcopy(model)))
            self.assertFalse(old.transformer.h[0].attn.c_attn.out_major)
            old.save(os.path.join(d, "model.pt"))
            before = {f: open(os.path.join(d, f), "rb").read() for f in os.listdir(d) if f != "model.pt"}
            self.assertLess(convert_gpt2.upgrade_served_folder(d), 1e-5)
            new = torch.jit.load(os.path.join(d, "model.pt"))
            self.assertTrue(dict(new.named_modules())["transformer.h.0.attn.c_attn"].out_major)
            self.assertTrue(hasattr(new, "forward_mixed"))
            torch.testing.assert_close(new.logits_all(ids), model.logits_all(ids), rtol=1e-5, atol=1e-5)
            after = {f: open(os.path.join(d, f), "rb").read() for f in os.listdir(d) if f != "model.pt"}
            self.assertEqual(after, before)
            self.assertEqual(convert_gpt2.upgrade_served_folder(d), 0.0)  # idempotent


if __name__ == "__main__":
    unittest.main()
