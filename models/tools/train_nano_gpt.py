"""Trains nano-gpt (a 4-layer GPT-2) on the King James Bible and writes the served folder models/nano-gpt/.

One command (about 30 minutes on one CPU thread)::

    apt-get install -y bible-kjv-text      # public-domain KJV text + the `bible` reader
    /usr/bin/python3 models/tools/train_nano_gpt.py --out models/nano-gpt --work /tmp/nano-gpt-work

Steps, all deterministic for a given --seed (single thread):
  1. read the KJV, one document per chapter; hold out every 20th chapter (kjv.py), never trained on;
  2. train a byte-level BPE (bpe.py, vocab 8192 incl. <|endoftext|>) on the training chapters only;
  3. train GPT-2 (4 layers, d=256, 4 heads, n_positions 512) with AdamW on random windows of the training
     token stream: --steps-short steps at 256 tokens x 16 rows, then --steps-long steps at 512 x 8
     (so every position embedding is trained); cosine learning rate;
  4. evaluate on the held-out chapters: per-token and per-byte perplexity vs a unigram baseline
     (add-one smoothed training token frequencies) on the same tokens; write heldout.txt;
  5. export the served folder (model.pt TorchScript with KV cache, tokenizer.json, config.json, ...).

--work keeps ckpt.pt (HF-named fp32 state dict), metrics.json and samples.txt. --export-only re-runs step 5
(and 4) from --work/ckpt.pt.
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
from slmtorch import gpt2  # noqa: E402
from slmtorch.threads import set_threads  # noqa: E402


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def lr_at(step: int, total: int, peak: float, warmup: int, floor: float) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    frac = (step - warmup) / max(1, total - warmup)
    return floor + 0.5 * (peak - floor) * (1.0 + math.cos(math.pi * min(1.0, frac)))


@torch.no_grad()
def heldout_nll(model: gpt2.GPT2LMHeadModel, ids: np.ndarray, ctx: int = 512, stride: int = 256):
    """Sliding-window NLL over ids (ids[0] is a context token, never scored). Returns per-token NLL array
    for ids[1:]: each token is scored with at least ctx - stride tokens of context (except near the start)."""
    model.eval()
    n = len(ids)
    nll = np.zeros(n - 1, dtype=np.float64)
    done = 1  # next token index to score
    start = 0
    while done < n:
        end = min(start + ctx, n)
        x = torch.from_numpy(ids[start:end].astype(np.int64)).unsqueeze(0)
        logp = F.log_softmax(model.logits_all(x)[0].double(), dim=-1)  # [T, V]
        first = max(done, start + 1)
        rows = torch.arange(first - 1 - start, end - 1 - start)
        nll[first - 1:end - 1] = (-logp[rows, torch.from_numpy(ids[first:end].astype(np.int64))]).numpy()
        done = end
        if end == n:
            break
        start = end - (ctx - stride) if end - (ctx - stride) > start else end - 1
    return nll


def unigram_nll(train_ids: np.ndarray, test_ids: np.ndarray, vocab: int) -> np.ndarray:
    counts = np.bincount(train_ids, minlength=vocab).astype(np.float64) + 1.0
    logp = np.log(counts / counts.sum())
    return -logp[test_ids]


@torch.no_grad()
def generate(model: gpt2.GPT2LMHeadModel, prompt_ids, n: int, eos: int, temperature: float = 0.0,
             top_k: int = 0, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    ids = list(prompt_ids)
    for _ in range(n):
        logits = model.logits_all(torch.tensor([ids[-model.cfg_n_positions:]]))[0, -1]
        if temperature <= 0:
            nxt = int(torch.argmax(logits))
        else:
            logits = logits / temperature
            if top_k:
                v, _ = torch.topk(logits, top_k)
                logits[logits < v[-1]] = -float("inf")
            nxt = int(torch.multinomial(torch.softmax(logits, -1), 1, generator=g))
        ids.append(nxt)
        if nxt == eos:
            break
    return ids[len(prompt_ids):]


def write_heldout_sample(tok: bpe.ByteLevelBPE, held_docs, path: str, max_tokens: int = 511) -> str:
    """Whole verses of the first held-out chapter, as many as fit in max_tokens tokens (so that
    [<|endoftext|>] + tokens fits one 512-token window)."""
    lines = held_docs[0].splitlines(keepends=True)
    text = ""
    for ln in lines:
        if len(tok.encode(text + ln)) > max_tokens:
            break
        text += ln
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models/nano-gpt")
    ap.add_argument("--work", default="/tmp/nano-gpt-work")
    ap.add_argument("--kjv-file", default="", help="verse-per-line text (`bible -f gen1:1-rev22:21`); "
                                                  "default: run the bible program")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--vocab-size", type=int, default=8192)
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-embd", type=int, default=256)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-positions", type=int, default=512)
    ap.add_argument("--steps-short", type=int, default=450, help="steps at 256 tokens x 16 rows")
    ap.add_argument("--steps-long", type=int, default=70, help="steps at 512 tokens x 8 rows")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args()

    set_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()

    raw = kjv.read_raw(args.kjv_file)
    train_docs, held_docs, held_names = kjv.split(raw)
    log(f"chapters: {len(train_docs)} train, {len(held_docs)} held out ({', '.join(held_names[:4])}, ...)")
    tok_path = os.path.join(args.work, "tokenizer.json")
    if args.export_only and os.path.exists(tok_path):
        tok = bpe.ByteLevelBPE.load(tok_path)
    else:
        vocab, merges = bpe.train_bpe([kjv.join(train_docs)], args.vocab_size, verbose=False)
        tok = bpe.ByteLevelBPE(vocab, merges)
        tok.save(tok_path)
    eos = tok.token_id(bpe.EOT)
    train_ids = np.array(tok.encode(kjv.join(train_docs)), dtype=np.int64)
    held_ids = np.array([eos] + tok.encode(kjv.join(held_docs)), dtype=np.int64)
    held_bytes = sum(len(d.encode("utf-8")) for d in held_docs)
    log(f"tokenizer: vocab {tok.vocab_size}; train {len(train_ids)} tokens; held-out {len(held_ids) - 1} "
        f"tokens, {held_bytes} bytes ({time.time() - t0:.1f}s)")

    cfg = gpt2.GPT2Config(vocab_size=tok.vocab_size, n_positions=args.n_positions, n_embd=args.n_embd,
                          n_layer=args.n_layer, n_head=args.n_head, bos_token_id=eos, eos_token_id=eos)
    model = gpt2.build(cfg)
    ckpt = os.path.join(args.work, "ckpt.pt")
    train_seconds = None
    if args.export_only:
        model.load_state_dict(torch.load(ckpt))
    else:
        n_params = sum(p.numel() for p in model.parameters())
        log(f"model: {n_params} parameters")
        decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
        no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
        rng = np.random.default_rng(args.seed)
        total = args.steps_short + args.steps_long
        t_train = time.time()
        ema = None
        model.train()
        for step in range(total):
            seq, rows = (256, 16) if step < args.steps_short else (512, 8)
            starts = rng.integers(0, len(train_ids) - seq - 1, size=rows)
            batch = torch.from_numpy(np.stack([train_ids[s:s + seq + 1] for s in starts]))
            lr = lr_at(step, total, args.lr, 30, args.lr * 0.05)
            for grp in opt.param_groups:
                grp["lr"] = lr
            logits = model.logits_all(batch[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), batch[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
            if step % 25 == 0 or step == total - 1:
                log(f"step {step}/{total} seq {seq} loss {loss.item():.3f} (ema {ema:.3f}) lr {lr:.2e} "
                    f"{time.time() - t_train:.0f}s")
        train_seconds = time.time() - t_train
        torch.save(model.state_dict(), ckpt)
        log(f"trained in {train_seconds:.0f}s, saved {ckpt}")

    model.eval()
    nll = heldout_nll(model, held_ids)
    uni = unigram_nll(train_ids, held_ids[1:], cfg.vocab_size)
    metrics = {
        "heldout_chapters": held_names,
        "heldout_tokens": int(len(nll)),
        "heldout_bytes": int(held_bytes),
        "ppl_token": float(math.exp(nll.mean())),
        "ppl_byte": float(math.exp(nll.sum() / held_bytes)),
        "bits_per_byte": float(nll.sum() / held_bytes / math.log(2)),
        "unigram_ppl_token": float(math.exp(uni.mean())),
        "unigram_ppl_byte": float(math.exp(uni.sum() / held_bytes)),
        "unigram_bits_per_byte": float(uni.sum() / held_bytes / math.log(2)),
        "train_tokens": int(len(train_ids)),
        "train_seconds": train_seconds,
        "seed": args.seed,
        "steps": [args.steps_short, args.steps_long],
    }
    sample_text = write_heldout_sample(tok, held_docs, os.path.join(args.out, "heldout.txt"))
    s_ids = [eos] + tok.encode(sample_text)
    s_nll = heldout_nll(model, np.array(s_ids, dtype=np.int64))
    metrics["heldout_txt"] = {"tokens_scored": len(s_nll), "ppl_token": float(math.exp(s_nll.mean())),
                              "bytes": len(sample_text.encode("utf-8")),
                              "procedure": "ids = [<|endoftext|>] + encode(heldout.txt); one forward over all "
                                           "ids at positions 0..n-1; ppl = exp(mean NLL of ids[1:])"}
    log("metrics: " + json.dumps({k: v for k, v in metrics.items() if k != "heldout_chapters"}))
    with open(os.path.join(args.work, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)

    samples = []
    for i, p in enumerate(["Genesis 1\n1 In the beginning", "Psalms 23\n1 The LORD", "John 3\n16 For God",
                           "Revelation 22\n1 And he shewed me"]):
        pid = [eos] + tok.encode(p)
        greedy = tok.decode(generate(model, pid, 60, eos), skip_special=False)
        sampled = tok.decode(generate(model, pid, 60, eos, temperature=0.8, top_k=40, seed=i), skip_special=False)
        samples.append(f"PROMPT: {p!r}\nGREEDY: {greedy!r}\nSAMPLED (T=0.8, top_k=40, seed {i}): {sampled!r}\n")
    with open(os.path.join(args.work, "samples.txt"), "w") as f:
        f.write("\n".join(samples))
    print("\n".join(samples))

    import convert_gpt2  # the served-folder writer, shared with the HF converter
    convert_gpt2.write_served_folder(model, cfg, tok_path, args.out, model_name="nano-gpt")
    log(f"wrote {args.out} ({time.time() - t0:.0f}s total)")


if __name__ == "__main__":
    main()
