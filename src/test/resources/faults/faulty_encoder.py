"""Writes a tiny TorchScript encoder that loads and warms up fine but raises for one token id.

Follows the encoder contract of docs/model-format.md (forward(input_ids, attention_mask, token_type_ids) ->
last_hidden_state [B, T, H], and cast(dtype)), so the server serves it as an embedding model; any batch holding
the poison token id fails inside the engine, as a corrupted checkpoint would for some inputs.
Usage: /usr/bin/python3 faulty_encoder.py OUT_DIR POISON_ID HIDDEN   (torch 1.13)
"""
import sys

import torch


class Faulty(torch.nn.Module):
    def __init__(self, poison: int, hidden: int):
        super().__init__()
        self.poison = poison
        self.embed = torch.nn.Embedding(30522, hidden)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        if bool((input_ids == self.poison).any()):
            raise RuntimeError("corrupted weights for token " + str(self.poison))
        return self.embed(input_ids) * attention_mask.unsqueeze(-1).to(torch.float32)

    @torch.jit.export
    def cast(self, dtype: str) -> None:
        if dtype != "float32":
            raise RuntimeError("this test model is float32 only, not " + dtype)


def main():
    out, poison, hidden = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.manual_seed(0)
    torch.jit.script(Faulty(poison, hidden)).save(out + "/model.pt")


if __name__ == "__main__":
    main()
