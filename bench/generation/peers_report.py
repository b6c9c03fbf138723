"""The peer rows of bench/generation's report: slm-serve's service and bare loop, the memory floors, Jlama and
llama.cpp on the same weights (peers.sh writes RUN_DIR/NAME.peers.jsonl, one JSON line per engine, weight format
and stream count), all from the same run, side by side at one stream and at 16. An int8 archive (NAME-int8) is
set against its own int8 floor and against the peers' 8-bit (llama.cpp Q8_0) and 4-bit (Jlama Q4) rows of its
fp32 twin (NAME's file: the same weights); a bf16 or fp16 archive (NAME-bf16, NAME-fp16: slm::half_linear) likewise
against its 16-bit floor and the peers' 16-bit rows (llama.cpp F16, Jlama BF16). Standard library only."""
import json
import os

import floors

# bytes per weight of each format: llama.cpp's Q8_0 is 32 int8 and an fp16 scale per block, Jlama's Q4 32
# 4-bit values and a float32 scale
BYTES = {"F32": 4.0, "F16": 2.0, "BF16": 2.0, "Q8_0": 34 / 32, "Q4": 20 / 32}
LABELS = {"Q4": "Q4 (4-bit: Jlama 0.8.4 has no 8-bit kernel)"}
NAN = float("nan")
# a variant NAME-KIND of NAME's weights: the peers' rows it is set against (from NAME's file)
VARIANT_ROWS = {"-int8": ("Q8_0", "Q4"), "-bf16": ("F16", "BF16"), "-fp16": ("F16", "BF16")}


def variant(name):
    """The suffix of a quantized twin (-int8, -bf16, -fp16), or None."""
    return next((v for v in VARIANT_ROWS if name.endswith(v)), None)


def _rows(run_dir, name):
    v = variant(name)
    for n in ([name, name[:-len(v)]] if v else [name]):
        path = os.path.join(run_dir, f"{n}.peers.jsonl")
        if os.path.exists(path):
            with open(path) as f:
                rows = [json.loads(line) for line in f if line.strip().startswith("{")]
            return [r for r in rows if not v or r["weights"] in VARIANT_ROWS[v]]
    return []


def _row(lines, cells):
    lines.append("| " + " | ".join(cells) + " |")


def _x(a, b):
    return f"{a / b:.2f}x" if a and b and a == a and b == b else ""


def _ms(v):
    return f"{v:.2f}" if v is not None and v == v else ""


def section(run_dir, name, bare, on, lines):
    rows = _rows(run_dir, name)
    cfg_path, bw_path = os.path.join(run_dir, f"{name}.config.json"), os.path.join(run_dir, "bandwidth.jsonl")
    if not (rows and os.path.exists(cfg_path) and os.path.exists(bw_path)):
        return
    with open(cfg_path) as f:
        cfg = json.load(f)
    params = floors.weight_params_per_token(cfg)
    v = variant(name)
    bw = floors.read_bandwidth(bw_path)
    threads = (bare or {}).get("threads", 1)
    gbs = bw.get(threads) or max(bw.values())
    ours_bytes = floors.int8_bytes_per_token(cfg) if v == "-int8" else params * (2 if v else 4)
    ours_floor = ours_bytes / 1e6 / gbs
    service = 1000 / on[1]["tokens_per_s"] if on and on.get(1) else None
    service_agg = on.get(16, {}).get("tokens_per_s") if on else None
    lines.append("")
    lines.append(f"Side by side at one stream and at 16 ({name}, {threads} thread(s), read bandwidth {gbs:.1f} GB/s; "
                 "ms/token = wall time / tokens with prefill included, decode step = one token after the first):")
    lines.append("")
    _row(lines, ["engine", "weights", "ms/token, 1 stream", "decode step ms", "step / its own floor",
                 "slm-serve service c=1 / its ms/token", "tokens/s, 16 streams", "slm-serve c=16 / it"])
    _row(lines, ["---"] * 8)
    ours = {"-int8": "int8 (per channel)", "-bf16": "bf16", "-fp16": "fp16"}.get(v, "F32")
    _row(lines, ["memory floor", f"F32, {params * 4 / 1e6:.1f} MB", _ms(params * 4 / 1e6 / gbs), "", "",
                 _x(service, params * 4 / 1e6 / gbs), "", ""])
    if v:
        _row(lines, ["memory floor", f"{ours.split()[0]}, {ours_bytes / 1e6:.1f} MB", _ms(ours_floor), "", "",
                     _x(service, ours_floor), "", ""])
    _row(lines, ["**slm-serve service**", ours, _ms(service), "", "", "1.00x" if service else "",
                 f"{service_agg:.1f}" if service_agg else "", "1.00x" if service_agg else ""])
    if bare:
        _row(lines, ["slm-serve bare loop", ours, _ms(bare.get("ms_per_token")), _ms(bare.get("decode_step_ms_p50")),
                     _x(bare.get("decode_step_ms_p50"), ours_floor), _x(service, bare.get("ms_per_token")), "", ""])
    by_key = {}
    for r in rows:
        by_key.setdefault((r["engine"], r["weights"], r.get("threads", 1)), {})[r["streams"]] = r
    sequential = False
    rank = {w: i for i, w in enumerate(BYTES)}  # F32 first, then 16-bit, 8-bit, 4-bit
    for (engine, weights, t), r in sorted(by_key.items(), key=lambda kv: (kv[0][0], rank.get(kv[0][1], 9), kv[0][2])):
        one, many = r.get(1), r.get(16)
        floor = params * BYTES.get(weights, 4.0) / 1e6 / (bw.get(t) or gbs)
        agg = many["tokens_per_s"] if many else None
        if agg is None and one and engine.startswith("jlama"):
            agg, sequential = one["tokens_per_s"], True  # Jlama runs 16 streams one after another anyway
        step = one["decode_ms_per_step"] if one else None
        _row(lines, [engine, LABELS.get(weights, weights) + ("" if t == threads else f", {t} thread(s)"),
                     _ms(one["ms_per_token"] if one else None), _ms(step), _x(step, floor),
                     _x(service, one["ms_per_token"] if one else None),
                     (f"{agg:.1f}" + ("*" if many is None and agg else "")) if agg else "", _x(service_agg, agg)])
    lines.append("")
    lines.append("Ratios: above 1x in the two slm-serve columns means slm-serve slower per token (c=1) or faster in "
                 "aggregate (c=16). Each floor = its weight bytes / the bandwidth measured in this run.")
    if sequential:
        lines.append("* Jlama batches nothing: 16 streams are 16 sequences one after another, so its aggregate is "
                     "its one-stream rate (peers.sh --jlama-streams \"1 16\" measures it separately).")
