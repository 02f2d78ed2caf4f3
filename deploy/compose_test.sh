#!/usr/bin/env bash
# ctest deploy_compose: deploy/docker-compose.yml brought up for real.
#
# Uses the Docker engine at $DOCKER_HOST (or /var/run/docker.sock) if one
# answers; otherwise starts a private dockerd under a temporary directory and
# stops it at the end. Makes the debian:12 base image locally with debootstrap
# when the engine lacks it (no registry is needed), builds the runtime image
# compiled from source inside it with IM_COMPOSE_FROM_SOURCE=1, as `up --build`
# does for an operator (ctest sets it: about 6 minutes more on 2 cores), or
# else from this build's binaries (deploy/docker/im-prebuilt.Dockerfile, the
# same runtime stage as im.Dockerfile without compiling again), and then:
#   1. `docker-compose up`: every service reports healthy;
#   2. im-cli chats over TLS (trusting the development CA the im-certs service
#      made) through both published access ports (a push crosses nodes), and
#      sends over wss through a published WebSocket port;
#   3. kill -9 of im-access-1 while alice listens on it: her listen reconnects
#      by itself through im-access-2 and prints what was sent meanwhile, each
#      message once; every acknowledged message is in the history once, and
#      the restart policy brings im-access-1 back healthy;
#   4. Prometheus scrapes all five daemons and counted the sends;
#   5. `docker-compose down -v`, images removed, private dockerd stopped.
# Exit 77 (ctest: skipped) with the reason when Docker cannot run here.
# Bounded: each wait has a deadline; about 6 minutes on 2 cores.
# Usage: compose_test.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath "$1")
WORK=$(mktemp -d /tmp/im-compose.XXXXXX)  # short: dockerd's socket paths must fit
PROJECT=imcompose$$
IMAGE=im-cluster:compose-test-$$
source "$ROOT/deploy/port_offset.sh"
OFFSET=$(pick_port_offset)
ACCESS_1=$((7000 + OFFSET)) ACCESS_2=$((7001 + OFFSET)) PROM=$((9090 + OFFSET))
WEBSOCKET_1=$((7400 + OFFSET)) WEBSOCKET_2=$((7401 + OFFSET))
POLL_1=$((7500 + OFFSET)) POLL_2=$((7501 + OFFSET))
dockerd_pid=""
compose_up=""

skip() { echo "SKIPPED: $*"; exit 77; }
log() { echo "[$(date +%T)] $*"; }
fail() {
  echo "FAIL: $*" >&2
  if [ -n "$compose_up" ]; then
    compose ps >&2 || true
    compose logs --tail=30 >&2 || true
  fi
  exit 1
}
cleanup() {
  if [ -n "$compose_up" ]; then
    compose down -v --rmi local --timeout 20 >/dev/null 2>&1 || true
  fi
  docker rmi -f "$IMAGE" >/dev/null 2>&1 || true
  if [ -n "$dockerd_pid" ]; then
    kill -TERM "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$dockerd_pid" 2>/dev/null || true
  fi
  rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT
# waits up to $2 seconds for command $1 to succeed
wait_for() {
  local until=$((SECONDS + $2))
  while ((SECONDS < until)); do
    if eval "$1" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  return 1
}
compose() {
  docker-compose --env-file "$WORK/env" -p "$PROJECT" -f "$ROOT/deploy/docker-compose.yml" "$@"
}

# --- an engine ---------------------------------------------------------------
for tool in docker docker-compose; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh installs it)"
done
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || skip "no Docker engine answers and dockerd is not installed"
  [ "$(id -u)" -eq 0 ] || skip "no Docker engine answers and starting one needs root"
  mkdir -p "$WORK/data" "$WORK/exec"
  export DOCKER_HOST="unix://$WORK/docker.sock"
  dockerd --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
    -H "$DOCKER_HOST" >"$WORK/dockerd.log" 2>&1 &
  dockerd_pid=$!
  wait_for 'docker info' 60 || { tail -5 "$WORK/dockerd.log"; skip "dockerd did not start here"; }
  log "private dockerd started (pid $dockerd_pid)"
fi

# --- images ------------------------------------------------------------------
if ! docker image inspect debian:12 >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || skip "debian:12 is missing and debootstrap is not installed"
  # The machine's own Debian mirror, read at run time.
  mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
           grep -v security | head -n 1)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' \
                               /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  log "making debian:12 with debootstrap from $mirror"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -5 "$WORK/debootstrap.log"; fail "debootstrap failed"; }
  tar -C "$WORK/rootfs" -c . | docker import - debian:12 >/dev/null
  rm -rf "$WORK/rootfs"
fi

# The runtime image: from this build's binaries, or (IM_COMPOSE_FROM_SOURCE=1,
# what `up --build` does for an operator, and what ctest runs) compiled inside
# the image by deploy/docker/im.Dockerfile, about 6 minutes more.
if [ "${IM_COMPOSE_FROM_SOURCE:-0}" != 1 ]; then
  log "building $IMAGE from $BUILD"
  mkdir -p "$WORK/im-image/bin"
  for binary in storage/im-storage logic/im-logic access/im-access client-cli/im-cli \
                deploy/im-health; do
    strip -o "$WORK/im-image/bin/$(basename "$binary")" "$BUILD/$binary"
  done
  cp "$ROOT/deploy/make-dev-certs.sh" "$WORK/im-image/bin/"
  cp -r "$ROOT/deploy/config" "$WORK/im-image/config"
  cp "$ROOT/deploy/docker/install-runtime.sh" "$WORK/im-image/"
  docker build -q -t "$IMAGE" -f "$ROOT/deploy/docker/im-prebuilt.Dockerfile" "$WORK/im-image" \
    >/dev/null || fail "docker build of the runtime image failed"
fi

cat >"$WORK/env" <<EOF
IM_DB_PASSWORD=pw-$RANDOM$RANDOM
IM_REDIS_PASSWORD=rpw-$RANDOM$RANDOM
IM_IMAGE=$IMAGE
IM_PUBLISH_ADDRESS=127.0.0.1
IM_ACCESS_1_PORT=$ACCESS_1
IM_ACCESS_2_PORT=$ACCESS_2
IM_ACCESS_1_WEBSOCKET_PORT=$WEBSOCKET_1
IM_ACCESS_2_WEBSOCKET_PORT=$WEBSOCKET_2
IM_ACCESS_1_POLL_PORT=$POLL_1
IM_ACCESS_2_POLL_PORT=$POLL_2
IM_PROMETHEUS_PORT=$PROM
EOF
log "building mariadb, redis and prometheus images"
compose build -q mariadb redis prometheus >"$WORK/build.log" 2>&1 ||
  { tail -20 "$WORK/build.log"; fail "docker-compose build failed"; }
if [ "${IM_COMPOSE_FROM_SOURCE:-0}" = 1 ]; then
  log "building $IMAGE from source in the image (docker-compose build im-storage)"
  compose build im-storage >"$WORK/build-im.log" 2>&1 ||
    { tail -30 "$WORK/build-im.log"; fail "docker-compose build of the im image failed"; }
  log "ok: $IMAGE compiled from source"
fi

# --- 1. up, healthy ----------------------------------------------------------
compose_up=1
log "docker-compose up"
compose up -d --no-build >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; fail "docker-compose up failed"; }
health() { docker inspect -f '{{.State.Health.Status}}' "$(compose ps -q "$1")"; }
SERVICES=(mariadb redis im-storage im-logic-1 im-logic-2 im-access-1 im-access-2)
all_healthy() {
  local s
  for s in "${SERVICES[@]}"; do [ "$(health "$s")" = healthy ] || return 1; done
}
wait_for all_healthy 240 || fail "not every service became healthy"
log "ok: ${SERVICES[*]} healthy"
# Healthy means each tier reached the next: over mutual TLS, each daemon says.
for s in im-storage im-logic-1 im-logic-2 im-access-1 im-access-2; do
  compose logs "$s" 2>/dev/null | grep "event=internal_plane mode=mtls" >/dev/null ||
    fail "$s does not say its internal plane is mutual TLS"
done
log "ok: the internal plane is mutual TLS in every daemon"

# --- 2. chat over both published ports, over TLS ------------------------------------
# The clients trust the development CA that im-certs made in the im-tls volume.
compose run --rm -T im-certs cat /tls/ca.pem >"$WORK/ca.pem" 2>/dev/null && [ -s "$WORK/ca.pem" ] ||
  fail "could not read the development CA from the im-tls volume"
export IM_CA=$WORK/ca.pem
cli() {  # cli PORT ARGS...: im-cli against one access node, retried while it is coming up
  local port=$1 i
  shift
  for i in $(seq 1 30); do
    if "$BUILD/client-cli/im-cli" --server "127.0.0.1:$port" "$@" 2>"$WORK/cli.err"; then return 0; fi
    sleep 1
  done
  cat "$WORK/cli.err" >&2
  return 1
}
alice=alice$$ bob=bob$$ pw=pw-compose-1234
cli "$ACCESS_1" register "$alice" --password "$pw" >/dev/null || fail "register $alice"
cli "$ACCESS_2" register "$bob" --password "$pw" >/dev/null || fail "register $bob"
# bob listens on access-2; alice sends through access-1: the push crosses nodes.
"$BUILD/client-cli/im-cli" --server "127.0.0.1:$ACCESS_2" --user "$bob" --password "$pw" \
  --device watch listen --count 1 --timeout 30 >"$WORK/bob.listen" 2>&1 &
listener=$!
wait_for 'grep -q "listening as" "$WORK/bob.listen"' 30 || fail "bob's listen did not start"
# Every send carries its own client id, so a retried one is stored once.
cli "$ACCESS_1" --user "$alice" --password "$pw" send "$bob" --client-id "c$$-0" \
  "hello across nodes" >/dev/null ||
  fail "alice's send through access-1"
wait "$listener" || { cat "$WORK/bob.listen" >&2; fail "bob's listen on access-2 got no push"; }
grep -q "hello across nodes" "$WORK/bob.listen" || fail "the push was not alice's message"
log "ok: a message sent through access-1 was pushed to a listener on access-2"
# The WebSocket port, as a browser reaches it: wss with the same certificate.
"$BUILD/client-cli/im-cli" --server "wss://127.0.0.1:$WEBSOCKET_2/im" --user "$bob" --password "$pw" \
  send "$alice" --client-id "c$$-ws" "over wss" >/dev/null 2>"$WORK/cli.err" ||
  { cat "$WORK/cli.err" >&2; fail "bob's send over wss through access-2's WebSocket port"; }
log "ok: a send over wss through access-2's WebSocket port"
# The long-poll port, for clients that speak only HTTP: https, the same certificate.
"$BUILD/client-cli/im-cli" --server "https://127.0.0.1:$POLL_1/poll" --user "$bob" --password "$pw" \
  send "$alice" --client-id "c$$-poll" "over https long-poll" >/dev/null 2>"$WORK/cli.err" ||
  { cat "$WORK/cli.err" >&2; fail "bob's send over HTTP long-poll through access-1"; }
log "ok: a send over https long-poll through access-1's long-poll port"

# --- 3. kill -9 of im-access-1 under a connected user -----------------------------
# alice listens on access-1 (listed first; device "phone"), bob sends through access-2.
"$BUILD/client-cli/im-cli" --server "127.0.0.1:$ACCESS_1,127.0.0.1:$ACCESS_2" --user "$alice" \
  --password "$pw" --device phone listen --count 6 --timeout 90 >"$WORK/alice.listen" 2>&1 &
alice_listener=$!
wait_for 'grep -q "listening as" "$WORK/alice.listen"' 30 || fail "alice's listen did not start"
for i in 1 2 3; do
  cli "$ACCESS_2" --user "$bob" --password "$pw" send "$alice" --client-id "c$$-b$i" \
    "before kill $i" >/dev/null || fail "bob's send before the kill"
done
sent=5  # with the one over wss
wait_for '[ "$(grep -c "before kill" "$WORK/alice.listen")" = 3 ]' 15 ||
  { cat "$WORK/alice.listen" >&2; fail "alice on access-1 did not get bob's 3 messages pushed"; }
# A crash, not `docker kill` (which Docker takes for an operator's stop and
# does not restart): SIGKILL to the daemon itself, the container's init.
victim_pid=$(docker inspect -f '{{.State.Pid}}' "$(compose ps -q im-access-1)")
[ "${victim_pid:-0}" -gt 1 ] || fail "no pid for im-access-1"
kill -KILL "$victim_pid"
killed_at=$SECONDS
log "killed im-access-1 (-9) under alice's listen"
for i in 1 2 3; do
  cli "$ACCESS_2" --user "$bob" --password "$pw" send "$alice" --client-id "c$$-a$i" \
    "after kill $i" >/dev/null || fail "bob's send after the kill"
done
sent=8
# alice's listen reconnects by itself (through access-2) and gets what she
# missed: it ends once it has printed 6 messages.
wait "$alice_listener" || { cat "$WORK/alice.listen" >&2; fail "alice's listen did not get all 6"; }
grep -q "reconnected" "$WORK/alice.listen" ||
  { cat "$WORK/alice.listen" >&2; fail "alice's listen did not say it reconnected"; }
for text in "before kill 1" "before kill 2" "before kill 3" \
            "after kill 1" "after kill 2" "after kill 3"; do
  [ "$(grep -c -F "$text" "$WORK/alice.listen")" = 1 ] ||
    { cat "$WORK/alice.listen" >&2; fail "alice's listen printed \"$text\" other than once"; }
done
log "ok: alice's listen reconnected through access-2 and had all 6 messages, each once," \
    "$((SECONDS - killed_at)) s after the kill"
history=$(cli "$ACCESS_2" --user "$bob" --password "$pw" history "$alice" --limit 100) ||
  fail "bob's history"
for text in "hello across nodes" "over wss" "before kill 1" "before kill 2" "before kill 3" \
            "after kill 1" "after kill 2" "after kill 3"; do
  count=$(grep -c -F "$text" <<<"$history" || true)
  [ "$count" = 1 ] || { echo "$history" >&2; fail "\"$text\" is in the history $count times"; }
done
log "ok: all $sent acknowledged messages in the history, each once"
wait_for '[ "$(health im-access-1)" = healthy ]' 120 ||
  fail "im-access-1 was not restarted healthy by its restart policy"
cli "$ACCESS_1" --user "$alice" --password "$pw" send "$bob" --client-id "c$$-r" \
  "access-1 is back" >/dev/null ||
  fail "send through the restarted access-1"
sent=$((sent + 1))
log "ok: im-access-1 restarted healthy after $((SECONDS - killed_at)) s and serves again"

# --- 4. Prometheus ---------------------------------------------------------------
prom_query() {  # prom_query EXPR: the JSON answer of /api/v1/query
  local expr
  expr=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1")
  exec 3<>"/dev/tcp/127.0.0.1/$PROM" || return 1
  printf 'GET /api/v1/query?query=%s HTTP/1.0\r\nHost: test\r\n\r\n' "$expr" >&3
  cat <&3
  exec 3<&-
}
scalar() { prom_query "$1" | grep -o '"value":\[[^]]*\]' | sed 's/.*,"\([^"]*\)"\]/\1/'; }
targets_up() { [ "$(scalar 'sum(up{job=~"im-.*"})')" = 5 ]; }
wait_for targets_up 90 || { prom_query 'up' >&2; fail "Prometheus does not see all five daemons up"; }
# Both logic replicas ran throughout, so together they counted every send.
SENDS='sum(im_logic_requests_total{type="send_message",code="OK"})'
sends_counted() { local n; n=$(scalar "$SENDS"); [ "${n:-0}" -ge "$sent" ]; }
wait_for sends_counted 30 || fail "Prometheus counted $(scalar "$SENDS") sends, not $sent"
log "ok: Prometheus scrapes all five daemons and counted $(scalar "$SENDS") sends ($sent made)"

# --- 5. down -------------------------------------------------------------------
compose down -v --rmi local --timeout 20 >/dev/null 2>&1 || fail "docker-compose down failed"
compose_up=""
log "ok: docker-compose down -v"
