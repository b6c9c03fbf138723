#!/usr/bin/env python3
"""Generation throughput of a running slm-serve: C clients each send /v1/completions requests back to back
(greedy, ignore_eos, a fixed number of new tokens) for a fixed time; prints one JSON line per concurrency:
generated tokens/s, latency percentiles, ms_per_token_c (median request latency / tokens: what one client
sees per token, prefill included) and, with --server-pid, the cores used by the server, by this client and
by everything else on the machine during the point. Standard library only.

    python3 bench/generation/load.py --url http://localhost:8080 --concurrency 1 4 16 --tokens 64 --seconds 20
"""
import argparse
import json
import os
import statistics
import threading
import time
import urllib.request

PROMPTS = ["In the beginning God created", "And the LORD said unto Moses,", "Blessed are the meek: for they",
           "The LORD is my shepherd; I shall not want.", "For God so loved the world,", "And it came to pass"]


def distinct_prompt(k, words):
    """Request k's own prompt: its number, then `words` words drawn with seed k, so prompts share no prefix."""
    import random
    rng = random.Random(k)
    vocab = " ".join(PROMPTS).replace(",", "").replace(";", "").replace(".", "").replace(":", "").split()
    return f"{k}. " + " ".join(rng.choice(vocab) for _ in range(words))


def one(url, model, prompt, tokens, schema=None):
    request = {"model": model, "prompt": prompt, "max_tokens": tokens, "temperature": 0, "ignore_eos": True}
    if schema is not None:
        # Constrained: the schema must be long enough that every request still generates `tokens` tokens.
        request["guided_json"] = schema
        del request["ignore_eos"]
    body = json.dumps(request).encode()
    # X-Request-Timeout 0 = no deadline: with batching off a request may wait in the queue longer than the
    # server's default 60 s (16 clients on a slow model) and would get a 504; here it must be served
    req = urllib.request.Request(url + "/v1/completions", data=body,
                                 headers={"Content-Type": "application/json", "X-Request-Timeout": "0"})
    with urllib.request.urlopen(req, timeout=900) as r:
        out = json.load(r)
    return out["usage"]["completion_tokens"]


def machine_ticks():
    """Busy and total jiffies of the whole machine (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]) - idle


def process_ticks(pid):
    """utime + stime of one process, in jiffies (0 when it is unknown or gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return 0


def closed_loop(concurrency, seconds, send):
    """C clients send back to back until the time is up; client i sends items i, i + C, ... (send(k) returns the
    tokens generated). Returns the sorted latencies in seconds, the tokens generated and the wall time."""
    stop = time.time() + seconds
    lock = threading.Lock()
    lat, gen = [], [0]

    def client(i):
        k = i
        while time.time() < stop:
            t0 = time.time()
            n = send(k)
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
    lat.sort()
    return lat, gen[0], time.time() - t0


def run(url, model, concurrency, tokens, seconds, server_pid=None, schema=None, distinct_words=0):
    hz = os.sysconf("SC_CLK_TCK")
    cpu0 = (machine_ticks(), process_ticks(server_pid) if server_pid else 0, process_ticks(os.getpid()))
    # --model a,b,c spreads the clients over several models (LoRA adapters as BASE:ADAPTER): client i uses i mod n.
    models = model.split(",")
    lat, generated, wall = closed_loop(concurrency, seconds,
                                       lambda k: one(url, models[(k % concurrency) % len(models)],
                                                     distinct_prompt(k, distinct_words) if distinct_words
                                                     else PROMPTS[k % len(PROMPTS)], tokens, schema))
    cpu1 = (machine_ticks(), process_ticks(server_pid) if server_pid else 0, process_ticks(os.getpid()))
    machine, server, client = ((b - a) / hz / wall for a, b in zip(cpu0, cpu1))
    out = {"concurrency": concurrency, "constrained": schema is not None, "requests": len(lat), "tokens": generated, "seconds": round(wall, 2),
           "tokens_per_s": round(generated / wall, 1), "ms_per_token_c": round(1000 * statistics.median(lat) / tokens, 2),
           "p50_s": round(statistics.median(lat), 3), "p90_s": round(lat[int(0.9 * (len(lat) - 1))], 3)}
    # Cores used on average: the machine, the server, this client; the rest is other work on the box.
    out.update({"machine_cores": round(machine, 2), "client_cores": round(client, 2)})
    if server_pid:
        out.update({"server_cores": round(server, 2), "other_cores": round(max(0.0, machine - server - client), 2),
                    "server_cpu_ms_per_token": round(1000 * server * wall / max(1, generated), 2)})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://localhost:8080")
    ap.add_argument("--model", default="nano-gpt", help="a model, or several comma-separated (client i uses the "
                    "i-th modulo their number; BASE:ADAPTER names a LoRA adapter)")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--server-pid", type=int, help="report the server's CPU and what else ran on the machine")
    ap.add_argument("--guided-json", help="a JSON schema file: every request is constrained to it (guided_json)")
    ap.add_argument("--distinct-words", type=int, default=0,
                    help="instead of the fixed prompts, each request its own prompt of about this many words that "
                         "shares no prefix with the others (a prefix cache's worst case)")
    ap.add_argument("--print-prompts", action="store_true", help="print the prompts, one a line, and exit")
    args = ap.parse_args()
    if args.print_prompts:
        print("\n".join(PROMPTS))
        return
    schema = None
    if args.guided_json:
        with open(args.guided_json) as f:
            schema = json.load(f)
    for m in args.model.split(","):
        one(args.url, m, PROMPTS[0], 4, schema)  # warm-up (and, constrained, the compile)
    for c in args.concurrency:
        print(json.dumps(run(args.url, args.model, c, args.tokens, args.seconds, args.server_pid, schema,
                             args.distinct_words)), flush=True)


if __name__ == "__main__":
    main()
