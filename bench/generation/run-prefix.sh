#!/usr/bin/env bash
# Prefix caching's time to first token, one command (see bench/generation/README.md):
#
#   bash bench/generation/run-prefix.sh [--model-dir DIR] [--system-tokens N] [--requests R] [--threads T]
#                                       [--seconds S]
#
# Serves one checkpoint twice from one server (the same weights, prefix caching on and off, 16 slots each) and
# runs prefix_ttft.py against both; then the cache's worst case, 16 streams whose prompts share nothing
# (load.py --distinct-words 40, 64 new tokens), S seconds (default 15) per model, twice in alternation. Default checkpoint: the GPT-2-small-shaped folder with random weights and 1024
# positions that run.sh writes into bench/target/gpt2-small-random (written here too when missing). Needs
# target/quarkus-app (./mvnw package -DskipTests). Appends the result, with the machine's load, to
# bench/generation/results/<UTC stamp>-prefix.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DIR=$ROOT/bench/target/gpt2-small-random
SYSTEM_TOKENS=1000
REQUESTS=12
THREADS=1
SECONDS_PER_POINT=15
while [ $# -gt 0 ]; do
  case "$1" in
    --model-dir) DIR=$2; shift 2 ;;
    --system-tokens) SYSTEM_TOKENS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --seconds) SECONDS_PER_POINT=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
if [ ! -f "$DIR/model.pt" ]; then
  /usr/bin/python3 models/tools/convert_gpt2.py random-gpt2-small --out "$DIR" >&2
fi
STAMP=$(date -u +%Y%m%dT%H%MZ)
RUN_DIR=$ROOT/bench/target/prefix-$STAMP
RESULT=$ROOT/bench/generation/results/$STAMP-prefix.txt
MAX_TOTAL=$(sed -n 's/^max_total_tokens=//p' "$DIR/serving.properties")
for NAME in cached uncached; do
  mkdir -p "$RUN_DIR/models/$NAME"
  for f in model.pt tokenizer.json config.json tokenizer_config.json; do
    [ -f "$DIR/$f" ] && ln -sf "$DIR/$f" "$RUN_DIR/models/$NAME/$f"
  done
  # 16 slots each (the throughput phase's streams); the whole context may be prompt
  grep -vE '^(batch_size|max_input_tokens|option.enable_prefix_caching)=' "$DIR/serving.properties" \
    > "$RUN_DIR/models/$NAME/serving.properties"
  printf 'batch_size=16\nmax_input_tokens=%s\noption.enable_prefix_caching=%s\n' "$((MAX_TOTAL - 1))" \
    "$([ $NAME = cached ] && echo true || echo false)" >> "$RUN_DIR/models/$NAME/serving.properties"
done
PORT=$((20000 + RANDOM % 12000))  # below the kernel's ephemeral ports (32768 on), which outgoing connections take
java -Dai.djl.offline=true -Dslm.models-dir="$RUN_DIR/models" -Dslm.engine.intra-op-threads="$THREADS" \
  -Dquarkus.http.port=$PORT -jar target/quarkus-app/quarkus-run.jar > "$RUN_DIR/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -sf "localhost:$PORT/q/health/ready" > /dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "the service exited; see $RUN_DIR/server.log" >&2; exit 1; }
  sleep 1
done
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); checkpoint: $DIR (max_total_tokens $MAX_TOTAL); intra-op threads $THREADS"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); uptime before: $(uptime)"
  /usr/bin/python3 bench/generation/prefix_ttft.py --url "http://localhost:$PORT" --cached cached \
    --uncached uncached --system-tokens "$SYSTEM_TOKENS" --requests "$REQUESTS"
  curl -s "localhost:$PORT/q/metrics" | grep -E '^slm_prefix_cache' || true
  echo "16 streams, prompts sharing nothing (load.py --distinct-words 40 --tokens 64), ${SECONDS_PER_POINT} s each:"
  for ROUND in 1 2; do
    for NAME in ${ORDER:-cached uncached}; do  # ORDER="uncached cached" swaps who runs first
      printf '%s round %s: ' "$NAME" "$ROUND"
      /usr/bin/python3 bench/generation/load.py --url "http://localhost:$PORT" --model $NAME --concurrency 16 \
        --tokens 64 --seconds "$SECONDS_PER_POINT" --distinct-words 40 --server-pid "$SERVER_PID"
    done
  done
  curl -s "localhost:$PORT/q/metrics" | grep -E '^slm_prefix_cache' || true
  echo "uptime after: $(uptime)"
} | tee "$RESULT"
