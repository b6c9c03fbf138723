"""The peer rows of bench/generation's report: Jlama and llama.cpp on the same weights (peers.sh writes
RUN_DIR/NAME.peers.jsonl, one JSON line per engine, weight format and stream count), next to slm-serve's bare
loop and service from the same run, and each against its own floor (its weight bytes / measured bandwidth).
Standard library only."""
import json
import os

import floors

# bytes per weight of each format: llama.cpp's Q8_0 is 32 int8 and an fp16 scale per block, Jlama's Q4 32
# 4-bit values and a float32 scale
BYTES = {"F32": 4.0, "F16": 2.0, "BF16": 2.0, "Q8_0": 34 / 32, "Q4": 20 / 32}


def section(run_dir, name, bare, on, lines):
    path = os.path.join(run_dir, f"{name}.peers.jsonl")
    cfg_path = os.path.join(run_dir, f"{name}.config.json")
    if not os.path.exists(path):
        return
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip().startswith("{")]
    with open(cfg_path) as f:
        params = floors.weight_params_per_token(json.load(f))
    bw = floors.read_bandwidth(os.path.join(run_dir, "bandwidth.jsonl"))
    ours_step = bare.get("decode_step_ms_p50") if bare else None
    ours_agg = on.get(16, {}).get("tokens_per_s") if on else None
    lines.append("")
    lines.append(f"Peers on the same weights ({name}):")
    lines.append("")
    lines.append("| engine | weights | threads | decode ms/token, 1 stream | / its floor | slm-serve bare fp32 / it "
                 "| aggregate tokens/s, 16 streams | slm-serve c=16 / it |")
    lines.append("|---|---|---|---|---|---|---|---|")
    by_key = {}
    for r in rows:
        by_key.setdefault((r["engine"], r["weights"], r.get("threads", 1)), {})[r["streams"]] = r
    for (engine, weights, threads), r in sorted(by_key.items()):
        one, many = r.get(1), r.get(16)
        step = one["decode_ms_per_step"] if one else float("nan")
        gbs = bw.get(threads) or (max(bw.values()) if bw else float("nan"))
        floor = params * BYTES.get(weights, 4.0) / 1e6 / gbs
        agg = many["tokens_per_s"] if many else float("nan")
        lines.append(f"| {engine} | {weights} | {threads} | {step:.2f} | {step / floor:.2f}x "
                     f"| {(ours_step / step) if ours_step else float('nan'):.2f}x | {agg:.1f} "
                     f"| {(ours_agg / agg) if ours_agg else float('nan'):.2f}x |")
    lines.append("")
    lines.append("Ratios above 1x in the slm-serve columns: slm-serve slower per token (decode step) or faster in "
                 "aggregate. Floors use the bandwidth with the peer's thread count.")
