#!/bin/sh
# First start: make sure the data directory exists (Debian's package may have
# created one in the image) and create the `im` account (password from
# $IM_DB_PASSWORD) that im-storage uses; a marker file records that this was
# done. Then run MariaDB in the foreground.
set -eu
DATA=/var/lib/mysql
MARKER=$DATA/.im-initialized
if [ ! -f "$MARKER" ]; then
  : "${IM_DB_PASSWORD:?set IM_DB_PASSWORD}"
  if [ ! -d "$DATA/mysql" ]; then
    mariadb-install-db --user=mysql --datadir="$DATA" --skip-test-db >/dev/null
  fi
  mariadbd --user=mysql --datadir="$DATA" --skip-networking --socket=/tmp/init.sock &
  pid=$!
  until mariadb -uroot -S /tmp/init.sock -e 'SELECT 1' >/dev/null 2>&1; do sleep 0.5; done
  mariadb -uroot -S /tmp/init.sock <<SQL
CREATE DATABASE IF NOT EXISTS im CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'im'@'%' IDENTIFIED BY '${IM_DB_PASSWORD}';
GRANT ALL PRIVILEGES ON im.* TO 'im'@'%';
SQL
  kill "$pid"
  wait "$pid" || true
  touch "$MARKER"
fi
exec mariadbd --user=mysql --datadir="$DATA" --bind-address=0.0.0.0
