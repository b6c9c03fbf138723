"""Trains nano-t5 (a small T5 v1.1: gated-GELU, RMS norm, relative position bias, untied head) to read English
number words back into digits, and writes the served folder models/nano-t5/.

One command (data are generated, nothing is downloaded)::

    /usr/bin/python3 models/tools/train_nano_t5.py --out models/nano-t5 --work /tmp/nano-t5-work

Steps, deterministic for a given --seed:
  1. split: the nano-bart hash split (train_nano_bart.py): n is held out when splitmix64(n) % 32 == 0 and used
     for monitoring when it is 1; training never draws either class;
  2. sample --heldout-count held-out numbers, length-balanced, write heldout.jsonl
     ({"input": "four thousand eight hundred seventeen", "target": "4817"});
  3. train T5 (slmtorch/t5.py) with AdamW on fresh random batches (nano-bart's number distribution: digit count
     uniform over 1..9, 40% zero-heavy); source = words + </s> (what tokenizer.json's post-processor adds),
     decoder input = <pad> (decoder_start) + digits, labels = digits + </s>; cosine learning rate; a checkpoint
     every --ckpt-every steps in --work (--resume continues from it);
  4. greedy exact match (server-style batched encode + cached decode steps) on heldout.jsonl;
  5. export the served folder (model.pt, config.json, tokenizer.json, tokenizer_config.json, serving.properties,
     heldout.jsonl; README.md is written by hand from --work/metrics.json).

    --export-only         re-runs 4 and 5 from --work/ckpt.pt
    --tiny-random DIR     writes an untrained, tiny folder through convert_t5.py from a random Hugging Face
                          snapshot (--variant v1.1: gated-gelu, untied head; v1.0: relu, tied head scaled by
                          d_model^-0.5), with nano-t5's tokenizer, for engine tests; never committed
"""
import argparse
import json
import os
import sys
import time
from typing import List, Tuple

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # busy-waiting OpenMP threads crawl on a shared, loaded CPU
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_nano_bart as split  # noqa: E402  (the hash split and number sampler nano-bart uses)
from slmtorch import bart, numdigits, numwords, t5  # noqa: E402
from slmtorch.threads import set_threads  # noqa: E402


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def make_batch(tok: numdigits.DigitsTokenizer, numbers: List[int]) -> Tuple[torch.Tensor, ...]:
    srcs = [tok.encode(numwords.words(n), add_eos=True) for n in numbers]
    tgts = [tok.encode(str(n)) + [tok.eos] for n in numbers]
    b, ts, tt = len(numbers), max(map(len, srcs)), max(map(len, tgts))
    src = np.full((b, ts), tok.pad, dtype=np.int64)
    dec = np.full((b, tt), tok.pad, dtype=np.int64)
    lab = np.full((b, tt), -100, dtype=np.int64)
    for i, (s, t) in enumerate(zip(srcs, tgts)):
        src[i, :len(s)] = s
        dec[i, 0] = tok.pad  # decoder_start_token_id
        dec[i, 1:len(t)] = t[:-1]
        lab[i, :len(t)] = t
    return (torch.from_numpy(src), torch.tensor([len(s) for s in srcs]), torch.from_numpy(dec),
            torch.from_numpy(lab))


@torch.no_grad()
def exact_match(model, tok: numdigits.DigitsTokenizer, numbers: List[int], batch: int = 100, max_new: int = 16):
    """Greedy, the server's way: batched encode + cached one-token steps. Returns (fraction, failures)."""
    model.eval()
    ok, bad = 0, []
    for i in range(0, len(numbers), batch):
        chunk = numbers[i:i + batch]
        outs = bart.greedy_cached(model, [tok.encode(numwords.words(n), add_eos=True) for n in chunk], tok.pad,
                                  tok.eos, max_new, slots=list(range(len(chunk))), pad=tok.pad)
        for n, o in zip(chunk, outs):
            got = tok.decode(o)
            if got == str(n) and o and o[-1] == tok.eos:
                ok += 1
            else:
                bad.append((n, got))
    return ok / len(numbers), bad


def config_for(args, vocab_size: int) -> t5.T5Config:
    return t5.T5Config(vocab_size=vocab_size, d_model=args.d_model, d_kv=args.d_model // args.heads, d_ff=args.ffn,
                       num_layers=args.layers, num_decoder_layers=args.layers, num_heads=args.heads,
                       relative_attention_num_buckets=32, relative_attention_max_distance=128,
                       feed_forward_proj="gated-gelu", tie_word_embeddings=False, pad_token_id=0, eos_token_id=1,
                       decoder_start_token_id=0, max_position_embeddings=args.max_positions)


def write_tiny_random(out: str, seed: int, variant: str) -> None:
    """A random-weight T5 snapshot in the Hugging Face layout (config.json, model.safetensors, tokenizer.json),
    converted by convert_t5.convert into out: the real conversion path, tiny dimensions."""
    import tempfile
    import convert_t5  # noqa: E402
    from slmtorch import safetensors_io  # noqa: E402
    torch.manual_seed(seed)
    tok = numdigits.DigitsTokenizer()
    v10 = variant == "v1.0"
    cfg = t5.T5Config(vocab_size=tok.vocab_size + 6, d_model=32, d_kv=12, d_ff=48, num_layers=2,
                      num_decoder_layers=3, num_heads=3, relative_attention_num_buckets=8,
                      relative_attention_max_distance=20, feed_forward_proj="relu" if v10 else "gated-gelu",
                      tie_word_embeddings=v10)
    model = t5.build(cfg)
    with torch.no_grad():  # larger weights: peaked, input-dependent (still meaningless) outputs
        for name, p in model.named_parameters():
            if "relative_attention_bias" in name:
                p.normal_(std=2.0)
            elif p.dim() == 2 and name != "shared.weight":
                p.mul_(3.0)
    with tempfile.TemporaryDirectory() as hf:
        safetensors_io.save(t5.hf_state_dict(model), os.path.join(hf, "model.safetensors"), {"format": "pt"})
        hf_cfg = cfg.to_hf_dict()
        del hf_cfg["max_position_embeddings"]  # a real T5 config.json has none
        with open(os.path.join(hf, "config.json"), "w") as f:
            json.dump(hf_cfg, f)
        numdigits.write_tokenizer(os.path.join(hf, "tokenizer.json"))
        convert_t5.convert(hf, out, batch_size=8, max_input_tokens=24, max_new_tokens=32)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(f"# t5-tiny-random ({variant}, random weights, not committed)\n\nWritten by "
                f"`models/tools/train_nano_t5.py --tiny-random DIR --variant {variant}`; outputs are noise.\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models/nano-t5")
    ap.add_argument("--work", default="/tmp/nano-t5-work")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2, help="encoder and decoder blocks each")
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=256)
    ap.add_argument("--max-positions", type=int, default=64)
    ap.add_argument("--steps", type=int, default=2400)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--ckpt-every", type=int, default=250)
    ap.add_argument("--heldout-count", type=int, default=1000)
    ap.add_argument("--max-input-tokens", type=int, default=32)
    ap.add_argument("--max-new-tokens", type=int, default=16)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--tiny-random", metavar="DIR")
    ap.add_argument("--variant", choices=("v1.0", "v1.1"), default="v1.1")
    args = ap.parse_args()

    set_threads(args.threads)  # the machine is shared: stay at 2 threads
    if args.tiny_random:
        write_tiny_random(args.tiny_random, args.seed, args.variant)
        return
    torch.manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)
    t0 = time.time()
    tok = numdigits.DigitsTokenizer()
    split_rng = np.random.default_rng(args.seed + 1)
    held = split.sample_class(split_rng, split.HELD, args.heldout_count)
    monitor = split.sample_class(split_rng, split.MONITOR, 300)
    log(f"held out {len(held)} numbers, monitor {len(monitor)}")

    cfg = config_for(args, tok.vocab_size)
    model = t5.build(cfg)
    n_params = sum(p.numel() for n, p in model.named_parameters())
    ckpt = os.path.join(args.work, "ckpt.pt")
    state = os.path.join(args.work, "train_state.pt")
    train_seconds = None
    if args.export_only:
        model.load_state_dict(torch.load(ckpt))
    else:
        log(f"model: {n_params} parameters; {args.steps} steps x {args.batch}")
        decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "relative_attention_bias" not in n]
        no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or "relative_attention_bias" in n]
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
            src, lens, dec, lab = make_batch(tok, [split.training_number(rng) for _ in range(args.batch)])
            lr = split.lr_at(step, args.steps, args.lr, 200, args.lr * 0.02)
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
                if (step + 1) % (2 * args.ckpt_every) == 0:
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

    import convert_t5  # noqa: E402  (imported here: training does not need it)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "heldout.jsonl"), "w", encoding="utf-8") as f:
        for n in held:
            f.write(json.dumps({"input": numwords.words(n), "target": str(n)}) + "\n")
    tok_path = os.path.join(args.work, "tokenizer.json")
    numdigits.write_tokenizer(tok_path)
    props = convert_t5.serving_properties(16, args.max_input_tokens, args.max_input_tokens + args.max_new_tokens)
    convert_t5.write_served_folder(model, cfg, tok_path, args.out, props, model_name="nano-t5")
    log(f"wrote {args.out} ({time.time() - t0:.0f}s total)")


if __name__ == "__main__":
    main()
