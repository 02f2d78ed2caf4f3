# Sourced by the tests that run the local launcher (deploy/run_local_test.sh,
# tests/web/web_page_test.sh): expects ROOT (the checkout) and BUILD (the
# build directory) and `name` (for the state directory); makes STATE (a
# temporary directory, removed at exit) and OFFSET (IM_PORT_OFFSET, so the
# test runs beside a cluster on the default ports), and stops the launcher
# at exit if it still runs.
source "$ROOT/deploy/port_offset.sh"
STATE=$(mktemp -d "${TMPDIR:-/tmp}/im-$name.XXXXXX")
OFFSET=$(pick_port_offset)
launcher=""

stop_launcher_and_clean_up() {
  if [ -n "$launcher" ] && kill -0 "$launcher" 2>/dev/null; then
    kill -TERM "$launcher" 2>/dev/null || true
    wait "$launcher" 2>/dev/null || true
  fi
  rm -rf "$STATE"
}
trap stop_launcher_and_clean_up EXIT

# fail MESSAGE...: says why, with the end of the launcher's output, and exits 1.
fail() {
  echo "FAIL: $*" >&2
  tail -n 30 "$STATE/launcher.log" >&2 || true
  exit 1
}

# start_launcher [VAR=VALUE...]: deploy/run-local.sh with the build, state and
# port offset above (and the variables given), its output in
# $STATE/launcher.log; waits up to 60 s for "IM cluster is up", else fails.
start_launcher() {
  env IM_BUILD_DIR="$BUILD" IM_STATE_DIR="$STATE" IM_PORT_OFFSET="$OFFSET" "$@" \
    "$ROOT/deploy/run-local.sh" >"$STATE/launcher.log" 2>&1 &
  launcher=$!
  local i
  for ((i = 0; i < 600; i++)); do
    grep -q "IM cluster is up" "$STATE/launcher.log" 2>/dev/null && return 0
    kill -0 "$launcher" 2>/dev/null || fail "the launcher stopped before the cluster was up"
    sleep 0.1
  done
  fail "the cluster did not come up"
}
