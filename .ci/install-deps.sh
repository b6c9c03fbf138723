#!/usr/bin/env bash
# Installs what the test suite needs besides Java and the Maven wrapper: the model tools' Debian packages, then
# the npm tools of src/test/js (exact versions from its package-lock.json) that the client and lint tests run.
# Each step is one block; add new tools as further blocks.
set -euo pipefail
cd "$(dirname "$0")/.."

bash models/tools/install-deps.sh

# Node.js 20.19+ and npm (the machine image has them; Debian's packages are the fallback).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq nodejs npm
fi
npm ci --prefix src/test/js --no-audit --no-fund
echo "client tools: node $(node --version), npm $(npm --version)"
