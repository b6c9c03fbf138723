#!/usr/bin/env bash
# Builds the fused decode kernels: bash src/main/native/build.sh OUT.so (Maven's generate-resources runs it).
# No libtorch at build time: the library finds libtorch's C functions in the process when it loads.
# -fopenmp-simd: the loops' simd pragmas only (no OpenMP runtime); the hot loops carry AVX2 clones.
set -euo pipefail
out="$1"
src="$(dirname "$0")/slm_kernels.cpp"
if [ -f "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then
  exit 0
fi
mkdir -p "$(dirname "$out")"
g++ -std=c++17 -O3 -fopenmp-simd -fno-math-errno -fPIC -shared -Wall -Wextra -Werror -o "$out" "$src" -ldl
