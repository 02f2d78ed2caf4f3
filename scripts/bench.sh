#!/usr/bin/env bash
# The benchmark command: installs what is missing, builds, starts the local
# stack (deploy/run-local.sh, shipped configs, 3 access nodes, state in
# .run/bench), seeds the bench users, runs every im-bench scenario, and prints
# one table (also written to .run/bench/summary.md). Takes about ten minutes
# on a 2-core machine; the first run also seeds ~10,000 users (a few minutes;
# kept for later runs). Sizes can be changed through the environment:
#   IDLE_CONNECTIONS (10000; 50000 is the goal, it needs that many seeded users),
#   STORM_CLIENTS (10000), BIG_GROUP (10000), FANOUT_MEMBERS (500),
#   PAIRS (16), IN_FLIGHT (8), LATENCY_RATE (1000), BENCH_SECONDS (10),
#   HOT_IN_FLIGHT (32: sends in flight in the one hot conversation).
# The stack serves plain TCP (IM_PLAINTEXT=1): im-bench does not speak TLS.
# IM_ACCESS_FLAGS, IM_LOGIC_FLAGS, IM_STORAGE_FLAGS, IM_LOGIC_REPLICAS and
# IM_STORAGE_REPLICAS reach deploy/run-local.sh (for A/B runs of a setting).
# BENCH_TRANSPORT=ws measures over the access nodes' WebSocket ports
# (7400-7402), BENCH_TRANSPORT=poll over their HTTP long-poll ports
# (7500-7502), instead of framed TCP (seeding stays on TCP).
# BENCH_HOOKS=before, after or both measures with im-logic's webhooks on,
# pointed at im-hook-sink (127.0.0.1:7900, answers "allow" at once; it prints
# how many calls it answered when the run ends).
# BENCH_SCENARIOS="throughput latency hot" runs only the scenarios named
# (idle logins password-logins throughput latency hot fanout storm biggroup).
# Exit code 1 if any scenario failed or the delivery checker found a loss or
# duplicate. Seeding runs against a stack whose password hashing is made
# cheap for that phase only (seeding is not measured); every measured
# scenario runs on the shipped configs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/install-deps.sh
scripts/build.sh

STATE=${IM_BENCH_STATE:-$ROOT/.run/bench}
BENCH=$ROOT/${IM_BUILD_DIR:-build}/bench/im-bench
USERS_FILE=$STATE/users
SUMMARY=$STATE/summary.md
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
STORM_CLIENTS=${STORM_CLIENTS:-10000}
BIG_GROUP=${BIG_GROUP:-10000}
FANOUT_MEMBERS=${FANOUT_MEMBERS:-500}
PAIRS=${PAIRS:-16}
IN_FLIGHT=${IN_FLIGHT:-8}
LATENCY_RATE=${LATENCY_RATE:-1000}
SECONDS_EACH=${BENCH_SECONDS:-10}
HOT_IN_FLIGHT=${HOT_IN_FLIGHT:-32}
SCENARIOS=${BENCH_SCENARIOS:-idle logins password-logins throughput latency hot fanout storm biggroup}
NODES=3
SERVERS=127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002
TRANSPORT=${BENCH_TRANSPORT:-tcp}
case "$TRANSPORT" in
  tcp) MEASURED_SERVERS=$SERVERS ;;
  ws) MEASURED_SERVERS=127.0.0.1:7400,127.0.0.1:7401,127.0.0.1:7402 ;;
  poll) MEASURED_SERVERS=127.0.0.1:7500,127.0.0.1:7501,127.0.0.1:7502 ;;
  *) echo "bench: BENCH_TRANSPORT is tcp, ws or poll" >&2; exit 2 ;;
esac
mkdir -p "$STATE"

stack_pid=""
stop_stack() {
  if [ -n "$stack_pid" ]; then
    kill -TERM "$stack_pid" 2>/dev/null || true
    wait "$stack_pid" 2>/dev/null || true
    stack_pid=""
  fi
}
trap stop_stack EXIT
trap 'stop_stack; exit 130' INT TERM

# A bench user sends hundreds of messages a second (a few users stand for
# many, and all register from one address): the per-user and per-address
# limits are off, so the figures are the cluster's.
NO_USER_LIMITS="--limits.messages_per_minute=0 --limits.friend_requests_per_minute=0 --limits.group_changes_per_minute=0 --limits.registrations_per_minute_per_address=0"
start_stack() {  # start_stack [extra logic flags]
  IM_PLAINTEXT=1 IM_STATE_DIR=$STATE IM_ACCESS_NODES=$NODES \
    IM_LOGIC_FLAGS="$NO_USER_LIMITS ${IM_LOGIC_FLAGS:-} ${1:-}" \
    deploy/run-local.sh >"$STATE/run-local.log" 2>&1 &
  stack_pid=$!
  for _ in $(seq 1 600); do
    if grep -q "IM cluster is up" "$STATE/run-local.log" 2>/dev/null; then return 0; fi
    if ! kill -0 "$stack_pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "bench: the stack did not start:" >&2
  tail -n 20 "$STATE/run-local.log" >&2
  exit 1
}

need=$(( IDLE_CONNECTIONS > STORM_CLIENTS + 4 ? IDLE_CONNECTIONS : STORM_CLIENTS + 4 ))
need=$(( need > BIG_GROUP ? need : BIG_GROUP ))
need=$(( need > FANOUT_MEMBERS ? need : FANOUT_MEMBERS ))

echo "bench: seeding $need users (kept in $USERS_FILE)" >&2
start_stack "--password.ops_limit=1 --password.mem_limit_kib=8192"
"$BENCH" seed --users "$need" --server "$SERVERS" --users-file "$USERS_FILE" --concurrency 32
stop_stack

HOOK_FLAGS=""
hook_pid=""
if [ -n "${BENCH_HOOKS:-}" ]; then
  case "$BENCH_HOOKS" in before|after|both) ;; *) echo "bench: BENCH_HOOKS is before, after or both" >&2; exit 2 ;; esac
  "$ROOT/${IM_BUILD_DIR:-build}/bench/im-hook-sink" --listen 127.0.0.1:7900 >"$STATE/hook-sink.log" 2>&1 &
  hook_pid=$!
  trap 'stop_stack; kill -TERM $hook_pid 2>/dev/null; wait $hook_pid 2>/dev/null; cat "$STATE/hook-sink.log" >&2' EXIT
  if [ "$BENCH_HOOKS" != after ]; then
    HOOK_FLAGS+=" --webhook.before_send_url=http://127.0.0.1:7900/before"
  fi
  if [ "$BENCH_HOOKS" != before ]; then
    HOOK_FLAGS+=" --webhook.after_send_url=http://127.0.0.1:7900/after"
  fi
fi

echo "bench: starting the stack with the shipped configs${HOOK_FLAGS:+ and$HOOK_FLAGS}" >&2
start_stack "$HOOK_FLAGS"
PIDS=$(paste -sd, "$STATE/pids")
common=(--server "$MEASURED_SERVERS" --transport "$TRANSPORT" --users-file "$USERS_FILE"
        --pids "$PIDS" --summary "$SUMMARY" --seconds "$SECONDS_EACH" --warmup 2)
{
  echo "| scenario | parameters | figures | cluster CPU in the window | delivery check | bound by |"
  echo "|---|---|---|---|---|---|"
} >"$SUMMARY"

failed=0
# The machine's busy share over one second (0-100), from /proc/stat.
busy_percent() {
  local a b
  a=($(head -n1 /proc/stat)); sleep 1; b=($(head -n1 /proc/stat))
  local idle=$(( (b[4]+b[5]) - (a[4]+a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
# Each scenario starts on a quiet cluster: an overloaded one can take minutes
# to work off what the previous scenario left queued.
wait_quiet() {
  local i
  for i in $(seq 1 180); do
    [ "$(busy_percent)" -lt 15 ] && return 0
  done
  echo "bench: the cluster was still busy after 3 minutes; measuring anyway" >&2
}
# run LABEL SCENARIO [flags]: runs im-bench SCENARIO if LABEL was asked for.
# Flags after the scenario name override the common ones.
run() {
  case " $SCENARIOS " in *" $1 "*) ;; *) return 0 ;; esac
  wait_quiet
  "$BENCH" "$2" "${common[@]}" "${@:3}" || failed=1
}
# idle first, on fresh daemons: RSS growth means nothing once memory was reused.
# At most 18,000 sockets per im-bench process (a long-poll device holds two).
SOCKETS_PER_DEVICE=$([ "$TRANSPORT" = poll ] && echo 2 || echo 1)
run idle idle --connections "$IDLE_CONNECTIONS" \
  --procs $(( (IDLE_CONNECTIONS * SOCKETS_PER_DEVICE + 17999) / 18000 )) \
  --concurrency 64
run logins logins --concurrency 32
run password-logins logins --password --concurrency 8
run throughput throughput --pairs "$PAIRS" --in-flight "$IN_FLIGHT"
run latency latency --pairs 50 --rate "$LATENCY_RATE"
# One hot 1:1 conversation: one sender keeps HOT_IN_FLIGHT sends in flight.
run hot throughput --pairs 1 --in-flight "$HOT_IN_FLIGHT"
run fanout fanout --members "$FANOUT_MEMBERS" --senders 4 --in-flight 1
run storm storm --connections "$STORM_CLIENTS" --senders 4 --missed 1 --concurrency 64
# Last, as it can leave the cluster busy for minutes. A 10,000-member
# message costs the cluster seconds (every member syncs and
# acks it): one message every 10 s, over a longer window.
run biggroup biggroup --members "$BIG_GROUP" --senders 1 --rate 0.1 --concurrency 64 --warmup 5 \
  --seconds $(( SECONDS_EACH * 2 ))
stop_stack

echo
echo "Commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo ' (with uncommitted changes)'), $(nproc) cores, $(date -u +%Y-%m-%d)"
cat "$SUMMARY"
exit $failed
