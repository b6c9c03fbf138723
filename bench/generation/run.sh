#!/usr/bin/env bash
# Generation benchmark, one command (see bench/generation/README.md):
#
#   bash bench/generation/run.sh [--seconds S] [--tokens N] [--threads T] [--skip-build] [--peers]
#                                [--models nano-gpt,gpt2-small,smollm2-135m,qwen2.5-0.5b,gemma-3-270m]
#                                [--prepare] [--no-batching-off] [--jit-warmup S]
#
# For each model (models/nano-gpt; random-weight folders written at bench time under bench/target/, never
# committed: gpt2-small by models/tools/convert_gpt2.py, smollm2-135m, qwen2.5-0.5b and gemma-3-270m (not in
# the default list) as Hugging Face snapshots by slmtorch.random_snapshot then models/tools/convert.py;
# gpt2-small-int8, smollm2-135m-int8 and qwen2.5-0.5b-int8, not in the default list: the same weights with --quantize int8;
# likewise -bf16 and -fp16 with --quantize bf16 / fp16, the 16-bit weights of slm::half_linear):
#   1. the bare TorchScript decode loop through DJL, no server (io.slmserve.bench.DecodeLoop): prefill, then
#      greedy one-token steps with the KV cache, batch 1, the prompts and token count the clients use; then the
#      same with 16 sequences in lockstep (what the engine alone gains from batching);
#   2. the service with continuous batching on (batch_size=16 cache slots) and off (batch_size=1, one sequence
#      at a time), each under load.py at concurrency 1, 4 and 16;
#   3. with --peers, the same weights in Jlama and llama.cpp (bench/generation/peers.sh);
# first the machine's memory read bandwidth (bandwidth.c, 1 and 2 threads) for the floors (weight bytes per
# token / bandwidth); then writes the table and the ratios to bench/generation/results/<UTC stamp>.txt.
# --threads T sets libtorch intra-op threads for the service's worker and the bare loop alike (default 1, the
# service default). Defaults: 20 s per point, 64 new tokens per request.
# --prepare (niced, before a quiet run) builds, writes the model folders and, with --peers, the peers'
# prerequisites (snapshots, Jlama jar, node-llama-cpp, GGUF files), then exits without measuring anything.
# --skip-build keeps target/quarkus-app unless a file under src/main or pom.xml is newer (bench/service-build.sh).
# --no-batching-off skips the service with batch_size=1 (its c=16 point waits for 16 queued requests).
# --jit-warmup S (default 20; 0: none) loads each service unmeasured for S seconds, half at concurrency 1 and half
# at 16, before its measured points, so that they time the compiled serving path rather than the JVM compiling it.
# A name with the suffix -mkl (e.g. smollm2-135m-mkl) runs that model's folder with its linear layers left on MKL
# (DecodeLoop --no-pack, the service with slm.engine.pack-cpu-weights=false; no peers): list it beside the
# plain name to compare the oneDNN layers side by side in one run. The suffix -plainhead likewise leaves a tied LM
# head on the embedding's plain table (DecodeLoop --no-tied-head, slm.engine.pack-tied-head=false). The suffix -fp16w
# runs that model's weights rounded to fp16 and served in float32 (models/tools/fp16_weights.py: FBGEMM's
# fp16-weight GEMM on the CPU), in its own folder, with the fp16 floor (half the bytes).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SECONDS_PER_POINT=20
TOKENS=64
MODELS_LIST=nano-gpt,gpt2-small,smollm2-135m,qwen2.5-0.5b
THREADS=1
SKIP_BUILD=0
PEERS=0
PREPARE=0
SLOTS_LIST="16 1"
JIT_WARMUP=20
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_POINT=$2; shift 2 ;;
    --tokens) TOKENS=$2; shift 2 ;;
    --models) MODELS_LIST=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --peers) PEERS=1; shift ;;
    --prepare) PREPARE=1; shift ;;
    --no-batching-off) SLOTS_LIST=16; shift ;;
    --jit-warmup) JIT_WARMUP=$2; shift 2 ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

STAMP=$(date -u +%Y%m%dT%H%MZ)
RUN_DIR=$ROOT/bench/target/generation-$STAMP
RESULT=$ROOT/bench/generation/results/$STAMP.txt
mkdir -p "$RUN_DIR" "$ROOT/bench/generation/results"
say() { printf '[generation %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
BEGIN=$(date +%s)

. bench/service-build.sh
if [ "$SKIP_BUILD" != 1 ] || service_stale; then
  say "building the service (./mvnw -q -B package -DskipTests)"
  ./mvnw -q -B package -DskipTests
fi
say "building the harness (bench/pom.xml)"
./mvnw -q -B -f bench/pom.xml package
BENCH_CP="$(ls bench/target/slm-serve-bench-*.jar):$(cat bench/target/classpath.txt)"
/usr/bin/python3 bench/generation/load.py --print-prompts > "$RUN_DIR/prompts.txt"

# a name that runs another name's folder with different engine settings (no peers of its own)
variant() {
  case "$1" in *-mkl|*-plainhead|*-fp16w) return 0 ;; *) return 1 ;; esac
}

# names that run peers of their own: a variant, or an int8 folder, shares its fp32 shape's (whose run measures
# llama.cpp's Q8_0 too)
own_peers() {
  ! variant "$1" && case "$1" in *-int8|*-bf16|*-fp16) return 1 ;; *) return 0 ;; esac
}

model_dir() {
  case "$1" in
    *-mkl) model_dir "${1%-mkl}" ;;
    *-plainhead) model_dir "${1%-plainhead}" ;;
    nano-gpt) echo "$ROOT/models/nano-gpt" ;;
    gpt2-small|smollm2-135m|qwen2.5-0.5b|gemma-3-270m) echo "$ROOT/bench/target/$1-random" ;;
    *-int8|*-bf16|*-fp16) echo "$ROOT/bench/target/$1" ;;
    *-fp16w) echo "$ROOT/bench/target/$1" ;;
    *) echo "$ROOT/models/$1" ;;
  esac
}

# Random-weight folders (fp32): GPT-2 small by its own tool; the Llama-family shapes as a Hugging Face snapshot
# (kept in bench/target/NAME-snapshot for the peers) converted by convert.py, the cache capped at 512 tokens.
write_model() {
  local name=$1 dir=$2 snapshot=$ROOT/bench/target/$1-snapshot
  case "$name" in
    gpt2-small) /usr/bin/python3 models/tools/convert_gpt2.py --random-gpt2-small "$dir" >&2 ;;
    gpt2-small-int8|gpt2-small-bf16|gpt2-small-fp16)  # the same weights (seed 0), linear layers and LM head
      # int8 per output channel, or bf16 / fp16
      /usr/bin/python3 models/tools/convert_gpt2.py random-gpt2-small --out "$dir" --quantize "${name##*-}" >&2 ;;
    smollm2-135m|qwen2.5-0.5b|gemma-3-270m)
      [ -f "$snapshot/model.safetensors" ] || \
        (cd models/tools && /usr/bin/python3 -m slmtorch.random_snapshot --shape "$name" --out "$snapshot" >&2)
      /usr/bin/python3 models/tools/convert.py "$snapshot" "$dir" --max-total-tokens 512 --name "$name-random" >&2 ;;
    smollm2-135m-int8|qwen2.5-0.5b-int8|smollm2-135m-bf16|qwen2.5-0.5b-bf16|smollm2-135m-fp16|qwen2.5-0.5b-fp16)
      # the fp32 shape's snapshot (same seed-0 weights), linear layers and LM head int8 per output channel, or
      # bf16 / fp16
      snapshot=$ROOT/bench/target/${name%-*}-snapshot
      [ -f "$snapshot/model.safetensors" ] || \
        (cd models/tools && /usr/bin/python3 -m slmtorch.random_snapshot --shape "${name%-*}" --out "$snapshot" >&2)
      /usr/bin/python3 models/tools/convert.py "$snapshot" "$dir" --max-total-tokens 512 --name "$name" \
        --quantize "${name##*-}" >&2 ;;
    *-fp16w)  # the fp32 shape's folder (same seed-0 weights) rounded to fp16, served in float32 (FBGEMM)
      local src; src=$(model_dir "${name%-fp16w}")
      [ -f "$src/model.pt" ] || write_model "${name%-fp16w}" "$src"
      /usr/bin/python3 models/tools/fp16_weights.py "$src" "$dir" >&2 ;;
    *) say "no writer for $name"; exit 1 ;;
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

if [ "$PREPARE" != 1 ]; then
  say "memory read bandwidth (bench/generation/bandwidth.c, gcc -O3 -march=native -fopenmp)"
  gcc -O3 -march=native -fopenmp bench/generation/bandwidth.c -o "$RUN_DIR/bandwidth"
  OMP_PROC_BIND=close "$RUN_DIR/bandwidth" 1024 8 | tee "$RUN_DIR/bandwidth.jsonl" >&2
fi

IFS=, read -r -a MODELS <<< "$MODELS_LIST"
for NAME in "${MODELS[@]}"; do
  DIR=$(model_dir "$NAME")
  if [ ! -f "$DIR/model.pt" ]; then
    say "writing the $NAME-shaped folder with random weights to $DIR (ignored by git)"
    write_model "$NAME" "$DIR"
  fi
  [ -f "$DIR/model.pt" ] || { say "no model.pt in $DIR"; exit 1; }
  if [ "$PREPARE" = 1 ]; then
    [ "$PEERS" = 1 ] && own_peers "$NAME" && bash bench/generation/peers.sh --model "$NAME" --dir "$DIR" --out "$RUN_DIR" --prepare
    continue
  fi
  MAX_TOTAL=$(sed -n 's/^max_total_tokens=//p' "$DIR/serving.properties")
  BARE_PACK=(); SERVICE_PACK=()
  case "$NAME" in
    *-mkl) BARE_PACK=(--no-pack); SERVICE_PACK=(-Dslm.engine.pack-cpu-weights=false) ;;
    *-plainhead) BARE_PACK=(--no-tied-head); SERVICE_PACK=(-Dslm.engine.pack-tied-head=false) ;;
  esac

  for BATCH in 1 16; do
    say "$NAME: bare TorchScript decode loop (DJL, no server), $BATCH sequence(s) in lockstep, ${SECONDS_PER_POINT}s"
    java -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$BENCH_CP" io.slmserve.bench.DecodeLoop \
      --model-dir "$DIR" --prompts "$RUN_DIR/prompts.txt" --tokens "$TOKENS" --threads "$THREADS" --batch "$BATCH" \
      --slots 16 --max-total "$MAX_TOTAL" --seconds "$SECONDS_PER_POINT" "${BARE_PACK[@]}" | tee "$RUN_DIR/$NAME.bare$BATCH.json" >&2
  done

  for SLOTS in $SLOTS_LIST; do
    MODELS_DIR=$RUN_DIR/models-$NAME-$SLOTS
    mkdir -p "$MODELS_DIR/$NAME"
    # generation_config.json stays out: the clients ask for greedy decoding, and a snapshot default such as
    # repetition_penalty must not add work to some rows only
    for f in model.pt tokenizer.json config.json tokenizer_config.json; do
      [ -f "$DIR/$f" ] && ln -sf "$DIR/$f" "$MODELS_DIR/$NAME/$f"
    done
    sed -e "s/^batch_size=.*/batch_size=$SLOTS/" -e "s/^job_queue_size=.*/job_queue_size=64/" \
      "$DIR/serving.properties" > "$MODELS_DIR/$NAME/serving.properties"
    PORT=$((20000 + RANDOM % 12000))  # below the kernel's ephemeral ports (32768 on), which outgoing connections take
    java -Dai.djl.offline=true -Dslm.models-dir="$MODELS_DIR" -Dslm.engine.intra-op-threads="$THREADS" \
      "${SERVICE_PACK[@]}" -Dquarkus.http.port=$PORT -jar target/quarkus-app/quarkus-run.jar > "$RUN_DIR/server-$NAME-$SLOTS.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
      curl -sf "localhost:$PORT/q/health/ready" > /dev/null && break
      kill -0 "$SERVER_PID" 2>/dev/null || { say "the service exited; see $RUN_DIR/server-$NAME-$SLOTS.log"; exit 1; }
      sleep 1
    done
    # slm.engine.huge-pages collapses the weights in the background 2 s after the load (seconds for a large model,
    # both cores busy): measure once it has logged
    for _ in $(seq 1 60); do
      grep -q 'collapsed onto huge pages' "$RUN_DIR/server-$NAME-$SLOTS.log" && break
      sleep 1
    done
    # the JVM compiles the serving path during its first seconds under load (C1/C2 threads took 2.5% of the cores
    # 6-14 s after start, and a c=1 token 13.9 -> 12.3 -> 10.6 ms over the first 45 s; bench/generation/README.md):
    # load it unmeasured first, at one stream and at 16, as the embedding bench's --jit-warmup does
    if [ "$JIT_WARMUP" -gt 0 ]; then
      say "$NAME: JIT warm-up, ${JIT_WARMUP} s at concurrency 1 and 16 (not measured)"
      /usr/bin/python3 bench/generation/load.py --url "http://localhost:$PORT" --model "$NAME" \
        --concurrency 1 16 --tokens "$TOKENS" --seconds "$(( (JIT_WARMUP + 1) / 2 ))" > /dev/null
    fi
    say "$NAME: service with batch_size=$SLOTS, load at concurrency 1, 4, 16"
    /usr/bin/python3 bench/generation/load.py --url "http://localhost:$PORT" --model "$NAME" \
      --concurrency 1 4 16 --tokens "$TOKENS" --seconds "$SECONDS_PER_POINT" --server-pid "$SERVER_PID" \
      | tee "$RUN_DIR/$NAME.slots$SLOTS.jsonl" >&2
    curl -s "localhost:$PORT/q/metrics" | grep -E '^slm_(inter_token_latency|time_to_first_token)_seconds_(sum|count)' \
      > "$RUN_DIR/$NAME.slots$SLOTS.metrics" || true
    stop_service
  done
  cp "$DIR/config.json" "$RUN_DIR/$NAME.config.json"
  if [ "$PEERS" = 1 ] && own_peers "$NAME"; then
    bash bench/generation/peers.sh --model "$NAME" --dir "$DIR" --out "$RUN_DIR" --tokens "$TOKENS" \
      --seconds "$SECONDS_PER_POINT" --threads "$THREADS"
  fi
done

if [ "$PREPARE" = 1 ]; then say "prepared ($(( $(date +%s) - BEGIN )) s); nothing measured"; rm -rf "$RUN_DIR"; exit 0; fi
echo "bench wall time: $(( $(date +%s) - BEGIN )) s, load average at end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RUN_DIR/meta.txt"
/usr/bin/python3 bench/generation/report.py "$RUN_DIR" "${MODELS[@]}" | tee "$RESULT"
say "written $RESULT (raw figures and server logs in $RUN_DIR)"
