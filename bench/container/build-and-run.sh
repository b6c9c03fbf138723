#!/usr/bin/env bash
# Builds the Dockerfile for real and runs the image until /q/health/ready says UP; see docs/container.md
# ("Checking the image end to end").
#
#   bash bench/container/build-and-run.sh            # as root, with buildah and debootstrap (apt-get install ...)
#
# Without Docker Hub: the two base images come from Debian itself. debootstrap makes a bookworm root file
# system (cached as a tarball under build-cache/container/, gitignored), buildah imports it, and JDK 17 / JRE 17
# images are made on it with Debian's OpenJDK; the Dockerfile is then built with BUILD_IMAGE / RUNTIME_IMAGE
# pointing at them. The base images and buildah's layer cache are kept between runs (free them with
# `buildah rmi localhost/slm-base/debian:bookworm localhost/slm-base/openjdk:17-jdk localhost/slm-base/openjdk:17-jre`
# and `buildah rmi --prune`); the app image and its container are removed at the end unless KEEP_IMAGE=1.
#
# Environment: MIRROR (default http://deb.debian.org/debian), PORT (default 18080, so a server already on 8080 is
# not hit), READY_TIMEOUT_S (default 900), FRESH=1 (rebuild the base images and the rootfs tarball too, and build
# without buildah's layer cache: a cold run),
# TAG (default localhost/slm-serve:cpu-check), BASE (image name prefix, default localhost/slm-base).
# Exit status: 0 the image served and turned ready, 1 otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

MIRROR="${MIRROR:-http://deb.debian.org/debian}"
PORT="${PORT:-18080}"
READY_TIMEOUT_S="${READY_TIMEOUT_S:-900}"
TAG="${TAG:-localhost/slm-serve:cpu-check}"
BASE="${BASE:-localhost/slm-base}"
CACHE="build-cache/container"
# chroot isolation and vfs-free overlay work as root inside an unprivileged sandbox too.
ISOLATION=(--isolation chroot)
# buildah's default open-files limit (1024) is too low for the Maven build ("Too many open files"): use this
# shell's hard limit, in the build and (buildah run has no --ulimit) through ulimit in the run.
NOFILE=$(ulimit -Hn)
ULIMIT=(--ulimit "nofile=$NOFILE:$NOFILE")

start=$(date +%s)
stage() { echo "== [$(( $(date +%s) - start ))s] $*"; }
have_image() { buildah inspect --type image "$1" >/dev/null 2>&1; }

for tool in buildah debootstrap curl; do
  command -v "$tool" >/dev/null || { echo "error: $tool missing (apt-get install -y buildah debootstrap curl)" >&2; exit 1; }
done
if [ "${FRESH:-0}" = 1 ]; then
  rm -f "$CACHE/rootfs.tar"
  for img in "$BASE/openjdk:17-jdk" "$BASE/openjdk:17-jre" "$BASE/debian:bookworm"; do
    have_image "$img" && buildah rmi "$img" >/dev/null
  done
fi
mkdir -p "$CACHE"

# 1. Debian 12 minbase root file system, cached as a tarball.
if [ ! -s "$CACHE/rootfs.tar" ]; then
  stage "debootstrap bookworm from $MIRROR"
  rm -rf "$CACHE/rootfs"
  debootstrap --variant=minbase bookworm "$CACHE/rootfs" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  tar -C "$CACHE/rootfs" -cf "$CACHE/rootfs.tar.part" . && mv "$CACHE/rootfs.tar.part" "$CACHE/rootfs.tar"
  rm -rf "$CACHE/rootfs"
fi

# 2. The base image, then JDK and JRE images on it. The host's extra CAs (a TLS-intercepting egress proxy, if
#    any) go into both, or the Maven wrapper fails with "PKIX path building failed".
if ! have_image "$BASE/debian:bookworm"; then
  stage "import rootfs as $BASE/debian:bookworm"
  ctr=$(buildah from scratch)
  buildah add "$ctr" "$CACHE/rootfs.tar" / >/dev/null
  buildah config --cmd /bin/bash "$ctr"
  buildah commit -q "$ctr" "$BASE/debian:bookworm" >/dev/null
  buildah rm "$ctr" >/dev/null
fi
suite_base="${MIRROR%/debian}"
for kind in jdk jre; do
  have_image "$BASE/openjdk:17-$kind" && continue
  stage "make $BASE/openjdk:17-$kind"
  ctr=$(buildah from "$BASE/debian:bookworm")
  buildah run "${ISOLATION[@]}" "$ctr" -- sh -c "
      echo 'deb $MIRROR bookworm main' > /etc/apt/sources.list &&
      echo 'deb $MIRROR bookworm-updates main' >> /etc/apt/sources.list &&
      echo 'deb $suite_base/debian-security bookworm-security main' >> /etc/apt/sources.list &&
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        openjdk-17-$kind-headless ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*"
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    buildah copy "$ctr" /usr/local/share/ca-certificates/ /usr/local/share/ca-certificates/ >/dev/null
    buildah run "${ISOLATION[@]}" "$ctr" -- update-ca-certificates >/dev/null
  fi
  buildah commit -q "$ctr" "$BASE/openjdk:17-$kind" >/dev/null
  buildah rm "$ctr" >/dev/null
done

# 3. The image itself, exactly as docs/container.md builds it, from a snapshot of the work tree taken now (the
#    files git tracks or would add), so that edits made while the build runs do not leak into it.
stage "snapshot the work tree, buildah bud $TAG"
rm -rf "$CACHE/context" && mkdir -p "$CACHE/context"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -C "$CACHE/context" -xf -
bud_start=$(date +%s)
cache=(--layers)
[ "${FRESH:-0}" = 1 ] && cache=(--layers --no-cache)
buildah bud "${ISOLATION[@]}" "${ULIMIT[@]}" "${cache[@]}" --force-rm --format docker -t "$TAG" \
  --build-arg BUILD_IMAGE="$BASE/openjdk:17-jdk" --build-arg RUNTIME_IMAGE="$BASE/openjdk:17-jre" "$CACHE/context" \
  > "$CACHE/bud.log" 2>&1 || { tail -40 "$CACHE/bud.log" >&2; exit 1; }
rm -rf "$CACHE/context"
bud_s=$(( $(date +%s) - bud_start ))
size=$(buildah images --format '{{.Size}}' "$TAG" | head -1)
stage "built $TAG ($size) in ${bud_s}s"
buildah inspect --type image --format '{{.Docker.Config.User}} {{.Docker.Config.Healthcheck.Test}}' "$TAG"

# 4. Run it (as its own user, slm) and wait for readiness. chroot isolation shares the host network, so the
#    server listens on 127.0.0.1:$PORT here.
if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
  echo "error: something already listens on port $PORT (set PORT=...)" >&2; exit 1
fi
run_ctr=$(buildah from "$TAG")
cleanup() {
  if [ -n "${run_pid:-}" ] && kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM -- "-$run_pid" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$run_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$run_pid" 2>/dev/null || true
  fi
  buildah rm "$run_ctr" >/dev/null 2>&1 || true
  if [ "${KEEP_IMAGE:-0}" != 1 ]; then buildah rmi "$TAG" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
stage "run $TAG on port $PORT"
run_start=$(date +%s)
setsid buildah run "${ISOLATION[@]}" --env QUARKUS_HTTP_PORT="$PORT" "$run_ctr" -- \
  sh -c "ulimit -n $NOFILE 2>/dev/null || true; exec /app/entrypoint.sh" \
  > "$CACHE/run.log" 2>&1 &
run_pid=$!
ready=""
while [ $(( $(date +%s) - run_start )) -lt "$READY_TIMEOUT_S" ]; do
  kill -0 "$run_pid" 2>/dev/null || { echo "error: the server exited" >&2; tail -40 "$CACHE/run.log" >&2; exit 1; }
  body=$(curl -s "http://127.0.0.1:$PORT/q/health/ready" || true)
  if printf '%s' "$body" | grep -q '"status": *"UP"'; then ready=yes; break; fi
  sleep 2
done
if [ -z "$ready" ]; then
  echo "error: not ready after ${READY_TIMEOUT_S}s: $body" >&2; tail -40 "$CACHE/run.log" >&2; exit 1
fi
ready_s=$(( $(date +%s) - run_start ))
stage "ready after ${ready_s}s"
curl -s "http://127.0.0.1:$PORT/models" | head -c 600; echo
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/embeddings" \
  -H 'Content-Type: application/json' -d '{"input": "hello"}')
echo "POST /v1/embeddings -> $code"
[ "$code" = 200 ] || { echo "error: embeddings answered $code" >&2; exit 1; }
stage "PASS: built in ${bud_s}s, ready ${ready_s}s after start, total $(( $(date +%s) - start ))s"
