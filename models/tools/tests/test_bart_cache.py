"""BART slot caches: batched encode + batched greedy decode steps equal greedy decoding recomputed from scratch.

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests
Uses a tiny random BART (weights scaled up so that greedy choices have clear margins), eager math path,
caches filled with noise (stale values from earlier sequences must never be visible).
"""
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from slmtorch import bart, numwords  # noqa: E402

START, EOS, NEVER = 2, 2, -1  # NEVER: run every row the full length (no early stop)


def tiny_model(seed: int = 0, vocab: int = 61, scale_embedding: bool = False) -> bart.BartForConditionalGeneration:
    torch.manual_seed(seed)
    cfg = bart.BartConfig(vocab_size=vocab, d_model=32, encoder_layers=2, decoder_layers=2,
                          encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
                          decoder_ffn_dim=64, max_position_embeddings=40, scale_embedding=scale_embedding)
    m = bart.build(cfg).eval()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if p.dim() == 2:
                p.mul_(10.0)  # std 0.2: peaked, input-dependent logits
        m.final_logits_bias.normal_(std=0.1)
    return m


def noisy_caches(m, slots: int, max_len: int, max_src: int):
    c = (m.new_cache_tensor(slots, max_len), m.new_cache_tensor(slots, max_len),
         m.new_cross_cache_tensor(slots, max_src), m.new_cross_cache_tensor(slots, max_src))
    for t in c:
        t.normal_()
    return c


class CacheEqualsRecompute(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)
        self.model = tiny_model()
        g = torch.Generator().manual_seed(1)
        self.sources = [torch.randint(3, 61, (k,), generator=g).tolist() for k in (5, 11, 2, 8)]

    def test_batched_encode_then_decode_equals_recompute(self):
        n = 20
        want = [bart.greedy_reference(self.model, s, START, NEVER, n) for s in self.sources]
        got = bart.greedy_cached(self.model, self.sources, START, NEVER, n, slots=[2, 0, 5, 3],
                                 caches=noisy_caches(self.model, 6, 24, 14))
        self.assertEqual(got, want)
        self.assertGreaterEqual(sum(len(set(w)) > 2 for w in want), 2, "degenerate test: constant outputs")
        self.assertGreater(len({tuple(w) for w in want}), 3, "degenerate test: outputs ignore the source")

    def test_equal_lengths_without_masks_equals_recompute(self):
        # equal source lengths: no encoder / cross mask; every decode step is aligned: no self mask
        g = torch.Generator().manual_seed(7)
        sources = [torch.randint(3, 61, (6,), generator=g).tolist() for _ in range(3)]
        n = 15
        want = [bart.greedy_reference(self.model, s, START, NEVER, n) for s in sources]
        got = bart.greedy_cached(self.model, sources, START, NEVER, n, slots=[1, 3, 0],
                                 caches=noisy_caches(self.model, 4, 16, 6))
        self.assertEqual(got, want)
        solo = bart.greedy_cached(self.model, sources[:1], START, NEVER, n, slots=[2],
                                  caches=noisy_caches(self.model, 4, 16, 9))
        self.assertEqual(solo, want[:1])

    def test_sequences_joining_while_others_decode(self):
        """A second encode into free slots while the first sequences are mid-way; one forward then mixes a
        fresh row (start token at position 0) with rows at later positions (self mask path), and rows with
        different source lengths (cross mask path)."""
        m = self.model
        a, b, c = self.sources[0], self.sources[1], self.sources[2]
        sk, sv, ck, cv = noisy_caches(m, 4, 20, 12)
        m.encode(torch.tensor([a]), torch.tensor([len(a)]), torch.tensor([3]), ck, cv)
        dec_a = [START]
        for p in range(4):  # 4 steps of a alone
            logits = m(torch.tensor([[dec_a[-1]]]), torch.tensor([[p]]), torch.tensor([3]), torch.tensor([0]),
                       torch.tensor([len(a)]), sk, sv, ck, cv)
            dec_a.append(int(logits.argmax(-1)))
        ids = torch.ones(2, len(b), dtype=torch.long)
        ids[0] = torch.tensor(b)
        ids[1, :len(c)] = torch.tensor(c)
        m.encode(ids, torch.tensor([len(b), len(c)]), torch.tensor([0, 1]), ck, cv)
        # one call: a at position 4 (T=2: its next token + a pad at position 5), b and c fresh at 0..1
        x = torch.tensor([[dec_a[-1], 1], [START, 7], [START, 9]])
        pos = torch.tensor([[4, 5], [0, 1], [0, 1]])
        got = m(x, pos, torch.tensor([3, 0, 1]), torch.tensor([0, 1, 0]), torch.tensor([len(a), len(b), len(c)]),
                sk, sv, ck, cv)
        ref = [m.logits_all(torch.tensor([a]), torch.tensor([dec_a]))[0, -1],
               m.logits_all(torch.tensor([b]), torch.tensor([[START, 7]]))[0, -1],
               m.logits_all(torch.tensor([c]), torch.tensor([[START]]))[0, -1]]
        for i in range(3):
            torch.testing.assert_close(got[i], ref[i], rtol=1e-5, atol=1e-5)
        # a's pad wrote garbage at position 5: the next step overwrites it and sees only its own tokens
        got = m(torch.tensor([[11]]), torch.tensor([[5]]), torch.tensor([3]), torch.tensor([0]),
                torch.tensor([len(a)]), sk, sv, ck, cv)
        torch.testing.assert_close(got[0], m.logits_all(torch.tensor([a]), torch.tensor([dec_a + [11]]))[0, -1],
                                   rtol=1e-5, atol=1e-5)

    def test_scale_embedding_and_padded_training_pass(self):
        m = tiny_model(seed=3, scale_embedding=True)
        n = 10
        want = [bart.greedy_reference(m, s, START, NEVER, n) for s in self.sources]
        self.assertEqual(bart.greedy_cached(m, self.sources, START, NEVER, n, slots=[0, 1, 2, 3]), want)
        # logits_padded (training) == logits_all per row
        ids = torch.ones(2, 11, dtype=torch.long)
        ids[0, :5] = torch.tensor(self.sources[0])
        ids[1] = torch.tensor(self.sources[1])
        dec = torch.tensor([[START, 4, 5, 6], [START, 7, 8, 9]])
        got = m.logits_padded(ids, torch.tensor([5, 11]), dec)
        torch.testing.assert_close(got[0], m.logits_all(torch.tensor([self.sources[0]]), dec[:1])[0])
        torch.testing.assert_close(got[1], m.logits_all(torch.tensor([self.sources[1]]), dec[1:])[0])

    def test_scripted_equals_eager_and_cast(self):
        s = bart.script_for_serving(tiny_model())
        n = 8
        want = [bart.greedy_reference(self.model, src, START, NEVER, n) for src in self.sources]
        got = bart.greedy_cached(s, self.sources, START, NEVER, n, slots=[1, 3, 0, 2],
                                 caches=noisy_caches(s, 4, 12, 11))
        self.assertEqual(got, want)
        torch.testing.assert_close(s.logits_all(torch.tensor([self.sources[0]]), torch.tensor([[START, 5]])),
                                   self.model.logits_all(torch.tensor([self.sources[0]]), torch.tensor([[START, 5]])))
        s.cast("bfloat16")
        self.assertEqual(s.model.shared.weight.dtype, torch.bfloat16)
        self.assertEqual(getattr(s.model.decoder.layers, "1").encoder_attn.k_proj.weight.dtype, torch.bfloat16)
        self.assertEqual(s.final_logits_bias.dtype, torch.bfloat16)
        sk, sv = s.new_cache_tensor(2, 16), s.new_cache_tensor(2, 16)
        ck, cv = s.new_cross_cache_tensor(2, 12), s.new_cross_cache_tensor(2, 12)
        self.assertEqual((sk.dtype, list(sk.shape)), (torch.bfloat16, [2, 2, 4, 16, 8]))
        self.assertEqual((ck.dtype, list(ck.shape)), (torch.bfloat16, [2, 2, 4, 12, 8]))
        src = self.sources[1]
        s.encode(torch.tensor([src]), torch.tensor([len(src)]), torch.tensor([1]), ck, cv)
        out = s(torch.tensor([[START]]), torch.tensor([[0]]), torch.tensor([1]), torch.tensor([0]),
                torch.tensor([len(src)]), sk, sv, ck, cv)
        self.assertEqual(out.dtype, torch.float32)
        ref = self.model.logits_all(torch.tensor([src]), torch.tensor([[START]]))[0, -1]
        self.assertGreater(torch.cosine_similarity(out[0], ref, dim=0).item(), 0.99)
        s.cast("float32")
        self.assertEqual(s.model.encoder.layernorm_embedding.weight.dtype, torch.float32)


class NumberWords(unittest.TestCase):
    def test_words(self):
        cases = {0: "zero", 7: "seven", 13: "thirteen", 20: "twenty", 21: "twenty-one", 99: "ninety-nine",
                 100: "one hundred", 101: "one hundred one", 4817: "four thousand eight hundred seventeen",
                 1000000: "one million", 1000001: "one million one", 20000500: "twenty million five hundred",
                 999999999: "nine hundred ninety-nine million nine hundred ninety-nine thousand nine hundred "
                            "ninety-nine"}
        for n, w in cases.items():
            self.assertEqual(numwords.words(n), w)
        with self.assertRaises(ValueError):
            numwords.words(10 ** 9)

    def test_tokenizer_round_trip(self):
        tok = numwords.NumTokenizer()
        self.assertEqual((tok.bos, tok.pad, tok.eos, tok.unk), (0, 1, 2, 3))
        self.assertEqual(tok.vocab_size, 4 + 10 + 20 + 8 * 10 + 3)
        self.assertEqual(tok.encode("4817"), [tok.ids[c] for c in "4817"])
        for n in (0, 15, 4817, 1000000, 987654321, 70070):
            w = numwords.words(n)
            ids = tok.encode(w)
            self.assertNotIn(tok.unk, ids)
            self.assertEqual(tok.decode(ids + [tok.eos]), w)
        vocab = numwords.tokenizer_json()["model"]["vocab"]
        self.assertEqual(vocab, tok.ids)


if __name__ == "__main__":
    unittest.main()
