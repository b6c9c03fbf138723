"""convert.py on random-weight Llama-family snapshots: round trip for every model_type (single, sharded,
bf16 and pytorch_model.bin weights), the files of the served folder, and the one-line errors.

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests -p 'test_llama_*.py'
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
import convert  # noqa: E402
from llama_testkit import reference_logits  # noqa: E402
from slmtorch import llama, random_snapshot, safetensors_io  # noqa: E402

IDS = [5, 17, 300, 4000, 8191, 42, 7]


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def run_convert(*argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = convert.main(list(argv))
    return rc, err.getvalue()


def snapshot_logits(snap: str, cap=None):
    with open(os.path.join(snap, "config.json")) as f:
        cfg = llama.LlamaConfig(json.load(f), cap)
    sd = {k: v.float() for k, v in safetensors_io.load(os.path.join(snap, "model.safetensors")).items()}
    if cfg.fused:
        sd = dict(llama.split_fused(cfg, sd.items()))
    model = llama.build(cfg)
    inv, att = model.rope_inv_freq, model.attention_factor
    return reference_logits(cfg, sd, IDS, inv, att, model.rope_local_inv_freq)


class ConvertRoundTrip(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def snap(self, shape, **kw):
        path = os.path.join(self.d, shape + "-hf")
        random_snapshot.write_snapshot(shape, path, seed=3, std=0.25, **kw)
        return path

    def test_every_model_type_converts_and_matches_the_reference(self):
        for shape in ("llama-tiny", "llama-tiny-untied", "mistral-tiny", "qwen2-tiny", "qwen3-tiny", "llama3-tiny",
                      "phi3-tiny", "gemma-tiny", "gemma2-tiny", "gemma3-tiny"):
            with self.subTest(shape=shape):
                snap = self.snap(shape)
                out = os.path.join(self.d, shape)
                rc, err = run_convert(snap, out, "--max-total-tokens", "200")
                self.assertEqual(rc, 0, err)
                self.assertEqual(sorted(os.listdir(out)), ["config.json", "generation_config.json", "model.pt",
                                                           "serving.properties", "tokenizer.json",
                                                           "tokenizer_config.json"])
                m = torch.jit.load(os.path.join(out, "model.pt"))
                want = snapshot_logits(snap, 200)
                torch.testing.assert_close(m.logits_all(torch.tensor([IDS]))[0], want, rtol=1e-4, atol=1e-4)
                props = read_text(os.path.join(out, "serving.properties"))
                self.assertIn("option.task=text-generation", props)
                # mistral-tiny's sliding window (96) caps the sequence length: no banded mask in the graph
                self.assertIn("max_total_tokens=%d" % (96 if shape == "mistral-tiny" else 200), props)
                if shape == "phi3-tiny":  # 200 > original_max_position_embeddings 64: the long factors
                    self.assertIn("model.layers.0.self_attn.qkv_proj.weight",
                                  safetensors_io.read_header(os.path.join(snap, "model.safetensors")))

    def test_sharded_bf16_and_bin_snapshots(self):
        snap = self.snap("qwen2-tiny", dtype="bfloat16")
        want = snapshot_logits(snap)
        st = os.path.join(snap, "model.safetensors")
        tensors = safetensors_io.load(st)
        self.assertEqual(tensors["model.norm.weight"].dtype, torch.bfloat16)
        names = sorted(tensors)
        shards = {"model-00001-of-00002.safetensors": names[:7], "model-00002-of-00002.safetensors": names[7:]}
        for fname, keys in shards.items():
            safetensors_io.save({k: tensors[k] for k in keys}, os.path.join(snap, fname))
        with open(os.path.join(snap, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": {k: fn for fn, ks in shards.items() for k in ks}}, f)
        os.remove(st)
        out = os.path.join(self.d, "sharded")
        rc, err = run_convert(snap, out, "--dtype", "bfloat16")
        self.assertEqual(rc, 0, err)
        self.assertIn("option.dtype=bfloat16", read_text(os.path.join(out, "serving.properties")))
        m = torch.jit.load(os.path.join(out, "model.pt"))
        self.assertEqual(m.model.embed_tokens.weight.dtype, torch.bfloat16)
        m.cast("float32")
        torch.testing.assert_close(m.logits_all(torch.tensor([IDS]))[0], want, rtol=1e-4, atol=1e-4)

        for k in list(os.listdir(snap)):
            if "safetensors" in k:
                os.remove(os.path.join(snap, k))
        torch.save({k: v.float() for k, v in tensors.items()}, os.path.join(snap, "pytorch_model.bin"))
        out = os.path.join(self.d, "bin")
        rc, err = run_convert(snap, out)
        self.assertEqual(rc, 0, err)
        m = torch.jit.load(os.path.join(out, "model.pt"))
        torch.testing.assert_close(m.logits_all(torch.tensor([IDS]))[0], want, rtol=1e-4, atol=1e-4)

    def test_served_folder_exports_back_to_the_same_snapshot(self):
        from families import llama_family
        snap = self.snap("qwen2-tiny")
        out = os.path.join(self.d, "served")
        self.assertEqual(run_convert(snap, out)[0], 0)
        back = os.path.join(self.d, "back")
        llama_family.served_to_snapshot(out, back)
        a = safetensors_io.load(os.path.join(snap, "model.safetensors"))
        b = safetensors_io.load(os.path.join(back, "model.safetensors"))
        self.assertEqual(sorted(a), sorted(b))
        for k in a:
            self.assertTrue(torch.equal(a[k], b[k]), k)

    def assert_one_line_error(self, snap, *needles):
        rc, err = run_convert(snap, os.path.join(self.d, "bad"))
        self.assertEqual(rc, 2)
        self.assertEqual(err.strip().count("\n"), 0, err)
        self.assertTrue(err.startswith("convert.py: error: "), err)
        for n in needles:
            self.assertIn(n, err)

    def test_unsupported_model_type(self):
        snap = self.snap("llama-tiny")
        cfg = read_json(os.path.join(snap, "config.json"))
        cfg["model_type"] = "falcon"
        write_json(os.path.join(snap, "config.json"), cfg)
        self.assert_one_line_error(snap, "unsupported model_type 'falcon'", "llama", "mistral", "qwen2", "qwen3",
                                   "phi3", "gemma", "gemma2", "gemma3_text", "gpt2", "bart", "bert")

    def test_unsupported_rope_type(self):
        snap = self.snap("llama-tiny")
        cfg = read_json(os.path.join(snap, "config.json"))
        cfg["rope_scaling"] = {"rope_type": "mrope", "factor": 2.0}
        write_json(os.path.join(snap, "config.json"), cfg)
        self.assert_one_line_error(snap, "unsupported rope_scaling type 'mrope'", "llama3", "yarn", "dynamic", "longrope")

    def test_missing_tensor(self):
        snap = self.snap("llama-tiny")
        st = os.path.join(snap, "model.safetensors")
        tensors = safetensors_io.load(st)
        del tensors["model.layers.1.mlp.up_proj.weight"]
        safetensors_io.save(tensors, st)
        self.assert_one_line_error(snap, "missing tensor model.layers.1.mlp.up_proj.weight")

    def test_shape_contradicting_config(self):
        snap = self.snap("llama-tiny")
        cfg = read_json(os.path.join(snap, "config.json"))
        cfg["intermediate_size"] = 96
        write_json(os.path.join(snap, "config.json"), cfg)
        self.assert_one_line_error(snap, "model.layers.0.mlp.down_proj.weight has shape [64, 128]",
                                   "config.json implies [64, 96]")

    def test_truncated_safetensors(self):
        snap = self.snap("llama-tiny")
        st = os.path.join(snap, "model.safetensors")
        size = os.path.getsize(st)
        with open(st, "r+b") as f:
            f.truncate(size - 1000)
        self.assert_one_line_error(snap, "truncated safetensors file", "model.safetensors")


if __name__ == "__main__":
    unittest.main()
