"""RoBERTa, XLM-RoBERTa and DistilBERT: random-weight snapshots convert into archives whose outputs equal the
eager reference module's (slmtorch.roberta / slmtorch.distilbert, loaded from the snapshot) within 1e-5;
RoBERTa's position ids follow transformers' create_position_ids_from_input_ids; sentence-transformers files are
kept by the converter.

    /usr/bin/python3 -m unittest models/tools/tests/test_encoder_families.py
"""
import json
import os
import sys
import tempfile
import unittest

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import encoder_fixtures  # noqa: E402
import hf_bert  # noqa: E402
from slmtorch import roberta, safetensors_io  # noqa: E402

torch.set_num_threads(1)

CASES = [
    ("roberta", "RobertaModel", 0, "text-embedding"),
    ("roberta", "RobertaForSequenceClassification", 1, "rerank"),
    ("xlm-roberta", "XLMRobertaModel", 0, "text-embedding"),
    ("xlm-roberta", "XLMRobertaForSequenceClassification", 3, "text-classification"),
    ("distilbert", "DistilBertModel", 0, "text-embedding"),
    ("distilbert", "DistilBertForSequenceClassification", 1, "rerank"),
]


class EncoderFamiliesTest(unittest.TestCase):

    def test_archives_equal_the_reference_modules(self):
        for family, arch, labels, task in CASES:
            with self.subTest(arch=arch, family=family), tempfile.TemporaryDirectory() as d:
                ref = encoder_fixtures.write(d, family, arch, "mean" if labels == 0 else "none", labels)
                self.assertEqual(task, ref["task"])
                sm = torch.jit.load(os.path.join(d, "served", "model.pt"))
                sm.cast("float32")
                ids, mask = encoder_fixtures.pad(ref["inputs"])
                got = sm(ids, mask, torch.zeros_like(ids))
                want = torch.tensor(ref["output"])
                self.assertEqual(tuple(want.shape), tuple(got.shape))
                # compare real tokens only: padded positions carry no meaning
                if got.dim() == 3:
                    m = mask.unsqueeze(-1).bool().expand_as(got)
                    got, want = got[m], want[m]
                self.assertLess(float((got - want).abs().max()), 1e-5, arch)
                self.assertGreater(float(want.abs().max()), 1e-2, "outputs are not trivially zero")
                with open(os.path.join(d, "served", "serving.properties")) as f:
                    self.assertIn("option.task=" + task, f.read())
                if labels == 0:  # sentence-transformers files travel with the folder
                    self.assertTrue(os.path.isfile(os.path.join(d, "served", "1_Pooling", "config.json")))
                    self.assertTrue(os.path.isfile(os.path.join(d, "served", "modules.json")))

    def test_the_converter_entry_point_dispatches_the_encoder_families(self):
        """models/tools/convert.py (one entry point, FAMILIES registry) converts each family as hf_bert does."""
        import convert
        for family, arch, labels in (("roberta", "RobertaModel", 0), ("xlm-roberta", "XLMRobertaModel", 0),
                                     ("distilbert", "DistilBertForSequenceClassification", 1)):
            with self.subTest(family=family), tempfile.TemporaryDirectory() as d:
                ref = encoder_fixtures.write(d, family, arch, "cls" if labels == 0 else "none", labels)
                out = os.path.join(d, "via-convert")
                self.assertEqual(0, convert.main([os.path.join(d, "snapshot"), out]))
                sm = torch.jit.load(os.path.join(out, "model.pt"))
                sm.cast("float32")
                ids, mask = encoder_fixtures.pad(ref["inputs"])
                got = sm(ids, mask, torch.zeros_like(ids))
                want = torch.tensor(ref["output"])
                if got.dim() == 3:
                    m = mask.unsqueeze(-1).bool().expand_as(got)
                    got, want = got[m], want[m]
                self.assertLess(float((got - want).abs().max()), 1e-5, family)
                with open(os.path.join(out, "serving.properties")) as f:
                    self.assertIn("option.task=" + ref["task"], f.read())
                self.assertEqual(labels == 0, os.path.isfile(os.path.join(out, "1_Pooling", "config.json")))

    def test_served_folder_exports_back_to_the_same_weights(self):
        with tempfile.TemporaryDirectory() as d:
            encoder_fixtures.write(d, "distilbert", "DistilBertModel", "cls")
            model, cfg, _ = hf_bert.served_to_module(os.path.join(d, "served"))
            snap = safetensors_io.load(os.path.join(d, "snapshot", "model.safetensors"))
            for k, v in model.state_dict().items():
                self.assertTrue(torch.equal(v, snap[k].float()), k)

    def test_roberta_positions_start_after_the_padding_index(self):
        """The embedding block against transformers' formula, written out here: position ids are
        cumsum(input_ids != pad) * (input_ids != pad) + pad, and token types are all 0 (type_vocab_size 1)."""
        cfg = encoder_fixtures.config("roberta", "RobertaModel", 0, 32)
        model = encoder_fixtures.build(cfg)
        encoder_fixtures.randomise(model, 3)
        model.eval()
        pad = cfg["pad_token_id"]
        rows = [[0, 100, 200, 2], [0, 7, 2]]
        ids = torch.tensor([r + [pad] * (4 - len(r)) for r in rows])
        mask = (ids != pad).long()
        sd = model.state_dict()
        pos = torch.cumsum(mask, 1) * mask + pad
        x = (sd["embeddings.word_embeddings.weight"][ids] + sd["embeddings.position_embeddings.weight"][pos]
             + sd["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)])
        want = F.layer_norm(x, [32], sd["embeddings.LayerNorm.weight"], sd["embeddings.LayerNorm.bias"], 1e-5)
        with torch.no_grad():
            got = model.embeddings(ids, mask, torch.ones_like(ids))  # type ids are ignored with one type
        self.assertLess(float((got - want)[mask.bool()].abs().max()), 1e-6)
        self.assertEqual(1, cfg["type_vocab_size"])
        self.assertIsInstance(model, roberta.RobertaModel)


if __name__ == "__main__":
    unittest.main()
