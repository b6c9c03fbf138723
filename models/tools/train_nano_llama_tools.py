"""Trains nano-llama-tools: a tiny Llama-architecture decoder, from scratch, on the synthetic tool-use task of
tooluse_task.py (Hermes tool calls rendered through the model's own chat template), measures it on held-out
questions and writes the served folder.

    /usr/bin/python3 models/tools/train_nano_llama_tools.py --out models/nano-llama-tools \
        --work /tmp/nano-llama-tools-work --threads 1 --budget-s 1800

Steps: render N training conversations with Python jinja2 (transformers' settings, render_chat_templates.py)
through tooluse_task.TEMPLATE; train a byte-level BPE on them with every digit run removed, so no merge contains
a digit and numbers are read and written digit by digit (held-out numbers then use only trained tokens); train
with the loss on the assistant's tokens only (tool call, final answer, <|im_end|>); measure greedy tool calls and
answers on held-out questions (never trained on: tooluse_task.held_out); write the folder.
"""
import argparse
import json
import math
import os
import random
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import tooluse_task as task  # noqa: E402
import train_nano_gpt as tng  # noqa: E402
from render_chat_templates import compile_template  # noqa: E402
from slmtorch import llama  # noqa: E402
from slmtorch.threads import set_threads  # noqa: E402

TEMPLATE = compile_template(task.TEMPLATE)


def render(messages, tools, add_generation_prompt=False) -> str:
    return TEMPLATE.render(messages=messages, tools=tools, add_generation_prompt=add_generation_prompt,
                           bos_token=task.BOS, eos_token=task.IM_END)


def config(vocab: int, eos: int, bos: int, layers: int, hidden: int, heads: int, kv_heads: int,
           intermediate: int, positions: int) -> dict:
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": vocab,
        "hidden_size": hidden, "intermediate_size": intermediate, "num_hidden_layers": layers,
        "num_attention_heads": heads, "num_key_value_heads": kv_heads, "head_dim": hidden // heads,
        "hidden_act": "silu", "max_position_embeddings": positions, "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0, "rope_scaling": None, "attention_bias": False, "mlp_bias": False,
        "tie_word_embeddings": True, "bos_token_id": bos, "eos_token_id": eos, "torch_dtype": "float32",
    }


def encode_with_mask(tok: bpe.ByteLevelBPE, conv: dict):
    """Token ids of the whole conversation and a 0/1 mask of the assistant-written tokens (each assistant turn's
    text after '<|im_start|>assistant\\n', through its <|im_end|>)."""
    msgs, tools = conv["messages"], conv["tools"]
    ids = tok.encode(render(msgs, tools))
    mask = np.zeros(len(ids), dtype=np.int64)
    for k, m in enumerate(msgs):
        if m["role"] != "assistant":
            continue
        before = tok.encode(render(msgs[:k], tools, add_generation_prompt=True))
        upto = tok.encode(render(msgs[:k + 1], tools))
        assert ids[:len(upto)] == upto and upto[:len(before)] == before, "tokenization differs at a turn boundary"
        mask[len(before):len(upto) - 1] = 1  # through <|im_end|>; the trailing '\n' is the template's
    return np.array(ids, dtype=np.int64), mask


@torch.no_grad()
def greedy(model, ids, eos: int, limit: int = 48):
    out = []
    x = list(ids)
    for _ in range(limit):
        nxt = int(torch.argmax(model.logits_all(torch.tensor([x]))[0, -1]))
        if nxt == eos:
            break
        out.append(nxt)
        x.append(nxt)
    return out


CALL_RE = re.compile(r"^<tool_call>\n(\{.*\})\n</tool_call>$", re.S)


def evaluate(model, tok, items, eos: int):
    """Share of held-out questions with the right call (valid JSON, right name and arguments) and, after the
    tool's result, a final answer containing it."""
    calls_ok = answers_ok = 0
    failures = []
    for it in items:
        msgs = ([{"role": "system", "content": it["system"]}] if it["system"] else []) \
            + [{"role": "user", "content": it["question"]}]
        tools = it["tools"]
        reply = tok.decode(greedy(model, tok.encode(render(msgs, tools, True)), eos))
        m = CALL_RE.match(reply)
        try:
            call = json.loads(m.group(1)) if m else None
        except ValueError:
            call = None
        if not call or call.get("name") != it["call"]["name"] or call.get("arguments") != it["call"]["arguments"]:
            failures.append({"question": it["question"], "reply": reply})
            continue
        calls_ok += 1
        result = task.call_result(call["name"], call["arguments"])
        msgs += [{"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_1", "type": "function", "function": call}]},
            {"role": "tool", "tool_call_id": "call_1", "content": result}]
        final = tok.decode(greedy(model, tok.encode(render(msgs, tools, True)), eos))
        if result in final:
            answers_ok += 1
        else:
            failures.append({"question": it["question"], "final": final, "result": result})
    return calls_ok, answers_ok, failures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models/nano-llama-tools")
    ap.add_argument("--work", default="/tmp/nano-llama-tools-work")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--conversations", type=int, default=60000)
    ap.add_argument("--vocab", type=int, default=640)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--intermediate", type=int, default=384)
    ap.add_argument("--rows", type=int, default=16)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--budget-s", type=float, default=0.0,
                    help="train for this many seconds instead: the schedule follows elapsed time, not steps")
    ap.add_argument("--until", default="", help="HH:MM (UTC): end training then, whatever --budget-s says")
    ap.add_argument("--init", default="", help="start from this checkpoint (a previous run's ckpt.pt)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--eval", type=int, default=100, help="held-out questions measured")
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args()

    set_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)
    t0 = time.time()
    rng = random.Random(args.seed)
    convs = [task.conversation(rng) for _ in range(args.conversations)]
    tok_path = os.path.join(args.work, "tokenizer.json")
    if not os.path.exists(tok_path):
        corpus = [re.sub(r"[0-9]+", "", render(c["messages"], c["tools"])) for c in convs[:8000]]
        vocab, merges = bpe.train_bpe(corpus, args.vocab, special_tokens=task.SPECIALS, verbose=False)
        bpe.ByteLevelBPE(vocab, merges, task.SPECIALS).save(tok_path)
    tok = bpe.ByteLevelBPE.load(tok_path)
    eos, bos = tok.token_id(task.IM_END), tok.token_id(task.BOS)
    with open(os.path.join(args.work, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"tokenizer_class": "GPT2Tokenizer", "bos_token": task.BOS, "eos_token": task.IM_END,
                   "pad_token": task.BOS, "unk_token": None, "add_bos_token": False, "add_prefix_space": False,
                   "model_max_length": 256, "clean_up_tokenization_spaces": False,
                   "chat_template": task.TEMPLATE}, f, indent=2)
        f.write("\n")
    data = [encode_with_mask(tok, c) for c in convs]
    lens = np.array([len(d[0]) for d in data])
    tng.log(f"{len(data)} conversations, tokens mean {lens.mean():.0f} max {lens.max()}, assistant tokens mean "
            f"{np.mean([d[1].sum() for d in data]):.0f}; vocab {tok.vocab_size} ({time.time() - t0:.0f}s)")

    hf_cfg = config(tok.vocab_size, eos, bos, args.layers, args.hidden, args.heads, args.kv_heads,
                    args.intermediate, 256)
    cfg = llama.LlamaConfig(hf_cfg)
    model = llama.build(cfg)
    ckpt = os.path.join(args.work, "ckpt.pt")
    info = {}
    if args.export_only:
        model.load_state_dict(torch.load(ckpt), strict=False)
        with open(os.path.join(args.work, "train.json")) as f:
            info = json.load(f)
    else:
        n_params = sum(v.numel() for v in llama.hf_state_dict(model).values())
        tng.log(f"model: {n_params} parameters")
        if args.init:
            model.load_state_dict(torch.load(args.init), strict=False)
            tng.log(f"initialised from {args.init}")
        named = [(n, p) for n, p in model.named_parameters() if n in llama.hf_state_dict(model)]
        opt = torch.optim.AdamW([{"params": [p for n, p in named if p.dim() >= 2], "weight_decay": 0.1},
                                 {"params": [p for n, p in named if p.dim() < 2], "weight_decay": 0.0}],
                                lr=args.lr, betas=(0.9, 0.95))
        nrng = np.random.default_rng(args.seed)
        total = args.steps
        t_train = time.time()
        if args.until:  # a fixed end time on a shared machine whose share of CPU cannot be predicted
            end = time.strftime("%Y-%m-%d ", time.gmtime()) + args.until
            args.budget_s = time.mktime(time.strptime(end, "%Y-%m-%d %H:%M")) - time.timezone - t_train
            tng.log(f"training until {args.until} UTC: {args.budget_s:.0f}s")
        ema = None
        model.train()
        step = 0
        while (time.time() - t_train < args.budget_s) if args.budget_s > 0 else step < total:
            pick = nrng.integers(0, len(data), size=args.rows)
            width = max(len(data[i][0]) for i in pick)
            x = torch.full((args.rows, width), bos, dtype=torch.long)
            y = torch.full((args.rows, width), -100, dtype=torch.long)
            for r, i in enumerate(pick):
                ids, mask = data[i]
                x[r, :len(ids)] = torch.from_numpy(ids)
                tgt = np.where(mask[1:] == 1, ids[1:], -100)
                y[r, :len(ids) - 1] = torch.from_numpy(tgt)
            if args.budget_s > 0:  # the machine is shared: time, not steps, is the budget
                frac = (time.time() - t_train) / args.budget_s
                lr = args.lr * min(1.0, (step + 1) / 50) * (0.05 + 0.475 * (1 + math.cos(math.pi * min(1.0, frac))))
            else:
                lr = tng.lr_at(step, total, args.lr, 50, args.lr * 0.05)
            for grp in opt.param_groups:
                grp["lr"] = lr
            logits = model.logits_all(x)
            loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), y.reshape(-1), ignore_index=-100)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
            if step % 100 == 0:
                tng.log(f"step {step}/{total} loss {loss.item():.4f} (ema {ema:.4f}) lr {lr:.2e} "
                        f"{time.time() - t_train:.0f}s")
            if step % 200 == 199:
                torch.save(model.state_dict(), ckpt)
            step += 1
        total = step
        info = {"steps": total, "init": args.init, "rows": args.rows, "train_seconds": time.time() - t_train,
                "final_loss_ema": ema, "parameters": int(n_params),
                "trained_conversations_seen": total * args.rows}
        torch.save(model.state_dict(), ckpt)
        with open(os.path.join(args.work, "train.json"), "w") as f:
            json.dump(info, f)

    model.eval()
    items = task.heldout_questions(args.eval, seed=7)
    calls_ok, answers_ok, failures = evaluate(model, tok, items, eos)
    metrics = dict(info, heldout=len(items), calls_ok=calls_ok, answers_ok=answers_ok,
                   call_rate=calls_ok / len(items), answer_rate=answers_ok / len(items), failures=failures[:20])
    tng.log("metrics: " + json.dumps(metrics))
    with open(os.path.join(args.work, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)

    from families import llama_family, snapshot
    os.makedirs(args.out, exist_ok=True)
    llama_family.write_served_folder(model, cfg, args.work, args.out, model_name="nano-llama-tools",
                                     max_total_tokens=256, batch_size=16)
    snapshot.write_serving_properties(args.out, "text-generation", "float32", 16, 256, 192,
                                      {"option.tool_call_parser": "hermes", "option.default": "false"})
    with open(os.path.join(args.out, "heldout.jsonl"), "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    tng.log(f"wrote {args.out} ({time.time() - t0:.0f}s total)")


if __name__ == "__main__":
    main()
