"""The committed nano-gpt adapters (models/nano-gpt/adapters/*) measure what their cards say, with and without
the adapter, through the committed archive's forward_lora / logits_all_lora and the converted folders (slot 1;
slot 0 = no adapter), as the server stacks them:
- numwords: greedy exact match and answer-token perplexity on the 100 held-out numbers of heldout.txt (never
  trained on);
- mhcc: perplexity of heldout.txt (one held-out commentary entry, never trained on).
The card figures are in each folder's metrics.json (written by train_nano_lora.py) and README.md; this test
recomputes them and also checks that the README states the same numbers.

Run: /usr/bin/python3 -m unittest models/tools/tests/test_lora_adapters.py (from the repository root)
"""
import json
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import train_nano_lora  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
BASE = os.path.join(ROOT, "models", "nano-gpt")


def load(name):
    _, _, archive, tok = train_nano_lora.load_base(BASE)
    folder = os.path.join(BASE, "adapters", name)
    with open(os.path.join(folder, "metrics.json")) as f:
        metrics = json.load(f)
    with open(os.path.join(folder, "README.md")) as f:
        card = f.read()
    return archive, tok, train_nano_lora.served_stacks(archive, folder), folder, metrics, card


@unittest.skipUnless(os.path.isfile(os.path.join(BASE, "adapters", "numwords", "metrics.json")) and
                     os.path.isfile(os.path.join(BASE, "adapters", "mhcc", "metrics.json")),
                     "the nano-gpt adapters are not committed yet (train_nano_lora.py writes them)")
class CommittedAdapters(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)

    def test_numwords_exact_match(self):
        archive, tok, lora, folder, m, card = load("numwords")
        with open(os.path.join(folder, "heldout.txt")) as f:
            nums = [int(line.split(" = ")[0]) for line in f if line.strip()]
        self.assertEqual(nums, train_nano_lora.number_split()[1])
        self.assertEqual(len(nums), m["heldout_numbers"])
        base = train_nano_lora.exact_match(archive, tok, nums, lora, 0)
        tuned = train_nano_lora.exact_match(archive, tok, nums, lora, 1)
        self.assertEqual((base, tuned), (m["exact_base"], m["exact_adapter"]))
        self.assertIn(f"{tuned}/{len(nums)}", card)
        self.assertIn(f"{base}/{len(nums)}", card)
        ppl_base = train_nano_lora.answer_perplexity(archive, tok, nums, lora, 0)
        ppl_tuned = train_nano_lora.answer_perplexity(archive, tok, nums, lora, 1)
        self.assertAlmostEqual(ppl_base, m["answer_ppl_base"], delta=0.01 * ppl_base)
        self.assertAlmostEqual(ppl_tuned, m["answer_ppl_adapter"], delta=0.01 * ppl_tuned)
        self.assertLess(ppl_tuned, 0.2 * ppl_base, "the adapter must change behaviour measurably")
        for key in ("answer_ppl_base", "answer_ppl_adapter"):
            self.assertIn(f"{m[key]:.2f}", card)

    def test_mhcc_perplexity(self):
        archive, tok, lora, folder, m, card = load("mhcc")
        with open(os.path.join(folder, "heldout.txt"), encoding="utf-8") as f:
            ids = train_nano_lora.text_stream(tok, [f.read().rstrip("\n")])
        self.assertEqual(len(ids) - 1, m["heldout_txt_tokens"])
        base = train_nano_lora.perplexity(archive, ids, lora, 0)
        tuned = train_nano_lora.perplexity(archive, ids, lora, 1)
        self.assertAlmostEqual(base, m["heldout_txt_ppl_base"], delta=0.01 * base)
        self.assertAlmostEqual(tuned, m["heldout_txt_ppl_adapter"], delta=0.01 * tuned)
        self.assertLess(tuned, 0.8 * base, "the adapter must lower held-out perplexity measurably")
        for key in ("ppl_base", "ppl_adapter", "heldout_txt_ppl_base", "heldout_txt_ppl_adapter"):
            self.assertIn(f"{m[key]:.2f}", card)


if __name__ == "__main__":
    unittest.main()
