#!/usr/bin/env bash
# Peers on the same weights, for bench/generation's report (run.sh --peers calls this per model; bench only,
# never the service):
#
#   bash bench/generation/peers.sh --model NAME --dir SERVED_DIR --out RUN_DIR [--tokens N] [--seconds S]
#                                  [--threads T] [--streams "1 16"] [--jlama-streams "1"] [--prepare]
#
#   * Jlama 0.8.4 (models/tools/jlama, Java 21+ from /usr/lib/jvm): weights F32 as stored, BF16 and Q4
#     (quantized by Jlama at load; 0.8.4 has no 8-bit weight kernel); STREAMS sequences one after another
#     (Jlama batches nothing, and 0.8.4 fails with sessions decoding on several threads at once);
#   * llama.cpp through node-llama-cpp 3.21.1 (pinned; its prebuilt CPU binaries from npm, installed under
#     bench/target/node-llama-cpp): GGUF F32, F16 and Q8_0 written from the same snapshot by
#     models/tools/gguf_writer.py; STREAMS sequences in one context.
# Jlama runs --jlama-streams (default 1 only: its 16 streams would be 16 sequences one after another, the same
# rate; report.py shows its one-stream rate as its aggregate, marked). An int8 archive NAME-int8 (the same seed-0
# weights as NAME) gets only the 8-bit and 4-bit rows, llama.cpp Q8_0 and Jlama Q4, from NAME's snapshot, and
# nothing at all when NAME's peers ran in this run already (report.py reads NAME's rows then); a bf16 or fp16
# archive (NAME-bf16, NAME-fp16) likewise the 16-bit rows, llama.cpp F16 and Jlama BF16.
# --prepare builds and writes everything (snapshot, Jlama jar, node-llama-cpp, GGUF files) and measures nothing.
# Each engine gets the same prompt token ids (load.py's first prompt, tokenized from the snapshot's
# tokenizer.json), generates TOKENS greedy tokens per sequence for SECONDS, with T threads. One JSON line per
# (engine, weights, streams) is appended to RUN_DIR/NAME.peers.jsonl; report.py puts them beside slm-serve's.
# The Hugging Face snapshot is bench/target/NAME-snapshot (run.sh writes it for the Llama-family shapes; GPT-2
# folders are exported back from their model.pt by models/tools/hf_snapshot.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TOKENS=64 SECONDS_PER_POINT=20 THREADS=1 STREAMS="1 16" JLAMA_STREAMS=1 PREPARE=0 NAME= DIR= OUT=
while [ $# -gt 0 ]; do
  case "$1" in
    --model) NAME=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --tokens) TOKENS=$2; shift 2 ;;
    --seconds) SECONDS_PER_POINT=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --streams) STREAMS=$2; shift 2 ;;
    --jlama-streams) JLAMA_STREAMS=$2; shift 2 ;;
    --prepare) PREPARE=1; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
[ -n "$NAME" ] && [ -n "$DIR" ] && [ -n "$OUT" ] || { echo "need --model, --dir and --out" >&2; exit 2; }
say() { printf '[peers %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
RESULTS=$OUT/$NAME.peers.jsonl
SNAPSHOT=$ROOT/bench/target/$NAME-snapshot
JLAMA_WEIGHTS="F32 BF16 Q4" GGUF_TYPES="f32 f16 q8_0"
case "$NAME" in
  *-int8|*-bf16|*-fp16)
    BASE=${NAME%-*}
    if [ -f "$OUT/$BASE.peers.jsonl" ] && [ "$PREPARE" != 1 ]; then
      say "$NAME: the peers of $BASE (same weights) ran in this run already; their rows are reused"
      exit 0
    fi
    case "$NAME" in
      *-int8) JLAMA_WEIGHTS="Q4" GGUF_TYPES="q8_0" ;;
      *) JLAMA_WEIGHTS="BF16" GGUF_TYPES="f16" ;;
    esac
    SNAPSHOT=$ROOT/bench/target/$BASE-snapshot NAME=$BASE
    DIR=$ROOT/bench/target/$BASE-random
    [ -f "$DIR/model.pt" ] || [ -f "$SNAPSHOT/model.safetensors" ] || \
      /usr/bin/python3 models/tools/convert_gpt2.py --random-gpt2-small "$DIR" >&2 ;;
esac

if [ ! -f "$SNAPSHOT/model.safetensors" ]; then
  say "exporting $DIR back to a Hugging Face snapshot in $SNAPSHOT"
  /usr/bin/python3 models/tools/hf_snapshot.py gpt2-from-served --dir "$DIR" --out "$SNAPSHOT" >&2
fi
IDS=$(cd models/tools && /usr/bin/python3 -c '
import sys, bpe
text = open(sys.argv[2]).read().splitlines()[0]
print(",".join(map(str, bpe.ByteLevelBPE.load(sys.argv[1]).encode(text))))' \
  "$SNAPSHOT/tokenizer.json" <(/usr/bin/python3 "$ROOT/bench/generation/load.py" --print-prompts))
say "$NAME: prompt ids $IDS"

# ---- Jlama
JDK=${JLAMA_JAVA_HOME:-}
if [ -z "$JDK" ]; then
  for j in /usr/lib/jvm/*; do
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$j/release" 2>/dev/null || true)
    [ -n "$v" ] && [ "$v" -ge 21 ] && JDK=$j
  done
fi
if [ -z "$JDK" ]; then
  say "no JDK 21+ under /usr/lib/jvm: Jlama rows skipped"
else
  if [ ! -f models/tools/jlama/target/classpath.txt ]; then
    say "building models/tools/jlama with $JDK"
    JAVA_HOME=$JDK ./mvnw -q -B -f models/tools/jlama/pom.xml package >&2
  fi
  JCP="models/tools/jlama/target/slm-serve-jlama.jar:$(cat models/tools/jlama/target/classpath.txt)"
  # Jlama's kernels need widths that are multiples of its vector: cap vectors at 8 floats when one is not 16's
  VEC=$(/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
d = c.get("hidden_size") or c["n_embd"]
heads = c.get("num_attention_heads") or c["n_head"]
hd = c.get("head_dim") or d // heads
widths = [d, c.get("intermediate_size") or 4 * d, (c.get("num_key_value_heads") or heads) * hd]
print("" if all(w % 16 == 0 for w in widths) else "-XX:MaxVectorSize=32")' "$SNAPSHOT/config.json")
  for W in $JLAMA_WEIGHTS; do
    [ "$PREPARE" = 1 ] && break
    for S in $JLAMA_STREAMS; do
      say "$NAME: Jlama $W, $S stream(s), $THREADS thread(s), ${SECONDS_PER_POINT}s"
      "$JDK/bin/java" --add-modules jdk.incubator.vector $VEC -Xmx8g -cp "$JCP" io.slmserve.jlama.JlamaRun bench \
        "$SNAPSHOT" "$IDS" "$TOKENS" "$SECONDS_PER_POINT" "$S" "$W" "$THREADS" 2>>"$OUT/$NAME.jlama.log" \
        | sed "s/^{/{\"threads\": $THREADS, /" | tee -a "$RESULTS" >&2 || say "Jlama $W failed (see $OUT/$NAME.jlama.log)"
    done
  done
fi

# ---- llama.cpp
NLC=$ROOT/bench/target/node-llama-cpp
if [ ! -d "$NLC/node_modules/node-llama-cpp" ]; then
  say "installing node-llama-cpp 3.21.1 (prebuilt llama.cpp binaries) into $NLC"
  mkdir -p "$NLC"
  npm install --prefix "$NLC" --no-audit --no-fund --ignore-scripts node-llama-cpp@3.21.1 >&2
fi
cp bench/generation/llamacpp_bench.mjs "$NLC/"
for T in $GGUF_TYPES; do
  GGUF=$ROOT/bench/target/$NAME-$T.gguf
  [ -f "$GGUF" ] || /usr/bin/python3 models/tools/gguf_writer.py "$SNAPSHOT" "$GGUF" --type "$T" >&2
  LABEL=$(echo "$T" | tr a-z A-Z)
  [ "$PREPARE" = 1 ] && continue
  for S in $STREAMS; do
    say "$NAME: llama.cpp $LABEL, $S stream(s), $THREADS thread(s), ${SECONDS_PER_POINT}s"
    (cd "$NLC" && node llamacpp_bench.mjs "$GGUF" "$IDS" "$TOKENS" "$SECONDS_PER_POINT" "$S" "$THREADS" "$LABEL") \
      2>>"$OUT/$NAME.llamacpp.log" | grep '^{' | tee -a "$RESULTS" >&2 || say "llama.cpp $LABEL failed (see $OUT/$NAME.llamacpp.log)"
  done
done
