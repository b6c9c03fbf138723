#!/usr/bin/env bash
# Seq2seq throughput with continuous batching on (16 cache slots) and off (1 slot: one sequence at a time), at
# concurrency 1 and 16, greedy; with batching on also 4 beams. Builds the service jar if needed, serves a copy of
# the model folder with each setting, runs bench/generation/seq2seq_load.py against it and writes
# bench/generation/results/<date>-seq2seq.txt.
#   bash bench/generation/run-seq2seq.sh [seconds per point, default 20] [model folder, default models/nano-bart]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_POINT=${1:-20}
SRC=$(realpath "${2:-models/nano-bart}")
. bench/service-build.sh
service_stale && ./mvnw -q -B package -DskipTests
mkdir -p bench/generation/results
OUT=bench/generation/results/$(date -u +%Y%m%dT%H%MZ)-seq2seq.txt
HELDOUT=()
[ -f "$SRC/heldout.jsonl" ] && HELDOUT=(--heldout "$SRC/heldout.jsonl")
echo "# $(date -u) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(basename "$SRC"); /generate greedy" \
  "until the end token; $SECONDS_PER_POINT s per point" | tee "$OUT"
for SLOTS in 16 1; do
  MODELS=$(mktemp -d)
  mkdir "$MODELS/nano-bart"
  for f in model.pt tokenizer.json config.json tokenizer_config.json; do
    ln -s "$SRC/$f" "$MODELS/nano-bart/$f"
  done
  sed -e "s/^batch_size=.*/batch_size=$SLOTS/" -e "s/^job_queue_size=.*/job_queue_size=64/" \
    -e "/^max_batch_tokens=/d" "$SRC/serving.properties" > "$MODELS/nano-bart/serving.properties"
  PORT=18091
  java -Dslm.models-dir="$MODELS" -Dquarkus.http.port=$PORT -jar target/quarkus-app/quarkus-run.jar \
    > "$MODELS/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 120); do
    curl -sf "localhost:$PORT/q/health/ready" > /dev/null && break
    sleep 1
  done
  echo "## batch_size=$SLOTS ($([ "$SLOTS" = 1 ] && echo 'batching off' || echo 'continuous batching'))" | tee -a "$OUT"
  BEAMS=(1)
  [ "$SLOTS" = 16 ] && BEAMS=(1 4)
  /usr/bin/python3 bench/generation/seq2seq_load.py --url "http://localhost:$PORT" --concurrency 1 16 \
    --seconds "$SECONDS_PER_POINT" --beams "${BEAMS[@]}" "${HELDOUT[@]}" | tee -a "$OUT"
  curl -s "localhost:$PORT/q/metrics" | grep -E '^slm_decoder_step_rows_(sum|count|max)' | tee -a "$OUT"
  kill "$PID"
  wait "$PID" 2>/dev/null || true
  rm -rf "$MODELS"
done
