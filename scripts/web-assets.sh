#!/usr/bin/env bash
# Assembles the web chat page in DEST (made if missing): web/index.html,
# app.js and style.css, proto/client.proto (the page parses it at start) and
# protobufjs's browser build from web/node_modules, which
# scripts/install-deps.sh installs (npm ci, the versions in
# web/package-lock.json). im-access serves DEST with `web_root = DEST`; any
# static web server can serve it as well (the page then needs the WebSocket
# URL typed in).
# Usage: scripts/web-assets.sh DEST. Exit 1, saying why, if the library is missing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:?usage: scripts/web-assets.sh DEST}
LIBRARY=$ROOT/web/node_modules/protobufjs/dist/protobuf.min.js
if [ ! -f "$LIBRARY" ]; then
  echo "web-assets: $LIBRARY is missing: run scripts/install-deps.sh (it needs npm)" >&2
  exit 1
fi
mkdir -p "$DEST"
cp "$ROOT/web/index.html" "$ROOT/web/app.js" "$ROOT/web/style.css" "$ROOT/proto/client.proto" \
  "$LIBRARY" "$DEST/"
