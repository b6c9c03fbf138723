"""Byte-level BPE trainer / encoder / tokenizer.json I/O.

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests
Parity with DJL's HuggingFaceTokenizer (Rust tokenizers) is checked by models/tools/tokenizer_java_check.py.
"""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bpe  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NANO_TOKENIZER = os.path.join(HERE, "..", "..", "nano-gpt", "tokenizer.json")

CORPUS = ("And God said, Let there be light: and there was light. And God saw the light, that it was good. "
          "I'm sure they'll see it's the 3rd of 1611 days.\n\n") * 30


class Bpe(unittest.TestCase):
    def test_pretokenize_matches_gpt2_rules(self):
        pieces = ["".join(chr(bpe.BYTE_DECODER[c]) for c in p) for p in bpe.pretokenize("I'm  here 123abc\n\n x")]
        self.assertEqual(pieces, ["I", "'m", " ", " here", " 123", "abc", "\n\n", " x"])
        self.assertEqual(len(bpe.pretokenize("日本語 Ωmega")), 2)

    def test_train_encode_decode_round_trip(self):
        vocab, merges = bpe.train_bpe([CORPUS], 400, verbose=False)
        self.assertEqual(len(vocab), 256 + len(merges) + 1)
        self.assertEqual(vocab[bpe.EOT], len(vocab) - 1)
        tok = bpe.ByteLevelBPE(vocab, merges)
        for s in ["And God said, Let there be light.", "café naïve — 日本語 🙂👍🏽", "  two  spaces\tand tab\n",
                  "a<|endoftext|>b"]:
            ids = tok.encode(s)
            self.assertEqual(tok.decode(ids), s)
        self.assertLess(len(tok.encode("And God said, Let there be light")), 10)
        self.assertEqual(tok.encode("x<|endoftext|>")[-1], vocab[bpe.EOT])

    def test_tokenizer_json_round_trip(self):
        vocab, merges = bpe.train_bpe([CORPUS], 350, verbose=False)
        tok = bpe.ByteLevelBPE(vocab, merges)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "tokenizer.json")
            tok.save(p)
            with open(p, encoding="utf-8") as f:
                j = json.load(f)
            self.assertEqual(j["model"]["type"], "BPE")
            self.assertEqual(j["pre_tokenizer"]["type"], "ByteLevel")
            self.assertEqual(j["added_tokens"][0]["content"], bpe.EOT)
            back = bpe.ByteLevelBPE.load(p)
        s = "And there was light, café."
        self.assertEqual(back.encode(s), tok.encode(s))

    @unittest.skipUnless(os.path.exists(NANO_TOKENIZER), "models/nano-gpt/tokenizer.json not present")
    def test_nano_gpt_tokenizer(self):
        tok = bpe.ByteLevelBPE.load(NANO_TOKENIZER)
        self.assertEqual(tok.vocab_size, 8192)
        self.assertEqual(tok.token_id(bpe.EOT), 8191)
        s = "In the beginning God created the heaven and the earth."
        ids = tok.encode(s)
        self.assertLessEqual(len(ids), 13)
        self.assertEqual(tok.decode(ids), s)


if __name__ == "__main__":
    unittest.main()
