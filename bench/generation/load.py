#!/usr/bin/env python3
"""Generation throughput of a running slm-serve: C clients each send /v1/completions requests back to back
(greedy, ignore_eos, a fixed number of new tokens) for a fixed time; prints generated tokens/s, requests/s
and latency percentiles. Standard library only.

    python3 bench/generation/load.py --url http://localhost:8080 --concurrency 1 4 16 --tokens 64 --seconds 20
"""
import argparse
import json
import statistics
import threading
import time
import urllib.request

PROMPTS = ["In the beginning God created", "And the LORD said unto Moses,", "Blessed are the meek: for they",
           "The LORD is my shepherd; I shall not want.", "For God so loved the world,", "And it came to pass"]


def one(url, model, prompt, tokens):
    body = json.dumps({"model": model, "prompt": prompt, "max_tokens": tokens, "temperature": 0,
                       "ignore_eos": True}).encode()
    req = urllib.request.Request(url + "/v1/completions", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        out = json.load(r)
    return out["usage"]["completion_tokens"]


def run(url, model, concurrency, tokens, seconds):
    stop = time.time() + seconds
    lock = threading.Lock()
    lat, gen = [], [0]

    def client(i):
        k = i
        while time.time() < stop:
            t0 = time.time()
            n = one(url, model, PROMPTS[k % len(PROMPTS)], tokens)
            with lock:
                lat.append(time.time() - t0)
                gen[0] += n
            k += concurrency

    t0 = time.time()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.time() - t0
    lat.sort()
    return {"concurrency": concurrency, "requests": len(lat), "tokens": gen[0], "seconds": round(wall, 2),
            "tokens_per_s": round(gen[0] / wall, 1), "p50_s": round(statistics.median(lat), 3),
            "p90_s": round(lat[int(0.9 * (len(lat) - 1))], 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://localhost:8080")
    ap.add_argument("--model", default="nano-gpt")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    one(args.url, args.model, PROMPTS[0], 4)  # warm-up
    for c in args.concurrency:
        print(json.dumps(run(args.url, args.model, c, args.tokens, args.seconds)), flush=True)


if __name__ == "__main__":
    main()
