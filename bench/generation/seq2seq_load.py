#!/usr/bin/env python3
"""Seq2seq throughput of a running slm-serve: C clients each send /generate requests (a number to write in
words, greedy, until the end token) back to back for a fixed time; prints requests/s, generated tokens/s and
latency percentiles. Inputs come from the model folder's heldout.jsonl when given (then it first reports the
exact matches over all of them), else from a fixed random list. Standard library only.

    python3 bench/generation/seq2seq_load.py --url http://localhost:8080 --model nano-bart --concurrency 1 16
"""
import argparse
import json
import random
import statistics
import threading
import time
import urllib.request

from load import closed_loop


def call(url, model, source, beams):
    params = {"details": True}
    if beams > 1:
        params["num_beams"] = beams
    body = json.dumps({"model": model, "inputs": source, "parameters": params}).encode()
    req = urllib.request.Request(url + "/generate", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.load(r)


def one(url, model, source, beams):
    return call(url, model, source, beams)["details"]["generated_tokens"]


def accuracy(url, model, rows, beams, clients=16):
    """Exact matches of the generated text against the held-out targets, all rows once."""
    hits = [0]
    lock = threading.Lock()

    def worker(i):
        for row in rows[i::clients]:
            ok = call(url, model, row["input"], beams)["generated_text"].strip() == row["target"]
            with lock:
                hits[0] += ok

    t0 = time.time()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"num_beams": beams, "exact_match": hits[0], "of": len(rows), "seconds": round(time.time() - t0, 2)}


def run(url, model, inputs, concurrency, seconds, beams):
    lat, generated, wall = closed_loop(concurrency, seconds,
                                       lambda k: one(url, model, inputs[k % len(inputs)], beams))
    return {"concurrency": concurrency, "num_beams": beams, "requests": len(lat), "seconds": round(wall, 2),
            "requests_per_s": round(len(lat) / wall, 1), "tokens_per_s": round(generated / wall, 1),
            "p50_s": round(statistics.median(lat), 3), "p90_s": round(lat[int(0.9 * (len(lat) - 1))], 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://localhost:8080")
    ap.add_argument("--model", default="nano-bart")
    ap.add_argument("--heldout", help="heldout.jsonl with {\"input\": ...} lines")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--beams", type=int, nargs="+", default=[1])
    args = ap.parse_args()
    rows = []
    if args.heldout:
        with open(args.heldout) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        inputs = [row["input"] for row in rows]
    else:
        rng = random.Random(7)
        inputs = [str(rng.randint(0, 10 ** rng.randint(1, 7) - 1)) for _ in range(500)]
    one(args.url, args.model, inputs[0], 1)  # warm-up
    for beams in args.beams if rows else []:
        print(json.dumps(accuracy(args.url, args.model, rows, beams)), flush=True)
    for beams in args.beams:
        for c in args.concurrency:
            print(json.dumps(run(args.url, args.model, inputs, c, args.seconds, beams)), flush=True)


if __name__ == "__main__":
    main()
