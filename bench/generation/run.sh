#!/usr/bin/env bash
# Generation benchmark, one command (see bench/generation/README.md):
#
#   bash bench/generation/run.sh [--seconds S] [--tokens N] [--models nano-gpt,gpt2-small] [--threads T]
#                                [--skip-build]
#
# For each model (models/nano-gpt, and a GPT-2-small-shaped folder with random weights written at bench time
# into bench/target/gpt2-small-random by models/tools/convert_gpt2.py, never committed):
#   1. the bare TorchScript decode loop through DJL, no server (io.slmserve.bench.DecodeLoop): prefill, then
#      greedy one-token steps with the KV cache, batch 1, the prompts and token count the clients use; then the
#      same with 16 sequences in lockstep (what the engine alone gains from batching);
#   2. the service with continuous batching on (batch_size=16 cache slots) and off (batch_size=1, one sequence
#      at a time), each under load.py at concurrency 1, 4 and 16;
# then writes the table and the ratios to bench/generation/results/<UTC stamp>.txt.
# --threads T sets libtorch intra-op threads for the service's worker and the bare loop alike (default 1, the
# service default). Defaults: 20 s per point, 64 new tokens per request.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SECONDS_PER_POINT=20
TOKENS=64
MODELS_LIST=nano-gpt,gpt2-small
THREADS=1
SKIP_BUILD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_POINT=$2; shift 2 ;;
    --tokens) TOKENS=$2; shift 2 ;;
    --models) MODELS_LIST=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

STAMP=$(date -u +%Y%m%dT%H%MZ)
RUN_DIR=$ROOT/bench/target/generation-$STAMP
RESULT=$ROOT/bench/generation/results/$STAMP.txt
mkdir -p "$RUN_DIR" "$ROOT/bench/generation/results"
say() { printf '[generation %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
BEGIN=$(date +%s)

if [ "$SKIP_BUILD" != 1 ] || [ ! -f target/quarkus-app/quarkus-run.jar ]; then
  say "building the service (./mvnw -q -B package -DskipTests)"
  ./mvnw -q -B package -DskipTests
fi
say "building the harness (bench/pom.xml)"
./mvnw -q -B -f bench/pom.xml package
BENCH_CP="$(ls bench/target/slm-serve-bench-*.jar):$(cat bench/target/classpath.txt)"
/usr/bin/python3 bench/generation/load.py --print-prompts > "$RUN_DIR/prompts.txt"

model_dir() {
  case "$1" in
    nano-gpt) echo "$ROOT/models/nano-gpt" ;;
    gpt2-small) echo "$ROOT/bench/target/gpt2-small-random" ;;
    *) echo "$ROOT/models/$1" ;;
  esac
}

SERVER_PID=
stop_service() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
trap stop_service EXIT
trap 'stop_service; exit 130' INT TERM

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "settings: $TOKENS new tokens per request (greedy, ignore_eos), $SECONDS_PER_POINT s per point, intra-op threads $THREADS, OMP_WAIT_POLICY ${OMP_WAIT_POLICY:-unset}"
} > "$RUN_DIR/meta.txt"

IFS=, read -r -a MODELS <<< "$MODELS_LIST"
for NAME in "${MODELS[@]}"; do
  DIR=$(model_dir "$NAME")
  if [ "$NAME" = gpt2-small ] && [ ! -f "$DIR/model.pt" ]; then
    say "writing the GPT-2-small-shaped folder with random weights to $DIR (about 500 MB, ignored by git)"
    /usr/bin/python3 models/tools/convert_gpt2.py --random-gpt2-small "$DIR" >&2
  fi
  [ -f "$DIR/model.pt" ] || { say "no model.pt in $DIR"; exit 1; }
  MAX_TOTAL=$(sed -n 's/^max_total_tokens=//p' "$DIR/serving.properties")

  for BATCH in 1 16; do
    say "$NAME: bare TorchScript decode loop (DJL, no server), $BATCH sequence(s) in lockstep, ${SECONDS_PER_POINT}s"
    java -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$BENCH_CP" io.slmserve.bench.DecodeLoop \
      --model-dir "$DIR" --prompts "$RUN_DIR/prompts.txt" --tokens "$TOKENS" --threads "$THREADS" --batch "$BATCH" \
      --slots 16 --max-total "$MAX_TOTAL" --seconds "$SECONDS_PER_POINT" | tee "$RUN_DIR/$NAME.bare$BATCH.json" >&2
  done

  for SLOTS in 16 1; do
    MODELS_DIR=$RUN_DIR/models-$NAME-$SLOTS
    mkdir -p "$MODELS_DIR/$NAME"
    for f in model.pt tokenizer.json config.json tokenizer_config.json; do
      [ -f "$DIR/$f" ] && ln -sf "$DIR/$f" "$MODELS_DIR/$NAME/$f"
    done
    sed -e "s/^batch_size=.*/batch_size=$SLOTS/" -e "s/^job_queue_size=.*/job_queue_size=64/" \
      "$DIR/serving.properties" > "$MODELS_DIR/$NAME/serving.properties"
    PORT=$((20000 + RANDOM % 20000))
    java -Dai.djl.offline=true -Dslm.models-dir="$MODELS_DIR" -Dslm.engine.intra-op-threads="$THREADS" \
      -Dquarkus.http.port=$PORT -jar target/quarkus-app/quarkus-run.jar > "$RUN_DIR/server-$NAME-$SLOTS.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
      curl -sf "localhost:$PORT/q/health/ready" > /dev/null && break
      kill -0 "$SERVER_PID" 2>/dev/null || { say "the service exited; see $RUN_DIR/server-$NAME-$SLOTS.log"; exit 1; }
      sleep 1
    done
    say "$NAME: service with batch_size=$SLOTS, load at concurrency 1, 4, 16"
    /usr/bin/python3 bench/generation/load.py --url "http://localhost:$PORT" --model "$NAME" \
      --concurrency 1 4 16 --tokens "$TOKENS" --seconds "$SECONDS_PER_POINT" --server-pid "$SERVER_PID" \
      | tee "$RUN_DIR/$NAME.slots$SLOTS.jsonl" >&2
    curl -s "localhost:$PORT/q/metrics" | grep -E '^slm_(inter_token_latency|time_to_first_token)_seconds_(sum|count)' \
      > "$RUN_DIR/$NAME.slots$SLOTS.metrics" || true
    stop_service
  done
done

echo "bench wall time: $(( $(date +%s) - BEGIN )) s, load average at end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RUN_DIR/meta.txt"
/usr/bin/python3 bench/generation/report.py "$RUN_DIR" "${MODELS[@]}" | tee "$RESULT"
say "written $RESULT (raw figures and server logs in $RUN_DIR)"
