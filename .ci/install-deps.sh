#!/usr/bin/env bash
# Installs everything the test suite needs beyond Java and the Maven wrapper, from Debian's archive and the npm
# registry: the model tools' packages, Debian's Chromium (the playground's browser test drives it headless; no
# browser is ever downloaded by npm) and the JS test tooling pinned by src/test/js/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash models/tools/install-deps.sh
if ! dpkg -s chromium >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium
fi
dpkg-query -W -f='chromium ${Version}\n' chromium
npm ci --prefix src/test/js --no-audit --no-fund
