"""GPT-2 slot KV cache: greedy decoding with the cache equals greedy decoding recomputed from scratch.

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests
Uses a tiny random GPT-2 (weights scaled up so that greedy choices have clear margins), eager math path.
"""
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from slmtorch import gpt2  # noqa: E402


def tiny_model(seed: int = 0, vocab: int = 97, n_positions: int = 64) -> gpt2.GPT2LMHeadModel:
    torch.manual_seed(seed)
    cfg = gpt2.GPT2Config(vocab_size=vocab, n_positions=n_positions, n_embd=32, n_layer=2, n_head=4)
    m = gpt2.build(cfg).eval()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if p.dim() == 2:
                p.mul_(10.0)  # std 0.2: peaked, input-dependent logits
    return m


@torch.no_grad()
def greedy_recompute(model, prompt, n):
    ids = list(prompt)
    for _ in range(n):
        ids.append(int(model.logits_all(torch.tensor([ids]))[0, -1].argmax()))
    return ids[len(prompt):]


@torch.no_grad()
def greedy_cached_batch(model, prompts, n, slots, n_slots=4, max_len=48, garbage=True):
    """Batched right-padded prefill of all prompts, then n - 1 batched decode steps (one token per row)."""
    b = len(prompts)
    shape = model.cache_shape(n_slots, max_len)
    ck, cv = torch.zeros(shape), torch.zeros(shape)
    if garbage:  # stale values from earlier sequences must never be visible
        ck.normal_()
        cv.normal_()
    lens = [len(p) for p in prompts]
    t = max(lens)
    ids = torch.zeros(b, t, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, :len(p)] = torch.tensor(p)
        ids[i, len(p):] = 1  # pad token id: anything
    pos = torch.arange(t).view(1, t).expand(b, t).contiguous()  # pads continue past the real tokens
    slots_t = torch.tensor(slots)
    logits = model(ids, pos, slots_t, torch.tensor([n - 1 for n in lens]), ck, cv)
    assert logits.shape == (b, model.cfg_vocab_size)
    out = [[int(x)] for x in logits.argmax(-1)]
    cur = torch.tensor(lens)
    for _ in range(n - 1):
        step = torch.tensor([[o[-1]] for o in out])
        logits = model(step, cur.view(b, 1), slots_t, torch.zeros(b, dtype=torch.long), ck, cv)
        for i, x in enumerate(logits.argmax(-1)):
            out[i].append(int(x))
        cur = cur + 1
    return out, ck, cv


class CacheEqualsRecompute(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)
        self.model = tiny_model()
        g = torch.Generator().manual_seed(1)
        self.prompts = [torch.randint(0, 97, (k,), generator=g).tolist() for k in (5, 11, 2)]

    def test_batched_prefill_then_decode_equals_recompute(self):
        n = 20
        want = [greedy_recompute(self.model, p, n) for p in self.prompts]
        got, _, _ = greedy_cached_batch(self.model, self.prompts, n, slots=[2, 0, 3])
        self.assertEqual(got, want)
        self.assertTrue(any(len(set(w)) > 3 for w in want), "degenerate test: constant outputs")

    def test_aligned_decode_without_mask_equals_recompute(self):
        # Same-length prompts decode with every row at the same position: the graph skips the mask there.
        g = torch.Generator().manual_seed(7)
        prompts = [torch.randint(0, 97, (6,), generator=g).tolist() for _ in range(3)]
        n = 15
        want = [greedy_recompute(self.model, p, n) for p in prompts]
        got, _, _ = greedy_cached_batch(self.model, prompts, n, slots=[1, 3, 0])
        self.assertEqual(got, want)
        solo, _, _ = greedy_cached_batch(self.model, prompts[:1], n, slots=[2])
        self.assertEqual(solo, want[:1])

    def test_consecutive_slots_equal_recompute(self):
        # rows in slots 1, 2, 3 read a view of the cache (no gather); slot 0 and 3's neighbours hold garbage
        n = 12
        want = [greedy_recompute(self.model, p, n) for p in self.prompts]
        for m in (self.model, gpt2.script_for_serving(tiny_model())):
            got, _, _ = greedy_cached_batch(m, self.prompts, n, slots=[1, 2, 3])
            self.assertEqual(got, want)

    def test_mixed_step_equals_recompute(self):
        # a (slot 0) and b (slot 3) decode while prompts c (slot 1) and d (slot 2) prefill in the same call;
        # then one ordinary step over slots 0..3 reads what the mixed call wrote
        g = torch.Generator().manual_seed(5)
        a, b = self.prompts[0], self.prompts[1]
        c, d = [torch.randint(0, 97, (k,), generator=g).tolist() for k in (4, 7)]
        for m in (self.model, gpt2.script_for_serving(tiny_model())):
            ck, cv = torch.randn(m.cache_shape(4, 48)), torch.randn(m.cache_shape(4, 48))
            seqs = {0: list(a), 3: list(b)}
            for slot, p in seqs.items():
                out = m(torch.tensor([p]), torch.arange(len(p)).view(1, -1), torch.tensor([slot]),
                        torch.tensor([len(p) - 1]), ck, cv)
                p.append(int(out[0].argmax()))
            ids = torch.tensor([c + [1, 1, 1], d])
            out = m.forward_mixed(torch.tensor([[seqs[0][-1]], [seqs[3][-1]]]),
                                  torch.tensor([[len(seqs[0]) - 1], [len(seqs[3]) - 1]]), torch.tensor([0, 3]),
                                  ids, torch.arange(7).view(1, 7).expand(2, 7).contiguous(), torch.tensor([1, 2]),
                                  torch.tensor([3, 6]), ck, cv)
            seqs[1], seqs[2] = list(c), list(d)
            want = torch.stack([self.model.logits_all(torch.tensor([seqs[k]]))[0, -1] for k in (0, 3, 1, 2)])
            torch.testing.assert_close(out, want, rtol=1e-5, atol=1e-5)
            for k, row in zip((0, 3, 1, 2), out):
                seqs[k].append(int(row.argmax()))
            step = torch.tensor([[seqs[k][-1]] for k in range(4)])
            pos = torch.tensor([[len(seqs[k]) - 1] for k in range(4)])
            out = m(step, pos, torch.arange(4), torch.zeros(4, dtype=torch.long), ck, cv)
            want = torch.stack([self.model.logits_all(torch.tensor([seqs[k]]))[0, -1] for k in range(4)])
            torch.testing.assert_close(out, want, rtol=1e-5, atol=1e-5)

    def test_logits_match_recompute(self):
        m = self.model
        p = self.prompts[1]
        ck, cv = m.new_cache(2, 32)
        cached = m(torch.tensor([p]), torch.arange(len(p)).view(1, -1), torch.tensor([1]),
                   torch.tensor([len(p) - 1]), ck, cv)
        full = m.logits_all(torch.tensor([p]))[:, -1]
        torch.testing.assert_close(cached, full, rtol=1e-5, atol=1e-5)
        nxt = [5, 6, 7]  # a 3-token continuation at positions len(p).. (not fresh: mask path, T > 1)
        cached = m(torch.tensor([nxt]), torch.arange(len(p), len(p) + 3).view(1, -1), torch.tensor([1]),
                   torch.tensor([2]), ck, cv)
        full = m.logits_all(torch.tensor([p + nxt]))[:, -1]
        torch.testing.assert_close(cached, full, rtol=1e-5, atol=1e-5)

    def test_prefill_joins_while_others_decode(self):
        """One call mixes a decode row (1 real token + pads) and a prefill row (fresh sequence in a new slot)."""
        m = self.model
        a, c = self.prompts[0], self.prompts[1]
        ck, cv = m.new_cache(3, 40)
        ck.normal_()
        cv.normal_()
        m(torch.tensor([a]), torch.arange(len(a)).view(1, -1), torch.tensor([0]), torch.tensor([len(a) - 1]), ck, cv)
        t = len(c)
        ids = torch.ones(2, t, dtype=torch.long)
        ids[0, 0] = 42
        ids[1] = torch.tensor(c)
        pos = torch.stack([torch.arange(len(a), len(a) + t), torch.arange(t)])
        got = m(ids, pos, torch.tensor([0, 2]), torch.tensor([0, t - 1]), ck, cv)
        torch.testing.assert_close(got[0], m.logits_all(torch.tensor([a + [42]]))[0, -1], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(got[1], m.logits_all(torch.tensor([c]))[0, -1], rtol=1e-5, atol=1e-5)
        # the decode row's pads wrote garbage at positions len(a)+1..; the next step overwrites and sees only its own
        got = m(torch.tensor([[7]]), torch.tensor([[len(a) + 1]]), torch.tensor([0]), torch.tensor([0]), ck, cv)
        torch.testing.assert_close(got[0], m.logits_all(torch.tensor([a + [42, 7]]))[0, -1], rtol=1e-5, atol=1e-5)

    def test_scripted_equals_eager_and_cast(self):
        s = gpt2.script_for_serving(tiny_model())
        n = 8
        want = [greedy_recompute(self.model, p, n) for p in self.prompts]
        got, _, _ = greedy_cached_batch(s, self.prompts, n, slots=[1, 3, 0])
        self.assertEqual(got, want)
        self.assertEqual(s.cache_shape(4, 48), [2, 4, 4, 48, 8])
        s.cast("bfloat16")
        self.assertEqual(s.transformer.wte.weight.dtype, torch.bfloat16)
        self.assertEqual(getattr(s.transformer.h, "1").mlp.c_fc.weight.dtype, torch.bfloat16)
        p = self.prompts[1]
        ck = s.new_cache_tensor(1, 32)
        cv = s.new_cache_tensor(1, 32)
        self.assertEqual((ck.dtype, list(ck.shape)), (torch.bfloat16, [2, 1, 4, 32, 8]))
        out = s(torch.tensor([p]), torch.arange(len(p)).view(1, -1), torch.tensor([0]), torch.tensor([len(p) - 1]),
                ck, cv)
        self.assertEqual(out.dtype, torch.float32)
        ref = self.model.logits_all(torch.tensor([p]))[0, -1]
        self.assertGreater(torch.cosine_similarity(out[0], ref, dim=0).item(), 0.99)
        s.cast("float32")
        self.assertEqual(s.transformer.ln_f.weight.dtype, torch.float32)


if __name__ == "__main__":
    unittest.main()
