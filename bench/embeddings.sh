#!/usr/bin/env bash
# One command for the embedding benchmark (see bench/README.md):
#
#   bench/embeddings.sh [--skip-build] [--window S] [--warmup S] [--jit-warmup S] [--concurrency 1,8,32]
#                       [--encoding float|base64] [--port P] [--ready-timeout S] [--paired]
#
# 1. builds the service (./mvnw package -DskipTests) unless --skip-build finds it newer than its sources
#    (bench/service-build.sh), and the harness (bench/pom.xml);
# 2. starts target/quarkus-app/quarkus-run.jar on a free port, its log in bench/target/run-<stamp>/service.log,
#    and waits for GET /q/health/ready = 200;
# 3. with the service idle: ONNX Runtime batch 1 / batch 32, langchain4j embedAll(32), the DJL GEMM ceiling,
#    and the correctness check (service vs ORT cosine);
# 4. HTTP load on POST /v1/embeddings at each concurrency, short then long inputs;
# 5. with --paired (~1 extra minute): ORT batch 32 and the service at concurrency 32 in alternating 4 s windows,
#    3 rounds per input set, the ratio to trust on a machine that other jobs keep busy;
# 6. stops the service, prints the table and writes it to bench/results/embeddings-<stamp>.txt.
#
# Environment: SERVICE_JAVA_OPTS (extra JVM options for the service), MODEL (default all-minilm-l6-v2).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
cd "$ROOT"

SKIP_BUILD=${SKIP_BUILD:-0}
WINDOW=10
WARMUP=3
JIT_WARMUP=20
CONCURRENCY=1,8,32
ENCODING=float
PORT=
READY_TIMEOUT=300
MODEL=${MODEL:-all-minilm-l6-v2}
PAIRED=0

while [ $# -gt 0 ]; do
  case "$1" in
    --skip-build) SKIP_BUILD=1; shift ;;
    --window) WINDOW=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --jit-warmup) JIT_WARMUP=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --encoding) ENCODING=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --ready-timeout) READY_TIMEOUT=$2; shift 2 ;;
    --paired) PAIRED=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

STAMP=$(date -u +%Y-%m-%dT%H%MZ)
RUN_DIR="$BENCH_DIR/target/run-$STAMP"
RESULT="$BENCH_DIR/results/embeddings-$STAMP.txt"
mkdir -p "$RUN_DIR" "$BENCH_DIR/results"
say() { printf '[embeddings.sh %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- build
. bench/service-build.sh
if [ "$SKIP_BUILD" != 1 ] || service_stale; then
  say "building the service (./mvnw -q -B package -DskipTests)"
  ./mvnw -q -B package -DskipTests
fi
[ -f target/quarkus-app/quarkus-run.jar ] || { say "target/quarkus-app/quarkus-run.jar missing: build the service first"; exit 1; }
[ -d "models/$MODEL" ] || { say "models/$MODEL missing"; exit 1; }
say "building the harness (bench/pom.xml)"
./mvnw -q -B -f bench/pom.xml package
BENCH_CP="$(ls "$BENCH_DIR"/target/slm-serve-bench-*.jar):$(cat "$BENCH_DIR/target/classpath.txt")"
BENCH_JAVA=(java -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$BENCH_CP")

# ---------------------------------------------------------------- quiet box?
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat; }
read -r b0 i0 < <(busy); sleep 2; read -r b1 i1 < <(busy)
OTHER=$(awk -v b=$((b1 - b0)) 'BEGIN{ printf "%.2f", b / 100 / 2 }')  # /proc/stat ticks are 1/100 s
say "CPU busy before start: ${OTHER} cores (anything above ~0.2 makes the figures low; check top)"

# ---------------------------------------------------------------- start the service
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -z "$PORT" ]; then
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 12000))  # below the ephemeral ports (32768 on)
    if port_free "$candidate"; then PORT=$candidate; break; fi
  done
fi
[ -n "$PORT" ] || { say "no free port found"; exit 1; }
URL="http://127.0.0.1:$PORT"
SERVICE_LOG="$RUN_DIR/service.log"
say "starting the service on port $PORT (log: $SERVICE_LOG)"
# shellcheck disable=SC2086
java ${SERVICE_JAVA_OPTS:-} -Dai.djl.offline=true -Dquarkus.http.port="$PORT" -Dslm.models-dir=models \
  -jar target/quarkus-app/quarkus-run.jar >"$SERVICE_LOG" 2>&1 &
SERVER_PID=$!

stop_service() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
trap stop_service EXIT
trap 'stop_service; exit 130' INT TERM

START=$(date +%s)
until curl -sf -o /dev/null "$URL/q/health/ready"; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    say "the service exited before it was ready; last lines of $SERVICE_LOG:"; tail -40 "$SERVICE_LOG" >&2; exit 1
  fi
  if [ $(( $(date +%s) - START )) -ge "$READY_TIMEOUT" ]; then
    say "not ready after ${READY_TIMEOUT}s; last lines of $SERVICE_LOG:"; tail -40 "$SERVICE_LOG" >&2; exit 1
  fi
  sleep 1
done
READY_S=$(( $(date +%s) - START ))
say "service ready after ${READY_S}s (pid $SERVER_PID)"

alive_or_die() {
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    say "the service (pid $SERVER_PID) is gone $1; last lines of $SERVICE_LOG:"; tail -20 "$SERVICE_LOG" >&2
    say "(a 'stopped' line from the Shutdown thread means something sent it SIGTERM)"; exit 1
  fi
}

# ---------------------------------------------------------------- in-process baselines (service idle)
say "in-process baselines: ORT batch 1 / 32, correctness check, langchain4j, GEMM ceiling"
"${BENCH_JAVA[@]}" -Xmx3g io.slmserve.bench.EmbeddingBench inproc --out "$RUN_DIR/inproc.properties" \
  --warmup "$WARMUP" --window "$WINDOW" --url "$URL" --model "$MODEL"

# ---------------------------------------------------------------- JIT warm-up (discarded)
# The JVM's C2 compiler keeps a core busy for ~45 s of load on this 2-core box while it compiles the HTTP/JSON
# stack; a long-running server is past that. Drive it through a discarded phase so the timed rows see steady state.
alive_or_die "after the in-process phase"
if [ "$JIT_WARMUP" -gt 0 ]; then
  say "JIT warm-up: ${JIT_WARMUP}s per input set at concurrency 32 (not reported)"
  "${BENCH_JAVA[@]}" -Xmx512m -XX:+UseSerialGC io.slmserve.bench.EmbeddingBench http \
    --out "$RUN_DIR/jit-warmup.properties" --url "$URL" --model "$MODEL" --server-pid "$SERVER_PID" \
    --concurrency 32 --encoding "$ENCODING" --warmup 1 --window "$JIT_WARMUP" > /dev/null
fi

# ---------------------------------------------------------------- HTTP load
alive_or_die "after the JIT warm-up"
say "HTTP load at concurrency $CONCURRENCY, short then long inputs"
"${BENCH_JAVA[@]}" -Xmx512m -XX:+UseSerialGC io.slmserve.bench.EmbeddingBench http --out "$RUN_DIR/http.properties" \
  --url "$URL" --model "$MODEL" --server-pid "$SERVER_PID" --concurrency "$CONCURRENCY" \
  --encoding "$ENCODING" --warmup "$WARMUP" --window "$WINDOW"
alive_or_die "after the HTTP phase"
RAW="$RUN_DIR/inproc.properties,$RUN_DIR/http.properties,$RUN_DIR/service.properties"
if [ "$PAIRED" = 1 ]; then
  say "paired windows: ORT batch 32 and the service at concurrency 32, alternating"
  "${BENCH_JAVA[@]}" -Xmx2g io.slmserve.bench.EmbeddingBench paired --out "$RUN_DIR/paired.properties" \
    --url "$URL" --model "$MODEL" --server-pid "$SERVER_PID"
  alive_or_die "after the paired phase"
  RAW="$RAW,$RUN_DIR/paired.properties"
fi
stop_service
printf 'service.readySeconds=%s\nservice.log=%s\n' "$READY_S" "$SERVICE_LOG" >"$RUN_DIR/service.properties"

# ---------------------------------------------------------------- report
"${BENCH_JAVA[@]}" io.slmserve.bench.EmbeddingBench report \
  --in "$RAW" --out "$RESULT"
say "written $RESULT (raw figures in $RUN_DIR)"
