#!/usr/bin/env bash
# The run command: installs what is missing, builds, then starts MariaDB,
# Redis and the three daemons in the foreground (Ctrl-C stops them all).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec deploy/run-local.sh
