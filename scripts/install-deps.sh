#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs to build, test and run,
# and the web page's npm packages (web/node_modules, from the npm registry).
# Idempotent and quick when everything is present (one dpkg query).
#   --build-only   only what compiling needs (used by deploy/docker/im.Dockerfile)
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libboost-dev libhiredis-dev libmariadb-dev libspdlog-dev libsodium-dev
  libtomlplusplus-dev libedit-dev libgtest-dev libssl-dev
)
if [ "${1:-}" != "--build-only" ]; then
  # run and test: private MariaDB and Redis; the deploy tests: docker-compose
  # with its own engine and a locally made debian:12 image, promtool
  PACKAGES+=(openssl mariadb-server redis-server docker.io docker-compose debootstrap prometheus)
  # the fuzz targets: clang and its libFuzzer runtime
  PACKAGES+=(clang libclang-rt-14-dev)
  # the fault test that cuts and slows the links between the tiers
  PACKAGES+=(nftables)
  # the web page: npm for its library, and the browser its test drives
  PACKAGES+=(chromium fonts-dejavu-core)
  command -v npm >/dev/null || PACKAGES+=(nodejs npm)
fi

# The web page's library and its test's browser driver, at the versions in
# web/package-lock.json.
install_web_packages() {
  [ "${1:-}" != "--build-only" ] || return 0
  [ ! -d "$ROOT/web/node_modules/protobufjs" ] || [ ! -d "$ROOT/web/node_modules/playwright-core" ] ||
    return 0
  echo "install-deps: installing the web page's npm packages in web/node_modules" >&2
  (cd "$ROOT/web" && npm ci --no-audit --no-fund --loglevel=error) >&2
}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  install_web_packages "${1:-}"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
install_web_packages "${1:-}"
