"""Encoders' --quantize int8 (encoder_int8.py; slmtorch/qlinear.py, Int8StoredLinear): random-weight BERT,
RoBERTa and DistilBERT snapshots converted by convert.py --quantize int8 hold int8 matrices and word embeddings,
and their outputs stay within cosine 0.999 of the fp32 eager reference per token; the trained nano-bert-testament
classifier and all-MiniLM-L6-v2, quantized from their served folders, keep fp32's predictions and embeddings
(cosine >= 0.999 on verify_minilm.py's sentences, one by one and as a padded batch); BART and T5 refuse it.

    /usr/bin/python3 -m unittest models/tools/tests/test_encoder_int8.py
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

import convert  # noqa: E402
import encoder_fixtures  # noqa: E402
import encoder_int8  # noqa: E402
from slmtorch.wordpiece import WordPieceTokenizer  # noqa: E402

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(TOOLS))


def served(path, dtype="float32"):
    sm = torch.jit.load(os.path.join(path, "model.pt"))
    sm.cast(dtype)
    return sm


def run(sm, rows):
    ids, mask = encoder_fixtures.pad(rows)
    with torch.no_grad():
        return sm(ids, mask, torch.zeros_like(ids)), mask


def pooled(hidden, mask):
    m = mask.unsqueeze(-1).float()
    return F.normalize((hidden * m).sum(1) / m.sum(1), dim=-1)


class EncoderInt8Test(unittest.TestCase):

    def test_random_families_through_the_converter(self):
        for family, arch, labels in (("bert", "BertModel", 0), ("bert", "BertForMaskedLM", 0),
                                     ("roberta", "RobertaForSequenceClassification", 1),
                                     ("distilbert", "DistilBertModel", 0)):
            with self.subTest(arch=arch), tempfile.TemporaryDirectory() as d:
                ref = encoder_fixtures.write(d, family, arch, "none", labels, dim=64)
                out = os.path.join(d, "int8")
                self.assertEqual(0, convert.main([os.path.join(d, "snapshot"), out, "--quantize", "int8"]))
                sm = served(out)
                stored = dict(torch.jit.load(os.path.join(out, "model.pt")).named_buffers())
                qweights = [k for k in stored if k.endswith("qweight")]
                self.assertTrue(all(stored[k].dtype == torch.int8 for k in qweights))
                self.assertTrue(any("word_embeddings" in k for k in qweights))
                got, mask = run(sm, ref["inputs"])
                want = torch.tensor(ref["output"])
                if got.dim() == 3:  # one cosine per real token
                    got, want = got[mask.bool()], want[mask.bool()]
                cos = F.cosine_similarity(got.reshape(got.shape[0], -1), want.reshape(want.shape[0], -1), dim=1)
                self.assertGreater(float(cos.min()), 0.999, arch)
                self.assertGreater(float((got - want).abs().max()), 0, "int8 rounding changes the outputs")
                sm.cast("bfloat16")
                self.assertEqual(torch.bfloat16, sm.embeddings.word_embeddings.weight.dtype
                                 if hasattr(sm, "embeddings") else next(iter(
                                     b for k, b in sm.named_buffers() if k.endswith("word_embeddings.weight"))).dtype)

    def test_trained_classifier_keeps_its_predictions(self):
        src = os.path.join(ROOT, "models", "nano-bert-testament")
        with open(os.path.join(src, "heldout.jsonl"), encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for line in f][:200]
        tok = WordPieceTokenizer.from_file(os.path.join(src, "tokenizer.json"))
        rows = [tok.encode(t)[:128] for t in texts]
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "int8")
            encoder_int8.quantize_served_folder(src, out)
            want, _ = run(served(src), rows)
            got, _ = run(served(out), rows)
            self.assertLess(os.path.getsize(os.path.join(out, "model.pt")),
                            0.6 * os.path.getsize(os.path.join(src, "model.pt")))
        agree = float((got.argmax(1) == want.argmax(1)).float().mean())
        print("nano-bert-testament int8: %d held-out verses, label agreement %.3f, max |logit diff| %.4f" % (
            len(rows), agree, float((got - want).abs().max())))
        self.assertGreaterEqual(agree, 0.99)

    def test_minilm_embeddings_within_0999(self):
        import verify_minilm
        src = os.path.join(ROOT, "models", "all-minilm-l6-v2")
        tok = WordPieceTokenizer.from_file(os.path.join(src, "tokenizer.json"))
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "int8")
            encoder_int8.quantize_served_folder(src, out)
            fp32, int8 = served(src), served(out)
            worst = 1.0
            for texts in [[s] for s in verify_minilm.SENTENCES] + [verify_minilm.SENTENCES]:
                rows = [tok.encode(s) for s in texts]
                a, b = pooled(*run(fp32, rows)), pooled(*run(int8, rows))
                worst = min(worst, float((a * b).sum(-1).min()))
        print("all-MiniLM-L6-v2 int8 vs fp32: min cosine %.6f" % worst)
        self.assertGreaterEqual(worst, 0.999)

    def test_seq2seq_refuses_quantize(self):
        for model_type in ("bart", "t5"):
            with self.subTest(model_type=model_type), tempfile.TemporaryDirectory() as snap:
                with open(os.path.join(snap, "config.json"), "w") as f:
                    json.dump({"model_type": model_type}, f)
                args = convert.parser().parse_args([snap, os.path.join(snap, "out"), "--quantize", "int8"])
                with self.assertRaisesRegex(ValueError, "--quantize int8 is for decoders .* and encoders"):
                    convert.convert(snap, os.path.join(snap, "out"), args)


if __name__ == "__main__":
    unittest.main()
