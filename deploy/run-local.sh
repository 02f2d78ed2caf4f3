#!/usr/bin/env bash
# Local launcher: the same topology and config files as docker-compose, as
# plain processes. Starts a private MariaDB and Redis (loopback only, data kept
# under $IM_STATE_DIR, default .run/ in the checkout, each with a password made
# on first start and kept in $IM_STATE_DIR/secrets), then im-storage, im-logic
# and im-access. Runs in the foreground; Ctrl-C or SIGTERM stops everything it
# started. A process that dies (a crash, kill -9) is started again after a
# pause that doubles up to 30 s while it keeps dying; the others keep running.
# Expects a build in $IM_BUILD_DIR (default build/): use scripts/run.sh.
#
# Environment: IM_PORT (client port, 7000), IM_ACCESS_NODES (1; node k listens
# on IM_PORT+k-1, for WebSocket clients on 7400+k-1 at /im, for HTTP
# long-poll clients on 7500+k-1 at /poll, and serves pushes on 7100+k-1), IM_LOGIC_REPLICAS (1; replica
# k on 7200+k-1) and IM_STORAGE_REPLICAS (1; on 7300+k-1), each tier calling
# the next one's replicas round-robin, IM_MYSQL_PORT (13306),
# IM_REDIS_PORT (16379), IM_PORT_OFFSET (0: added to every port above and to
# logic's 7200 and storage's 7300, to run a second cluster beside the first),
# Prometheus metrics (GET /metrics): access node k on 9100+k-1, logic replica
# k on 9200+k-1, storage replica k on 9300+k-1 (plus the offset).
# The client port speaks TLS with a development certificate made on first
# start (deploy/make-dev-certs.sh, in $IM_STATE_DIR/tls: give clients its
# ca.pem, as the banner shows); IM_PLAINTEXT=1 serves plain TCP instead.
# The daemons' gRPC between each other is mutual TLS, with an internal CA and
# certificate made on first start too ($IM_STATE_DIR/internal-tls);
# IM_INTERNAL_PLAINTEXT=1 leaves it plaintext.
# IM_RESTART_PAUSE (1: seconds before the first restart of a dead process),
# IM_STATE_DIR, IM_BUILD_DIR. Extra daemon flags: IM_STORAGE_FLAGS,
# IM_LOGIC_FLAGS, IM_ACCESS_FLAGS (word-split).
# The web chat page (web/, assembled by scripts/web-assets.sh into
# $IM_STATE_DIR/web) is served on each node's WebSocket port when its npm
# library is installed (scripts/install-deps.sh does it).
# The PIDs of the running daemons are in $IM_STATE_DIR/pids as name=pid lines
# (rewritten when one is restarted).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$ROOT" && realpath -m "${IM_BUILD_DIR:-build}")
STATE=$(realpath -m "${IM_STATE_DIR:-$ROOT/.run}")
CONFIG=$ROOT/deploy/config
OFFSET=${IM_PORT_OFFSET:-0}
[[ "$OFFSET" =~ ^[0-9]+$ ]] && [ "$OFFSET" -le 50000 ] ||
  { echo "run-local: IM_PORT_OFFSET must be 0..50000" >&2; exit 1; }
CLIENT_PORT=$(( ${IM_PORT:-7000} + OFFSET ))
MYSQL_PORT=$(( ${IM_MYSQL_PORT:-13306} + OFFSET ))
REDIS_PORT=$(( ${IM_REDIS_PORT:-16379} + OFFSET ))
PUSH_PORT=$(( 7100 + OFFSET ))
LOGIC_PORT=$(( 7200 + OFFSET ))
STORAGE_PORT=$(( 7300 + OFFSET ))
WEBSOCKET_PORT=$(( 7400 + OFFSET ))
POLL_PORT=$(( 7500 + OFFSET ))
METRICS_PORT=$(( 9100 + OFFSET ))  # access k: +k-1; logic: 9200 +k-1; storage: 9300 +k-1
ACCESS_NODES=${IM_ACCESS_NODES:-1}
LOGIC_REPLICAS=${IM_LOGIC_REPLICAS:-1}
STORAGE_REPLICAS=${IM_STORAGE_REPLICAS:-1}
RESTART_PAUSE=${IM_RESTART_PAUSE:-1}
LOGS=$STATE/logs

for bin in storage/im-storage logic/im-logic access/im-access client-cli/im-cli; do
  [ -x "$BUILD/$bin" ] || { echo "run-local: $BUILD/$bin is missing; run scripts/run.sh" >&2; exit 1; }
done
mkdir -p "$STATE/mariadb" "$STATE/redis" "$LOGS"
if [ "${IM_PLAINTEXT:-0}" = 1 ]; then
  CLIENT_TLS=(--allow_plaintext=true)
  CA_FLAG=""
else
  "$ROOT/deploy/make-dev-certs.sh" "$STATE/tls" 2>/dev/null
  CLIENT_TLS=(--tls.cert_file="$STATE/tls/server.pem" --tls.key_file="$STATE/tls/server-key.pem")
  CA_FLAG=" --ca $STATE/tls/ca.pem"
fi
INTERNAL_TLS=()
if [ "${IM_INTERNAL_PLAINTEXT:-0}" != 1 ]; then
  "$ROOT/deploy/make-dev-certs.sh" --internal "$STATE/internal-tls" 2>/dev/null
  INTERNAL_TLS=(--internal_tls.ca_file="$STATE/internal-tls/ca.pem"
                --internal_tls.cert_file="$STATE/internal-tls/internal.pem"
                --internal_tls.key_file="$STATE/internal-tls/internal-key.pem")
fi
WEB_ROOT=()
WEB_NOTE="off (its npm library is missing: run scripts/install-deps.sh)"
if "$ROOT/scripts/web-assets.sh" "$STATE/web" 2>/dev/null; then
  WEB_ROOT=(--web_root="$STATE/web")
  WEB_NOTE="$([ -n "$CA_FLAG" ] && echo https || echo http)://127.0.0.1:$WEBSOCKET_PORT/"
  [ -z "$CA_FLAG" ] || WEB_NOTE+=" (the browser warns about the development certificate: accept it, or import $STATE/tls/ca.pem)"
fi

pids=()   # supervisors, in start order
names=()
stop_all() {
  trap - INT TERM EXIT
  local i
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  rm -rf "$STATE/pids" "$STATE/pids.d"
  echo "run-local: stopped. Data is kept in $STATE" >&2
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

# start NAME LOG COMMAND...: runs COMMAND under a supervisor that starts it
# again when it dies (pause 1 s, doubling to 30 s while it keeps dying within
# 30 s of starting) and stops it on SIGTERM.
start() {
  local name=$1 log=$2 index=${#pids[@]}; shift 2
  (
    set +e
    child=0
    trap '[ "$child" = 0 ] || { kill -TERM "$child" 2>/dev/null; wait "$child"; }; exit 0' TERM
    pause=$RESTART_PAUSE
    while true; do
      began=$SECONDS
      "$@" >>"$log" 2>&1 &
      child=$!
      printf '%s=%s\n' "$name" "$child" >"$STATE/pids.d/$(printf %02d "$index")"
      cat "$STATE"/pids.d/* >"$STATE/pids.tmp" && mv "$STATE/pids.tmp" "$STATE/pids"
      wait "$child" 2>/dev/null  # (no "Killed" job message: the line below says it)
      status=$?
      child=0
      if (( SECONDS - began >= 30 )); then pause=$RESTART_PAUSE; fi
      echo "run-local: $name exited (status $status); starting it again in ${pause}s" >&2
      echo "run-local: exited (status $status); started again in ${pause}s" >>"$log"
      sleep "$pause" & wait $!
      pause=$(( pause * 2 > 30 ? 30 : pause * 2 ))
    done
  ) &
  pids+=($!); names+=("$name")
}

port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
wait_port() {  # wait_port NAME PORT LOG
  for _ in $(seq 1 300); do
    if ! port_free "$2"; then return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "run-local: $1 did not start; last lines of $3:" >&2
  tail -n 20 "$3" >&2
  exit 1
}

for n in ACCESS_NODES LOGIC_REPLICAS STORAGE_REPLICAS; do
  [[ "${!n}" =~ ^[1-9][0-9]?$ ]] || { echo "run-local: IM_$n must be 1..99" >&2; exit 1; }
done
[[ "$RESTART_PAUSE" =~ ^[1-9][0-9]*$ ]] || { echo "run-local: IM_RESTART_PAUSE must be >= 1" >&2; exit 1; }
# name_of BASE K: im-logic, im-logic-2, ...
name_of() { if [ "$2" = 1 ]; then echo "$1"; else echo "$1-$2"; fi; }
# replicas BASE_PORT N: "127.0.0.1:P,127.0.0.1:P+1,..."
replicas() {
  local list="" k
  for ((k=0; k<$2; k++)); do list+="${list:+,}127.0.0.1:$(( $1 + k ))"; done
  echo "$list"
}
ports=("$MYSQL_PORT" "$REDIS_PORT")
for ((k=0; k<LOGIC_REPLICAS; k++)); do ports+=($((LOGIC_PORT+k)) $((METRICS_PORT+100+k))); done
for ((k=0; k<STORAGE_REPLICAS; k++)); do ports+=($((STORAGE_PORT+k)) $((METRICS_PORT+200+k))); done
for ((k=0; k<ACCESS_NODES; k++)); do
  ports+=($((CLIENT_PORT+k)) $((PUSH_PORT+k)) $((METRICS_PORT+k)))
done
for p in "${ports[@]}"; do
  port_free "$p" || { echo "run-local: port $p on 127.0.0.1 is already in use (another run?)" >&2; exit 1; }
done

if [ ! -d "$STATE/mariadb/data/mysql" ]; then
  echo "run-local: creating the database in $STATE/mariadb" >&2
  mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$STATE/mariadb/data" \
    --auth-root-authentication-method=normal --skip-test-db >"$LOGS/mariadb-install.log" 2>&1
fi
# Passwords for MariaDB's root and for Redis, made on first start and kept in
# $STATE/secrets (mode 0600); MariaDB's root gets its password below.
if [ ! -s "$STATE/secrets" ]; then
  (umask 077; printf 'DB_PASSWORD=%s\nREDIS_PASSWORD=%s\n' "$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')" \
    "$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')" >"$STATE/secrets")
fi
DB_PASSWORD=$(sed -n 's/^DB_PASSWORD=//p' "$STATE/secrets")
REDIS_PASSWORD=$(sed -n 's/^REDIS_PASSWORD=//p' "$STATE/secrets")
rm -rf "$STATE/pids" "$STATE/pids.d"
mkdir -p "$STATE/pids.d"
start mariadb "$LOGS/mariadb.log" mariadbd --defaults-file="$ROOT/deploy/mariadb/im.cnf" \
  --user="$(id -un)" --datadir="$STATE/mariadb/data" --socket="$STATE/mariadb/sock" \
  --pid-file="$STATE/mariadb/pid" --port="$MYSQL_PORT" --bind-address=127.0.0.1
wait_port MariaDB "$MYSQL_PORT" "$LOGS/mariadb.log"
# A database made before the launcher kept passwords has a root without one:
# give every root account the password (a no-op once they have it).
if mariadb --no-defaults --socket="$STATE/mariadb/sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
  accounts=$(mariadb --no-defaults --socket="$STATE/mariadb/sock" -uroot -N \
    -e "SELECT CONCAT('\`', User, '\`@\`', Host, '\`') FROM mysql.user WHERE User = 'root'")
  for account in $accounts; do
    mariadb --no-defaults --socket="$STATE/mariadb/sock" -uroot \
      -e "ALTER USER $account IDENTIFIED BY '$DB_PASSWORD'" 2>>"$LOGS/mariadb-install.log" || true
  done
fi

# The password goes in a config file, not on the command line (ps shows that).
(umask 077; printf 'requirepass %s\n' "$REDIS_PASSWORD" >"$STATE/redis/auth.conf")
start redis "$LOGS/redis.log" redis-server "$STATE/redis/auth.conf" --port "$REDIS_PORT" \
  --bind 127.0.0.1 --dir "$STATE/redis" --appendonly yes --save ''
wait_port Redis "$REDIS_PORT" "$LOGS/redis.log"
# Redis answers LOADING while it replays its append-only file: wait for PONG,
# or logins right after "up" fail.
for _ in $(seq 1 600); do
  [ "$(REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
  sleep 0.1
done

# The passwords reach im-storage in its environment, never on a command line.
export IM_STORAGE_MYSQL_PASSWORD=$DB_PASSWORD IM_STORAGE_REDIS_PASSWORD=$REDIS_PASSWORD
for ((k=1; k<=STORAGE_REPLICAS; k++)); do
  name=$(name_of im-storage "$k")
  start "$name" "$LOGS/$name.log" "$BUILD/storage/im-storage" --config "$CONFIG/im-storage.toml" \
    --listen="127.0.0.1:$((STORAGE_PORT+k-1))" --mysql.port="$MYSQL_PORT" \
    --metrics_listen="127.0.0.1:$((METRICS_PORT+200+k-1))" \
    --redis.port="$REDIS_PORT" "${INTERNAL_TLS[@]}" ${IM_STORAGE_FLAGS:-}
  wait_port "$name" "$((STORAGE_PORT+k-1))" "$LOGS/$name.log"
done
unset IM_STORAGE_MYSQL_PASSWORD IM_STORAGE_REDIS_PASSWORD
for ((k=1; k<=LOGIC_REPLICAS; k++)); do
  name=$(name_of im-logic "$k")
  start "$name" "$LOGS/$name.log" "$BUILD/logic/im-logic" --config "$CONFIG/im-logic.toml" \
    --listen="127.0.0.1:$((LOGIC_PORT+k-1))" --metrics_listen="127.0.0.1:$((METRICS_PORT+100+k-1))" \
    --storage_target="$(replicas "$STORAGE_PORT" "$STORAGE_REPLICAS")" \
    --storage_streams="$STORAGE_REPLICAS" "${INTERNAL_TLS[@]}" ${IM_LOGIC_FLAGS:-}
  wait_port "$name" "$((LOGIC_PORT+k-1))" "$LOGS/$name.log"
done
for ((k=1; k<=ACCESS_NODES; k++)); do
  name=$(name_of im-access "$k")
  start "$name" "$LOGS/$name.log" "$BUILD/access/im-access" --config "$CONFIG/im-access.toml" \
    --listen="127.0.0.1:$((CLIENT_PORT+k-1))" --push_listen="127.0.0.1:$((PUSH_PORT+k-1))" \
    --websocket_listen="127.0.0.1:$((WEBSOCKET_PORT+k-1))" "${WEB_ROOT[@]}" \
    --poll_listen="127.0.0.1:$((POLL_PORT+k-1))" \
    --logic_target="$(replicas "$LOGIC_PORT" "$LOGIC_REPLICAS")" --logic_streams="$LOGIC_REPLICAS" \
    --node_id="access-$k" "${CLIENT_TLS[@]}" "${INTERNAL_TLS[@]}" \
    --metrics_listen="127.0.0.1:$((METRICS_PORT+k-1))" \
    ${IM_ACCESS_FLAGS:-}
  wait_port "$name" "$((CLIENT_PORT+k-1))" "$LOGS/$name.log"
done

CLI=$BUILD/client-cli/im-cli
SERVER_FLAG=$CA_FLAG
[ "$CLIENT_PORT" = 7000 ] || SERVER_FLAG=" --server 127.0.0.1:$CLIENT_PORT$CA_FLAG"
cat <<BANNER

  IM cluster is up: clients connect to 127.0.0.1:$CLIENT_PORT$([ "$ACCESS_NODES" = 1 ] || echo " (and the next $((ACCESS_NODES-1)) ports)"), $([ -n "$CA_FLAG" ] && echo "over TLS (development CA: $STATE/tls/ca.pem)" || echo "over plain TCP")
  WebSocket clients (browsers): $([ -n "$CA_FLAG" ] && echo wss || echo ws)://127.0.0.1:$WEBSOCKET_PORT/im
  HTTP long-poll clients: $([ -n "$CA_FLAG" ] && echo https || echo http)://127.0.0.1:$POLL_PORT/poll   (im-cli --server URL)
  Web chat page: $WEB_NOTE
  (MariaDB :$MYSQL_PORT, Redis :$REDIS_PORT, data in $STATE, logs in $LOGS;
  between the daemons: $([ ${#INTERNAL_TLS[@]} -gt 0 ] && echo "mutual TLS, internal CA $STATE/internal-tls/ca.pem" || echo "plaintext gRPC"))

  Chat in two other terminals:
    $CLI$SERVER_FLAG --user alice      # asks for a password, offers to register
    $CLI$SERVER_FLAG --user bob
  then in alice's:  /to bob   and type a message.
  A group:          /group create friends bob   then   /to g:ID   (ID as printed)

  Scripted:
    $CLI$SERVER_FLAG register carol --password secret-pw
    $CLI$SERVER_FLAG --user carol --password secret-pw send alice "hi from a script"
    $CLI$SERVER_FLAG --user alice --password ... listen --count 1

  A daemon that dies is started again (its log says so). Ctrl-C stops everything.
BANNER

# Stay in the foreground until a signal; the supervisors restart what dies.
wait
