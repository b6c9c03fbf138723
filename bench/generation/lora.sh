#!/usr/bin/env bash
# LoRA serving cost: nano-gpt with 16 slots and four random rank-R adapters (written at run time by
# models/tools/lora_java_fixtures.py under the bench folder's nano-gpt/adapters/, never committed); tokens/s at 16
# concurrent streams all on the base vs spread over the four adapters (client i on adapter i mod 4, so every step
# mixes four adapters), the two interleaved ROUNDS times in one server run. Writes results/lora-<UTC stamp>.txt.
# Target: adapters >= 0.8x base.
#   bash bench/generation/lora.sh [--skip-build] [--seconds S] [--tokens N] [--rank R]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SECONDS_PER_POINT=15 TOKENS=64 SKIP_BUILD=0 RANK=8 ROUNDS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_POINT=$2; shift 2 ;;
    --tokens) TOKENS=$2; shift 2 ;;
    --rank) RANK=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
STAMP=$(date -u +%Y%m%dT%H%MZ)
RUN_DIR=$ROOT/bench/target/lora-$STAMP
RESULT=$ROOT/bench/generation/results/lora-$STAMP.txt
mkdir -p "$RUN_DIR" "$ROOT/bench/generation/results"
. bench/service-build.sh
if [ "$SKIP_BUILD" != 1 ] || service_stale; then
  ./mvnw -q -B package -DskipTests
fi
SOURCE=$ROOT/models/nano-gpt
MODEL_DIR=$RUN_DIR/models/nano-gpt
mkdir -p "$MODEL_DIR/adapters"
for f in "$SOURCE"/*; do
  [ -f "$f" ] && [ "$(basename "$f")" != serving.properties ] && ln -sf "$f" "$MODEL_DIR/$(basename "$f")"
done
sed -e "s/^batch_size=.*/batch_size=16/" -e "s/^job_queue_size=.*/job_queue_size=64/" \
  "$SOURCE/serving.properties" > "$MODEL_DIR/serving.properties"
grep -q '^batch_size=' "$MODEL_DIR/serving.properties" || echo "batch_size=16" >> "$MODEL_DIR/serving.properties"
/usr/bin/python3 models/tools/lora_java_fixtures.py --base "$SOURCE" --out "$RUN_DIR/fixtures" \
  --name l0,l1,l2,l3 --rank "$RANK" --targets c_attn,c_proj,c_fc >/dev/null 2>&1
for n in l0 l1 l2 l3; do mv "$RUN_DIR/fixtures/$n" "$MODEL_DIR/adapters/$n"; done
PORT=$((20000 + RANDOM % 12000))  # below the kernel's ephemeral ports (32768 on), which outgoing connections take
java -Dai.djl.offline=true -Dslm.models-dir="$RUN_DIR/models" -Dquarkus.http.port=$PORT \
  -jar target/quarkus-app/quarkus-run.jar > "$RUN_DIR/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  curl -sf "localhost:$PORT/q/health/ready" >/dev/null 2>&1 && break
  sleep 1
done
ADAPTERS=nano-gpt:l0,nano-gpt:l1,nano-gpt:l2,nano-gpt:l3
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "settings: nano-gpt, 16 slots, 16 clients, $TOKENS new tokens per request, greedy, $SECONDS_PER_POINT s per point;"
  echo "          4 random adapters of rank $RANK on c_attn, attn c_proj, c_fc, mlp c_proj (PEFT target c_proj matches both)"
  curl -s "localhost:$PORT/models/nano-gpt" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print("adapters:", [(a["name"], a.get("rank"), a.get("memory_bytes"), a.get("reason")) for a in d.get("adapters", [])])'
  echo
  for R in $(seq 1 "$ROUNDS"); do
    for MODE in base adapters; do
      M=nano-gpt
      [ "$MODE" = adapters ] && M=$ADAPTERS
      printf '%s ' "$MODE"
      /usr/bin/python3 bench/generation/load.py --url "http://localhost:$PORT" --model "$M" --concurrency 16 \
        --tokens "$TOKENS" --seconds "$SECONDS_PER_POINT" --server-pid "$SERVER_PID"
    done
  done
  echo
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RESULT"
/usr/bin/python3 - "$RESULT" <<'PY' | tee -a "$RESULT"
import json, sys
rates = {"base": [], "adapters": []}
for line in open(sys.argv[1]):
    mode, _, rest = line.partition(" ")
    if mode in rates and rest.startswith("{"):
        rates[mode].append(json.loads(rest)["tokens_per_s"])
b, a = sum(rates["base"]) / len(rates["base"]), sum(rates["adapters"]) / len(rates["adapters"])
print(f"mean tokens/s: base {b:.1f}, 4 adapters {a:.1f}: ratio {a / b:.2f}x (target >= 0.8x)")
PY
