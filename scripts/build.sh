#!/usr/bin/env bash
# Configures (once) and builds everything into $IM_BUILD_DIR (default: build/).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${IM_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${IM_BUILD_TYPE:-RelWithDebInfo}
fi
cmake --build "$BUILD_DIR" -- -j"$(nproc)"
