"""Writes a decoder archive as an older converter did: forward, new_cache_tensor and logits_all, but no
forward_mixed. Used by TorchDecoderLoaderTest (the server must refuse it and name the upgrade command).

    /usr/bin/python3 decoder_without_forward_mixed.py OUT/model.pt
"""
import sys

import torch
from torch import Tensor


class OlderDecoder(torch.nn.Module):
    def forward(self, input_ids: Tensor, positions: Tensor, slots: Tensor, logits_index: Tensor,
                cache_k: Tensor, cache_v: Tensor) -> Tensor:
        return torch.zeros(input_ids.shape[0], 8192)

    @torch.jit.export
    def new_cache_tensor(self, slots: int, max_len: int) -> Tensor:
        return torch.zeros(1, slots, 1, max_len, 1)

    @torch.jit.export
    def logits_all(self, input_ids: Tensor) -> Tensor:
        return torch.zeros(input_ids.shape[0], input_ids.shape[1], 8192)


if __name__ == "__main__":
    torch.jit.script(OlderDecoder()).save(sys.argv[1])
