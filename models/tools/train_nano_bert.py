"""Trains the nano BERT models on the King James Version (public domain), CPU, one thread.

    /usr/bin/python3 models/tools/train_nano_bert.py --task mlm   # tokenizer + masked LM -> models/nano-bert-mlm
    /usr/bin/python3 models/tools/train_nano_bert.py --task cls   # fine-tune -> models/nano-bert-testament
    /usr/bin/python3 models/tools/train_nano_bert.py --task all   # both, in order

Data: Debian's bible-kjv-text (apt-get install -y bible-kjv-text), 31,102 verses; sha256(verse ref) mod 10 == 0
is held out (3,176 verses) and never used for the tokenizer, pre-training or fine-tuning.
The fine-tune starts from the fp32 MLM weights that --task mlm leaves in --work (an HF snapshot).
Deterministic: fixed seeds, one thread, fixed step counts.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy/torch load OpenBLAS
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import collections  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import hf_bert  # noqa: E402
from slmtorch import bert, export, kjv, wordpiece, wordpiece_trainer  # noqa: E402
from slmtorch.threads import set_threads  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VOCAB_SIZE = 8192
MAX_TOKENS = 128
LABELS = {"0": "old_testament", "1": "new_testament"}


def write_card(name, out_dir, values):
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cards", name + ".md"), encoding="utf-8") as f:
        text = f.read().format(**values)
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write(text)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def rel(p):
    return os.path.relpath(p, ROOT)


# ------------------------------------------------------------------------------------------------ batching

def length_batches(seqs, batch_size, rng):
    """Shuffled batches of similar length (sort inside shuffled windows of 50 batches)."""
    order = list(range(len(seqs)))
    rng.shuffle(order)
    window = batch_size * 50
    batches = []
    for w in range(0, len(order), window):
        chunk = sorted(order[w:w + window], key=lambda i: len(seqs[i]))
        batches.extend(chunk[b:b + batch_size] for b in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def pad(rows, pad_id):
    t = max(len(r) for r in rows)
    ids = torch.full((len(rows), t), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), t), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, :len(r)] = 1
    return ids, mask


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * max(0.0, (total - step) / max(1, total - warmup))


def make_optimizer(model, lr, wd):
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() != 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.98), eps=1e-6)


# ------------------------------------------------------------------------------------------------ MLM

def mask_tokens(ids, attn, vocab_size, n_special, gen, rate=0.15):
    """BERT masking: ``rate`` of real tokens (>= 1 per row); of those 80 % [MASK], 10 % random, 10 % kept."""
    special = (ids < n_special)
    cand = (attn == 1) & ~special
    prob = torch.rand(ids.shape, generator=gen)
    sel = (prob < rate) & cand
    # at least one per row
    none = sel.sum(1) == 0
    if none.any():
        r = torch.rand(ids.shape, generator=gen).masked_fill(~cand, -1.0)
        first = r.argmax(1)
        sel[none, first[none]] = True
    labels = ids[sel]
    inp = ids.clone()
    u = torch.rand(labels.shape, generator=gen)
    rand_tok = torch.randint(n_special, vocab_size, labels.shape, generator=gen)
    new = torch.where(u < 0.8, torch.full_like(labels, 4), torch.where(u < 0.9, rand_tok, labels))
    inp[sel] = new
    return inp, sel, labels


def mlm_eval_items(verses, tok, train_counts, n_items=None):
    """One masked "common word" per verse: a word that is a single vocabulary token, among the 2,000 most
    frequent training words but not the 20 most frequent (function words such as "the", "and", "of").
    The word is chosen by a hash of the verse reference. Returns dicts with text (with [MASK]), answer."""
    ranked = [w for w, _ in train_counts.most_common()]
    common = set(ranked[20:2000])
    items = []
    for v in verses:
        words = wordpiece.pre_tokenize(v.text)
        cands = [i for i, w in enumerate(words) if w in common and w.isalpha() and w in tok.vocab]
        if not cands:
            continue
        h = int(hashlib.sha256(("mask:" + v.ref).encode()).hexdigest(), 16)
        pick = cands[h % len(cands)]
        # rebuild the text with exactly that occurrence replaced (search by word position)
        text = replace_nth_word(v.text, words, pick)
        items.append({"ref": v.ref, "text": text, "answer": words[pick], "answer_id": tok.vocab[words[pick]]})
    return items if n_items is None else items[:n_items]


def replace_nth_word(text, words, n):
    pos = 0
    for i, w in enumerate(words):
        j = text.index(w, pos)
        if i == n:
            return text[:j] + "[MASK]" + text[j + len(w):]
        pos = j + len(w)
    raise ValueError("word index out of range")


def eval_mlm(model, tok, items, batch_size=64):
    """top-1 / top-5 accuracy of the word at [MASK]; raw argmax over the whole vocabulary."""
    top1 = top5 = 0
    model.eval()
    with torch.no_grad():
        for b in range(0, len(items), batch_size):
            chunk = items[b:b + batch_size]
            rows = [tok.encode(it["text"]) for it in chunk]
            ids, attn = pad(rows, tok.pad_id)
            logits = model(ids, attn, torch.zeros_like(ids))
            pos = (ids == tok.mask_id).nonzero()
            assert pos.shape[0] == len(chunk), "one [MASK] per item"
            best = logits[pos[:, 0], pos[:, 1]].topk(5, dim=-1).indices
            for it, row in zip(chunk, best.tolist()):
                top1 += row[0] == it["answer_id"]
                top5 += it["answer_id"] in row
    return top1 / len(items), top5 / len(items)


def frequency_baseline(items, train_counts, common_range=(20, 2000)):
    ranked = [w for w, _ in train_counts.most_common()][common_range[0]:common_range[1]]
    answers = [it["answer"] for it in items]
    return (sum(a == ranked[0] for a in answers) / len(answers),
            sum(a in ranked[:5] for a in answers) / len(answers), ranked[:5])


def mlm_phase(args, model, seqs, tok, n_vocab, steps, lr, warmup, seed, probe, name):
    """One run of AdamW with linear warmup and linear decay to 0; fresh optimizer and RNGs from ``seed``."""
    opt = make_optimizer(model, lr, 0.01)
    gen = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    n_special = len(wordpiece.SPECIALS)
    step, t0, ema = 0, time.time(), None
    while step < steps:
        for batch in length_batches(seqs, args.batch, rng):
            if step >= steps:
                break
            model.train()
            ids, attn = pad([seqs[i] for i in batch], tok.pad_id)
            inp, sel, labels = mask_tokens(ids, attn, n_vocab, n_special, gen, args.mask_rate)
            for g in opt.param_groups:
                g["lr"] = lr_at(step, steps, lr, warmup)
            h = model.bert(inp, attn, torch.zeros_like(inp))
            logits = model.cls(h[sel], model.bert.embeddings.word_embeddings.weight)
            loss = F.cross_entropy(logits, labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
            step += 1
            if step % 100 == 0 or step == steps:
                log("mlm %s step %d/%d loss %.3f (%.0f s)" % (name, step, steps, ema, time.time() - t0))
            if probe and step % args.eval_every == 0:
                log("  probe (%d held-out items): top1/top5 %.3f / %.3f" % ((len(probe),) + eval_mlm(model, tok, probe)))
    return (time.time() - t0) / 60, ema


def train_mlm(args):
    """Tokenizer, then two MLM phases: ``--mlm-steps`` from scratch, then a warm restart of
    ``--mlm-restart-steps`` (fresh optimizer and schedule, seed + 1000). With --mlm-resume, phase 1 is read
    from the fp32 snapshot in WORK/mlm-phase1 instead of being trained (same result: the snapshot is exact)."""
    verses = kjv.load()
    train, held = kjv.split(verses)
    log("KJV: %d verses, %d train, %d held out" % (len(verses), len(train), len(held)))
    vocab = wordpiece_trainer.train([v.text for v in train], VOCAB_SIZE, lowercase=False)
    tok = wordpiece.WordPieceTokenizer(vocab, lowercase=False)
    log("tokenizer: %d WordPiece tokens (cased)" % len(vocab))
    out = args.out_mlm
    os.makedirs(out, exist_ok=True)
    export.write_json(os.path.join(out, "tokenizer.json"), wordpiece.tokenizer_json(vocab, lowercase=False))
    tc = wordpiece.tokenizer_config(MAX_TOKENS, lowercase=False)
    export.write_json(os.path.join(out, "tokenizer_config.json"), tc)

    seqs = [tok.encode(v.text)[:MAX_TOKENS] for v in train]
    cfg = bert.make_config(
        architectures=["BertForMaskedLM"], vocab_size=len(vocab), hidden_size=args.hidden,
        num_hidden_layers=args.layers, num_attention_heads=args.heads, intermediate_size=args.ffn or 4 * args.hidden,
        max_position_embeddings=MAX_TOKENS, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
        pad_token_id=tok.pad_id)
    torch.manual_seed(args.seed)
    model = bert.build(cfg)
    bert.init_weights(model)
    probe = None
    if args.eval_every:
        counts = collections.Counter()
        for v in train:
            counts.update(wordpiece.pre_tokenize(v.text))
        probe = mlm_eval_items(held, tok, counts)[::10]
    phase1 = os.path.join(args.work, "mlm-phase1")
    if args.mlm_resume:
        model, cfg1 = hf_bert.load_snapshot(phase1)
        assert cfg1 == cfg, "phase-1 snapshot was trained with another configuration"
        with open(os.path.join(phase1, "metrics.json"), encoding="utf-8") as f:
            m1, ema = json.load(f)["minutes"], None
        log("phase 1 (%d steps) read from %s" % (args.mlm_steps, phase1))
    else:
        m1, ema = mlm_phase(args, model, seqs, tok, len(vocab), args.mlm_steps, args.mlm_lr, args.warmup,
                            args.seed, probe, "phase1")
        if args.mlm_restart_steps:
            hf_bert.write_snapshot(model, cfg, phase1)
            export.write_json(os.path.join(phase1, "metrics.json"), {"minutes": m1, "loss": ema})
    m2 = 0.0
    if args.mlm_restart_steps:
        m2, ema = mlm_phase(args, model, seqs, tok, len(vocab), args.mlm_restart_steps, args.mlm_restart_lr,
                            args.warmup, args.seed + 1000, probe, "phase2")
    return finish_mlm(args, model, cfg, tok, vocab, train, held,
                      {"train_steps": args.mlm_steps + args.mlm_restart_steps,
                       "train_minutes": round(m1 + m2, 1), "final_loss": ema})


def finish_mlm(args, model, cfg, tok, vocab, train, held, train_info):
    """Held-out evaluation, heldout.jsonl, fp32 snapshot, served folder and model card."""
    out = args.out_mlm
    total = train_info["train_steps"]
    model.eval()
    counts = collections.Counter()
    for v in train:
        counts.update(wordpiece.pre_tokenize(v.text))
    items = mlm_eval_items(held, tok, counts)
    top1, top5 = eval_mlm(model, tok, items)
    b1, b5, top_words = frequency_baseline(items, counts)
    # a sample spread over the whole Bible, in a hash order of the verse references
    file_items = sorted(items, key=lambda it: hashlib.sha256(("file:" + it["ref"]).encode()).hexdigest())
    file_items = file_items[:args.heldout_lines]
    f1, f5 = eval_mlm(model, tok, file_items)
    fb1, fb5, _ = frequency_baseline(file_items, counts)
    metrics = {"heldout_verses": len(held), "masked_items": len(items), "top1": top1, "top5": top5,
               "baseline_top1": b1, "baseline_top5": b5, "baseline_words": top_words,
               "file_items": len(file_items), "file_top1": f1, "file_top5": f5,
               "file_baseline_top1": fb1, "file_baseline_top5": fb5}
    metrics.update(train_info)
    log("MLM held-out: top1 %.4f top5 %.4f | frequency baseline top1 %.4f top5 %.4f (%s) | %d items"
        % (top1, top5, b1, b5, top_words, len(items)))

    with open(os.path.join(out, "heldout.jsonl"), "w", encoding="utf-8") as f:
        for it in file_items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
    snap = os.path.join(args.work, "mlm")
    hf_bert.write_snapshot(model, cfg, snap, out)
    serving = hf_bert.default_serving("fill-mask", MAX_TOKENS)
    serving.update({"batch_size": 32, "max_batch_delay": 5, "minWorkers": 1, "maxWorkers": 1})
    pt = hf_bert.write_served(model, cfg, out, None, serving=serving)
    export.write_json(os.path.join(args.work, "mlm-metrics.json"), metrics)
    write_card("nano-bert-mlm", out, dict(
        metrics, layers=cfg["num_hidden_layers"], hidden=cfg["hidden_size"], heads=cfg["num_attention_heads"],
        ffn=cfg["intermediate_size"], max_pos=cfg["max_position_embeddings"], params=n_params(model),
        vocab=len(vocab), size_mb=export.size_mb(pt), lr=args.mlm_lr, warmup=args.warmup, batch=args.batch,
        mask_rate=args.mask_rate,
        baseline_words=", ".join(top_words), r1=top1 / max(b1, 1e-9), r5=top5 / max(b5, 1e-9)))
    log("wrote %s (%.1f MB, sha256 %s); fp32 snapshot %s" % (rel(pt), export.size_mb(pt), export.sha256(pt), snap))
    return metrics


def eval_mlm_snapshot(args):
    """Re-runs finish_mlm from the fp32 snapshot that --task mlm left in --work (no training)."""
    verses = kjv.load()
    train, held = kjv.split(verses)
    snap = os.path.join(args.work, "mlm")
    with open(os.path.join(args.work, "mlm-metrics.json"), encoding="utf-8") as f:
        prev = json.load(f)
    model, cfg = hf_bert.load_snapshot(snap)
    tok = wordpiece.WordPieceTokenizer.from_file(os.path.join(args.out_mlm, "tokenizer.json"))
    info = {k: prev[k] for k in ("train_steps", "train_minutes", "final_loss")}
    return finish_mlm(args, model, cfg, tok, tok.vocab, train, held, info)


# ------------------------------------------------------------------------------------------------ classifier

def eval_cls(model, tok, verses, batch_size=128):
    model.eval()
    correct = 0
    with torch.no_grad():
        for b in range(0, len(verses), batch_size):
            chunk = verses[b:b + batch_size]
            ids, attn = pad([tok.encode(v.text)[:MAX_TOKENS] for v in chunk], tok.pad_id)
            pred = model(ids, attn, torch.zeros_like(ids)).argmax(-1)
            correct += sum(int(p) == v.testament for p, v in zip(pred.tolist(), chunk))
    return correct / len(verses)


def naive_bayes_accuracy(train, held):
    c = [collections.Counter(), collections.Counter()]
    n = [0, 0]
    for v in train:
        c[v.testament].update(wordpiece.pre_tokenize(v.text))
        n[v.testament] += 1
    vocab = set(c[0]) | set(c[1])
    tot = [sum(c[0].values()), sum(c[1].values())]
    ok = 0
    for v in held:
        s = [math.log(n[k] / len(train)) + sum(math.log((c[k][w] + 1) / (tot[k] + len(vocab)))
                                               for w in wordpiece.pre_tokenize(v.text)) for k in (0, 1)]
        ok += int(s[1] > s[0]) == v.testament
    return ok / len(held)


def train_cls(args):
    verses = kjv.load()
    train, held = kjv.split(verses)
    snap = os.path.join(args.work, "mlm")
    if not os.path.exists(os.path.join(snap, "model.safetensors")):
        raise SystemExit("no MLM snapshot in %s: run --task mlm first" % snap)
    tok = wordpiece.WordPieceTokenizer.from_file(os.path.join(args.out_mlm, "tokenizer.json"))
    mlm, mlm_cfg = hf_bert.load_snapshot(snap)
    cfg = dict(mlm_cfg)
    cfg.update(architectures=["BertForSequenceClassification"], hidden_dropout_prob=0.1,
               attention_probs_dropout_prob=0.1, id2label=dict(LABELS),
               label2id={v: int(k) for k, v in LABELS.items()}, problem_type="single_label_classification")
    torch.manual_seed(args.seed + 1)
    model = bert.build(cfg)
    bert.init_weights(model)
    src = {k: v for k, v in mlm.state_dict().items() if k.startswith("bert.")}
    own = model.state_dict()
    with torch.no_grad():
        for k, v in src.items():
            own[k].copy_(v)
    seqs = [tok.encode(v.text)[:MAX_TOKENS] for v in train]
    labels = torch.tensor([v.testament for v in train], dtype=torch.long)
    opt = make_optimizer(model, args.cls_lr, 0.01)
    rng = random.Random(args.seed + 1)
    steps_per_epoch = math.ceil(len(seqs) / args.cls_batch)
    total = int(args.cls_epochs * steps_per_epoch)
    warmup = max(1, total // 10)
    step, t0, ema = 0, time.time(), None
    while step < total:
        for batch in length_batches(seqs, args.cls_batch, rng):
            if step >= total:
                break
            model.train()
            ids, attn = pad([seqs[i] for i in batch], tok.pad_id)
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total, args.cls_lr, warmup)
            loss = F.cross_entropy(model(ids, attn, torch.zeros_like(ids)), labels[batch])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
            step += 1
            if step % 100 == 0 or step == total:
                log("cls step %d/%d loss %.4f (%.0f s)" % (step, total, ema, time.time() - t0))
    train_minutes = (time.time() - t0) / 60
    model.eval()

    acc = eval_cls(model, tok, held)
    nt = sum(v.testament for v in held) / len(held)
    majority = max(nt, 1 - nt)
    nb = naive_bayes_accuracy(train, held)
    ordered = sorted(held, key=lambda v: hashlib.sha256(("cls:" + v.ref).encode()).hexdigest())
    file_verses = ordered[:args.heldout_lines]
    facc = eval_cls(model, tok, file_verses)
    fnt = sum(v.testament for v in file_verses) / len(file_verses)
    per = {t: eval_cls(model, tok, [v for v in held if v.testament == t]) for t in (0, 1)}
    metrics = {"heldout_verses": len(held), "accuracy": acc, "majority_baseline": majority,
               "naive_bayes_accuracy": nb, "recall_old": per[0], "recall_new": per[1],
               "balanced_accuracy": (per[0] + per[1]) / 2, "file_items": len(file_verses), "file_accuracy": facc,
               "file_majority_baseline": max(fnt, 1 - fnt), "train_steps": total,
               "train_minutes": round(train_minutes, 1), "final_loss": ema}
    log("CLS held-out accuracy %.4f | majority %.4f | naive Bayes %.4f | recall OT %.4f NT %.4f"
        % (acc, majority, nb, per[0], per[1]))
    out = args.out_cls
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "heldout.jsonl"), "w", encoding="utf-8") as f:
        for v in file_verses:
            f.write(json.dumps({"ref": v.ref, "text": v.text, "label": LABELS[str(v.testament)],
                                "label_id": v.testament}, ensure_ascii=False) + "\n")
    hf_bert.write_snapshot(model, cfg, os.path.join(args.work, "cls"), args.out_mlm)
    serving = hf_bert.default_serving("text-classification", MAX_TOKENS)
    serving.update({"minWorkers": 1, "maxWorkers": 1})
    pt = hf_bert.write_served(model, cfg, out, args.out_mlm, serving=serving)
    export.write_json(os.path.join(args.work, "cls-metrics.json"), metrics)
    write_card("nano-bert-testament", out, dict(
        metrics, layers=cfg["num_hidden_layers"], hidden=cfg["hidden_size"], params=n_params(model),
        vocab=cfg["vocab_size"], size_mb=export.size_mb(pt), lr=args.cls_lr, batch=args.cls_batch,
        epochs=args.cls_epochs))
    log("wrote %s (%.1f MB, sha256 %s)" % (rel(pt), export.size_mb(pt), export.sha256(pt)))
    return metrics


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=["mlm", "cls", "all", "mlm-eval"], required=True)
    ap.add_argument("--out-mlm", default=os.path.join(ROOT, "models", "nano-bert-mlm"))
    ap.add_argument("--out-cls", default=os.path.join(ROOT, "models", "nano-bert-testament"))
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "nano-bert"),
                    help="fp32 HF snapshots and metrics (not committed)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--mlm-steps", type=int, default=3600)
    ap.add_argument("--mlm-lr", type=float, default=2e-3)
    ap.add_argument("--mlm-restart-steps", type=int, default=0, help="warm-restart phase (0: none)")
    ap.add_argument("--mlm-restart-lr", type=float, default=1e-3)
    ap.add_argument("--mlm-resume", action="store_true", help="read phase 1 from WORK/mlm-phase1")
    ap.add_argument("--mask-rate", type=float, default=0.25)
    ap.add_argument("--eval-every", type=int, default=500, help="log a held-out probe every N steps (0: never)")
    ap.add_argument("--ffn", type=int, default=0, help="FFN width (default 4 x hidden)")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--cls-batch", type=int, default=32)
    ap.add_argument("--cls-epochs", type=float, default=3.0)
    ap.add_argument("--cls-lr", type=float, default=3e-4)
    ap.add_argument("--heldout-lines", type=int, default=500)
    args = ap.parse_args()
    set_threads(1)
    torch.set_num_interop_threads(1)
    os.makedirs(args.work, exist_ok=True)
    if args.task in ("mlm", "all"):
        train_mlm(args)
    if args.task == "mlm-eval":
        eval_mlm_snapshot(args)
    if args.task in ("cls", "all"):
        train_cls(args)


if __name__ == "__main__":
    main()
