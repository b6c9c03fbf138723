#!/usr/bin/env bash
# Compiles and runs models/tools/java/DjlCheck.java against the DJL jars in ~/.m2 (no Maven build needed).
# Usage: bash models/tools/run-djl-check.sh tokens MODEL_DIR/tokenizer.json TEXTS_FILE
#        bash models/tools/run-djl-check.sh run MODEL_DIR CASES_JSON [float32|float16|bfloat16]
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/djl-classpath.sh"
SRC="$(cd "$(dirname "$0")" && pwd)/java/DjlCheck.java"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
javac -nowarn -d "$OUT" -cp "$CP" "$SRC"
exec java -Dai.djl.offline=true -DPYTORCH_FLAVOR=cpu -cp "$OUT:$CP" DjlCheck "$@"
