#!/usr/bin/env bash
# ctest deploy_run_local: the local launcher as an operator uses it, on ports
# moved by IM_PORT_OFFSET (so it runs beside a cluster on the default ports)
# with its state in a temporary directory. Checks: it comes up; kill -9 of
# im-logic and of im-access leaves the rest running and each is started
# again; a user registers and sends through im-cli afterwards; SIGTERM to the
# launcher stops every process it started. Bounded: about a minute at most.
# Usage: run_local_test.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath "$1")
STATE=$(mktemp -d "${TMPDIR:-/tmp}/im-run-local-test.XXXXXX")
OFFSET=$(( 20000 + RANDOM % 20000 ))
CLI=("$BUILD/client-cli/im-cli" --server "127.0.0.1:$((7000 + OFFSET))")
launcher=""

cleanup() {
  if [ -n "$launcher" ] && kill -0 "$launcher" 2>/dev/null; then
    kill -TERM "$launcher" 2>/dev/null || true
    wait "$launcher" 2>/dev/null || true
  fi
  rm -rf "$STATE"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  tail -n 30 "$STATE/launcher.log" >&2 || true
  exit 1
}
pid_of() { sed -n "s/^$1=//p" "$STATE/pids" 2>/dev/null; }
# waits up to $2 tenths of a second for command $1 to succeed
wait_for() {
  local i
  for ((i = 0; i < $2; i++)); do
    if eval "$1"; then return 0; fi
    sleep 0.1
  done
  return 1
}

IM_BUILD_DIR=$BUILD IM_STATE_DIR=$STATE IM_PORT_OFFSET=$OFFSET \
  "$ROOT/deploy/run-local.sh" >"$STATE/launcher.log" 2>&1 &
launcher=$!
wait_for 'grep -q "IM cluster is up" "$STATE/launcher.log"' 600 || fail "the cluster did not come up"

for name in im-logic im-access; do
  old=$(pid_of "$name")
  [ -n "$old" ] || fail "no pid for $name in $STATE/pids"
  others=$(grep -v "^$name=" "$STATE/pids" | cut -d= -f2)
  kill -9 "$old"
  wait_for '[ -n "$(pid_of '"$name"')" ] && [ "$(pid_of '"$name"')" != '"$old"' ]' 100 ||
    fail "$name was not started again after kill -9"
  for pid in $others; do
    kill -0 "$pid" 2>/dev/null || fail "pid $pid stopped when $name was killed"
  done
  echo "ok: $name killed (pid $old) and started again (pid $(pid_of "$name")); the others kept running"
done

# The restarted daemons serve: register (retried while they come up) and send.
user=u$RANDOM
wait_for '"${CLI[@]}" register "$user" --password pw-12345678 >/dev/null 2>&1' 100 ||
  fail "im-cli register did not succeed after the restarts"
peer=p$RANDOM
"${CLI[@]}" register "$peer" --password pw-12345678 >/dev/null || fail "register $peer"
"${CLI[@]}" --user "$user" --password pw-12345678 send "$peer" "after the restarts" ||
  fail "send after the restarts"
echo "ok: im-cli registered and sent through the restarted daemons"

all=$(cut -d= -f2 "$STATE/pids")
kill -TERM "$launcher"
wait_for '! kill -0 '"$launcher"' 2>/dev/null' 300 || fail "the launcher did not stop on SIGTERM"
launcher=""
for pid in $all; do
  kill -0 "$pid" 2>/dev/null && fail "pid $pid still runs after the launcher stopped"
done
echo "ok: SIGTERM to the launcher stopped every process"
