#!/usr/bin/env bash
# Structured output cost: one decoder (nano-gpt, or with --model smollm2-135m a random-weight SmolLM2-135M-shaped
# snapshot written by slmtorch.random_snapshot and converted by convert.py) served with 16 slots; tokens/s at
# concurrency 1 and 16, unconstrained and
# constrained to bench/generation/structured-schema.json (guided_json; long enough that every request still
# generates all its tokens), the two interleaved in one run; then the cold compile time of the 32 test schemas
# (src/test/resources/structured/schemas) for nano-gpt's tokenizer. Writes results/structured-<UTC stamp>.txt.
#   bash bench/generation/structured.sh [--skip-build] [--seconds S] [--tokens N] [--model nano-gpt|smollm2-135m]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SECONDS_PER_POINT=15
TOKENS=64
SKIP_BUILD=0
MODEL=nano-gpt
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_POINT=$2; shift 2 ;;
    --tokens) TOKENS=$2; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --model) MODEL=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
STAMP=$(date -u +%Y%m%dT%H%MZ)
RUN_DIR=$ROOT/bench/target/structured-$STAMP
RESULT=$ROOT/bench/generation/results/structured-$STAMP.txt
mkdir -p "$RUN_DIR" "$ROOT/bench/generation/results"
. bench/service-build.sh
if [ "$SKIP_BUILD" != 1 ] || service_stale; then
  ./mvnw -q -B package -DskipTests
fi
./mvnw -q -B test-compile dependency:build-classpath -Dmdep.outputFile="$RUN_DIR/cp.txt" >/dev/null

MODELS_DIR=$RUN_DIR/models
case "$MODEL" in
  nano-gpt) SOURCE=$ROOT/models/nano-gpt ;;
  smollm2-135m)
    # Random weights (never committed), written once under bench/target and reused by later runs.
    SOURCE=$ROOT/bench/target/smollm2-135m-random
    if [ ! -f "$SOURCE/model.pt" ]; then
      SNAPSHOT=$ROOT/bench/target/smollm2-135m-snapshot
      [ -f "$SNAPSHOT/config.json" ] || \
        (cd models/tools && /usr/bin/python3 -m slmtorch.random_snapshot --shape smollm2-135m --out "$SNAPSHOT")
      /usr/bin/python3 models/tools/convert.py "$SNAPSHOT" "$SOURCE" --max-total-tokens 512 --name smollm2-135m-random
    fi ;;
  *) echo "unknown model $MODEL (nano-gpt or smollm2-135m)" >&2; exit 2 ;;
esac
mkdir -p "$MODELS_DIR/$MODEL"
for f in "$SOURCE"/*; do
  [ "$(basename "$f")" = serving.properties ] || ln -sf "$f" "$MODELS_DIR/$MODEL/$(basename "$f")"
done
sed -e "s/^batch_size=.*/batch_size=16/" -e "s/^job_queue_size=.*/job_queue_size=64/" \
  "$SOURCE/serving.properties" > "$MODELS_DIR/$MODEL/serving.properties"
grep -q '^batch_size=' "$MODELS_DIR/$MODEL/serving.properties" || echo "batch_size=16" >> "$MODELS_DIR/$MODEL/serving.properties"
PORT=$((20000 + RANDOM % 12000))  # below the kernel's ephemeral ports (32768 on), which outgoing connections take
java -Dai.djl.offline=true -Dslm.models-dir="$MODELS_DIR" -Dquarkus.http.port=$PORT \
  -jar target/quarkus-app/quarkus-run.jar > "$RUN_DIR/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  curl -sf "localhost:$PORT/q/health/ready" >/dev/null 2>&1 && break
  sleep 1
done
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "settings: $MODEL, 16 slots, $TOKENS new tokens per request, greedy, $SECONDS_PER_POINT s per point"
  echo "schema: bench/generation/structured-schema.json"
  echo
  for C in 1 16; do
    for MODE in plain constrained; do
      ARGS=()
      [ "$MODE" = constrained ] && ARGS=(--guided-json bench/generation/structured-schema.json)
      /usr/bin/python3 bench/generation/load.py --url "http://localhost:$PORT" --model "$MODEL" --concurrency "$C" \
        --tokens "$TOKENS" --seconds "$SECONDS_PER_POINT" --server-pid "$SERVER_PID" "${ARGS[@]}"
    done
  done
  echo
  echo "load average after the load points: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "compile time of the test schemas (cold cache, nano-gpt's tokenizer):"
  java -cp "target/test-classes:target/classes:$(cat "$RUN_DIR/cp.txt")" io.slmserve.engine.ConstraintCompileTimes \
    models/nano-gpt 2>/dev/null
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RESULT"
