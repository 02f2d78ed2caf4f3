#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (ctest labels `unit`, `integration` and `fault`, which start their own
# private MariaDB and Redis on free loopback ports, `bench`, and `compose`, which brings the
# docker-compose stack up in a Docker engine of its own, alone, for ~6
# minutes; it is skipped with a message where Docker cannot run). Extra
# arguments go to ctest, e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${IM_BUILD_DIR:-build}"
ctest --output-on-failure -j2 "$@"
