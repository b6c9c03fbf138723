#!/usr/bin/env python3
"""Time to first token with and without prefix caching, in one run: a long shared system prompt (about
--system-tokens tokens) followed by a different ~20-token question per request, sent one at a time
(concurrency 1) as /v1/completions with max_tokens=1, so a request's latency is its time to first token
(prefill, one sampled token, HTTP). The same server serves the same weights twice, as CACHED (prefix caching
on) and UNCACHED (option.enable_prefix_caching=false); the requests alternate between them. Prints a JSON line.
Standard library only; bench/generation/run-prefix.sh starts the server.

    python3 bench/generation/prefix_ttft.py --url http://localhost:8080 --cached gpt2-small \
        --uncached gpt2-small-nocache --system-tokens 1000 --requests 12
"""
import argparse
import json
import statistics
import sys
import time
import urllib.error
import urllib.request

WORDS = ("and the LORD spake unto Moses saying speak unto the children of Israel that they bring me an offering "
         "of every man that giveth it willingly with his heart ye shall take my offering").split()


def complete(url, model, prompt, allow_too_long=False):
    body = json.dumps({"model": model, "prompt": prompt, "max_tokens": 1, "temperature": 0}).encode()
    req = urllib.request.Request(url + "/v1/completions", data=body, headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            out = json.load(r)
    except urllib.error.HTTPError as e:
        if e.code == 422 and allow_too_long:
            return None, None
        raise SystemExit(f"{model}: HTTP {e.code}: {e.read().decode()}")
    return time.perf_counter() - start, out["usage"]["prompt_tokens"]


def system_prompt(url, model, target):
    """Words of the fixed text until the tokenizer counts about `target` tokens (measured through the server)."""
    words = target // 4  # start short: a prompt over the context is refused (422)
    for _ in range(12):
        text = " ".join(WORDS[i % len(WORDS)] for i in range(words))
        _, tokens = complete(url, model, text, allow_too_long=True)
        print(f"calibration: {words} words = {tokens} tokens", file=sys.stderr)
        if tokens is None:  # over the context
            words = words * 9 // 10
            continue
        if abs(tokens - target) <= 5:
            break
        words = max(1, int(words * target / tokens))
    return text, tokens


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--cached", required=True)
    ap.add_argument("--uncached", required=True)
    ap.add_argument("--system-tokens", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=12)
    a = ap.parse_args()
    system, system_tokens = system_prompt(a.url, a.uncached, a.system_tokens)
    complete(a.url, a.cached, system + " Question 0: who spake?")  # fills one slot with the system prompt
    times = {a.cached: [], a.uncached: []}
    prompt_tokens = []
    for i in range(1, a.requests + 1):
        question = f" Question {i}: what did the children of Israel bring unto the LORD on day {i * 7}?"
        for model in (a.cached, a.uncached):
            seconds, tokens = complete(a.url, model, system + question)
            times[model].append(seconds * 1000)
        prompt_tokens.append(tokens)
    cached = statistics.median(times[a.cached])
    uncached = statistics.median(times[a.uncached])
    print(json.dumps({"system_tokens": system_tokens, "prompt_tokens_median": statistics.median(prompt_tokens),
                      "requests": a.requests, "ttft_ms_cached_median": round(cached, 1),
                      "ttft_ms_uncached_median": round(uncached, 1), "speedup": round(uncached / cached, 2),
                      "ttft_ms_cached": [round(t, 1) for t in times[a.cached]],
                      "ttft_ms_uncached": [round(t, 1) for t in times[a.uncached]]}))


if __name__ == "__main__":
    main()
