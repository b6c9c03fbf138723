"""Trains a LoRA adapter on nano-gpt, writes it in the Hugging Face PEFT layout, converts it (convert_lora.py's
code) into models/nano-gpt/adapters/NAME/ and evaluates it with and without the adapter.

    # numbers -> English words ("123 =" -> " one hundred twenty-three"), exact match on held-out numbers
    /usr/bin/python3 models/tools/train_nano_lora.py --task numwords --out models/nano-gpt/adapters/numwords
    # Matthew Henry's Concise Commentary (public domain), held-out perplexity
    apt-get install -y diatheke sword-comm-mhcc
    /usr/bin/python3 models/tools/train_nano_lora.py --task mhcc --out models/nano-gpt/adapters/mhcc

The base stays frozen; the adapter trains through the archive's own LoRA path (logits_all_lora of
slmtorch/gpt2.py, the code serving runs), rank 8, lora_alpha 16, on c_attn, attn.c_proj, mlp.c_fc and
mlp.c_proj of every layer; A starts as PEFT's (Kaiming-uniform), B at zero. AdamW, cosine learning rate, one
thread, deterministic for a --seed. --peft keeps the PEFT folder (default: OUT/../NAME-peft is NOT written;
a temporary folder is used). The card's numbers come from ``evaluate`` (metrics.json in OUT).
"""
import argparse
import json
import math
import os
import random
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import convert_gpt2  # noqa: E402
from slmtorch import gpt2, numwords, peft_lora  # noqa: E402
from slmtorch.threads import set_threads  # noqa: E402

TARGETS = ["c_attn", "c_proj", "c_fc"]  # PEFT names: "c_proj" selects attn.c_proj and mlp.c_proj
MODULES = {"c_attn": "attn.c_attn", "c_proj": "attn.c_proj", "c_fc": "mlp.c_fc", "mlp_c_proj": "mlp.c_proj"}
NUM_MAX, NUM_HELDOUT = 1000, 100  # numbers 0..999; 100 of them (seeded) held out


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def load_base(base_dir: str):
    archive = torch.jit.load(os.path.join(base_dir, "model.pt"), map_location="cpu")
    model, cfg = convert_gpt2.model_from_archive(archive, base_dir)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval(), cfg, archive, bpe.ByteLevelBPE.load(os.path.join(base_dir, "tokenizer.json"))


# ---------------------------------------------------------------- tasks
def number_split():
    """(train numbers, held-out numbers): a fixed random 100 of 0..999 held out."""
    nums = list(range(NUM_MAX))
    random.Random(7).shuffle(nums)
    return sorted(nums[NUM_HELDOUT:]), sorted(nums[:NUM_HELDOUT])


def number_example(tok, n: int):
    """(prompt ids, answer ids): <|endoftext|>"N =" then " words" <|endoftext|>."""
    eot = tok.token_id(bpe.EOT)
    return [eot] + tok.encode(f"{n} ="), tok.encode(" " + numwords.words(n)) + [eot]


def numwords_batch(tok, nums, rng, rows: int):
    """ids [rows, T] and a loss mask over answer tokens (right-padded with <|endoftext|>)."""
    ex = [number_example(tok, rng.choice(nums)) for _ in range(rows)]
    t = max(len(p) + len(a) for p, a in ex)
    eot = tok.token_id(bpe.EOT)
    ids = torch.full((rows, t), eot, dtype=torch.long)
    mask = torch.zeros(rows, t)
    for i, (p, a) in enumerate(ex):
        ids[i, :len(p) + len(a)] = torch.tensor(p + a)
        mask[i, len(p):len(p) + len(a)] = 1.0  # targets at these positions (labels shifted below)
    return ids, mask


def text_stream(tok, docs):
    eot = tok.token_id(bpe.EOT)
    out = [eot]
    for d in docs:
        out += tok.encode(d) + [eot]
    return torch.tensor(out, dtype=torch.long)


def text_batch(stream, rng, rows: int, t: int):
    starts = [rng.randrange(0, len(stream) - t - 1) for _ in range(rows)]
    ids = torch.stack([stream[s:s + t + 1] for s in starts])
    mask = torch.ones(rows, t + 1)
    mask[:, 0] = 0.0
    return ids, mask


# ---------------------------------------------------------------- adapter
def new_adapter(cfg, rank: int, seed: int):
    """{target: (A [L, r, in], B [L, out, r])} as PEFT initialises them (A Kaiming-uniform, B zeros)."""
    g = torch.Generator().manual_seed(seed)
    shapes = gpt2.lora_shapes(cfg)
    out = {}
    for t in gpt2.LORA_TARGETS:
        n_in, n_out = shapes[t]
        bound = 1.0 / math.sqrt(n_in)  # kaiming_uniform_(a=sqrt(5)) on [r, in]
        a = (torch.rand(cfg.n_layer, rank, n_in, generator=g) * 2 - 1) * bound
        out[t] = (a.requires_grad_(), torch.zeros(cfg.n_layer, n_out, rank, requires_grad=True))
    return out


def stacks(adapter, scale: float):
    """The archive's lora argument with the adapter in slot 0 (training only: serving keeps slot 0 empty)."""
    out = []
    for t in gpt2.LORA_TARGETS:
        a, b = adapter[t]
        out += [a.unsqueeze(1), (b * scale).unsqueeze(1)]
    return out


def write_peft_folder(adapter, rank: int, alpha: float, peft_dir: str) -> None:
    tensors = {}
    for t, (a, b) in adapter.items():
        for layer in range(a.shape[0]):
            name = f"transformer.h.{layer}.{MODULES[t]}"
            tensors[name + ".lora_A"] = a[layer].detach().clone()
            tensors[name + ".lora_B"] = b[layer].detach().clone()
    peft_lora.write_peft(peft_dir, {"r": rank, "lora_alpha": alpha, "target_modules": TARGETS,
                                    "fan_in_fan_out": True, "base_model_name_or_path": "nano-gpt"}, tensors)


# ---------------------------------------------------------------- evaluation (also used by the tests)
@torch.no_grad()
def greedy_numbers(archive, tok, nums, lora, adapter: int, max_new: int = 12):
    """Greedy answers for "N =" prompts, batched through the archive's forward_lora with the slot cache
    (right-padded prefill, then decode steps); returns the decoded text up to <|endoftext|> per number."""
    eot = tok.token_id(bpe.EOT)
    prompts = [number_example(tok, n)[0] for n in nums]
    b, t = len(prompts), max(len(p) for p in prompts)
    ids = torch.full((b, t), eot, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, :len(p)] = torch.tensor(p)
    ck, cv = archive.new_cache_tensor(b, t + max_new), archive.new_cache_tensor(b, t + max_new)
    slots, rows = torch.arange(b), torch.full((b,), adapter, dtype=torch.long)
    pos = torch.arange(t).view(1, t).expand(b, t).contiguous()
    out = archive.forward_lora(ids, pos, slots, torch.tensor([len(p) - 1 for p in prompts]), ck, cv, rows, lora)
    gen = [[int(x)] for x in out.argmax(-1)]
    cur = torch.tensor([len(p) for p in prompts])
    for _ in range(max_new - 1):
        step = torch.tensor([[g[-1]] for g in gen])
        out = archive.forward_lora(step, cur.view(b, 1), slots, torch.zeros(b, dtype=torch.long), ck, cv, rows, lora)
        for g, x in zip(gen, out.argmax(-1)):
            g.append(int(x))
        cur = cur + 1
    return [tok.decode(g[:g.index(eot)] if eot in g else g) for g in gen]


@torch.no_grad()
def answer_perplexity(archive, tok, nums, lora, adapter: int) -> float:
    """exp(mean NLL) of the answer tokens (words and the closing <|endoftext|>) given "N =", teacher-forced
    through logits_all_lora: a measure that moves before exact match does."""
    nll, n = 0.0, 0
    for num in nums:
        p, a = number_example(tok, num)
        x = torch.tensor([p + a])
        logits = archive.logits_all_lora(x[:, :-1], torch.tensor([adapter]), lora)[0, len(p) - 1:]
        nll += float(F.cross_entropy(logits, x[0, len(p):], reduction="sum"))
        n += len(a)
    return math.exp(nll / n)


def exact_match(archive, tok, nums, lora, adapter: int) -> int:
    got = greedy_numbers(archive, tok, nums, lora, adapter)
    return sum(1 for n, g in zip(nums, got) if g == " " + numwords.words(n))


@torch.no_grad()
def perplexity(archive, ids, lora, adapter: int, window: int = 256) -> float:
    """exp(mean NLL) of ids[1:] in disjoint windows of `window` tokens (each window's first token is context
    only), through logits_all_lora."""
    nll, n = 0.0, 0
    for s in range(0, len(ids) - 1, window):
        x = ids[s:s + window + 1].view(1, -1)
        if x.shape[1] < 2:
            break
        logits = archive.logits_all_lora(x[:, :-1], torch.tensor([adapter]), lora)
        nll += float(F.cross_entropy(logits[0], x[0, 1:], reduction="sum"))
        n += x.shape[1] - 1
    return math.exp(nll / n)


def served_stacks(archive, out_dir: str):
    """lora argument with the converted adapter in slot 1 (slot 0 = no adapter), as the server builds it."""
    _, tensors = peft_lora.read_converted(out_dir)
    return peft_lora.stacks_for(archive.lora_targets(), archive.lora_target_shapes(), archive.cache_shape(1, 1)[0],
                                [tensors])


# ---------------------------------------------------------------- main
def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=("numwords", "mhcc"), required=True)
    ap.add_argument("--base", default="models/nano-gpt")
    ap.add_argument("--out", required=True, help="converted adapter folder (adapters/NAME under the base)")
    ap.add_argument("--peft", default="", help="also keep the PEFT folder here")
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--steps", type=int, default=0, help="default: 300 (numwords), 150 (mhcc)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--mhcc-raw", default="", help="diatheke's output saved to a file (default: run diatheke)")
    ap.add_argument("--train-chars", type=int, default=600_000, help="mhcc: training text used (characters)")
    ap.add_argument("--heldout-tokens", type=int, default=32768, help="mhcc: held-out tokens scored for the card")
    ap.add_argument("--heldout-docs", type=int, default=110, help="mhcc: held-out entries tokenized for the card")
    ap.add_argument("--eval-only", action="store_true", help="re-evaluate the adapter already in --out")
    args = ap.parse_args(argv)
    set_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    model, cfg, archive, tok = load_base(args.base)
    steps = args.steps or (300 if args.task == "numwords" else 150)
    if args.task == "numwords":
        train_nums, held_nums = number_split()

        def batch():
            return numwords_batch(tok, train_nums, rng, 32)
    else:
        import mhcc
        raw = open(args.mhcc_raw, encoding="utf-8").read() if args.mhcc_raw else mhcc.read_raw()
        train_docs, held_docs = mhcc.split(mhcc.entries(raw))
        n, used = 0, []
        for d in train_docs:  # the first --train-chars characters of the training entries suffice for the steps
            if n >= args.train_chars:
                break
            used.append(d)
            n += len(d)
        train_docs = used
        stream = text_stream(tok, train_docs)
        log(f"mhcc: {len(train_docs)} training entries, {len(stream)} tokens; {len(held_docs)} held out")

        def batch():
            return text_batch(stream, rng, 8, 256)
    if args.eval_only:
        with open(os.path.join(args.out, "metrics.json")) as f:
            metrics = {k: v for k, v in json.load(f).items() if k in ("task", "steps", "train_seconds", "rank",
                                                                      "alpha", "lr", "seed")}
        evaluate(args, archive, tok, metrics)
        return
    adapter = new_adapter(cfg, args.rank, args.seed)
    scale = args.alpha / args.rank
    params = [p for ab in adapter.values() for p in ab]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    t0 = time.time()
    for step in range(steps):
        warm = min(20, steps // 5)
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / (steps - warm))) if step >= warm \
            else args.lr * (step + 1) / warm
        for gr in opt.param_groups:
            gr["lr"] = lr
        ids, mask = batch()
        logits = model.logits_all_lora(ids[:, :-1], torch.tensor([0]), stacks(adapter, scale))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
        loss = (loss * mask[:, 1:].reshape(-1)).sum() / mask[:, 1:].sum()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % 25 == 0 or step == steps - 1:
            log(f"step {step} loss {float(loss):.4f} lr {lr:.2e} ({time.time() - t0:.0f} s)")
    train_s = time.time() - t0
    tmp = tempfile.TemporaryDirectory()
    peft_dir = args.peft or tmp.name
    write_peft_folder(adapter, args.rank, args.alpha, peft_dir)
    config, tensors, fam = peft_lora.read_peft(args.base, peft_dir)
    peft_lora.write_converted(peft_dir, args.out, config, tensors, fam)
    metrics = {"task": args.task, "steps": steps, "train_seconds": round(train_s), "rank": args.rank,
               "alpha": args.alpha, "lr": args.lr, "seed": args.seed}
    evaluate(args, archive, tok, metrics)


def evaluate(args, archive, tok, metrics) -> None:
    """Card numbers with and without the converted adapter in --out -> OUT/metrics.json, OUT/heldout.txt."""
    lora = served_stacks(archive, args.out)
    if args.task == "numwords":
        held_nums = number_split()[1]
        metrics.update(heldout_numbers=len(held_nums), exact_base=exact_match(archive, tok, held_nums, lora, 0),
                       exact_adapter=exact_match(archive, tok, held_nums, lora, 1),
                       answer_ppl_base=round(answer_perplexity(archive, tok, held_nums, lora, 0), 3),
                       answer_ppl_adapter=round(answer_perplexity(archive, tok, held_nums, lora, 1), 3))
        with open(os.path.join(args.out, "heldout.txt"), "w", encoding="utf-8") as f:
            f.write("".join(f"{n} = {numwords.words(n)}\n" for n in held_nums))
    else:
        import mhcc
        raw = open(args.mhcc_raw, encoding="utf-8").read() if args.mhcc_raw else mhcc.read_raw()
        held_docs = mhcc.split(mhcc.entries(raw))[1]
        held = text_stream(tok, held_docs[:args.heldout_docs])[:args.heldout_tokens + 1]
        metrics.update(heldout_tokens=len(held) - 1, ppl_base=round(perplexity(archive, held, lora, 0), 3),
                       ppl_adapter=round(perplexity(archive, held, lora, 1), 3))
        with open(os.path.join(args.out, "heldout.txt"), "w", encoding="utf-8") as f:
            f.write(held_docs[0] + "\n")
        small = text_stream(tok, [held_docs[0]])
        metrics.update(heldout_txt_tokens=len(small) - 1,
                       heldout_txt_ppl_base=round(perplexity(archive, small, lora, 0), 3),
                       heldout_txt_ppl_adapter=round(perplexity(archive, small, lora, 1), 3))
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")
    log(json.dumps(metrics))


if __name__ == "__main__":
    main()
