"""T5 (slmtorch/t5.py, convert_t5.py): relative-position buckets against values worked out by hand from Hugging
Face's formula, the whole model against a plain re-statement of transformers' T5 forward (matmul attention, no
SDPA, over the raw state dict), slot caches (batched encode into dirty slots + greedy steps == greedy recomputed
from scratch), a random-weight flan-t5-small-shaped snapshot (bf16 safetensors, written here) converted, and
configs the module cannot honour refused.

Run: /usr/bin/python3 -m unittest models/tools/tests/test_t5.py   (or discover -s models/tools/tests)
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import torch
import torch.nn.functional as F

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, TOOLS)
import convert_t5  # noqa: E402
from slmtorch import bart, numdigits, safetensors_io, t5  # noqa: E402

NEVER = -1  # eos that is never produced: every row runs the full length


class Buckets(unittest.TestCase):
    """transformers' _relative_position_bucket, num_buckets 32, max_distance 128, relative = key - query.

    Bidirectional: 16 buckets per sign (key after query adds 16), |rel| < 8 exact, else
    8 + floor(log(|rel| / 8) / log(128 / 8) * 8) = 8 + floor(2 * log2(|rel| / 8)), at most 15.
    Causal: keys after the query all map to 0, n = query - key; n < 16 exact, else
    16 + floor(log(n / 16) / log(128 / 16) * 16) = 16 + floor(16 / 3 * log2(n / 16)), at most 31.
    The distances avoid the exact bucket edges (powers of two), where float32 rounding decides.
    """
    REL = [0, -1, 1, -7, 7, -9, 9, -11, 12, -15, 23, -45, 47, -90, 91, -127, 200, -1000]
    # |rel|: 9 -> 2*log2(1.125)=0.34 -> 8; 11 -> 0.92 -> 8; 12 -> 1.17 -> 9; 15 -> 1.81 -> 9; 23 -> 3.05 -> 11;
    # 45 -> 4.98 -> 12; 47 -> 5.11 -> 13; 90 -> 6.98 -> 14; 91 -> 7.01 -> 15; 127, 200, 1000 -> capped 15
    BIDIRECTIONAL = [0, 1, 17, 7, 23, 8, 24, 8, 25, 9, 27, 12, 29, 14, 31, 15, 31, 15]
    # n = -rel for rel < 0 (rel >= 0 -> 0): 1, 7, 9, 11, 15 exact; 45 -> 16/3*log2(2.8125)=7.96 -> 23;
    # 90 -> 16/3*log2(5.625)=13.29 -> 29; 127 -> 16/3*log2(7.9375)=15.94 -> 31; 1000 -> capped 31
    CAUSAL = [0, 1, 0, 7, 0, 9, 0, 11, 0, 15, 0, 23, 0, 29, 0, 31, 0, 31]

    def test_bidirectional(self):
        got = t5.relative_position_bucket(torch.tensor(self.REL), True, 32, 128).tolist()
        self.assertEqual(got, self.BIDIRECTIONAL)

    def test_causal(self):
        got = t5.relative_position_bucket(torch.tensor(self.REL), False, 32, 128).tolist()
        self.assertEqual(got, self.CAUSAL)

    def test_more_causal_distances(self):
        # n: 16 -> 16; 20 -> 16/3*log2(1.25)=1.72 -> 17; 33 -> 16/3*log2(2.0625)=5.57 -> 21; 100 -> 14.10 -> 30
        got = t5.relative_position_bucket(torch.tensor([-16, -20, -33, -100]), False, 32, 128).tolist()
        self.assertEqual(got, [16, 17, 21, 30])


def reference_logits(sd, cfg: t5.T5Config, src, dec):
    """transformers' T5ForConditionalGeneration forward, restated over the raw HF state dict: pre-RMS-norm blocks,
    scores q k^T + bias (no scaling), softmax, bias from block 0's table, no bias in cross-attention."""
    h, dk, eps = cfg.num_heads, cfg.d_kv, cfg.layer_norm_epsilon

    def norm(x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    def attn(p, x, kv, bias):
        b, tq, tk = x.shape[0], x.shape[1], kv.shape[1]
        q = (x @ sd[p + "q.weight"].t()).view(b, tq, h, dk).transpose(1, 2)
        k = (kv @ sd[p + "k.weight"].t()).view(b, tk, h, dk).transpose(1, 2)
        v = (kv @ sd[p + "v.weight"].t()).view(b, tk, h, dk).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) + bias
        y = torch.softmax(scores, -1) @ v
        return y.transpose(1, 2).reshape(b, tq, h * dk) @ sd[p + "o.weight"].t()

    def ff(p, x):
        if cfg.gated:
            g = x @ sd[p + "wi_0.weight"].t()
            act = F.gelu(g, approximate="tanh") if cfg.act == "gelu_new" else F.relu(g)
            return (act * (x @ sd[p + "wi_1.weight"].t())) @ sd[p + "wo.weight"].t()
        return F.relu(x @ sd[p + "wi.weight"].t()) @ sd[p + "wo.weight"].t()

    def bias_of(table, tq, tk, bidirectional):
        rel = torch.arange(tk)[None, :] - torch.arange(tq)[:, None]
        buckets = t5.relative_position_bucket(rel, bidirectional, cfg.relative_attention_num_buckets,
                                              cfg.relative_attention_max_distance)
        return table[buckets].permute(2, 0, 1).unsqueeze(0)

    x = sd["shared.weight"][src]
    eb = bias_of(sd["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"], src.shape[1],
                 src.shape[1], True)
    for i in range(cfg.num_layers):
        p = f"encoder.block.{i}.layer."
        x = x + attn(p + "0.SelfAttention.", norm(x, sd[p + "0.layer_norm.weight"]),
                     norm(x, sd[p + "0.layer_norm.weight"]), eb)
        x = x + ff(p + "1.DenseReluDense.", norm(x, sd[p + "1.layer_norm.weight"]))
    enc = norm(x, sd["encoder.final_layer_norm.weight"])
    td = dec.shape[1]
    db = bias_of(sd["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"], td, td, False)
    db = db + torch.full((td, td), float("-inf")).triu(1)
    y = sd["shared.weight"][dec]
    for i in range(cfg.num_decoder_layers):
        p = f"decoder.block.{i}.layer."
        hN = norm(y, sd[p + "0.layer_norm.weight"])
        y = y + attn(p + "0.SelfAttention.", hN, hN, db)
        y = y + attn(p + "1.EncDecAttention.", norm(y, sd[p + "1.layer_norm.weight"]), enc, 0.0)
        y = y + ff(p + "2.DenseReluDense.", norm(y, sd[p + "2.layer_norm.weight"]))
    y = norm(y, sd["decoder.final_layer_norm.weight"])
    if cfg.tie_word_embeddings:
        return (y * cfg.d_model ** -0.5) @ sd["shared.weight"].t()
    return y @ sd["lm_head.weight"].t()


def tiny(ffp="gated-gelu", tied=False, seed=0, vocab=61, layers=2, dec_layers=3):
    torch.manual_seed(seed)
    cfg = t5.T5Config(vocab_size=vocab, d_model=32, d_kv=12, d_ff=48, num_layers=layers,
                      num_decoder_layers=dec_layers, num_heads=3, relative_attention_num_buckets=8,
                      relative_attention_max_distance=20, feed_forward_proj=ffp, tie_word_embeddings=tied)
    m = t5.build(cfg).eval()
    with torch.no_grad():  # peaked, input-dependent logits: greedy choices with clear margins
        for name, p in m.named_parameters():
            if "relative_attention_bias" in name:
                p.normal_(std=2.0)
            elif p.dim() == 2 and name != "shared.weight":
                p.mul_(3.0)  # (token embeddings stay at std 1: larger ones drown the attention's contribution)
    return m, cfg


def noisy_caches(m, slots, max_len, max_src):
    c = (m.new_cache_tensor(slots, max_len), m.new_cache_tensor(slots, max_len),
         m.new_cross_cache_tensor(slots, max_src), m.new_cross_cache_tensor(slots, max_src))
    for x in c:
        x.normal_()
    return c


class ModelMatchesReference(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)

    def check(self, ffp, tied):
        m, cfg = tiny(ffp, tied)
        g = torch.Generator().manual_seed(3)
        src = torch.randint(3, 61, (1, 25), generator=g)  # 25 > max_distance 20: the log buckets are used
        dec = torch.randint(3, 61, (1, 23), generator=g)
        with torch.no_grad():
            want = reference_logits(m.state_dict(), cfg, src, dec)
            got = m.logits_all(src, dec)
        self.assertLess(float((got - want).abs().max()), 1e-4)
        self.assertGreater(float(want.std()), 0.5, "degenerate: flat logits")

    def test_v11_gated_gelu_untied(self):
        self.check("gated-gelu", False)

    def test_v10_relu_tied_scaled_head(self):
        self.check("relu", True)


class CacheEqualsRecompute(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)
        g = torch.Generator().manual_seed(1)
        self.sources = [torch.randint(3, 61, (k,), generator=g).tolist() for k in (5, 13, 2, 8)]

    def check(self, ffp, tied, seed=0):
        m, _ = tiny(ffp, tied, seed)
        n = 22  # decoder positions beyond max_distance 20 too
        want = [bart.greedy_reference(m, s, 0, NEVER, n) for s in self.sources]
        got = bart.greedy_cached(m, self.sources, 0, NEVER, n, slots=[2, 0, 5, 3],
                                 caches=noisy_caches(m, 6, 26, 16), pad=0)
        self.assertEqual(got, want)
        self.assertGreater(len({tuple(w) for w in want}), 3, "degenerate test: outputs ignore the source")
        self.assertGreaterEqual(sum(len(set(w)) > 3 for w in want), 3, "degenerate test: constant outputs")

    def test_gated_gelu_untied(self):
        self.check("gated-gelu", False)

    def test_relu_tied(self):
        self.check("relu", True, seed=3)

    @torch.no_grad()
    def test_mixed_positions_in_one_call(self):
        # Row 0 continues at positions 4..5 while row 1 starts over (positions 0..1 after a new encode) and row 2
        # sends one token at 3 plus a pad at 4: per-row query positions drive the bias and the causal mask.
        m, _ = tiny()
        caches = noisy_caches(m, 4, 12, 16)
        srcs = [self.sources[0], self.sources[1], self.sources[3]]
        prefixes = [[0, 7, 9, 11, 4, 20], [0, 33], [0, 5, 6, 8]]
        slots = [3, 1, 0]
        lens = [len(s) for s in srcs]
        ids = torch.zeros(3, max(lens), dtype=torch.long)
        for i, s in enumerate(srcs):
            ids[i, :len(s)] = torch.tensor(s)
        m.encode(ids, torch.tensor(lens), torch.tensor(slots), caches[2], caches[3])
        for i, (p, slot) in enumerate(zip(prefixes, slots)):  # fill each row's cache up to its resume point
            keep = {0: 4, 1: 0, 2: 3}[i]
            if keep:
                m(torch.tensor([p[:keep]]), torch.arange(keep).view(1, keep), torch.tensor([slot]),
                  torch.tensor([keep - 1]), torch.tensor([lens[i]]), *caches)
        inp = torch.tensor([prefixes[0][4:6], prefixes[1][0:2], [prefixes[2][3], 0]])
        pos = torch.tensor([[4, 5], [0, 1], [3, 4]])
        logits = m(inp, pos, torch.tensor(slots), torch.tensor([1, 1, 0]), torch.tensor(lens), *caches)
        for i, (p, upto) in enumerate(zip(prefixes, (6, 2, 4))):
            ref = m.logits_all(torch.tensor([srcs[i]]), torch.tensor([p[:upto]]))[0, -1]
            self.assertLess(float((logits[i] - ref).abs().max()), 1e-4, f"row {i}")

    def test_scripted_and_bfloat16(self):
        m, _ = tiny()
        s = t5.script_for_serving(tiny()[0])
        n = 12
        want = [bart.greedy_reference(m, src, 0, NEVER, n) for src in self.sources]
        self.assertEqual(bart.greedy_cached(s, self.sources, 0, NEVER, n, slots=[1, 0, 3, 2], pad=0), want)
        s.cast("bfloat16")
        self.assertEqual(s.new_cache_tensor(2, 4).dtype, torch.bfloat16)
        src = torch.tensor([self.sources[1]])
        dec = torch.tensor([[0, 5, 7]])
        a, b = m.logits_all(src, dec)[0, -1], s.logits_all(src, dec)[0, -1]
        self.assertEqual(b.dtype, torch.float32)
        self.assertGreater(float(F.cosine_similarity(a, b, dim=0)), 0.99)


class Training(unittest.TestCase):
    def test_padded_training_pass_equals_unpadded(self):
        m, _ = tiny()
        src = torch.tensor([[5, 6, 7, 8, 1], [9, 10, 1, 0, 0]])
        dec = torch.tensor([[0, 11, 12, 13], [0, 14, 0, 0]])
        with torch.no_grad():
            padded = m.logits_padded(src, torch.tensor([5, 3]), dec)
            alone = m.logits_all(src[1:, :3], dec[1:, :2])
        self.assertLess(float((padded[1, :2] - alone[0]).abs().max()), 1e-4)


def flan_t5_small_config(layers: int) -> dict:
    """google/flan-t5-small's config.json, with fewer layers (same widths)."""
    return {
        "architectures": ["T5ForConditionalGeneration"], "d_ff": 1024, "d_kv": 64, "d_model": 512,
        "decoder_start_token_id": 0, "dense_act_fn": "gelu_new", "dropout_rate": 0.1, "eos_token_id": 1,
        "feed_forward_proj": "gated-gelu", "initializer_factor": 1.0, "is_encoder_decoder": True,
        "is_gated_act": True, "layer_norm_epsilon": 1e-06, "model_type": "t5", "n_positions": 512,
        "num_decoder_layers": layers, "num_heads": 6, "num_layers": layers, "output_past": True,
        "pad_token_id": 0, "relative_attention_max_distance": 128, "relative_attention_num_buckets": 32,
        "tie_word_embeddings": False, "torch_dtype": "bfloat16", "transformers_version": "4.23.1",
        "use_cache": True, "vocab_size": 32128,
    }


def random_snapshot(d: str, cfg_dict: dict, dtype=torch.bfloat16, seed=0) -> dict:
    """HF T5 snapshot layout: config.json, model.safetensors (HF names, tied embed_tokens copies), tokenizer.json."""
    torch.manual_seed(seed)
    cfg = t5.T5Config.from_hf_dict(cfg_dict)
    sd = t5.hf_state_dict(t5.build(cfg))
    sd = {k: v.to(dtype) for k, v in sd.items()}
    safetensors_io.save(sd, os.path.join(d, "model.safetensors"), {"format": "pt"})
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg_dict, f)
    numdigits.write_tokenizer(os.path.join(d, "tokenizer.json"))
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>", "model_max_length": 512,
                   "additional_special_tokens": ["<extra_id_0>"]}, f)
    return {k: v.float() for k, v in sd.items()}


class ConvertSnapshot(unittest.TestCase):
    def test_flan_t5_small_shaped_bf16_snapshot_converts(self):
        torch.set_num_threads(2)
        with tempfile.TemporaryDirectory() as d:
            hf, out = os.path.join(d, "hf"), os.path.join(d, "served")
            os.makedirs(hf)
            cfg_dict = flan_t5_small_config(layers=2)
            sd = random_snapshot(hf, cfg_dict)
            scripted = convert_t5.convert(hf, out, batch_size=4, max_input_tokens=64, max_new_tokens=32)
            self.assertEqual(sorted(os.listdir(out)), ["README.md", "config.json", "model.pt", "serving.properties",
                                                      "tokenizer.json", "tokenizer_config.json"])
            with open(os.path.join(out, "config.json")) as f:
                served_cfg = json.load(f)
            for k in ("d_model", "d_ff", "d_kv", "num_heads", "vocab_size", "feed_forward_proj",
                      "tie_word_embeddings", "decoder_start_token_id", "pad_token_id", "eos_token_id"):
                self.assertEqual(served_cfg[k], cfg_dict[k], k)
            self.assertEqual(served_cfg["max_position_embeddings"], 64)
            with open(os.path.join(out, "serving.properties")) as f:
                props = dict(line.strip().split("=", 1) for line in f if "=" in line)
            self.assertEqual((props["option.task"], props["max_input_tokens"], props["max_total_tokens"]),
                             ("text2text-generation", "64", "96"))
            with open(os.path.join(out, "tokenizer_config.json")) as f:
                tc = json.load(f)
            self.assertEqual((tc["eos_token"], tc["pad_token"], tc["model_max_length"]), ("</s>", "<pad>", 64))
            with open(os.path.join(hf, "tokenizer.json"), "rb") as a, open(os.path.join(out, "tokenizer.json"),
                                                                          "rb") as b:
                self.assertEqual(a.read(), b.read(), "the snapshot's tokenizer.json is served as is")
            # the converted (scripted) model against the HF forward restated over the snapshot's own weights
            cfg = t5.T5Config.from_hf_dict(cfg_dict)
            src = torch.tensor([[13, 200, 31000, 7, 1]])
            dec = torch.tensor([[0, 5, 32127]])
            with torch.no_grad():
                want = reference_logits(sd, cfg, src, dec)
                got = scripted.logits_all(src, dec)
            self.assertLess(float((got - want).abs().max()), 1e-3)
            got_cached = bart.greedy_cached(scripted, [src[0].tolist()], 0, NEVER, 4, slots=[2], pad=0)
            want_ref = bart.greedy_reference(scripted, src[0].tolist(), 0, NEVER, 4)
            self.assertEqual(got_cached, [want_ref])


class ConvertRegistry(unittest.TestCase):
    def test_convert_py_dispatches_t5_and_reports_refusals_in_one_line(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = flan_t5_small_config(layers=1)
            cfg.update({"d_model": 16, "d_ff": 16, "d_kv": 4, "num_heads": 2, "vocab_size": 160})
            random_snapshot(d, cfg)
            out = os.path.join(d, "out")
            res = subprocess.run([sys.executable, os.path.join(TOOLS, "convert.py"), d, out, "--max-total-tokens",
                                  "48", "--dtype", "bfloat16", "--batch-size", "4"], capture_output=True, text=True)
            self.assertEqual(res.returncode, 0, res.stderr)
            with open(os.path.join(out, "serving.properties")) as f:
                props = dict(line.strip().split("=", 1) for line in f if "=" in line)
            self.assertEqual((props["max_input_tokens"], props["max_total_tokens"], props["option.dtype"],
                              props["batch_size"]), ("32", "48", "bfloat16", "4"))
            cfg["feed_forward_proj"] = "gated-mish"
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(cfg, f)
            res = subprocess.run([sys.executable, os.path.join(TOOLS, "convert.py"), d, os.path.join(d, "bad")],
                                 capture_output=True, text=True)
            self.assertEqual(res.returncode, 2)
            self.assertEqual(len(res.stderr.strip().splitlines()), 1, res.stderr)
            self.assertIn("unsupported T5 feed_forward_proj 'gated-mish'", res.stderr)


class Refusals(unittest.TestCase):
    def test_unknown_feed_forward_proj_is_refused_with_one_line(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = flan_t5_small_config(layers=1)
            cfg.update({"d_model": 16, "d_ff": 16, "d_kv": 4, "num_heads": 2, "vocab_size": 40})
            random_snapshot(d, cfg)
            for ffp in ("gated-mish", "swiglu-ish", "gated-gelu-fast"):
                cfg["feed_forward_proj"] = ffp
                with open(os.path.join(d, "config.json"), "w") as f:
                    json.dump(cfg, f)
                res = subprocess.run([sys.executable, os.path.join(TOOLS, "convert_t5.py"), "--hf-dir", d, "--out",
                                      os.path.join(d, "out")], capture_output=True, text=True)
                self.assertNotEqual(res.returncode, 0)
                lines = res.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, res.stderr)
                self.assertIn("feed_forward_proj", lines[0])
                self.assertIn(ffp, lines[0])
                self.assertFalse(os.path.exists(os.path.join(d, "out", "model.pt")))

    def test_other_model_types_and_untied_copies_are_refused(self):
        with self.assertRaisesRegex(ValueError, "model_type=mt5"):
            t5.T5Config.from_hf_dict({"model_type": "mt5", "vocab_size": 10, "d_model": 8, "d_kv": 4, "d_ff": 8,
                                      "num_layers": 1, "num_heads": 2})
        with self.assertRaisesRegex(ValueError, "architecture"):
            t5.T5Config.from_hf_dict({"model_type": "t5", "architectures": ["T5EncoderModel"], "vocab_size": 10,
                                      "d_model": 8, "d_kv": 4, "d_ff": 8, "num_layers": 1, "num_heads": 2})
        m, _ = tiny("relu", True)
        sd = t5.hf_state_dict(m)
        sd["decoder.embed_tokens.weight"] = sd["decoder.embed_tokens.weight"] + 1.0
        with self.assertRaisesRegex(ValueError, "differs from shared"):
            t5.load_hf_state_dict(tiny("relu", True)[0], sd)

    def test_feed_forward_proj_parsing_follows_transformers(self):
        self.assertEqual(t5.parse_feed_forward_proj("gated-gelu"), ("gelu_new", True))
        self.assertEqual(t5.parse_feed_forward_proj("relu"), ("relu", False))
        self.assertEqual(t5.parse_feed_forward_proj("gated-silu"), ("silu", True))
        self.assertEqual(t5.parse_feed_forward_proj("gelu"), ("gelu", False))


class NanoT5Tokenizer(unittest.TestCase):
    def test_words_and_digits(self):
        tok = numdigits.DigitsTokenizer()
        ids = tok.encode("four thousand eight hundred seventeen", add_eos=True)
        self.assertEqual([tok.tokens[i] for i in ids], ["\u2581four", "\u2581thousand", "\u2581eight",
                                                       "\u2581hundred", "\u2581seventeen", "</s>"])
        digits = tok.encode("4817")
        self.assertEqual([tok.tokens[i] for i in digits], ["\u2581", "4", "8", "1", "7"])
        self.assertEqual(tok.decode(digits + [tok.eos]), "4817")
        self.assertEqual([tok.tokens[i] for i in tok.encode("ox")], ["\u2581", "o", "x"])
        self.assertEqual(tok.pad, 0)
        self.assertEqual(tok.eos, 1)
        self.assertTrue(math.isclose(dict(numdigits.vocabulary())["\u2581four"], numdigits.SCORE_WORD))


if __name__ == "__main__":
    unittest.main()
