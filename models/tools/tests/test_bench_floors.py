"""bench/generation/floors.py counts the weights a one-token decode step reads from config.json alone; these
tests count them from the tensors the snapshot writers actually produce (every tensor, less the embedding
tables a step reads one row of, plus the LM head)."""
import os
import sys
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "bench", "generation"))
import floors  # noqa: E402
from slmtorch import gpt2, llama, random_snapshot  # noqa: E402


class FloorsTest(unittest.TestCase):

    def test_llama_family_shapes(self):
        for shape in ("smollm2-135m", "qwen2.5-0.5b", "llama-3.2-1b", "llama-tiny-untied", "qwen2-tiny",
                      "mistral-tiny", "qwen3-tiny", "gemma-tiny", "gemma2-tiny", "gemma3-tiny", "gemma-3-270m"):
            cfg = random_snapshot.shape_config(shape)
            tensors = llama.hf_shapes(llama.LlamaConfig(cfg))
            total = sum(torch.Size(s).numel() for s in tensors.values())
            embed = torch.Size(tensors["model.embed_tokens.weight"]).numel()
            # tied: the embedding matrix is read once, as the LM head; untied: lm_head.weight is, embeddings not
            expected = total if cfg.get("tie_word_embeddings", True) else total - embed
            self.assertEqual(expected, floors.weight_params_per_token(cfg), shape)

    def test_gpt2(self):
        cfg = gpt2.GPT2Config(vocab_size=320, n_positions=128, n_embd=64, n_layer=3, n_head=4)
        model = gpt2.build(cfg)
        total = sum(p.numel() for p in model.parameters())
        wpe = cfg.n_positions * cfg.n_embd  # one row per step; wte is read whole as the tied LM head
        self.assertEqual(total - wpe, floors.weight_params_per_token(cfg.to_hf_dict()))


if __name__ == "__main__":
    unittest.main()
