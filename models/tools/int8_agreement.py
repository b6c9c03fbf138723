"""Top-1 agreement of an int8 archive with its fp32 source on a real model shape with random weights.

    nice -n 10 /usr/bin/python3 models/tools/int8_agreement.py --shape smollm2-135m --work /tmp/int8-agreement \
        [--steps 256] [--prompt 16] [--seed 0] [--threads 1]

Writes a random-weight Hugging Face snapshot of the shape (slmtorch/random_snapshot.py), converts it twice with
convert.py (fp32, and --quantize int8), then runs both archives with their KV cache from the same random prompt:
- fp32 greedy for --steps tokens;
- int8 teacher-forced on fp32's tokens: at each step int8 sees the same prefix as fp32 did, so its argmax is
  compared with fp32's token step by step (the honest per-step agreement: one early difference does not
  change every later prefix);
- int8 greedy on its own (free-running): the first step where it leaves fp32's sequence.
With ``--forced-on random`` both archives are instead fed the same random tokens (random weights make fp32's
own greedy text fall into a loop of a few tokens, so its prefixes repeat; random prefixes do not) and their
argmaxes are compared step by step; no free-running run then.
It also prints fp32's median top-1 / top-2 logit gap: random weights give nearly flat logits, so small int8
errors flip choices far more often than on a trained model (nano-llama: Int8DecoderTest). Prints one JSON line.
The archives run in torch 1.13 here (slm::int8_linear's written-out formula, slmtorch/kernels.py); the engine
runs the C++ kernel, the same rounding scheme (slmtorch/qlinear.py).
"""
import argparse
import json
import os
import subprocess
import sys

import torch

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
from slmtorch import random_snapshot  # noqa: E402


def convert(snapshot: str, out: str, quantize: bool) -> None:
    if os.path.isfile(os.path.join(out, "model.pt")):
        return
    cmd = [sys.executable, os.path.join(TOOLS, "convert.py"), snapshot, out, "--max-total-tokens", "512"]
    subprocess.run(cmd + (["--quantize", "int8"] if quantize else []), check=True)


@torch.no_grad()
def run(archive, prompt, steps: int, forced=None):
    """(chosen tokens, per-step logits) from a prefill of prompt then one-token cached steps, each step feeding
    forced[i] when given (teacher forcing) or the step's own argmax."""
    n = len(prompt) + steps + 1
    k, v = archive.new_cache_tensor(1, n), archive.new_cache_tensor(1, n)
    ids = torch.tensor([prompt])
    logits = archive(ids, torch.arange(len(prompt)).view(1, -1), torch.tensor([0]),
                     torch.tensor([len(prompt) - 1]), k, v)[0]
    chosen, all_logits = [], []
    for i in range(steps):
        chosen.append(int(logits.argmax()))
        all_logits.append(logits)
        nxt = forced[i] if forced is not None else chosen[-1]
        logits = archive(torch.tensor([[nxt]]), torch.tensor([[len(prompt) + i]]), torch.tensor([0]),
                         torch.tensor([0]), k, v)[0]
    return chosen, all_logits


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="smollm2-135m")
    ap.add_argument("--work", required=True, help="folder for the snapshot and both converted folders")
    ap.add_argument("--steps", type=int, default=256)
    ap.add_argument("--prompt", type=int, default=16, help="prompt length (random ids of the 8192 real tokens)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--forced-on", choices=("fp32", "random"), default="fp32",
                    help="the tokens both archives are fed: fp32's greedy choices, or random ids")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    snapshot = os.path.join(a.work, "snapshot")
    if not os.path.isfile(os.path.join(snapshot, "model.safetensors")):
        random_snapshot.write_snapshot(a.shape, snapshot, a.seed)
    fp32_dir, int8_dir = os.path.join(a.work, "fp32"), os.path.join(a.work, "int8")
    convert(snapshot, fp32_dir, False)
    convert(snapshot, int8_dir, True)
    fp32 = torch.jit.load(os.path.join(fp32_dir, "model.pt"), map_location="cpu")
    int8 = torch.jit.load(os.path.join(int8_dir, "model.pt"), map_location="cpu")
    g = torch.Generator().manual_seed(a.seed + 1)
    prompt = torch.randint(0, random_snapshot.EOT_ID, (a.prompt,), generator=g).tolist()

    if a.forced_on == "random":
        feed = torch.randint(0, random_snapshot.EOT_ID, (a.steps,), generator=g).tolist()
        ref, ref_logits = run(fp32, prompt, a.steps, forced=feed)
        forced, _ = run(int8, prompt, a.steps, forced=feed)
        diverge = None
    else:
        ref, ref_logits = run(fp32, prompt, a.steps)
        forced, _ = run(int8, prompt, a.steps, forced=ref)
        free, _ = run(int8, prompt, a.steps)
        diverge = next((i for i, (x, y) in enumerate(zip(free, ref)) if x != y), a.steps)
    agree = sum(x == y for x, y in zip(forced, ref))
    gaps = torch.stack([lg.topk(2).values for lg in ref_logits])
    gap = (gaps[:, 0] - gaps[:, 1]).median()
    spread = torch.stack([lg.std() for lg in ref_logits]).median()
    print(json.dumps({
        "shape": a.shape, "seed": a.seed, "steps": a.steps, "prompt_tokens": a.prompt,
        "teacher_forced_top1_agreement": round(agree / a.steps, 4), "agreeing_steps": agree,
        "forced_on": a.forced_on, "free_running_first_divergence": diverge,
        "fp32_distinct_top1": len(set(ref)),
        "fp32_median_top1_top2_gap": round(float(gap), 4), "fp32_median_logit_std": round(float(spread), 4)}))


if __name__ == "__main__":
    main()
