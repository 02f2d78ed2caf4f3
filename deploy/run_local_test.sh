#!/usr/bin/env bash
# ctest deploy_run_local: the local launcher as an operator uses it, with 2
# access nodes, 2 logic and 2 storage replicas, on ports moved by
# IM_PORT_OFFSET (so it runs beside a cluster on the default ports) and its
# state in a temporary directory. Checks: it comes up; with one logic and one
# storage replica killed (-9) the others serve im-cli's register and send;
# each killed process is started again while the rest keep running; im-cli
# speaks TLS to it, trusting the development CA it made, and long-poll over
# https; SIGTERM
# to the launcher stops every process it started. Bounded: about a minute.
# Usage: run_local_test.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath "$1")
name=run-local-test
source "$ROOT/deploy/launcher_test_lib.sh"
# The launcher serves TLS with a development CA it makes in $STATE/tls.
CLI=("$BUILD/client-cli/im-cli" --server "127.0.0.1:$((7000 + OFFSET))" --ca "$STATE/tls/ca.pem")
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

start_launcher IM_ACCESS_NODES=2 IM_LOGIC_REPLICAS=2 IM_STORAGE_REPLICAS=2 IM_RESTART_PAUSE=8

# kill9 NAME...: kill -9 each, and check every other process still runs.
kill9() {
  local victims=() name pid
  for name in "$@"; do victims+=("$(pid_of "$name")"); done
  local others
  others=$(grep -v -E "^($(IFS='|'; echo "$*"))=" "$STATE/pids" | cut -d= -f2)
  kill -9 "${victims[@]}"
  sleep 0.5
  for pid in $others; do
    kill -0 "$pid" 2>/dev/null || fail "pid $pid stopped when $* was killed"
  done
  killed=("${victims[@]}")
}
# restarted NAME OLD_PID: waits (up to 20 s) for a new pid of NAME.
restarted() {
  wait_for '[ -n "$(pid_of '"$1"')" ] && [ "$(pid_of '"$1"')" != '"$2"' ]' 200 ||
    fail "$1 was not started again after kill -9"
}
# A request goes to another replica once the dead one's connection fails; a
# client retries what was refused "try again" for a few seconds, as im-cli users do.
# On failure the last attempt's output is shown.
cli_retry() {
  local i
  for ((i = 0; i < 50; i++)); do
    if "${CLI[@]}" "$@" >"$STATE/cli.out" 2>&1; then return 0; fi
    sleep 0.1
  done
  cat "$STATE/cli.out" >&2
  return 1
}

kill9 im-logic im-storage
# Names of fixed width: a username has 3 to 32 characters.
user=$(printf 'u%05d' "$RANDOM")
peer=$(printf 'p%05d' "$RANDOM")
cli_retry register "$user" --password pw-12345678 || fail "register with one replica of each tier dead"
cli_retry register "$peer" --password pw-12345678 || fail "register $peer"
cli_retry --user "$user" --password pw-12345678 send "$peer" "while replicas were down" ||
  fail "send with one replica of each tier dead"
echo "ok: with im-logic and im-storage killed (-9), their other replicas served register and send"
restarted im-logic "${killed[0]}"
restarted im-storage "${killed[1]}"
echo "ok: im-logic and im-storage were started again (pids $(pid_of im-logic), $(pid_of im-storage))"

kill9 im-access-2
restarted im-access-2 "${killed[0]}"
cli_retry --user "$peer" --password pw-12345678 send "$user" "after the restarts" ||
  fail "send after the restarts"
echo "ok: im-access-2 killed and started again; the others kept running; im-cli still sends"
# The long-poll port, as a client that speaks only HTTP reaches it: https.
CLI=("$BUILD/client-cli/im-cli" --server "https://127.0.0.1:$((7500 + OFFSET))/poll" --ca "$STATE/tls/ca.pem")
cli_retry --user "$user" --password pw-12345678 send "$peer" "over HTTP long-poll" ||
  fail "send over https long-poll"
echo "ok: im-cli sends over https long-poll"

# Metrics: the sends above were counted by the logic replicas (restarted
# ones start from zero, so count over both).
scrape() {  # scrape PORT: the body of GET /metrics
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n' >&3
  cat <&3
  exec 3<&-
}
sent=0
for port in $((9200 + OFFSET)) $((9201 + OFFSET)); do
  n=$(scrape "$port" | sed -n 's/^im_logic_requests_total{type="send_message",code="OK"} //p')
  sent=$(( sent + ${n:-0} ))
done
[ "$sent" -ge 1 ] || fail "no send counted in the logic replicas' metrics"
scrape $((9100 + OFFSET)) | grep -q '^im_access_connections ' || fail "no im_access_connections"
echo "ok: metrics served by logic ($sent sends counted) and access"

all=$(cut -d= -f2 "$STATE/pids")
kill -TERM "$launcher"
wait_for '! kill -0 '"$launcher"' 2>/dev/null' 300 || fail "the launcher did not stop on SIGTERM"
launcher=""
for pid in $all; do
  kill -0 "$pid" 2>/dev/null && fail "pid $pid still runs after the launcher stopped"
done
echo "ok: SIGTERM to the launcher stopped every process"
