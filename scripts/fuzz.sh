#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*_fuzz.cc) with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer in $IM_FUZZ_BUILD_DIR (default build-fuzz/),
# then runs each for SECONDS (default 60), starting from its seed corpus in
# fuzz/corpus/TARGET (inputs it finds go to a scratch copy, not the repo).
# Prints each target's executions and coverage; exits non-zero if a target
# crashed, leaving the input that did it as $IM_FUZZ_BUILD_DIR/TARGET-crash-*.
# Where clang is not installed it says SKIPPED and exits 0.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(frame_codec_fuzz websocket_decoder_fuzz access_connection_fuzz poll_http_fuzz)
BUILD_DIR=$(realpath -m "${IM_FUZZ_BUILD_DIR:-build-fuzz}")
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz: SKIPPED (clang++ or its libFuzzer runtime is not installed: apt-get install clang libclang-rt-14-dev)"
  exit 0
fi
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # -O1 and line tables only: stack traces with lines, and a build about a
  # third quicker than -O2 -g (asserts stay on).
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DIM_FUZZ=ON >/dev/null
fi
cmake --build "$BUILD_DIR" --target "${TARGETS[@]}" -- -j"$(nproc)"

failed=0
for target in "${TARGETS[@]}"; do
  corpus=$(mktemp -d)
  cp fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  log=$BUILD_DIR/$target.log
  echo "fuzz: $target for ${SECONDS_EACH}s from $(ls "$corpus" | wc -l) seeds"
  # Leaks are not checked per input: gRPC keeps state across calls on purpose.
  if ASAN_OPTIONS=detect_leaks=0 "$BUILD_DIR/fuzz/$target" -max_total_time="$SECONDS_EACH" \
      -print_final_stats=1 -detect_leaks=0 -rss_limit_mb=4096 -timeout=30 \
      -artifact_prefix="$BUILD_DIR/$target-" "$corpus" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed=1
    grep -E "ERROR|SUMMARY|deadly|crash-|timeout-" "$log" | head -20 || true
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -oE "cov: [0-9]+ ft: [0-9]+" "$log" | tail -1)
  echo "fuzz: $target $status: ${execs:-?} executions, ${cov:-no coverage line}, corpus $(ls "$corpus" | wc -l) inputs (log: $log)"
  rm -rf "$corpus"
done
exit $failed
