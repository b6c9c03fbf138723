"""Trains nano-llama (a 5-layer Llama-architecture decoder: GQA, rotary, SwiGLU, RMSNorm) on the King James
Bible with nano-gpt's data, split, tokenizer and held-out procedure, and writes the served folder.

One command::

    apt-get install -y bible-kjv-text
    /usr/bin/python3 models/tools/train_nano_llama.py --out models/nano-llama --work /tmp/nano-llama-work

Same data pipeline as train_nano_gpt.py (kjv.py split: every 20th chapter held out; the training chapters
tokenized with models/nano-gpt/tokenizer.json, the byte-level BPE train_nano_gpt.py trains on the training
split only), same optimiser recipe (AdamW 0.9/0.95, weight decay 0.1 on matrices, 30 warm-up steps, cosine to
5% of the peak, clipping 1.0), the same two phases (256 x 16 tokens, then 512 x 8 so every position is
trained) and the same held-out measurement (train_nano_gpt.heldout_nll: 512-token windows, stride 256).

--budget-s fits the step counts to a wall-clock budget: after 10 steps the measured step time sets the totals
(the two phases keep nano-gpt's 450:70 ratio); the counts used are logged and written to metrics.json, and
--steps-short/--steps-long with --budget-s 0 repeat a run exactly (single thread, fixed seed).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import kjv  # noqa: E402
import train_nano_gpt as tng  # noqa: E402
from slmtorch import llama  # noqa: E402
from slmtorch.threads import set_threads  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def nano_llama_config(vocab: int, eos: int, layers: int = 5, hidden: int = 256, heads: int = 8, kv_heads: int = 2,
                      intermediate: int = 640, positions: int = 512) -> dict:
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": vocab,
        "hidden_size": hidden, "intermediate_size": intermediate, "num_hidden_layers": layers,
        "num_attention_heads": heads, "num_key_value_heads": kv_heads, "head_dim": hidden // heads,
        "hidden_act": "silu", "max_position_embeddings": positions, "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0, "rope_scaling": None, "attention_bias": False, "mlp_bias": False,
        "tie_word_embeddings": True, "bos_token_id": eos, "eos_token_id": eos, "torch_dtype": "float32",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models/nano-llama")
    ap.add_argument("--work", default="/tmp/nano-llama-work")
    ap.add_argument("--tokenizer", default=os.path.join(REPO, "models", "nano-gpt", "tokenizer.json"))
    ap.add_argument("--kjv-file", default="")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps-short", type=int, default=450, help="steps at 256 tokens x 16 rows")
    ap.add_argument("--steps-long", type=int, default=70, help="steps at 512 tokens x 8 rows")
    ap.add_argument("--rows-short", type=int, default=16, help="rows of the 256-token steps")
    ap.add_argument("--rows-long", type=int, default=8, help="rows of the 512-token steps")
    ap.add_argument("--budget-s", type=float, default=0.0, help="fit the step counts to this many seconds")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args()

    set_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)
    t0 = time.time()
    raw = kjv.read_raw(args.kjv_file)
    train_docs, held_docs, held_names = kjv.split(raw)
    tok = bpe.ByteLevelBPE.load(args.tokenizer)
    eos = tok.token_id(bpe.EOT)
    train_ids = np.array(tok.encode(kjv.join(train_docs)), dtype=np.int64)
    held_ids = np.array([eos] + tok.encode(kjv.join(held_docs)), dtype=np.int64)
    held_bytes = sum(len(d.encode("utf-8")) for d in held_docs)
    tng.log(f"train {len(train_ids)} tokens; held-out {len(held_ids) - 1} tokens, {held_bytes} bytes "
            f"({time.time() - t0:.1f}s)")

    hf_cfg = nano_llama_config(tok.vocab_size, eos)
    cfg = llama.LlamaConfig(hf_cfg)
    model = llama.build(cfg)
    ckpt = os.path.join(args.work, "ckpt.pt")
    steps = [args.steps_short, args.steps_long]
    train_seconds = None
    if args.export_only:
        model.load_state_dict(torch.load(ckpt), strict=False)  # an empty tied lm_head may be absent
        with open(os.path.join(args.work, "train.json")) as f:
            info = json.load(f)
        steps, train_seconds = info["steps"], info["train_seconds"]
    else:
        n_params = sum(v.numel() for v in llama.hf_state_dict(model).values())
        tng.log(f"model: {n_params} parameters")
        named = [(n, p) for n, p in model.named_parameters() if n in llama.hf_state_dict(model)]
        decay = [p for n, p in named if p.dim() >= 2]
        no_decay = [p for n, p in named if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
        rng = np.random.default_rng(args.seed)
        n_short, n_long = args.steps_short, args.steps_long
        t_train = time.time()
        ema = None
        model.train()
        step = 0
        while step < n_short + n_long:
            total = n_short + n_long
            seq, rows = (256, args.rows_short) if step < n_short else (512, args.rows_long)
            starts = rng.integers(0, len(train_ids) - seq - 1, size=rows)
            batch = torch.from_numpy(np.stack([train_ids[s:s + seq + 1] for s in starts]))
            lr = tng.lr_at(step, total, args.lr, 30, args.lr * 0.05)
            for grp in opt.param_groups:
                grp["lr"] = lr
            logits = model.logits_all(batch[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), batch[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
            if step == 9 and args.budget_s > 0:
                per = (time.time() - t_train) / 10
                # a 512 x 8 step costs about 1.15x a 256 x 16 step (same tokens, longer attention)
                left = args.budget_s - (time.time() - t_train)
                n = int(left / per / (1 + 1.15 * 70 / 450))
                n_short, n_long = 10 + n, max(1, int(n * 70 / 450))
                tng.log(f"budget {args.budget_s:.0f}s at {per:.2f}s/step: {n_short} + {n_long} steps")
            if step % 25 == 0 or step == total - 1:
                tng.log(f"step {step}/{total} seq {seq} loss {loss.item():.3f} (ema {ema:.3f}) lr {lr:.2e} "
                        f"{time.time() - t_train:.0f}s")
            if step % 100 == 99:
                torch.save(model.state_dict(), ckpt)
            step += 1
        steps = [n_short, n_long, args.rows_short, args.rows_long]
        train_seconds = time.time() - t_train
        torch.save(model.state_dict(), ckpt)
        with open(os.path.join(args.work, "train.json"), "w") as f:
            json.dump({"steps": steps, "train_seconds": train_seconds}, f)
        tng.log(f"trained {steps} steps in {train_seconds:.0f}s, saved {ckpt}")

    model.eval()
    nll = tng.heldout_nll(model, held_ids)
    uni = tng.unigram_nll(train_ids, held_ids[1:], cfg.vocab_size)
    metrics = {
        "heldout_tokens": int(len(nll)), "heldout_bytes": int(held_bytes),
        "ppl_token": float(math.exp(nll.mean())), "ppl_byte": float(math.exp(nll.sum() / held_bytes)),
        "bits_per_byte": float(nll.sum() / held_bytes / math.log(2)),
        "unigram_ppl_token": float(math.exp(uni.mean())),
        "unigram_ppl_byte": float(math.exp(uni.sum() / held_bytes)),
        "train_tokens": int(len(train_ids)), "train_seconds": train_seconds, "seed": args.seed, "steps": steps,
        "parameters": int(sum(v.numel() for v in llama.hf_state_dict(model).values())),
    }
    sample_text = open(os.path.join(REPO, "models", "nano-gpt", "heldout.txt"), encoding="utf-8").read()
    s_nll = tng.heldout_nll(model, np.array([eos] + tok.encode(sample_text), dtype=np.int64))
    metrics["heldout_txt"] = {"tokens_scored": len(s_nll), "ppl_token": float(math.exp(s_nll.mean()))}
    tng.log("metrics: " + json.dumps(metrics))
    with open(os.path.join(args.work, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    samples = []
    for p in ["Genesis 1\n1 In the beginning", "Psalms 23\n1 The LORD", "John 3\n16 For God"]:
        pid = [eos] + tok.encode(p)
        samples.append(f"PROMPT: {p!r}\nGREEDY: {tok.decode(tng.generate(model, pid, 60, eos))!r}\n")
    with open(os.path.join(args.work, "samples.txt"), "w") as f:
        f.write("\n".join(samples))
    print("\n".join(samples))

    from families import llama_family  # the served-folder writer convert.py uses
    os.makedirs(args.out, exist_ok=True)
    llama_family.write_served_folder(model, cfg, os.path.dirname(args.tokenizer), args.out, model_name="nano-llama",
                                     max_total_tokens=512)
    tng.log(f"wrote {args.out} ({time.time() - t0:.0f}s total)")


if __name__ == "__main__":
    main()
