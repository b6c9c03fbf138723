"""Hugging Face snapshots (config.json, model.safetensors, tokenizer.json) for the checks against other engines.

Jlama and llama.cpp load a snapshot, not our archive, so the comparison needs the very weights we serve in the
layout Hugging Face writes. GPT-2 here; the Llama family is written by slmtorch.random_snapshot.

    # a random GPT-2 (every tensor random, std 0.1, so attention, biases and LayerNorms all move the logits)
    /usr/bin/python3 models/tools/hf_snapshot.py gpt2-random --out /tmp/g --layers 2 --embd 64 --heads 4 --vocab 320
    # a served GPT-2 folder (e.g. models/nano-gpt) back to a snapshot, from its model.pt's own weights
    /usr/bin/python3 models/tools/hf_snapshot.py gpt2-from-served --dir models/nano-gpt --out /tmp/nano-gpt-hf

GPT-2 tensors are written without the ``transformer.`` prefix, as the original openai-community/gpt2 files
are (Jlama reads only that form; our converter reads both).
"""
import argparse
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import convert_gpt2  # noqa: E402
from slmtorch import gpt2, safetensors_io  # noqa: E402

TOKENIZER_TEXT = ("In the beginning God created the heaven and the earth. And the earth was without form, and "
                  "void; and darkness was upon the face of the deep. ") * 4


def write_gpt2_snapshot(model: gpt2.GPT2LMHeadModel, cfg: gpt2.GPT2Config, tokenizer_json: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    sd = {k[len("transformer."):] if k.startswith("transformer.") else k: v.detach().float().contiguous()
          for k, v in model.state_dict().items()}
    safetensors_io.save(sd, os.path.join(out, "model.safetensors"), {"format": "pt"})
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg.to_hf_dict(), f, indent=2)
    if os.path.abspath(tokenizer_json) != os.path.abspath(os.path.join(out, "tokenizer.json")):
        shutil.copyfile(tokenizer_json, os.path.join(out, "tokenizer.json"))
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(convert_gpt2.tokenizer_config(tokenizer_json, cfg), f, indent=2)


@torch.no_grad()
def gpt2_random(out: str, layers: int, embd: int, heads: int, vocab: int, positions: int, seed: int,
                std: float) -> None:
    """Every tensor random (LayerNorm weights around 1), the byte-level BPE of a short text padded to vocab."""
    torch.manual_seed(seed)
    cfg = gpt2.GPT2Config(vocab_size=vocab, n_positions=positions, n_embd=embd, n_layer=layers, n_head=heads,
                          bos_token_id=vocab - 1, eos_token_id=vocab - 1)
    model = gpt2.build(cfg).eval()
    for name, p in model.state_dict().items():
        if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
            p.copy_(1 + std * torch.randn_like(p))
        else:
            p.copy_(std * torch.randn_like(p))
    os.makedirs(out, exist_ok=True)
    tok = os.path.join(out, "tokenizer.json")
    v, m = bpe.train_bpe([TOKENIZER_TEXT], min(vocab, 300), verbose=False)
    vocab_map = {t: i for t, i in v.items() if t != bpe.EOT}
    n = 0
    while len(vocab_map) < vocab - 1:
        vocab_map[f"<|unused_{n}|>"] = len(vocab_map)
        n += 1
    vocab_map[bpe.EOT] = vocab - 1
    bpe.ByteLevelBPE(vocab_map, m).save(tok)
    write_gpt2_snapshot(model, cfg, tok, out)


def gpt2_from_served(model_dir: str, out: str) -> None:
    archive = torch.jit.load(os.path.join(model_dir, "model.pt"), map_location="cpu")
    model, cfg = convert_gpt2.model_from_archive(archive, model_dir)
    write_gpt2_snapshot(model, cfg, os.path.join(model_dir, "tokenizer.json"), out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("gpt2-random")
    r.add_argument("--out", required=True)
    r.add_argument("--layers", type=int, default=2)
    r.add_argument("--embd", type=int, default=64)
    r.add_argument("--heads", type=int, default=4)
    r.add_argument("--vocab", type=int, default=320)
    r.add_argument("--positions", type=int, default=128)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--std", type=float, default=0.1)
    s = sub.add_parser("gpt2-from-served")
    s.add_argument("--dir", required=True)
    s.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.cmd == "gpt2-random":
        gpt2_random(args.out, args.layers, args.embd, args.heads, args.vocab, args.positions, args.seed, args.std)
    else:
        gpt2_from_served(args.dir, args.out)


if __name__ == "__main__":
    main()
