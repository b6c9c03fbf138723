"""Per-row LoRA in the decoder archives (slmtorch/lora.py through gpt2.py and llama.py): with random adapters,
every *_lora method equals, row by row, the plain model whose weights hold the merged update W + B @ A (the
PEFT merge, written out here independently of the archive code), with rows of different adapters (and slot 0,
no adapter) in one call: logits_all_lora, batched prefill then decode through the slot cache, forward_mixed_lora,
eager and scripted as exported, fp32.

Run: /usr/bin/python3 -m unittest models/tools/tests/test_lora_archive.py (from the repository root)
"""
import copy
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from llama_testkit import tiny as tiny_llama  # noqa: E402
from slmtorch import gpt2, llama  # noqa: E402
from test_gpt2_cache import tiny_model as tiny_gpt2  # noqa: E402

N_SLOTS, RANK = 3, 4


def random_stacks(model, seed: int, skip=()):
    """lora argument: slot 0 zeros; slot 1 rank 4 on every target; slot 2 rank 2 (zero-padded to 4) on every
    other target only. Targets in ``skip`` get an empty tensor (no adapter touches them)."""
    g = torch.Generator().manual_seed(seed)
    n_layers = model.cfg_n_layer
    out = []
    for j, name in enumerate(model.lora_targets()):
        n_in, n_out = model.lora_target_shapes()[name]
        if name in skip:
            out += [torch.zeros(0), torch.zeros(0)]
            continue
        a = torch.zeros(n_layers, N_SLOTS, RANK, n_in)
        b = torch.zeros(n_layers, N_SLOTS, n_out, RANK)
        a[:, 1] = torch.randn(n_layers, RANK, n_in, generator=g) * 0.3
        b[:, 1] = torch.randn(n_layers, n_out, RANK, generator=g) * 0.3
        if j % 2 == 0:
            a[:, 2, :2] = torch.randn(n_layers, 2, n_in, generator=g) * 0.3
            b[:, 2, :, :2] = torch.randn(n_layers, n_out, 2, generator=g) * 0.3
        out += [a, b]
    return out


def gpt2_module(model, layer: int, target: str):
    blk = model.transformer.h[layer]
    return {"c_attn": blk.attn.c_attn, "c_proj": blk.attn.c_proj, "c_fc": blk.mlp.c_fc,
            "mlp_c_proj": blk.mlp.c_proj}[target]


def llama_module(model, layer: int, target: str):
    lay = model.model.layers[layer]
    return getattr(lay.self_attn if target in ("q_proj", "k_proj", "v_proj", "o_proj") else lay.mlp, target)


@torch.no_grad()
def merged(model, stacks, slot: int, module_of, in_out: bool):
    """A copy of the eager model with W + B[slot] @ A[slot] in every target (Conv1D [in, out]: transposed)."""
    m = copy.deepcopy(model)
    for j, name in enumerate(model.lora_targets()):
        a, b = stacks[2 * j], stacks[2 * j + 1]
        if a.numel() == 0:
            continue
        for layer in range(model.cfg_n_layer):
            delta = b[layer, slot] @ a[layer, slot]  # [out, in]
            w = module_of(m, layer, name).weight
            w += delta.t() if in_out else delta
    return m


class LoraArchiveCases:
    """Mixed into one TestCase per family; subclasses set build(), module_of and in_out."""

    def setUp(self):
        torch.set_num_threads(1)
        g = torch.Generator().manual_seed(3)
        self.prompts = [torch.randint(0, 97, (k,), generator=g).tolist() for k in (5, 9, 3)]
        self.adapters = [1, 0, 2]

    def _models(self, model, stacks):
        return [merged(model, stacks, k, self.module_of, self.in_out) for k in range(N_SLOTS)]

    def _check_all(self, model, scripted, stacks):
        refs = self._models(model, stacks)
        ids = torch.tensor([self.prompts[1]])
        base = model.logits_all(ids)
        torch.testing.assert_close(refs[0].logits_all(ids), base)
        for k in (1, 2):
            self.assertGreater(float((refs[k].logits_all(ids) - base).abs().max()), 0.1, "adapter has no effect")
        for m in (model, scripted):
            for k in range(N_SLOTS):
                torch.testing.assert_close(m.logits_all_lora(ids, torch.tensor([k]), stacks), refs[k].logits_all(ids),
                                           rtol=1e-4, atol=1e-4)
            self._cached(m, refs, stacks)
            self._mixed(m, refs, stacks)

    @torch.no_grad()
    def _cached(self, m, refs, stacks):
        """Right-padded batched prefill of three rows (adapters 1, 0, 2) into dirty slots, then decode steps."""
        shape = m.cache_shape(4, 32)
        ck, cv = torch.randn(shape), torch.randn(shape)
        lens = [len(p) for p in self.prompts]
        t = max(lens)
        ids = torch.ones(3, t, dtype=torch.long)
        for i, p in enumerate(self.prompts):
            ids[i, :len(p)] = torch.tensor(p)
        pos = torch.arange(t).view(1, t).expand(3, t).contiguous()
        slots, adapters = torch.tensor([2, 0, 3]), torch.tensor(self.adapters)
        seqs = [list(p) for p in self.prompts]
        out = m.forward_lora(ids, pos, slots, torch.tensor([n - 1 for n in lens]), ck, cv, adapters, stacks)
        for _ in range(6):
            want = torch.stack([refs[k].logits_all(torch.tensor([s]))[0, -1] for k, s in zip(self.adapters, seqs)])
            torch.testing.assert_close(out, want, rtol=1e-4, atol=1e-4)
            for s, row in zip(seqs, out):
                s.append(int(row.argmax()))
            step = torch.tensor([[s[-1]] for s in seqs])
            cur = torch.tensor([[len(s) - 1] for s in seqs])
            out = m.forward_lora(step, cur, slots, torch.zeros(3, dtype=torch.long), ck, cv, adapters, stacks)

    @torch.no_grad()
    def _mixed(self, m, refs, stacks):
        """Rows in slots 0 (adapter 2) and 3 (adapter 0) decode while prompts in slots 1 (adapter 1) and 2
        (adapter 2) prefill, in one forward_mixed_lora call."""
        ck, cv = torch.randn(m.cache_shape(4, 32)), torch.randn(m.cache_shape(4, 32))
        a, b = self.prompts[0], self.prompts[1]
        c, d = [5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15]
        seqs = {0: list(a), 3: list(b), 1: list(c), 2: list(d)}
        adapter = {0: 2, 3: 0, 1: 1, 2: 2}
        for slot in (0, 3):
            p = seqs[slot]
            out = m.forward_lora(torch.tensor([p]), torch.arange(len(p)).view(1, -1), torch.tensor([slot]),
                                 torch.tensor([len(p) - 1]), ck, cv, torch.tensor([adapter[slot]]), stacks)
            p.append(int(out[0].argmax()))
        out = m.forward_mixed_lora(
            torch.tensor([[seqs[0][-1]], [seqs[3][-1]]]), torch.tensor([[len(seqs[0]) - 1], [len(seqs[3]) - 1]]),
            torch.tensor([0, 3]), torch.tensor([c + [1, 1, 1], d]), torch.arange(7).view(1, 7).expand(2, 7).contiguous(),
            torch.tensor([1, 2]), torch.tensor([3, 6]), ck, cv, torch.tensor([2, 0]), torch.tensor([1, 2]), stacks)
        want = torch.stack([refs[adapter[k]].logits_all(torch.tensor([seqs[k]]))[0, -1] for k in (0, 3, 1, 2)])
        torch.testing.assert_close(out, want, rtol=1e-4, atol=1e-4)
        for k, row in zip((0, 3, 1, 2), out):
            seqs[k].append(int(row.argmax()))
        step = torch.tensor([[seqs[k][-1]] for k in range(4)])
        pos = torch.tensor([[len(seqs[k]) - 1] for k in range(4)])
        out = m.forward_lora(step, pos, torch.arange(4), torch.zeros(4, dtype=torch.long), ck, cv,
                             torch.tensor([adapter[k] for k in range(4)]), stacks)
        want = torch.stack([refs[adapter[k]].logits_all(torch.tensor([seqs[k]]))[0, -1] for k in range(4)])
        torch.testing.assert_close(out, want, rtol=1e-4, atol=1e-4)

    def test_lora_methods_equal_merged_weights(self):
        for model in self.models():
            stacks = random_stacks(model, 11)
            self._check_all(model, self.script(model), stacks)

    def test_skipped_targets(self):
        model = self.models()[0]
        stacks = random_stacks(model, 12, skip=model.lora_targets()[1:3])
        self._check_all(model, self.script(model), stacks)

    def test_wrong_stack_count_refused(self):
        model = self.models()[0]
        with self.assertRaises(Exception):
            self.script(model).logits_all_lora(torch.tensor([[1, 2]]), torch.tensor([0]), [torch.zeros(0)])


class Gpt2Lora(LoraArchiveCases, unittest.TestCase):
    module_of = staticmethod(gpt2_module)
    in_out = True

    def models(self):
        return [tiny_gpt2(n_positions=32)]

    def script(self, model):
        return gpt2.script_for_serving(copy.deepcopy(model))

    def test_targets(self):
        s = self.script(self.models()[0])
        self.assertEqual(s.lora_targets(), ["c_attn", "c_proj", "c_fc", "mlp_c_proj"])
        self.assertEqual(s.lora_target_shapes(), {"c_attn": [32, 96], "c_proj": [32, 32], "c_fc": [32, 128],
                                                  "mlp_c_proj": [128, 32]})


class LlamaLora(LoraArchiveCases, unittest.TestCase):
    module_of = staticmethod(llama_module)
    in_out = False

    def models(self):
        # GQA llama, qwen2 (q/k/v biases), gemma2 (sandwich norms, logit capping, GeGLU)
        return [tiny_llama(s, positions=32)[0] for s in ("llama-tiny", "qwen2-tiny", "gemma2-tiny")]

    def script(self, model):
        return llama.script_for_serving(copy.deepcopy(model))

    def test_targets(self):
        model, cfg, _ = tiny_llama("llama-tiny", positions=32)
        s = self.script(model)
        c, f, d = cfg.hidden_size, cfg.intermediate_size, cfg.head_dim
        h, kv = cfg.num_attention_heads * d, cfg.num_key_value_heads * d
        self.assertLess(kv, h, "want a GQA model")
        self.assertEqual(s.lora_targets(), ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                            "down_proj"])
        self.assertEqual(s.lora_target_shapes(), {"q_proj": [c, h], "k_proj": [c, kv], "v_proj": [c, kv],
                                                  "o_proj": [h, c], "gate_proj": [c, f], "up_proj": [c, f],
                                                  "down_proj": [f, c]})


if __name__ == "__main__":
    unittest.main()
