#!/usr/bin/env python3
"""Writes a GPT-2-small-shaped decoder archive that is small enough to travel to a GPU machine.

Run on the CPU machine with Debian's torch 1.13 (the torch that scripts the served archives)::

    /usr/bin/python3 bench/gpu/prepare_gpt2_small.py .gpu-work/gpt2-small

The folder gets config.json and model.pt.gz: the TorchScript archive that
models/tools/convert_gpt2.py --random-gpt2-small would write (same module, same scripting, 124M
parameters: 12 layers, d=768, 12 heads, vocab 50257, n_positions 1024), except that every weight is zero,
so the 500 MB archive gzips to about 1 MB. bench/gpu/check.py decompresses it and, seeing zero weights,
gives them GPT-2's random initialisation in place on the GPU before timing decode steps. The output is
noise either way: the folder exists to measure speed. Never commit it.
"""
import gzip
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models", "tools"))

import torch  # noqa: E402
from slmtorch import gpt2  # noqa: E402


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    cfg = gpt2.GPT2Config(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
                          bos_token_id=50256, eos_token_id=50256)
    model = gpt2.build(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    scripted = gpt2.script_for_serving(model)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pt")
        scripted.save(path)
        with open(path, "rb") as f_in, gzip.open(os.path.join(out, "model.pt.gz"), "wb", compresslevel=6) as f_out:
            shutil.copyfileobj(f_in, f_out, 1 << 24)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg.to_hf_dict(), f, indent=2)
        f.write("\n")
    size = os.path.getsize(os.path.join(out, "model.pt.gz"))
    print(f"wrote {out}/model.pt.gz ({size / 1e6:.1f} MB, zero weights) and config.json "
          f"(torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
