#!/usr/bin/env python3
"""Renders one run of bench/generation/run.sh: tokens/s per model, batching setting and concurrency, the bare
decode loop, the ratios with their targets (c16 / c1 with batching on >= 5x for the GPT-2-small and
SmolLM2-135M shapes; service per-token latency at c1 <= 1.3x the bare loop for GPT-2 small, <= 1.1x for the
Llama-family shapes), the memory-bandwidth floor (floors.py) and, when peers.sh ran, Jlama and llama.cpp on
the same weights. Standard library only.

    python3 bench/generation/report.py RUN_DIR nano-gpt gpt2-small smollm2-135m qwen2.5-0.5b
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import floors  # noqa: E402
import peers_report  # noqa: E402

TARGET_SCALING = {"gpt2-small": 5.0, "smollm2-135m": 5.0}
TARGET_LATENCY = {"gpt2-small": 1.3, "smollm2-135m": 1.1, "qwen2.5-0.5b": 1.1}
NOISY_CORES = 0.25


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def metrics(path):
    out = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                name, value = line.split("{")[0], float(line.rsplit(" ", 1)[1])
                out[name] = value
    return out


def verdict(value, target, at_least):
    ok = value >= target if at_least else value <= target
    return f"{'>=' if at_least else '<='} {target:g}x: {'PASS' if ok else 'MISS'}"


def model_section(run_dir, name, lines):
    bare = (read_jsonl(os.path.join(run_dir, f"{name}.bare1.json")) or [{}])[0]
    bare16 = (read_jsonl(os.path.join(run_dir, f"{name}.bare16.json")) or [{}])[0]
    rows = {slots: {r["concurrency"]: r for r in read_jsonl(os.path.join(run_dir, f"{name}.slots{slots}.jsonl"))}
            for slots in (16, 1)}
    lines.append(f"## {name}")
    lines.append("")
    lines.append("| batching | c=1 tokens/s | c=4 tokens/s | c=16 tokens/s | c=16 / c=1 "
                 "| p50 latency c=1 / c=16 (s) | server cores c=16 | other load (cores, max) |")
    lines.append("|---|---|---|---|---|---|---|---|")
    other = []
    for slots, label in ((16, "on (16 slots)"), (1, "off (1 slot)")):
        r = rows[slots]
        if not r:
            lines.append(f"| {label} | (missing) | | | | | | |")
            continue
        tps = [r.get(c, {}).get("tokens_per_s", float("nan")) for c in (1, 4, 16)]
        scaling = tps[2] / tps[0] if tps[0] else float("nan")
        worst = max(x.get("other_cores", 0) for x in r.values())
        other.append(worst)
        lines.append(f"| {label} | {tps[0]:.1f} | {tps[1]:.1f} | {tps[2]:.1f} | {scaling:.2f}x "
                     f"| {r.get(1, {}).get('p50_s', float('nan')):.2f} / {r.get(16, {}).get('p50_s', float('nan')):.2f} "
                     f"| {r.get(16, {}).get('server_cores', float('nan')):.2f} | {worst:.2f} |")
    lines.append("")
    if bare:
        lines.append(f"Bare TorchScript loop (DJL, no server, batch 1): {bare['tokens_per_s']:.1f} tokens/s, "
                     f"{bare['ms_per_token']:.2f} ms per token (prefill {bare['prefill_ms_p50']:.1f} ms, decode step "
                     f"{bare['decode_step_ms_p50']:.2f} ms, medians; {bare['sequences']} sequences of "
                     f"{bare['tokens'] // max(1, bare['sequences'])} tokens, prompts of "
                     f"{bare['prompt_tokens_mean']:.1f} tokens on average, intra-op threads {bare['threads']}).")
    if bare16:
        lines.append(f"Bare loop with 16 sequences in lockstep (one prefill call, then 16-row decode steps): "
                     f"{bare16['tokens_per_s']:.1f} tokens/s, {bare16['cpu_ms_per_token']:.2f} ms of CPU per token "
                     f"(decode step {bare16['decode_step_ms_p50']:.1f} ms, prefill {bare16['prefill_ms_p50']:.0f} ms).")
    on = rows[16]
    ratios = []
    if on.get(1) and on.get(16):
        ratios.append(("aggregate tokens/s, c=16 / c=1, batching on", on[16]["tokens_per_s"] / on[1]["tokens_per_s"],
                       TARGET_SCALING.get(name), True))
    if on.get(1) and bare:
        ratios.append(("per-token latency at c=1 (batching on) / bare loop",
                       (1000 / on[1]["tokens_per_s"]) / bare["ms_per_token"], TARGET_LATENCY.get(name), False))
    if rows[1].get(1) and bare:
        ratios.append(("per-token latency at c=1 (batching off) / bare loop",
                       (1000 / rows[1][1]["tokens_per_s"]) / bare["ms_per_token"], None, False))
    if rows[1].get(16) and on.get(16):
        ratios.append(("tokens/s at c=16, batching on / off", on[16]["tokens_per_s"] / rows[1][16]["tokens_per_s"],
                       None, True))
    if on.get(1) and bare and on[1].get("server_cpu_ms_per_token") and bare.get("cpu_ms_per_token"):
        ratios.append(("CPU time per token at c=1 (batching on) / bare loop (steadier than wall time when "
                       "the machine is shared)", on[1]["server_cpu_ms_per_token"] / bare["cpu_ms_per_token"], None,
                       False))
    if on.get(1) and on.get(16) and on[16].get("server_cpu_ms_per_token"):
        ratios.append(("CPU time per token, c=1 / c=16, batching on (what batching saves per token)",
                       on[1]["server_cpu_ms_per_token"] / on[16]["server_cpu_ms_per_token"], None, True))
    if bare and bare16:
        ratios.append(("engine alone: bare loop 16 in lockstep / bare loop batch 1, tokens/s",
                       bare16["tokens_per_s"] / bare["tokens_per_s"], None, True))
        ratios.append(("engine alone: the same per CPU time (CPU ms per token, batch 1 / batch 16)",
                       bare["cpu_ms_per_token"] / bare16["cpu_ms_per_token"], None, True))
    if bare16 and on.get(16):
        ratios.append(("service c=16 (batching on) / bare loop 16 in lockstep, tokens/s",
                       on[16]["tokens_per_s"] / bare16["tokens_per_s"], None, True))
    for label, value, target, at_least in ratios:
        suffix = f" ({verdict(value, target, at_least)})" if target else ""
        lines.append(f"- {label}: **{value:.2f}x**{suffix}")
    if on.get(1):
        lines.append(f"- service per token at c=1: {1000 / on[1]['tokens_per_s']:.2f} ms (wall / tokens, HTTP, "
                     f"queue and prefill included), {on[1].get('server_cpu_ms_per_token', float('nan')):.2f} ms of "
                     f"server CPU; bare loop {bare.get('ms_per_token', float('nan')):.2f} ms, "
                     f"{bare.get('cpu_ms_per_token', float('nan')):.2f} ms of CPU")
    m = metrics(os.path.join(run_dir, f"{name}.slots16.metrics"))
    if m.get("slm_inter_token_latency_seconds_count"):
        itl = 1000 * m["slm_inter_token_latency_seconds_sum"] / m["slm_inter_token_latency_seconds_count"]
        lines.append(f"- mean inter-token latency inside the service over the whole batching-on run (all "
                     f"concurrencies): {itl:.2f} ms")
    floor_lines(run_dir, name, bare, on.get(1), lines)
    peers_report.section(run_dir, name, bare, on, lines)
    if other and max(other) > NOISY_CORES:
        lines.append(f"- NOISY: other processes took up to {max(other):.2f} cores during a point; absolute figures "
                     f"are low and ratios move from run to run")
    lines.append("")


def floor_lines(run_dir, name, bare, on1, lines):
    """Weight bytes per token, the bandwidth measured in this run, and each c=1 figure against the floor."""
    cfg_path, bw_path = os.path.join(run_dir, f"{name}.config.json"), os.path.join(run_dir, "bandwidth.jsonl")
    if not (os.path.exists(cfg_path) and os.path.exists(bw_path)):
        return
    with open(cfg_path) as f:
        cfg = json.load(f)
    int8 = name.endswith("-int8")  # convert_gpt2.py --quantize int8: linear layers and LM head int8
    # fp16 weights (convert.py --fp16-weights), or bf16 / fp16 weights (--quantize bf16 / fp16): two bytes a weight
    half = name.endswith(("-fp16w", "-bf16", "-fp16"))
    mb = (floors.int8_bytes_per_token(cfg) if int8 else floors.weight_params_per_token(cfg) * (2 if half else 4)) / 1e6
    bw = floors.read_bandwidth(bw_path)
    threads = bare.get("threads", 1) if bare else 1
    gbs = bw.get(threads) or max(bw.values())
    floor = mb / gbs  # MB / (GB/s) = ms
    lines.append(f"- weight bytes read per token ({'int8' if int8 else '16-bit' if half else 'fp32'}): **{mb:.1f} MB**; read bandwidth "
                 "measured in this run (the faster of 4 KiB and 2 MiB pages): "
                 + ", ".join(f"{t} thread(s) {v:.1f} GB/s" for t, v in sorted(bw.items()))
                 + f"; floor with {threads} thread(s): **{floor:.2f} ms per token**")
    if bare:
        step = bare["decode_step_ms_p50"]
        lines.append(f"- bare loop decode step at c=1: {step:.2f} ms = **{step / floor:.2f}x the floor** (implied "
                     f"read bandwidth {mb / step:.1f} GB/s, {100 * mb / step / gbs:.0f}% of the measured)")
    if on1:
        wall = 1000 / on1["tokens_per_s"]
        lines.append(f"- service per token at c=1 (prefill and HTTP included): {wall:.2f} ms = **{wall / floor:.2f}x "
                     f"the floor** (implied read bandwidth {mb / wall:.1f} GB/s, {100 * mb / wall / gbs:.0f}%)")


def main():
    run_dir, names = sys.argv[1], sys.argv[2:]
    lines = ["# Generation benchmark", ""]
    with open(os.path.join(run_dir, "meta.txt")) as f:
        lines += [line.rstrip() for line in f]
    lines.append("")
    for name in names:
        model_section(run_dir, name, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
