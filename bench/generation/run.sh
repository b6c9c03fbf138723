#!/usr/bin/env bash
# Generation throughput with continuous batching on (16 KV-cache slots) and off (1 slot: one sequence at a
# time), at concurrency 1, 4 and 16. Builds the service jar if needed, serves a copy of models/nano-gpt with
# each setting, runs bench/generation/load.py against it and writes bench/generation/results/<date>.txt.
#   bash bench/generation/run.sh [seconds per point, default 20] [tokens per request, default 64]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_POINT=${1:-20}
TOKENS=${2:-64}
[ -f target/quarkus-app/quarkus-run.jar ] || ./mvnw -q -B package -DskipTests
mkdir -p bench/generation/results
OUT=bench/generation/results/$(date -u +%Y%m%dT%H%MZ).txt
echo "# $(date -u) $(nproc) cores; nano-gpt; $TOKENS new tokens per request, greedy; $SECONDS_PER_POINT s per point" | tee "$OUT"
for SLOTS in 16 1; do
  MODELS=$(mktemp -d)
  mkdir "$MODELS/nano-gpt"
  for f in model.pt tokenizer.json config.json tokenizer_config.json; do
    ln -s "$PWD/models/nano-gpt/$f" "$MODELS/nano-gpt/$f"
  done
  sed -e "s/^batch_size=.*/batch_size=$SLOTS/" -e "s/^job_queue_size=.*/job_queue_size=64/" \
    models/nano-gpt/serving.properties > "$MODELS/nano-gpt/serving.properties"
  PORT=18090
  java -Dslm.models-dir="$MODELS" -Dquarkus.http.port=$PORT -jar target/quarkus-app/quarkus-run.jar \
    > "$MODELS/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 120); do
    curl -sf "localhost:$PORT/q/health/ready" > /dev/null && break
    sleep 1
  done
  echo "## batch_size=$SLOTS ($([ "$SLOTS" = 1 ] && echo 'batching off' || echo 'continuous batching'))" | tee -a "$OUT"
  /usr/bin/python3 bench/generation/load.py --url "http://localhost:$PORT" --concurrency 1 4 16 \
    --tokens "$TOKENS" --seconds "$SECONDS_PER_POINT" | tee -a "$OUT"
  curl -s "localhost:$PORT/q/metrics" | grep -E '^slm_(inter_token_latency|time_to_first_token)_seconds_(sum|count)' \
    | tee -a "$OUT"
  kill "$PID"
  wait "$PID" 2>/dev/null || true
  rm -rf "$MODELS"
done
