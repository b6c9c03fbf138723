#!/usr/bin/env bash
# A decoder served with the default slm.engine.intra-op-threads=1: its steps widened to every core while they run
# alone (slm.engine.solo-intra-op-threads=0, the default) against never widened (=1, the behaviour before),
# interleaved in rounds on the same folder, each round a fresh server under load.py at concurrency 1 and 16.
#
#   bash bench/generation/run-widen.sh [--model-dir bench/target/gpt2-small-random] [--rounds 2] [--seconds 10]
#
# Needs target/quarkus-app (./mvnw -q -B package -DskipTests) and a folder from run.sh --prepare. Writes
# bench/generation/results/<UTC stamp>-widen.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=bench/target/gpt2-small-random
ROUNDS=2
SECONDS_PER_POINT=10
while [ $# -gt 0 ]; do
  case "$1" in
    --model-dir) DIR=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --seconds) SECONDS_PER_POINT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
NAME=$(basename "$DIR")
STAMP=$(date -u +%Y%m%dT%H%MZ)
RUN_DIR=bench/target/widen-$STAMP
OUT=bench/generation/results/$STAMP-widen.txt
MODELS_DIR=$RUN_DIR/models
mkdir -p "$MODELS_DIR/$NAME"
for f in model.pt tokenizer.json config.json tokenizer_config.json; do
  [ -f "$DIR/$f" ] && ln -sf "$PWD/$DIR/$f" "$MODELS_DIR/$NAME/$f"
done
sed -e "s/^batch_size=.*/batch_size=16/" -e "s/^job_queue_size=.*/job_queue_size=64/" \
  "$DIR/serving.properties" > "$MODELS_DIR/$NAME/serving.properties"
SERVER_PID=
stop_service() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
trap stop_service EXIT
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); model folder $DIR; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "service: slm.engine.intra-op-threads=1 (default), batch_size=16, 64 new tokens per request, ${SECONDS_PER_POINT}s per point"
} | tee "$OUT"
for round in $(seq 1 "$ROUNDS"); do
  for solo in 0 1; do
    PORT=$((20000 + RANDOM % 12000))  # below the kernel's ephemeral ports (32768 on), which outgoing connections take
    java -Dai.djl.offline=true -Dslm.models-dir="$MODELS_DIR" -Dslm.engine.solo-intra-op-threads=$solo \
      -Dquarkus.http.port=$PORT -jar target/quarkus-app/quarkus-run.jar > "$RUN_DIR/server-$round-$solo.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
      curl -sf "localhost:$PORT/q/health/ready" > /dev/null && break
      sleep 0.5
    done
    /usr/bin/python3 bench/generation/load.py --url "http://localhost:$PORT" --model "$NAME" --concurrency 1 16 \
      --tokens 64 --seconds "$SECONDS_PER_POINT" --server-pid "$SERVER_PID" > "$RUN_DIR/load-$round-$solo.jsonl"
    stop_service
    /usr/bin/python3 - "$RUN_DIR/load-$round-$solo.jsonl" "$round" "$solo" <<'PY' | tee -a "$OUT"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
label = "widened (solo 0)" if sys.argv[3] == "0" else "never widened (solo 1)"
print(f"round {sys.argv[2]}, {label}: " + "; ".join(
    f"c={r['concurrency']} {r['tokens_per_s']:.1f} tokens/s ({1000 / r['tokens_per_s'] * r['concurrency']:.2f} ms/token "
    f"per stream), server {r.get('server_cores', float('nan')):.2f} cores, other {r.get('other_cores', float('nan')):.2f}"
    for r in rows))
PY
  done
done
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
