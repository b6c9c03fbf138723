#!/usr/bin/env bash
# Installs what the test suite needs besides Java and the Maven wrapper, from Debian's archive and the npm
# registry: the model tools' packages, g++ (for src/main/native), Node.js and npm (the machine image has them;
# Debian's are the fallback), Debian's Chromium (the playground's browser test drives it headless; npm never
# downloads a browser) and the JS test tools pinned by src/test/js/package-lock.json (openai client, redocly,
# dockerfile-utils, playwright-core).
set -euo pipefail
cd "$(dirname "$0")/.."

bash models/tools/install-deps.sh

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
missing=()
{ command -v node >/dev/null && command -v npm >/dev/null; } || missing+=(nodejs npm)
dpkg -s chromium >/dev/null 2>&1 || missing+=(chromium)
command -v g++ >/dev/null || missing+=(g++)  # the Maven build compiles src/main/native
if [ "${#missing[@]}" -gt 0 ]; then
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
dpkg-query -W -f='chromium ${Version}\n' chromium

npm ci --prefix src/test/js --no-audit --no-fund
echo "client tools: node $(node --version), npm $(npm --version)"
