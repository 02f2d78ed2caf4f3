#!/usr/bin/env bash
# ctest web_page: the web chat page in headless Chromium against the local
# launcher (its defaults: TLS with the development certificate, the page
# served by im-access on the WebSocket port), on ports moved by
# IM_PORT_OFFSET and with its state in a temporary directory. Two pages chat
# (tests/web/chat_in_two_pages.mjs); their screenshots stay in
# BUILD_DIR/web-test. Skipped (exit 77) where Chromium, Node.js or the
# page's npm packages are missing; scripts/install-deps.sh installs them.
# Bounded: about a minute.
# Usage: web_page_test.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "$1")
for need in /usr/bin/chromium "$ROOT/web/node_modules/playwright-core" \
            "$ROOT/web/node_modules/protobufjs"; do
  [ -e "$need" ] || { echo "SKIP: $need is missing (scripts/install-deps.sh installs it)"; exit 77; }
done
command -v node >/dev/null || { echo "SKIP: node is missing"; exit 77; }

name=web-test
source "$ROOT/deploy/launcher_test_lib.sh"
start_launcher
PAGE="https://127.0.0.1:$((7400 + OFFSET))/"
grep -qF "Web chat page: $PAGE" "$STATE/launcher.log" || fail "the banner does not offer the page at $PAGE"

node "$ROOT/tests/web/chat_in_two_pages.mjs" "$PAGE" "$BUILD/web-test" || {
  for log in "$STATE"/logs/im-access*.log; do tail -n 5 "$log" >&2 || true; done
  fail "the two pages did not chat"
}
