"""Tests for the encoder tooling: safetensors I/O, HF snapshot round trips, served archives, tokenizer.

    /usr/bin/python3 -m unittest discover -s models/tools/tests
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)

import torch  # noqa: E402

import hf_bert  # noqa: E402
from slmtorch import bert, fp16gemm, safetensors_io  # noqa: E402
from slmtorch.wordpiece import WordPieceTokenizer  # noqa: E402

torch.set_num_threads(1)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tiny_cfg(arch):
    cfg = bert.make_config(architectures=[arch], vocab_size=50, hidden_size=16, num_hidden_layers=2,
                           num_attention_heads=2, intermediate_size=32, max_position_embeddings=16)
    if arch == "BertForSequenceClassification":
        cfg.update(id2label={"0": "a", "1": "b", "2": "c"}, label2id={"a": 0, "b": 1, "c": 2})
    return cfg


def inputs(vocab=50):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, vocab, (3, 7), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 4:] = 0
    mask[2, 2:] = 0
    return ids, mask, torch.zeros_like(ids)


class SafetensorsTest(unittest.TestCase):
    def test_round_trip_dtypes(self):
        g = torch.Generator().manual_seed(1)
        ts = {"a": torch.randn(3, 4, generator=g), "b": torch.randn(5, generator=g).half(),
              "c": torch.randn(2, 2, generator=g).bfloat16(), "d": torch.arange(6).reshape(2, 3),
              "e": torch.zeros(0)}
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            safetensors_io.save(ts, p)
            with open(p, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
                header = json.loads(f.read(n))
            self.assertEqual(n % 8, 0)
            self.assertEqual(header["c"]["dtype"], "BF16")
            back = safetensors_io.load(p)
        self.assertEqual(set(back), set(ts))
        for k in ts:
            self.assertEqual(back[k].dtype, ts[k].dtype)
            self.assertTrue(torch.equal(back[k], ts[k]), k)


class SnapshotRoundTripTest(unittest.TestCase):
    def test_each_architecture(self):
        for arch, shape in (("BertModel", (3, 7, 16)), ("BertForMaskedLM", (3, 7, 50)),
                            ("BertForSequenceClassification", (3, 3))):
            with self.subTest(arch=arch), tempfile.TemporaryDirectory() as d:
                cfg = tiny_cfg(arch)
                torch.manual_seed(0)
                m = bert.build(cfg)
                bert.init_weights(m, std=0.2)
                m.eval()
                hf_bert.write_snapshot(m, cfg, d)
                names = set(safetensors_io.load(os.path.join(d, "model.safetensors")))
                self.assertTrue(any(n.endswith("encoder.layer.1.attention.self.query.weight") for n in names))
                self.assertNotIn("cls.predictions.decoder.weight", names)  # tied, omitted as transformers does
                back, _ = hf_bert.load_snapshot(d)
                x = inputs()
                with torch.no_grad():
                    y = m(*x)
                    self.assertEqual(tuple(y.shape), shape)
                    self.assertTrue(torch.equal(y, back(*x)))

    def test_tied_keys_and_old_names_accepted(self):
        cfg = tiny_cfg("BertForMaskedLM")
        m = bert.build(cfg)
        bert.init_weights(m, std=0.2)
        sd = bert.hf_state_dict(m)  # includes cls.predictions.decoder.* aliases
        sd["cls.seq_relationship.weight"] = torch.zeros(2, 16)  # BertForPreTraining extra head
        sd["bert.embeddings.LayerNorm.gamma"] = sd.pop("bert.embeddings.LayerNorm.weight")
        with tempfile.TemporaryDirectory() as d:
            safetensors_io.save(sd, os.path.join(d, "model.safetensors"))
            cfg2 = dict(cfg, architectures=["BertForPreTraining"])
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(cfg2, f)
            back, c = hf_bert.load_snapshot(d)
        self.assertEqual(c["architectures"], ["BertForMaskedLM"])
        x = inputs()
        with torch.no_grad():
            self.assertTrue(torch.equal(m.eval()(*x), back(*x)))

    def test_masked_rows_match_unpadded(self):
        cfg = tiny_cfg("BertModel")
        m = bert.build(cfg)
        bert.init_weights(m, std=0.2)
        m.eval()
        ids, mask, tt = inputs()
        with torch.no_grad():
            full = m(ids, mask, tt)
            one = m(ids[1:2, :4], mask[1:2, :4], tt[1:2, :4])
        self.assertLess((full[1, :4] - one[0]).abs().max().item(), 1e-5)


class ServedArchiveTest(unittest.TestCase):
    def test_cast_changes_every_parameter(self):
        cfg = tiny_cfg("BertForSequenceClassification")
        m = bert.build(cfg)
        bert.init_weights(m, std=0.2)
        bert.half_matrices(m)
        sm = torch.jit.script(m.eval())
        self.assertEqual({p.dtype for _, p in sm.named_parameters()}, {torch.float16, torch.float32})
        for name, dt in (("float16", torch.float16), ("bfloat16", torch.bfloat16), ("float32", torch.float32)):
            sm.cast(name)
            self.assertEqual({p.dtype for _, p in sm.named_parameters()}, {dt})
            if dt != torch.float16:  # torch 1.13 has no CPU fp16 LayerNorm (libtorch 2.7 does)
                self.assertEqual(sm(*inputs()).dtype, dt)
        with self.assertRaises(Exception):
            sm.cast("int8")

    def test_fp16_gemm_archive(self):
        """enable_fp16_gemm keeps names and outputs; the archive exports pack_fp16_weights, which leaves weights
        that are not fp16 values unpacked (0). Packing itself needs FBGEMM: the Java Fp16WeightGemmTest."""
        cfg = tiny_cfg("BertModel")
        m = bert.build(cfg)
        bert.init_weights(m, std=0.2)
        m.eval()
        x = inputs()
        with torch.no_grad():
            before = m(*x)
        keys = list(m.state_dict())
        fp16gemm.enable_fp16_gemm(m)
        self.assertEqual(keys, list(m.state_dict()))
        sm = torch.jit.script(m)
        with tempfile.TemporaryDirectory() as d:
            torch.jit.save(sm, os.path.join(d, "m.pt"))
            back = torch.jit.load(os.path.join(d, "m.pt"))
        back.cast("float32")
        self.assertEqual(back.pack_fp16_weights(), 0)  # random fp32 weights: not lossless in fp16
        with torch.no_grad():
            self.assertTrue(torch.equal(before, back(*x)))
        self.assertFalse(hasattr(torch.jit.script(bert.build(cfg)), "pack_fp16_weights"))


def served_round_trip(test, name):
    """served folder -> HF snapshot -> served folder with the command-line tool (fresh processes, as a user
    runs it): identical model.pt bytes and identical logits."""
    src = os.path.join(MODELS, name)
    if not os.path.exists(os.path.join(src, "model.pt")):
        test.skipTest(name + " not built")
    tool = os.path.join(TOOLS, "hf_bert.py")
    with tempfile.TemporaryDirectory() as d:
        snap, served = os.path.join(d, "snap"), os.path.join(d, "served")
        subprocess.run([sys.executable, tool, "export", src, snap], check=True, capture_output=True)
        names = set(safetensors_io.load(os.path.join(snap, "model.safetensors")))
        test.assertTrue(all(n.startswith(("bert.", "cls.", "classifier.")) for n in names))
        subprocess.run([sys.executable, tool, "import", snap, served, "--max-input-tokens", "128"],
                       check=True, capture_output=True)
        with open(os.path.join(src, "config.json")) as f, open(os.path.join(served, "config.json")) as g:
            cfg = json.load(f)
            test.assertEqual(cfg, json.load(g))
        test.assertEqual(sha(os.path.join(src, "model.pt")), sha(os.path.join(served, "model.pt")))
        original = torch.jit.load(os.path.join(src, "model.pt"))
        reloaded = torch.jit.load(os.path.join(served, "model.pt"))
        tok = WordPieceTokenizer.from_file(os.path.join(src, "tokenizer.json"))
        with open(os.path.join(src, "heldout.jsonl"), encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for line in f][:16]
        ids, mask = tok.batch(texts)
        ids, mask = torch.tensor(ids), torch.tensor(mask)
        original.cast("float32")
        reloaded.cast("float32")
        with torch.no_grad():
            a = original(ids, mask, torch.zeros_like(ids))
            b = reloaded(ids, mask, torch.zeros_like(ids))
        test.assertTrue(torch.equal(a, b))
        return a, cfg


class NanoModelsRoundTripTest(unittest.TestCase):
    def test_nano_bert_mlm(self):
        logits, cfg = served_round_trip(self, "nano-bert-mlm")
        self.assertEqual(logits.shape[-1], cfg["vocab_size"])

    def test_nano_bert_testament(self):
        logits, cfg = served_round_trip(self, "nano-bert-testament")
        self.assertEqual(logits.shape[-1], len(cfg["id2label"]))


class TokenizerTest(unittest.TestCase):
    def test_minilm_ids(self):
        p = os.path.join(MODELS, "all-minilm-l6-v2", "tokenizer.json")
        if not os.path.exists(p):
            self.skipTest("all-minilm-l6-v2 not built")
        tok = WordPieceTokenizer.from_file(p)
        self.assertEqual(tok.encode("Hello world"), [101, 7592, 2088, 102])
        self.assertEqual(tok.encode("The quick brown fox jumps over the lazy dog."),
                         [101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 102])

    def test_nano_tokenizer_keeps_mask_and_case(self):
        p = os.path.join(MODELS, "nano-bert-mlm", "tokenizer.json")
        if not os.path.exists(p):
            self.skipTest("nano-bert-mlm not built")
        tok = WordPieceTokenizer.from_file(p)
        toks = tok.tokenize("The LORD is my [MASK].")
        self.assertEqual(toks[:2], ["The", "LORD"])
        self.assertIn("[MASK]", toks)
        with open(p, encoding="utf-8") as f:
            tj = json.load(f)
        self.assertEqual({t["content"] for t in tj["added_tokens"]}, {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
        self.assertEqual(tj["post_processor"]["type"], "TemplateProcessing")


if __name__ == "__main__":
    unittest.main()
