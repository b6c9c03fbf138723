#!/usr/bin/env bash
# Installs what the model tools and their tests need, from Debian's archive (nothing else is reachable):
# torch 1.13 for /usr/bin/python3, OpenBLAS so it is not single-threaded reference BLAS, onnx for the
# MiniLM converter, the public-domain King James Bible the nano models train on, and jinja2, the reference
# renderer of the chat-template golden tests (render_chat_templates.py).
set -euo pipefail
packages=(python3-torch python3-numpy python3-onnx libopenblas0-pthread bible-kjv-text python3-jinja2)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
/usr/bin/python3 -c "import torch, numpy, jinja2; print('model tools: torch', torch.__version__, 'jinja2', jinja2.__version__)"
