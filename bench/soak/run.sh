#!/usr/bin/env bash
# Soak test in one command: starts the packaged server on the bundled models, runs a mixed load for
# MINUTES (default 10), reports statuses, lost responses, latency and RSS growth, then stops the server
# with SIGTERM and checks it exits 0. Exits non-zero when the soak fails.
#   bench/soak/run.sh [MINUTES] [CLIENTS]
# Environment: SLM_MODELS_DIR (default models), PORT (default 8181), JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES="${1:-10}"
CLIENTS="${2:-6}"
PORT="${PORT:-8181}"
MODELS="${SLM_MODELS_DIR:-models}"
JAR=target/quarkus-app/quarkus-run.jar
[ -f "$JAR" ] || ./mvnw -B -q package -DskipTests
mkdir -p bench/soak/results
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
LOG="bench/soak/results/server-$STAMP.log"
OUT="bench/soak/results/soak-$STAMP.txt"

# A fixed, pre-touched heap and two malloc arenas: RSS growth then shows native or off-heap growth, not the
# JVM expanding its heap or glibc spreading allocations over one arena per thread.
MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" java ${JAVA_OPTS:--Xms1g -Xmx1g -XX:+AlwaysPreTouch} -Dai.djl.offline=true -Dquarkus.http.port="$PORT" -Dslm.models-dir="$MODELS" \
  -jar "$JAR" >"$LOG" 2>&1 &
PID=$!
trap 'kill -9 $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  if curl -fs "localhost:$PORT/q/health/ready" >/dev/null 2>&1; then break; fi
  kill -0 $PID 2>/dev/null || { echo "server died at start; see $LOG"; exit 1; }
  sleep 0.5
done
curl -fs "localhost:$PORT/q/health/ready" >/dev/null || { echo "server not ready; see $LOG"; exit 1; }
echo "# soak $STAMP on $(nproc) cores ($(uname -m)), load $(cut -d' ' -f1-3 /proc/loadavg), $MINUTES min," \
  "$CLIENTS clients, JVM ${JAVA_OPTS:--Xms1g -Xmx1g -XX:+AlwaysPreTouch}, models: $(ls "$MODELS" | grep -v tools | tr '\n' ' ')" | tee "$OUT"
set +e
python3 bench/soak/soak.py --url "http://localhost:$PORT" --pid "$PID" --minutes "$MINUTES" --clients "$CLIENTS" \
  2>&1 | tee -a "$OUT"
SOAK=${PIPESTATUS[0]}
kill -TERM $PID
wait $PID
STATUS=$?
set -e
echo "server exit status after SIGTERM: $STATUS (load at the end $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$OUT"
[ "$SOAK" -eq 0 ] && [ "$STATUS" -eq 0 ]
