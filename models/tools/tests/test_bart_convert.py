"""HF BART snapshot export-hf -> convert gives identical logits (nano-bart when present, else a tiny random
BART); pytorch_model.bin name variants; the served folder's files and scripted module.

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests
"""
import json
import os
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import convert_bart  # noqa: E402
from slmtorch import bart, numwords, safetensors_io  # noqa: E402

NANO = os.path.join(HERE, "..", "..", "nano-bart")


def source_model():
    """nano-bart's weights (read from its model.pt) or a tiny random BART."""
    if os.path.exists(os.path.join(NANO, "model.pt")):
        cfg = bart.BartConfig.load(os.path.join(NANO, "config.json"))
        model = bart.build(cfg).eval()
        sd = torch.jit.load(os.path.join(NANO, "model.pt"), map_location="cpu").state_dict()
        bart.load_hf_state_dict(model, {k: v.float() for k, v in sd.items()})
        return model, cfg, "nano-bart"
    torch.manual_seed(0)
    cfg = bart.BartConfig(vocab_size=numwords.NumTokenizer().vocab_size, d_model=32, encoder_layers=2,
                          decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
                          encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=40)
    model = bart.build(cfg).eval()
    with torch.no_grad():
        model.final_logits_bias.normal_()
    return model, cfg, "tiny random"


class ExportConvert(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)

    def test_export_then_convert_gives_identical_logits(self):
        model, cfg, what = source_model()
        tok = numwords.NumTokenizer()
        src = torch.tensor([tok.encode("987654321")])
        dec = torch.tensor([[cfg.decoder_start_token_id] + tok.encode(numwords.words(987654321))])
        with tempfile.TemporaryDirectory() as d:
            tok_path = os.path.join(d, "tokenizer.json")
            numwords.write_tokenizer(tok_path)
            hf = os.path.join(d, "hf")
            convert_bart.export_hf_snapshot(model, cfg, tok_path, hf)
            self.assertEqual(sorted(os.listdir(hf)),
                             ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"])
            names = set(safetensors_io.load(os.path.join(hf, "model.safetensors")))
            self.assertIn("model.encoder.embed_tokens.weight", names)  # what save_pretrained stores
            self.assertIn("final_logits_bias", names)
            back, cfg2 = convert_bart.load_hf_snapshot(hf)
            self.assertEqual(cfg2.to_hf_dict(), cfg.to_hf_dict())
            self.assertTrue(torch.equal(back.logits_all(src, dec), model.logits_all(src, dec)), what)

            served = os.path.join(d, "served")
            props = convert_bart.serving_properties(4, 16, 48)
            scripted = convert_bart.write_served_folder(back, cfg2, os.path.join(hf, "tokenizer.json"), served,
                                                        props)
            self.assertEqual(sorted(os.listdir(served)), ["config.json", "model.pt", "serving.properties",
                                                          "tokenizer.json", "tokenizer_config.json"])
            with open(os.path.join(served, "serving.properties")) as f:
                text = f.read()
            self.assertIn("option.task=text2text-generation", text)
            self.assertIn("max_total_tokens=48", text)
            with open(os.path.join(served, "tokenizer_config.json")) as f:
                tc = json.load(f)
            self.assertEqual((tc["bos_token"], tc["eos_token"], tc["pad_token"]), ("<s>", "</s>", "<pad>"))
            n = dec.shape[1]
            got = bart.greedy_cached(scripted, [src[0].tolist()], cfg.decoder_start_token_id, -1, n, slots=[1])
            want = bart.greedy_reference(model, src[0].tolist(), cfg.decoder_start_token_id, -1, n)
            self.assertEqual(got, [want])
            if what == "nano-bart":
                self.assertEqual(want[:n - 1], dec[0, 1:].tolist())  # the trained model writes the words

    def test_hf_name_variants_and_pytorch_bin(self):
        """pytorch_model.bin with lm_head.weight and the duplicated embed_tokens, without final_logits_bias;
        BartModel-style names (no 'model.' prefix) are accepted too."""
        torch.manual_seed(5)
        cfg = bart.BartConfig(vocab_size=40, d_model=16, encoder_layers=1, decoder_layers=1,
                              encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                              decoder_ffn_dim=32, max_position_embeddings=20, scale_embedding=True)
        model = bart.build(cfg).eval()
        sd = dict(model.state_dict())
        del sd["final_logits_bias"]  # zeros in the model, absent in some checkpoints
        shared = sd["model.shared.weight"]
        sd["lm_head.weight"] = shared
        sd["model.encoder.embed_tokens.weight"] = shared
        sd["model.decoder.embed_tokens.weight"] = shared
        src, dec = torch.randint(3, 40, (1, 7)), torch.randint(3, 40, (1, 5))
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(cfg.to_hf_dict(), f)
            torch.save(sd, os.path.join(d, "pytorch_model.bin"))
            back, cfg2 = convert_bart.load_hf_snapshot(d)
            self.assertTrue(cfg2.scale_embedding)
            self.assertTrue(torch.equal(back.logits_all(src, dec), model.logits_all(src, dec)))
            bare = {k[len("model."):] if k.startswith("model.") else k: v for k, v in sd.items()}
            again = bart.build(cfg).eval()
            bart.load_hf_state_dict(again, bare)
            self.assertTrue(torch.equal(again.logits_all(src, dec), model.logits_all(src, dec)))
            bad = dict(sd)
            bad["model.decoder.embed_tokens.weight"] = shared + 1
            with self.assertRaises(ValueError):
                bart.load_hf_state_dict(bart.build(cfg), bad)
        with self.assertRaises(ValueError):
            bart.BartConfig.from_hf_dict(dict(cfg.to_hf_dict(), normalize_before=True))
        with self.assertRaises(ValueError):
            bart.BartConfig.from_hf_dict(dict(cfg.to_hf_dict(), model_type="mbart"))


if __name__ == "__main__":
    unittest.main()
