#!/usr/bin/env bash
# GPU checks for slm-serve's TorchScript archives; see docs/gpu.md ("Checking a GPU machine").
#
#   bash bench/gpu/check.sh [check.py options]        e.g. --out "$OUT/results.json"
#
# Needs an NVIDIA GPU and Python 3.10+ with torch 2.x (CUDA build); nothing else, no network. Runs from the
# repository root whatever the current folder. PYTHON=... picks the interpreter (default: python3).
# Exit status: 0 passed, 1 a check failed, 2 this machine cannot run the checks (no torch 2.x, no GPU).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PY="${PYTHON:-python3}"
if ! command -v "$PY" >/dev/null 2>&1; then
  echo "error: $PY not found (set PYTHON=/path/to/python3 with torch 2.x)" >&2
  exit 2
fi
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
fi
export PYTHONUNBUFFERED=1
# CHECK_TIMEOUT_S bounds the whole run (default 540 s, inside the device tool's 600 s per command).
exec timeout "${CHECK_TIMEOUT_S:-540}" "$PY" bench/gpu/check.py "$@"
