#!/usr/bin/env bash
# Start time and memory of the packaged server on the bundled models, in one command:
#
#   bash bench/startup/run.sh [--runs N] [--settings "LABEL:JVM_AND_SLM_FLAGS;..."]
#
# A setting's words are JVM flags (-...), environment variables (NAME=value, e.g. MALLOC_ARENA_MAX=2), or no-appcds.
# For each setting, N times: starts `java -XX:SharedArchiveFile=target/quarkus-app/app-cds.jsa [flags] -jar
# target/quarkus-app/quarkus-run.jar` (the README's command; the default setting adds no flag, no-appcds drops the
# archive: the plain `java -jar`), polls /q/health/ready every 50 ms and records the seconds from the exec to
# UP, the log's phases (Quarkus started, engine up, each model's load from "loading" to "READY") and RSS at ready.
# The last run of each setting also gets NMT (-XX:NativeMemoryTracking=summary, what the JVM itself commits: heap,
# metaspace, code, threads; libtorch and the weights are the rest of RSS) and RSS after 30 s of bench/soak's mixed
# load. Needs target/quarkus-app (./mvnw package -DskipTests). Writes bench/startup/results/<UTC stamp>.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=3
SETTINGS="default:;no AppCDS:no-appcds;graph optimizer on:-Dslm.engine.graph-optimizer=true"
APPCDS=-XX:SharedArchiveFile=target/quarkus-app/app-cds.jsa
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --settings) SETTINGS=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
STAMP=$(date -u +%Y%m%dT%H%MZ)
mkdir -p bench/startup/results bench/target/startup
RESULT=bench/startup/results/$STAMP.txt
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
    "$(free -g | awk '/Mem:/{print $2}') GiB; $(java -version 2>&1 | head -1)"
  echo "models: $(ls models | grep -vx tools | tr '\n' ' ')"
  echo "uptime before: $(uptime)"
} | tee "$RESULT"
IFS=';' read -ra LIST <<< "$SETTINGS"
for SETTING in "${LIST[@]}"; do
  LABEL=${SETTING%%:*}
  FLAGS=${SETTING#*:}
  for RUN in $(seq 1 "$RUNS"); do
    LAST=$([ "$RUN" = "$RUNS" ] && echo 1 || echo 0)
    EXTRA=$([ "$LAST" = 1 ] && echo "-XX:NativeMemoryTracking=summary" || true)
    PORT=$((20000 + RANDOM % 12000))  # below the kernel's ephemeral ports (32768 on), which outgoing connections take
    LOG=bench/target/startup/$STAMP-${LABEL// /_}-$RUN.log
    ENVS=(); JFLAGS=("$APPCDS")
    for WORD in $FLAGS $EXTRA; do
      case "$WORD" in no-appcds) JFLAGS=("${JFLAGS[@]/$APPCDS}") ;; -*) JFLAGS+=("$WORD") ;; *=*) ENVS+=("$WORD") ;; esac
    done
    T0=$(date +%s.%N)
    env "${ENVS[@]}" java ${JFLAGS[@]} -Dai.djl.offline=true -Dquarkus.http.port=$PORT -jar target/quarkus-app/quarkus-run.jar \
      > "$LOG" 2>&1 &
    PID=$!
    until curl -sf -o /dev/null "localhost:$PORT/q/health/ready"; do
      kill -0 $PID 2>/dev/null || { echo "server died; see $LOG" >&2; exit 1; }
      sleep 0.05
    done
    T1=$(date +%s.%N)
    RSS_READY=$(awk '/VmRSS/{print $2}' /proc/$PID/status)
    LINE="$LABEL run $RUN: ready $(echo "$T1 - $T0" | bc) s, RSS at ready $((RSS_READY / 1024)) MiB"
    if [ "$LAST" = 1 ]; then
      jcmd $PID VM.native_memory summary > "$LOG.nmt" 2>&1 || true
      /usr/bin/python3 bench/soak/soak.py --url "http://localhost:$PORT" --pid $PID --minutes 0.5 --clients 4 \
        > "$LOG.soak" 2>&1 || true
      RSS_SOAK=$(awk '/VmRSS/{print $2}' /proc/$PID/status)
      jcmd $PID VM.native_memory summary > "$LOG.nmt-soak" 2>&1 || true
      LINE="$LINE, after 30 s of mixed load $((RSS_SOAK / 1024)) MiB"
    fi
    kill $PID; wait $PID 2>/dev/null || true
    echo "$LINE" | tee -a "$RESULT"
    /usr/bin/python3 bench/startup/phases.py "$LOG" "$T0" | sed 's/^/    /' | tee -a "$RESULT"
  done
done
echo "uptime after: $(uptime)" | tee -a "$RESULT"
