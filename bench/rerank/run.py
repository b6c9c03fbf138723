"""Rerank throughput: (query, passage) pairs per second through slm-serve's /rerank at concurrency 32, next to
the bare archive in the same run.

    ./mvnw -q -B package -DskipTests          # the service jar (target/quarkus-app/quarkus-run.jar)
    /usr/bin/python3 bench/rerank/run.py [--model-dir DIR] [--window 20] [--concurrency 32]

Without --model-dir the cross-encoder is a random-weight BertForSequenceClassification with one label of
nano-bert's shape (4 layers, hidden 128, WordPiece vocabulary 8192), written by models/tools/encoder_fixtures.py
into a temporary folder: throughput does not depend on the weights. Queries and passages are KJV verses: the
query is three content words of a verse, the passages are the verse and its 9 nearest verses
(train_nano_rerank.heldout_items, which needs Debian's bible-kjv).

The service runs with a models folder holding only the model (a symlink), so the measurement is not shared
with other models' workers. Requests are the model's heldout.jsonl items (one query and its 10 candidates each),
sent in a loop by --concurrency threads for --window seconds after a warm-up; pairs/s counts candidates scored.
The bare archive is the same model.pt through DJL / libtorch 2.7.1 with no server (bench's
io.slmserve.bench.PairLoop: maxWorkers threads with one intra-op thread each, as the service's workers, forward
calls of batch_size pairs tokenized once by the folder's tokenizer.json); so it is the model's cost without
HTTP, queueing and dynamic batching, on the same machine and load. Needs the bench harness:
./mvnw -q -B -f bench/pom.xml package. The load average before and after is printed with the results (JSON on stdout, and
appended to bench/rerank/results.jsonl).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models", "tools"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body):
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def start_service(model_dir, model, port):
    models = tempfile.mkdtemp(prefix="bench-rerank-")
    os.symlink(os.path.abspath(model_dir), os.path.join(models, model))
    jar = os.path.join(ROOT, "target", "quarkus-app", "quarkus-run.jar")
    if not os.path.exists(jar):
        raise SystemExit("no %s: run ./mvnw -q -B package -DskipTests first" % jar)
    log = open(os.path.join(models, "service.log"), "w")
    proc = subprocess.Popen(["java", "-Xmx1g", "-Dquarkus.http.port=%d" % port, "-Dslm.models-dir=" + models,
                             "-Dai.djl.offline=true", "-jar", jar], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/q/health/ready" % port, timeout=5) as r:
                if r.status == 200:
                    return proc, models
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(1)
    proc.kill()
    raise SystemExit("service not ready; see " + log.name)


def service_rate(url, model, items, concurrency, window, warmup):
    stop = time.time() + warmup + window
    start = time.time() + warmup
    counts = [0] * concurrency
    errors = []

    def loop(k):
        i = k
        while time.time() < stop:
            it = items[i % len(items)]
            try:
                post(url, {"model": model, "query": it["query"], "texts": it["documents"], "raw_scores": True,
                           "truncate": True})
            except Exception as e:  # noqa: BLE001
                errors.append(str(e))
                return
            if time.time() >= start:
                counts[k] += len(it["documents"])
            i += concurrency

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit("service errors: %s" % errors[:3])
    return sum(counts) / window


def bare_rate(model_dir, items, batch, window, workers, max_tokens):
    """io.slmserve.bench.PairLoop: the archive through DJL / libtorch 2.7.1 as the service runs it, no server."""
    jars = [os.path.join(ROOT, "bench", "target", f) for f in os.listdir(os.path.join(ROOT, "bench", "target"))
            if f.startswith("slm-serve-bench-") and f.endswith(".jar")] if os.path.isdir(
        os.path.join(ROOT, "bench", "target")) else []
    if not jars:
        raise SystemExit("no bench jar: run ./mvnw -q -B -f bench/pom.xml package first")
    with open(os.path.join(ROOT, "bench", "target", "classpath.txt"), encoding="utf-8") as f:
        cp = jars[0] + os.pathsep + f.read().strip()
    pairs = os.path.join(tempfile.mkdtemp(prefix="bench-rerank-pairs-"), "pairs.tsv")
    with open(pairs, "w", encoding="utf-8") as f:
        for it in items:
            for d in it["documents"]:
                f.write(it["query"] + "\t" + d + "\n")
    out = subprocess.run(["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", cp,
                          "io.slmserve.bench.PairLoop", "--model-dir", model_dir, "--pairs", pairs,
                          "--batch", str(batch), "--workers", str(workers), "--threads", "1",
                          "--max-tokens", str(max_tokens), "--seconds", str(window)],
                         check=True, capture_output=True, text=True).stdout
    shutil.rmtree(os.path.dirname(pairs), ignore_errors=True)
    return json.loads(out.strip().splitlines()[-1])["bare_pairs_per_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", help="a cross-encoder folder (default: a random nano-sized one)")
    ap.add_argument("--window", type=float, default=20)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--concurrency", type=int, default=32)
    args = ap.parse_args()
    import encoder_fixtures
    import train_nano_rerank
    from slmtorch import kjv
    work = tempfile.mkdtemp(prefix="bench-rerank-model-")
    if args.model_dir:
        model_dir = args.model_dir
    else:
        encoder_fixtures.write(work, "bert", "BertForSequenceClassification", "none", 1, dim=128, layers=4)
        model_dir = os.path.join(work, "served")
    args.model = os.path.basename(os.path.abspath(model_dir)) if args.model_dir else "random-cross-encoder"
    items = train_nano_rerank.heldout_items(kjv.load())
    props = dict(line.strip().split("=", 1) for line in open(os.path.join(model_dir, "serving.properties"))
                 if "=" in line)
    batch = int(props.get("batch_size", 32))
    load_before = os.getloadavg()
    port = free_port()
    proc, tmp = start_service(model_dir, args.model, port)
    try:
        service = service_rate("http://127.0.0.1:%d/rerank" % port, args.model, items, args.concurrency,
                               args.window, args.warmup)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)
    workers = int(props.get("maxWorkers", 1))
    bare = bare_rate(model_dir, items, batch, args.window, workers, int(props.get("max_input_tokens", 128)))
    shutil.rmtree(work, ignore_errors=True)
    result = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "model": args.model,
              "concurrency": args.concurrency, "window_s": args.window, "batch_size": batch, "workers": workers,
              "service_pairs_per_s": round(service, 1), "bare_archive_pairs_per_s": round(bare, 1),
              "service_over_bare": round(service / bare, 3), "cores": os.cpu_count(),
              "loadavg_before": [round(x, 2) for x in load_before],
              "loadavg_after": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(result))
    with open(os.path.join(ROOT, "bench", "rerank", "results.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
