#!/usr/bin/env bash
# The second test command: every unit, integration and fault test with the
# daemons, im-cli and the tests built with AddressSanitizer and
# UndefinedBehaviorSanitizer (gcc), in $IM_BUILD_DIR (default build-asan/).
# A memory error or undefined behaviour aborts the process that met it, so
# the test that drove it fails; the report is in that test's output or in
# the daemon's log it names. Leak reports are off: the daemons exit through
# gRPC's and Abseil's process-wide state, which is not freed on purpose.
# Slower than scripts/test.sh (a build of its own, ~20 minutes here, and
# tests 2-3 times slower); the compose and bench tests are left out.
# Extra arguments go to ctest, e.g. `scripts/test-sanitizers.sh -R fault`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=${IM_BUILD_DIR:-build-asan}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DIM_SANITIZE=address,undefined
fi
cmake --build "$BUILD_DIR" -- -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$BUILD_DIR"
ctest --output-on-failure -j2 -LE 'compose|bench' "$@"
