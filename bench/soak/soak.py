#!/usr/bin/env python3
"""Soak test: a mixed load against a running slm-serve for a fixed time, with a memory and loss report.

Mix (per request, seeded): embeddings 30%, non-streamed generation 20%, streamed generation 20%, seq2seq 10% when a
text2text-generation model is served (else more embeddings), cancellations 10% (streams and non-streamed requests
dropped mid-way), bad requests 10%. Reports requests by kind and status, lost responses (a request that was
neither answered nor deliberately dropped; must be 0), p50/p99 latency of answered requests, and the server's RSS
at start, minute 2, the middle and the end, with the growth from minute 2 to the end (must stay under 10%).
Standard library only. Usage: soak.py --url http://localhost:8080 --pid PID [--minutes 10] [--clients 6]
"""
import argparse
import http.client
import json
import random
import socket
import sys
import threading
import time
import urllib.parse
from collections import Counter

BAD = [
    ("/v1/embeddings", b'{"input": '),
    ("/v1/embeddings", b'{"input": [[-1]]}'),
    ("/embed", b'{"inputs": 5}'),
    ("/generate", b'{"inputs": "x", "parameters": {"max_new_tokens": 0}}'),
    ("/v1/completions", b'{"prompt": "x", "max_tokens": 1, "temperature": 9}'),
    ("/v1/chat/completions", b'{"messages": []}'),
    ("/tokenize", b'{"inputs": {}}'),
    ("/v1/completions", b'\xff\xfe'),
]
WORDS = "in the beginning god created heaven and earth the lord is my shepherd blessed are the meek".split()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class Soak:
    def __init__(self, url, seconds, clients, seed, seq2seq_model):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.seconds, self.clients, self.seed = seconds, clients, seed
        self.seq2seq = seq2seq_model
        self.lock = threading.Lock()
        self.status = Counter()
        self.lost = []
        self.latencies = []
        self.dropped = 0
        self.stop_at = time.monotonic() + seconds

    def record(self, kind, status, latency=None):
        with self.lock:
            self.status[(kind, status)] += 1
            if latency is not None:
                self.latencies.append(latency)

    def request(self, kind, path, body, stream=False, drop_after=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        start = time.monotonic()
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            if drop_after is not None:
                # Read a little of the answer, then leave: the server must cancel the work.
                if stream:
                    for _ in range(drop_after):
                        if not response.fp.readline():
                            break
                conn.sock.shutdown(socket.SHUT_RDWR)
                conn.close()
                with self.lock:
                    self.dropped += 1
                self.record(kind, response.status)
                return
            data = response.read()
            latency = time.monotonic() - start
            if response.status == 200 and stream and b"data:" not in data:
                raise ValueError("stream without events")
            if response.status == 200 and stream and not (b"[DONE]" in data or b"generated_text" in data):
                raise ValueError("stream without its final event")
            self.record(kind, response.status, latency)
        except Exception as e:  # noqa: BLE001 - every failure to get an answer is a lost response
            if drop_after is not None and isinstance(e, (ConnectionError, socket.timeout, OSError)):
                with self.lock:
                    self.dropped += 1
                self.record(kind, "dropped")
                return
            with self.lock:
                self.lost.append(f"{kind} {path}: {e!r}")
            self.record(kind, "lost")
        finally:
            conn.close()

    def drop_non_stream(self, body):
        """Sends a long non-streamed generation and closes the connection before the answer."""
        sock = socket.create_connection((self.host, self.port), timeout=30)
        try:
            sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            time.sleep(0.2)
        finally:
            sock.close()
        with self.lock:
            self.dropped += 1
        self.record("cancel-plain", "dropped")

    def one(self, rng):
        roll = rng.random()
        prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 12)))
        if roll < 0.30 or (roll < 0.80 and roll >= 0.70 and not self.seq2seq):
            inputs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 40))) for _ in range(rng.randint(1, 8))]
            self.request("embed", "/v1/embeddings", json.dumps({"input": inputs}).encode())
        elif roll < 0.50:
            body = {"prompt": prompt, "max_tokens": rng.randint(8, 64), "temperature": 0.8, "seed": rng.randint(0, 99)}
            self.request("generate", "/v1/completions", json.dumps(body).encode())
        elif roll < 0.70:
            body = {"inputs": prompt, "parameters": {"max_new_tokens": rng.randint(8, 64)}}
            self.request("stream", "/generate_stream", json.dumps(body).encode(), stream=True)
        elif roll < 0.80:
            body = {"model": self.seq2seq, "inputs": str(rng.randint(10, 99999)),
                    "parameters": {"max_new_tokens": 16}}
            self.request("seq2seq", "/generate", json.dumps(body).encode())
        elif roll < 0.90:
            long = {"prompt": prompt, "max_tokens": 200, "ignore_eos": True, "temperature": 0}
            if rng.random() < 0.5:
                self.request("cancel-stream", "/v1/completions", json.dumps(dict(long, stream=True)).encode(),
                             stream=True, drop_after=rng.randint(1, 6))
            else:
                self.drop_non_stream(json.dumps(long).encode())
        else:
            path, body = rng.choice(BAD)
            self.request("bad", path, body)

    def client(self, index):
        rng = random.Random(self.seed * 1000 + index)
        while time.monotonic() < self.stop_at:
            self.one(rng)


def served_seq2seq(url):
    try:
        parsed = urllib.parse.urlparse(url)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        conn.request("GET", "/models")
        models = json.loads(conn.getresponse().read())
        for m in models if isinstance(models, list) else models.get("models", []):
            if m.get("task") == "text2text-generation" and m.get("status") == "READY":
                return m.get("id") or m.get("name")
    except Exception:  # noqa: BLE001
        pass
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://localhost:8080")
    ap.add_argument("--pid", type=int, required=True, help="the server's process id, for its RSS")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    seconds = args.minutes * 60
    seq2seq = served_seq2seq(args.url)
    print(f"soak: {args.minutes} min, {args.clients} clients, seq2seq model: {seq2seq or 'none'}", flush=True)
    soak = Soak(args.url, seconds, args.clients, args.seed, seq2seq)
    threads = [threading.Thread(target=soak.client, args=(i,), daemon=True) for i in range(args.clients)]
    start = time.monotonic()
    rss = {"start": rss_kb(args.pid)}
    for t in threads:
        t.start()
    marks = [("minute 2", min(120, seconds * 0.2)), ("middle", seconds / 2)]
    for name, at in marks:
        while time.monotonic() - start < at:
            time.sleep(0.5)
        rss[name] = rss_kb(args.pid)
        with soak.lock:
            done = sum(soak.status.values())
        print(f"  {name}: {done} requests, RSS {rss[name] / 1024:.0f} MiB", flush=True)
    for t in threads:
        t.join()
    rss["end"] = rss_kb(args.pid)
    lat = sorted(soak.latencies)
    p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: float("nan"))
    total = sum(soak.status.values())
    growth = (rss["end"] - rss["minute 2"]) / rss["minute 2"] * 100
    print(f"\nrequests: {total} in {time.monotonic() - start:.0f} s ({total / seconds:.1f}/s), "
          f"deliberately dropped: {soak.dropped}")
    kinds = sorted({k for k, _ in soak.status})
    for kind in kinds:
        row = {s: n for (k, s), n in soak.status.items() if k == kind}
        print(f"  {kind:14s} " + ", ".join(f"{s}: {n}" for s, n in sorted(row.items(), key=str)))
    print(f"lost responses: {len(soak.lost)}")
    for line in soak.lost[:10]:
        print("  " + line)
    print(f"latency of answered requests: p50 {p(0.50):.0f} ms, p99 {p(0.99):.0f} ms")
    print("RSS: " + ", ".join(f"{k} {v / 1024:.0f} MiB" for k, v in rss.items()))
    print(f"RSS growth minute 2 -> end: {growth:+.1f}% (limit 10%)")
    five_xx = sum(n for (_, s), n in soak.status.items() if isinstance(s, int) and s >= 500 and s != 503)
    ok = not soak.lost and growth < 10 and five_xx == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
