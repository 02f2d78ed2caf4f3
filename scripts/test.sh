#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (ctest labels `unit` and `integration`; they start their own private
# MariaDB and Redis on free loopback ports). Extra arguments go to ctest,
# e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${IM_BUILD_DIR:-build}"
ctest --output-on-failure -j2 "$@"
