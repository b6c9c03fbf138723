"""Llama-family slot KV cache (llama tied/untied GQA, llama3 rope, mistral, qwen2 biases, qwen3 q/k norm):
cache == recompute for batched prefill of different lengths into dirty slots, decode steps, forward_mixed and
the consecutive-slot view, eager and scripted; the full-sequence pass against an independent reference
forward written from Hugging Face's modeling code (llama_testkit.reference_logits).

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests -p 'test_llama_*.py'
"""
import copy
import unittest

import torch

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_testkit import FLAVOURS, greedy_cached_batch, greedy_recompute, reference_logits, tiny
from slmtorch import llama  # noqa: E402


class LlamaCacheEqualsRecompute(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)
        g = torch.Generator().manual_seed(1)
        self.prompts = [torch.randint(0, 97, (k,), generator=g).tolist() for k in (5, 11, 2)]

    def test_reference_forward(self):
        for shape in FLAVOURS:
            with self.subTest(shape=shape):
                model, cfg, sd = tiny(shape)
                ids = self.prompts[1]
                want = reference_logits(cfg, sd, ids, model.rope_inv_freq, model.attention_factor,
                                        model.rope_local_inv_freq)
                got = model.logits_all(torch.tensor([ids]))[0]
                torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)

    def test_batched_prefill_then_decode(self):
        n = 14
        for shape in FLAVOURS:
            with self.subTest(shape=shape):
                model, _, _ = tiny(shape)
                want = [greedy_recompute(model, p, n) for p in self.prompts]
                self.assertTrue(any(len(set(w)) > 3 for w in want), "degenerate test: constant outputs")
                scripted = llama.script_for_serving(copy.deepcopy(model))
                for m, slots in ((model, [2, 0, 3]), (scripted, [2, 0, 3]), (scripted, [1, 2, 3])):
                    self.assertEqual(greedy_cached_batch(m, self.prompts, n, slots=slots), want)

    def test_served_graph_stacks_projections(self):
        # fuse_for_serving: one qkv_proj and one gate_up_proj per layer, the separate modules gone, the same
        # logits as the eager model, and split_fused gives back exactly the separate weights (and biases)
        ids = torch.tensor([self.prompts[1]])
        for shape in FLAVOURS:
            with self.subTest(shape=shape):
                model, cfg, _ = tiny(shape)
                s = llama.script_for_serving(copy.deepcopy(model))
                sd = s.state_dict()
                a = "model.layers.0.self_attn."
                d = cfg.head_dim
                rows = (cfg.num_attention_heads + 2 * cfg.num_key_value_heads) * d
                self.assertEqual(tuple(sd[a + "qkv_proj.weight"].shape), (rows, cfg.hidden_size))
                self.assertEqual(tuple(sd["model.layers.0.mlp.gate_up_proj.weight"].shape),
                                 (2 * cfg.intermediate_size, cfg.hidden_size))
                self.assertNotIn(a + "q_proj.weight", sd)
                self.assertNotIn("model.layers.0.mlp.up_proj.weight", sd)
                back = dict(llama.split_fused(cfg, sd.items()))
                for k, v in model.state_dict().items():
                    if k in llama.module_shapes(cfg):
                        self.assertTrue(torch.equal(back[k], v), k)
                torch.testing.assert_close(s.logits_all(ids), model.logits_all(ids), rtol=1e-4, atol=1e-4)

    def test_aligned_decode_without_mask(self):
        g = torch.Generator().manual_seed(7)
        prompts = [torch.randint(0, 97, (6,), generator=g).tolist() for _ in range(3)]
        for shape in ("llama-tiny", "qwen3-tiny"):
            model, _, _ = tiny(shape)
            want = [greedy_recompute(model, p, 10) for p in prompts]
            self.assertEqual(greedy_cached_batch(model, prompts, 10, slots=[1, 3, 0]), want)

    def test_mixed_step(self):
        g = torch.Generator().manual_seed(5)
        a, b = self.prompts[0], self.prompts[1]
        c, d = [torch.randint(0, 97, (k,), generator=g).tolist() for k in (4, 7)]
        for shape in FLAVOURS:
            model, _, _ = tiny(shape)
            for m in (model, llama.script_for_serving(copy.deepcopy(model))):
                with self.subTest(shape=shape, scripted=m is not model):
                    ck, cv = torch.randn(m.cache_shape(4, 48)), torch.randn(m.cache_shape(4, 48))
                    seqs = {0: list(a), 3: list(b)}
                    for slot, p in seqs.items():
                        out = m(torch.tensor([p]), torch.arange(len(p)).view(1, -1), torch.tensor([slot]),
                                torch.tensor([len(p) - 1]), ck, cv)
                        p.append(int(out[0].argmax()))
                    ids = torch.tensor([c + [1, 1, 1], d])
                    out = m.forward_mixed(torch.tensor([[seqs[0][-1]], [seqs[3][-1]]]),
                                          torch.tensor([[len(seqs[0]) - 1], [len(seqs[3]) - 1]]),
                                          torch.tensor([0, 3]), ids,
                                          torch.arange(7).view(1, 7).expand(2, 7).contiguous(),
                                          torch.tensor([1, 2]), torch.tensor([3, 6]), ck, cv)
                    seqs[1], seqs[2] = list(c), list(d)
                    want = torch.stack([model.logits_all(torch.tensor([seqs[k]]))[0, -1] for k in (0, 3, 1, 2)])
                    torch.testing.assert_close(out, want, rtol=1e-4, atol=1e-4)
                    for k, row in zip((0, 3, 1, 2), out):
                        seqs[k].append(int(row.argmax()))
                    # one ordinary step over consecutive slots 0..3 reads what the mixed call wrote
                    step = torch.tensor([[seqs[k][-1]] for k in range(4)])
                    pos = torch.tensor([[len(seqs[k]) - 1] for k in range(4)])
                    out = m(step, pos, torch.arange(4), torch.zeros(4, dtype=torch.long), ck, cv)
                    want = torch.stack([model.logits_all(torch.tensor([seqs[k]]))[0, -1] for k in range(4)])
                    torch.testing.assert_close(out, want, rtol=1e-4, atol=1e-4)

    def test_gemma3_window_of_8_over_64_tokens(self):
        # cache == recompute where the recompute applies the window explicitly (reference_logits), and the
        # window matters: the same weights with full attention decode otherwise
        model, cfg, sd = tiny("gemma3-tiny")
        self.assertEqual(cfg.layer_windows, [8, 8, 0])
        prompt = self.prompts[0]
        want = list(prompt)
        for _ in range(64):
            logits = reference_logits(cfg, sd, want, model.rope_inv_freq, model.attention_factor,
                                      model.rope_local_inv_freq)
            want.append(int(logits[-1].argmax()))
        want = want[len(prompt):]
        scripted = llama.script_for_serving(copy.deepcopy(model))
        got = greedy_cached_batch(scripted, [prompt, self.prompts[2]], 64, slots=[3, 1], max_len=80)
        self.assertEqual(got[0], want)
        cfg.layer_windows = [0, 0, 0]
        full = list(prompt)
        for _ in range(64):
            logits = reference_logits(cfg, sd, full, model.rope_inv_freq, model.attention_factor,
                                      model.rope_local_inv_freq)
            full.append(int(logits[-1].argmax()))
        self.assertNotEqual(full[len(prompt):], want)

    def test_cache_holds_kv_heads_only(self):
        model, cfg, _ = tiny("llama-tiny-untied")
        self.assertEqual(model.cache_shape(3, 20), [2, 3, 1, 20, 16])
        model, cfg, _ = tiny("qwen3-tiny")
        self.assertEqual(model.cache_shape(3, 20), [2, 3, 2, 20, 32])

    def test_hf_shapes_match_the_module(self):
        for shape in FLAVOURS:
            model, cfg, _ = tiny(shape)
            self.assertEqual({k: tuple(v.shape) for k, v in llama.hf_state_dict(model).items()},
                             llama.hf_shapes(cfg))

    def test_cast_bfloat16_keeps_the_argmax_close(self):
        model, _, _ = tiny("qwen2-tiny")
        s = llama.script_for_serving(copy.deepcopy(model))
        ids = torch.tensor([self.prompts[1]])
        pos = torch.arange(11).view(1, -1)
        want = s(ids, pos, torch.tensor([0]), torch.tensor([10]), *model.new_cache(1, 16))
        s.cast("bfloat16")
        ck = s.new_cache_tensor(1, 16)
        self.assertEqual(ck.dtype, torch.bfloat16)
        got = s(ids, pos, torch.tensor([0]), torch.tensor([10]), ck, s.new_cache_tensor(1, 16))
        self.assertEqual(got.dtype, torch.float32)
        self.assertGreater(float(torch.cosine_similarity(got, want)), 0.995)  # bf16 weights and cache: about 3 significant digits


if __name__ == "__main__":
    unittest.main()
