"""Trains nano-bart (a small BART) to write integers 0..999,999,999 in English words and writes the served
folder models/nano-bart/.

One command (about 30 minutes on 2 CPU threads; data are generated, nothing is downloaded)::

    /usr/bin/python3 models/tools/train_nano_bart.py --out models/nano-bart --work /tmp/nano-bart-work

Steps, deterministic for a given --seed:
  1. split: a number n is held out when mix(n) % 32 == 0 and used for monitoring when mix(n) % 32 == 1
     (mix = splitmix64 finaliser); training never draws either class (rejection sampling);
  2. sample --heldout-count held-out numbers, length-balanced (digit count uniform over 1..9 where the
     class still has unused numbers), write heldout.jsonl ({"input": "4817", "target": "four thousand ..."});
  3. train BART (slmtorch/bart.py) with AdamW on fresh random batches: digit count uniform over 1..9; 60% of
     numbers have uniform random digits, 40% have each non-leading digit zeroed with probability 0.6 (so
     "one million", "two thousand five" ... are common); source = the digits (no specials), decoder input =
     decoder_start (</s>) + words, labels = words + </s>; cosine learning rate; a checkpoint every
     --ckpt-every steps in --work (--resume continues from it);
  4. greedy exact match (server-style batched encode + cached decode steps) on heldout.jsonl;
  5. export the served folder (model.pt, config.json, tokenizer.json, tokenizer_config.json,
     serving.properties, heldout.jsonl; README.md is written by hand from --work/metrics.json).

    --export-only         re-runs 4 and 5 from --work/ckpt.pt
    --tiny-random DIR     writes an untrained, tiny folder with the same contract (for engine work; not committed)
"""
import argparse
import json
import math
import os
import sys
import time
from typing import List, Tuple

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # busy-waiting OpenMP threads crawl on a shared, loaded CPU
import torch  # noqa: E402
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_bart  # noqa: E402
from slmtorch import bart, numwords  # noqa: E402
from slmtorch.threads import set_threads  # noqa: E402

MASK64 = (1 << 64) - 1
BUCKETS = 32
HELD, MONITOR = 0, 1


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def mix(n: int) -> int:
    """splitmix64 finaliser: a fixed, well-spread hash of n."""
    z = (n + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def bucket(n: int) -> int:
    return mix(n) % BUCKETS


def random_number(rng: np.random.Generator, zero_heavy: bool) -> int:
    k = int(rng.integers(1, 10))  # digit count 1..9
    if k == 1:
        return int(rng.integers(0, 10))
    digits = [int(rng.integers(1, 10))] + [int(d) for d in rng.integers(0, 10, size=k - 1)]
    if zero_heavy:
        digits = [digits[0]] + [0 if rng.random() < 0.6 else d for d in digits[1:]]
    return int("".join(map(str, digits)))


def training_number(rng: np.random.Generator) -> int:
    while True:
        n = random_number(rng, rng.random() < 0.4)
        if bucket(n) > MONITOR:
            return n


def sample_class(rng: np.random.Generator, cls: int, count: int) -> List[int]:
    """count distinct numbers of bucket cls, digit count uniform over 1..9 where unused ones remain."""
    pools = {}
    for k in (1, 2, 3, 4):  # enumerate the short lengths (the class may hold few or none of them)
        lo = 0 if k == 1 else 10 ** (k - 1)
        pools[k] = [n for n in range(lo, 10 ** k) if bucket(n) == cls]
    chosen, seen = [], set()
    while len(chosen) < count:
        k = int(rng.integers(1, 10))
        if k in pools:
            if sum(1 for n in chosen if len(str(n)) == k) >= count // 9:
                continue
            free = [n for n in pools[k] if n not in seen]
            if not free:
                continue
            n = free[int(rng.integers(0, len(free)))]
        else:
            n = int(rng.integers(10 ** (k - 1), 10 ** k))
            if bucket(n) != cls or n in seen:
                continue
        seen.add(n)
        chosen.append(n)
    return chosen


def make_batch(tok: numwords.NumTokenizer, numbers: List[int]) -> Tuple[torch.Tensor, ...]:
    srcs = [tok.encode(str(n)) for n in numbers]
    tgts = [tok.encode(numwords.words(n)) + [tok.eos] for n in numbers]
    b, ts, tt = len(numbers), max(map(len, srcs)), max(map(len, tgts))
    src = np.full((b, ts), tok.pad, dtype=np.int64)
    dec = np.full((b, tt), tok.pad, dtype=np.int64)
    lab = np.full((b, tt), -100, dtype=np.int64)
    for i, (s, t) in enumerate(zip(srcs, tgts)):
        src[i, :len(s)] = s
        dec[i, 0] = tok.eos  # decoder_start_token_id
        dec[i, 1:len(t)] = t[:-1]
        lab[i, :len(t)] = t
    return (torch.from_numpy(src), torch.tensor([len(s) for s in srcs]), torch.from_numpy(dec),
            torch.from_numpy(lab))


@torch.no_grad()
def exact_match(model, tok: numwords.NumTokenizer, numbers: List[int], batch: int = 100, max_new: int = 32):
    """Greedy, the server's way: batched encode + cached one-token steps. Returns (fraction, failures)."""
    model.eval()
    ok, bad = 0, []
    for i in range(0, len(numbers), batch):
        chunk = numbers[i:i + batch]
        outs = bart.greedy_cached(model, [tok.encode(str(n)) for n in chunk], tok.eos, tok.eos, max_new,
                                  slots=list(range(len(chunk))), pad=tok.pad)
        for n, o in zip(chunk, outs):
            got = tok.decode(o)
            if got == numwords.words(n) and o and o[-1] == tok.eos:
                ok += 1
            else:
                bad.append((n, got))
    return ok / len(numbers), bad


def lr_at(step: int, total: int, peak: float, warmup: int, floor: float) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    frac = (step - warmup) / max(1, total - warmup)
    return floor + 0.5 * (peak - floor) * (1.0 + math.cos(math.pi * min(1.0, frac)))


def config_for(args, vocab_size: int) -> bart.BartConfig:
    return bart.BartConfig(vocab_size=vocab_size, d_model=args.d_model, encoder_layers=args.layers,
                           decoder_layers=args.layers, encoder_attention_heads=args.heads,
                           decoder_attention_heads=args.heads, encoder_ffn_dim=args.ffn, decoder_ffn_dim=args.ffn,
                           max_position_embeddings=args.max_positions, pad_token_id=1, bos_token_id=0,
                           eos_token_id=2, decoder_start_token_id=2, forced_eos_token_id=2)


def write_tiny_random(out: str, seed: int) -> None:
    """An untrained nano-bart-shaped folder with tiny dimensions: the full folder contract, for engine work."""
    torch.manual_seed(seed)
    tok = numwords.NumTokenizer()
    cfg = bart.BartConfig(vocab_size=tok.vocab_size, d_model=32, encoder_layers=2, decoder_layers=2,
                          encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
                          decoder_ffn_dim=64, max_position_embeddings=64)
    model = bart.build(cfg).eval()
    with torch.no_grad():  # larger weights: peaked, input-dependent (still meaningless) outputs
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.mul_(10.0)
    os.makedirs(out, exist_ok=True)
    tok_path = os.path.join(out, "tokenizer.json")
    numwords.write_tokenizer(tok_path)
    readme = ("# nano-bart-tiny (random weights, not committed)\n\nThe nano-bart folder contract "
              "(docs/model-format-seq2seq.md) with an untrained 2+2-layer d=32 BART; outputs are noise. Written by "
              "`models/tools/train_nano_bart.py --tiny-random DIR`.\n")
    convert_bart.write_served_folder(model, cfg, tok_path, out, convert_bart.serving_properties(8, 16, 48),
                                     model_name="nano-bart-tiny", readme=readme)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models/nano-bart")
    ap.add_argument("--work", default="/tmp/nano-bart-work")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2, help="encoder and decoder layers each")
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=256)
    ap.add_argument("--max-positions", type=int, default=64)
    ap.add_argument("--steps", type=int, default=2500)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--ckpt-every", type=int, default=250)
    ap.add_argument("--heldout-count", type=int, default=1000)
    ap.add_argument("--max-input-tokens", type=int, default=16)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--tiny-random", metavar="DIR")
    args = ap.parse_args()

    set_threads(args.threads)  # the machine is shared: stay at 2 threads
    if args.tiny_random:
        write_tiny_random(args.tiny_random, args.seed)
        return
    torch.manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    tok = numwords.NumTokenizer()
    split_rng = np.random.default_rng(args.seed + 1)
    held = sample_class(split_rng, HELD, args.heldout_count)
    monitor = sample_class(split_rng, MONITOR, 300)
    log(f"held out {len(held)} numbers (bucket {HELD}/{BUCKETS}), monitor {len(monitor)} (bucket {MONITOR}); "
        f"digit counts of held-out: {np.bincount([len(str(n)) for n in held], minlength=10)[1:].tolist()}")

    cfg = config_for(args, tok.vocab_size)
    model = bart.build(cfg)
    n_params = sum(p.numel() for p in model.parameters()) + model.final_logits_bias.numel()
    ckpt = os.path.join(args.work, "ckpt.pt")
    state = os.path.join(args.work, "train_state.pt")
    train_seconds = None
    if args.export_only:
        model.load_state_dict(torch.load(ckpt))
    else:
        log(f"model: {n_params} parameters; {args.steps} steps x {args.batch}")
        decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
        no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98))
        rng = np.random.default_rng(args.seed)
        start, spent = 0, 0.0
        if args.resume and os.path.exists(state):
            st = torch.load(state)
            model.load_state_dict(st["model"])
            opt.load_state_dict(st["opt"])
            rng.bit_generator.state = st["rng"]
            start, spent = st["step"], st["seconds"]
            log(f"resumed at step {start}")
        t_train = time.time() - spent
        ema = None
        model.train()
        for step in range(start, args.steps):
            src, lens, dec, lab = make_batch(tok, [training_number(rng) for _ in range(args.batch)])
            lr = lr_at(step, args.steps, args.lr, 200, args.lr * 0.02)
            for grp in opt.param_groups:
                grp["lr"] = lr
            logits = model.logits_padded(src, lens, dec)
            loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), lab.reshape(-1), ignore_index=-100)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
            if step % 50 == 0 or step == args.steps - 1:
                log(f"step {step}/{args.steps} loss {loss.item():.4f} (ema {ema:.4f}) lr {lr:.2e} "
                    f"{time.time() - t_train:.0f}s")
            if (step + 1) % args.ckpt_every == 0 or step == args.steps - 1:
                torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "rng": rng.bit_generator.state,
                            "step": step + 1, "seconds": time.time() - t_train}, state + ".tmp")
                os.replace(state + ".tmp", state)
                torch.save(model.state_dict(), ckpt)
                if (step + 1) % (4 * args.ckpt_every) == 0:
                    acc, _ = exact_match(model, tok, monitor)
                    log(f"step {step + 1}: monitor exact match {acc:.4f}")
                    model.train()
        train_seconds = time.time() - t_train
        log(f"trained in {train_seconds:.0f}s, saved {ckpt}")

    model.eval()
    t_eval = time.time()
    acc, bad = exact_match(model, tok, held, max_new=args.max_new_tokens)
    log(f"held-out exact match {acc:.4f} ({len(held) - len(bad)}/{len(held)}) in {time.time() - t_eval:.0f}s; "
        f"failures: {bad[:20]}")
    metrics = {"heldout_exact_match": acc, "heldout_correct": len(held) - len(bad), "heldout_count": len(held),
               "failures": [[n, g] for n, g in bad], "parameters": n_params, "train_seconds": train_seconds,
               "steps": args.steps, "batch": args.batch, "seed": args.seed, "config": cfg.to_hf_dict()}
    if train_seconds is None and os.path.exists(os.path.join(args.work, "metrics.json")):
        with open(os.path.join(args.work, "metrics.json")) as f:
            metrics["train_seconds"] = json.load(f).get("train_seconds")
    with open(os.path.join(args.work, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)

    with open(os.path.join(args.out, "heldout.jsonl"), "w", encoding="utf-8") as f:
        for n in held:
            f.write(json.dumps({"input": str(n), "target": numwords.words(n)}) + "\n")
    tok_path = os.path.join(args.work, "tokenizer.json")
    numwords.write_tokenizer(tok_path)
    props = convert_bart.serving_properties(16, args.max_input_tokens, args.max_input_tokens + args.max_new_tokens)
    convert_bart.write_served_folder(model, cfg, tok_path, args.out, props, model_name="nano-bart")
    log(f"wrote {args.out} ({time.time() - t0:.0f}s total)")


if __name__ == "__main__":
    main()
