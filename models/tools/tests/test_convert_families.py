"""convert.py dispatches GPT-2 and BART snapshots to their families: the served archive gives the snapshot
model's logits, and serving.properties carries the task, dtype and the --max-total-tokens cap.

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests -p 'test_convert_families.py'
"""
import contextlib
import io
import os
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import convert  # noqa: E402
import convert_bart  # noqa: E402
import convert_gpt2  # noqa: E402
from slmtorch import bart, gpt2, numwords  # noqa: E402

NANO_TOKENIZER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "nano-gpt", "tokenizer.json")


def run(*argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        return convert.main(list(argv)), err.getvalue()


def props(path):
    with open(os.path.join(path, "serving.properties"), encoding="utf-8") as f:
        return dict(line.strip().split("=", 1) for line in f if "=" in line)


class ConvertFamilies(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)

    def test_gpt2(self):
        torch.manual_seed(0)
        cfg = gpt2.GPT2Config(vocab_size=8192, n_positions=64, n_embd=32, n_layer=2, n_head=4)
        model = gpt2.build(cfg).eval()
        ids = torch.randint(0, 8192, (1, 9), generator=torch.Generator().manual_seed(1))
        with tempfile.TemporaryDirectory() as d:
            convert_gpt2.export_hf_snapshot(model, cfg, NANO_TOKENIZER, os.path.join(d, "hf"))
            rc, err = run(os.path.join(d, "hf"), os.path.join(d, "out"), "--max-total-tokens", "48")
            self.assertEqual(rc, 0, err)
            p = props(os.path.join(d, "out"))
            self.assertEqual((p["option.task"], p["max_total_tokens"], p["option.dtype"]),
                             ("text-generation", "48", "float32"))
            m = torch.jit.load(os.path.join(d, "out", "model.pt"))
            torch.testing.assert_close(m.logits_all(ids), model.logits_all(ids), rtol=1e-5, atol=1e-5)

    def test_bart(self):
        torch.manual_seed(0)
        tok = numwords.NumTokenizer()
        cfg = bart.BartConfig(vocab_size=tok.vocab_size, d_model=32, encoder_layers=1, decoder_layers=1,
                              encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
                              decoder_ffn_dim=64, max_position_embeddings=40)
        model = bart.build(cfg).eval()
        src = torch.tensor([tok.encode("12345")])
        dec = torch.tensor([[cfg.decoder_start_token_id] + tok.encode(numwords.words(12345))])
        with tempfile.TemporaryDirectory() as d:
            tok_path = os.path.join(d, "tokenizer.json")
            numwords.write_tokenizer(tok_path)
            convert_bart.export_hf_snapshot(model, cfg, tok_path, os.path.join(d, "hf"))
            rc, err = run(os.path.join(d, "hf"), os.path.join(d, "out"), "--max-total-tokens", "30")
            self.assertEqual(rc, 0, err)
            p = props(os.path.join(d, "out"))
            self.assertEqual((p["option.task"], p["max_input_tokens"], p["max_total_tokens"]),
                             ("text2text-generation", "20", "30"))
            m = torch.jit.load(os.path.join(d, "out", "model.pt"))
            torch.testing.assert_close(m.logits_all(src, dec), model.logits_all(src, dec), rtol=1e-5, atol=1e-5)


if __name__ == "__main__":
    unittest.main()
