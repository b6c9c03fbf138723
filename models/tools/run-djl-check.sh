#!/usr/bin/env bash
# Compiles and runs models/tools/java/DjlCheck.java against the DJL jars in ~/.m2 (no Maven build needed).
# Usage: bash models/tools/run-djl-check.sh tokens MODEL_DIR/tokenizer.json TEXTS_FILE
#        bash models/tools/run-djl-check.sh run MODEL_DIR CASES_JSON [float32|float16|bfloat16]
set -euo pipefail
R="$HOME/.m2/repository"
CP="$R/ai/djl/api/0.36.0/api-0.36.0.jar:$R/ai/djl/huggingface/tokenizers/0.36.0/tokenizers-0.36.0.jar"
CP="$CP:$R/ai/djl/pytorch/pytorch-engine/0.36.0/pytorch-engine-0.36.0.jar"
CP="$CP:$R/ai/djl/pytorch/pytorch-jni/2.7.1-0.36.0/pytorch-jni-2.7.1-0.36.0.jar"
CP="$CP:$R/ai/djl/pytorch/pytorch-native-cpu/2.7.1/pytorch-native-cpu-2.7.1-linux-x86_64.jar"
CP="$CP:$R/net/java/dev/jna/jna/5.17.0/jna-5.17.0.jar:$R/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar"
CP="$CP:$R/com/google/code/gson/gson/2.13.2/gson-2.13.2.jar"
SRC="$(cd "$(dirname "$0")" && pwd)/java/DjlCheck.java"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
javac -nowarn -d "$OUT" -cp "$CP" "$SRC"
exec java -Dai.djl.offline=true -DPYTORCH_FLAVOR=cpu -cp "$OUT:$CP" DjlCheck "$@"
