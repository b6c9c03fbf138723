#!/usr/bin/env bash
# A/B of two builds of the service on POST /v1/embeddings, in alternating windows (see bench/README.md):
#
#   bench/embeddings-ab.sh [--rounds N] [--window S] [--concurrency 1,32] [--perf S] DIR_A DIR_B
#
# DIR_A and DIR_B are checkouts with a built target/quarkus-app (./mvnw package -DskipTests); each serves its own
# models/. Both services run at once (idle between their windows), each is warmed up at concurrency 32 for 20 s
# per input set (C2 keeps compiling the HTTP/JSON stack for longer than that: compare builds only within a run),
# then every round runs one window per service, A then B. On this 2-core machine two runs of the same build
# minutes apart differ by 10-20%; alternating windows of two live services is what makes a 5% change visible.
# --perf S: after the rounds, records S seconds of `perf record -g` on each service under concurrency-32 short
# load and prints the share of samples per thread name and per library (needs perf; -XX:+PreserveFramePointer).
# Environment: SERVICE_JAVA_OPTS_A / SERVICE_JAVA_OPTS_B (extra JVM options per service).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROUNDS=6
WINDOW=4
CONCURRENCY=1,32
PERF=0
while [ $# -gt 2 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --perf) PERF=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 2 ] || { echo "usage: $0 [options] DIR_A DIR_B" >&2; exit 2; }
DIRS=("$(cd "$1" && pwd)" "$(cd "$2" && pwd)")
OPTS=("${SERVICE_JAVA_OPTS_A:-}" "${SERVICE_JAVA_OPTS_B:-}")
PORTS=(18751 18752)
[ -f "$BENCH_DIR/target/classpath.txt" ] || (cd "$BENCH_DIR/.." && ./mvnw -q -B -f bench/pom.xml package)
BENCH_CP="$(ls "$BENCH_DIR"/target/slm-serve-bench-*.jar):$(cat "$BENCH_DIR/target/classpath.txt")"
BENCH_JAVA=(java -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Xmx512m -XX:+UseSerialGC
  -cp "$BENCH_CP" io.slmserve.bench.EmbeddingBench http --out /dev/null)
OUT=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$OUT"' EXIT

for i in 0 1; do
  # shellcheck disable=SC2086
  (cd "${DIRS[$i]}" && exec java -XX:+PreserveFramePointer ${OPTS[$i]} -Dai.djl.offline=true \
    -Dquarkus.http.port="${PORTS[$i]}" -Dslm.models-dir=models -jar target/quarkus-app/quarkus-run.jar \
    >"$OUT/service-$i.log" 2>&1) &
  PIDS+=($!)
  until curl -sf -o /dev/null "http://127.0.0.1:${PORTS[$i]}/q/health/ready"; do sleep 0.5; done
  "${BENCH_JAVA[@]}" --url "http://127.0.0.1:${PORTS[$i]}" --concurrency 32 --warmup 1 --window 20 >/dev/null
done

label() { if [ "$1" = 0 ]; then echo "A"; else echo "B"; fi; }
echo "A: ${DIRS[0]}  B: ${DIRS[1]}  ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
for r in $(seq 1 "$ROUNDS"); do
  for i in 0 1; do
    "${BENCH_JAVA[@]}" --url "http://127.0.0.1:${PORTS[$i]}" --server-pid "${PIDS[$i]}" \
      --concurrency "$CONCURRENCY" --warmup 1 \
      --window "$WINDOW" 2>&1 | grep "HTTP c=" | sed "s/^\[bench\]/round $r $(label $i)/"
  done
done

if [ "$PERF" -gt 0 ]; then
  for i in 0 1; do
    "${BENCH_JAVA[@]}" --url "http://127.0.0.1:${PORTS[$i]}" --concurrency 32 --warmup 2 \
      --window $((PERF + 4)) >/dev/null 2>&1 &
    LOAD=$!
    sleep 3
    perf record -F 499 -g -p "${PIDS[$i]}" -o "$OUT/perf-$i.data" -- sleep "$PERF" 2>/dev/null >/dev/null
    wait "$LOAD"
    echo "perf, $(label $i), concurrency 32 short: share of samples per thread name, then per library"
    perf report -i "$OUT/perf-$i.data" --no-children --sort comm --stdio -g none 2>/dev/null | grep '%' | head -6
    perf report -i "$OUT/perf-$i.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%' | head -6
  done
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
