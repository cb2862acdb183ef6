#!/usr/bin/env bash
# A PostgreSQL primary and its streaming standby (pg_basebackup -R), on their own ports and in
# their own directory: the read-replica tests run against it (make test-replicas). The
# machine's own cluster is not touched.
#
#   eval "$(.ci/standby.sh start)"   # prints the DATABASE_URL and DATABASE_REPLICA_URLS to use
#   .ci/standby.sh stop
#
# STANDBY_PRIMARY_PORT (5440), STANDBY_PORT (5441), STANDBY_DIR (/tmp/va-standby-<primary port>),
# STANDBY_DB (va_replicas). Run as root (initdb runs as postgres through runuser) or as the
# postgres user. Exits non-zero when the pair cannot be started.
set -euo pipefail

PRIMARY_PORT="${STANDBY_PRIMARY_PORT:-5440}"
STANDBY_PORT="${STANDBY_PORT:-5441}"
DIR="${STANDBY_DIR:-/tmp/va-standby-$PRIMARY_PORT}"
DB="${STANDBY_DB:-va_replicas}"
BIN="${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg() {  # pg <port> <sql>
  as_postgres "$BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtq -v ON_ERROR_STOP=1 -c "$2"
}

stop() {
  for node in standby primary; do
    if [ -f "$DIR/$node/postmaster.pid" ]; then
      as_postgres "$BIN/pg_ctl" -D "$DIR/$node" -m fast -w stop >/dev/null || true
    fi
  done
  rm -rf "$DIR"
}

start() {
  [ -x "$BIN/initdb" ] || { echo "standby: no PostgreSQL binaries in '$BIN'" >&2; exit 1; }
  stop  # a pair left over by an earlier run
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  local opts="-k $DIR -c listen_addresses=127.0.0.1 -c fsync=off"
  as_postgres "$BIN/initdb" -D "$DIR/primary" -A trust -U postgres >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }
  echo "host replication all 127.0.0.1/32 trust" >>"$DIR/primary/pg_hba.conf"
  as_postgres "$BIN/pg_ctl" -D "$DIR/primary" -o "-p $PRIMARY_PORT $opts" \
    -l "$DIR/primary.log" -w start >/dev/null || { cat "$DIR/primary.log" >&2; exit 1; }
  as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
    -D "$DIR/standby" -R >/dev/null
  as_postgres "$BIN/pg_ctl" -D "$DIR/standby" -o "-p $STANDBY_PORT $opts" \
    -l "$DIR/standby.log" -w start >/dev/null || { cat "$DIR/standby.log" >&2; exit 1; }
  # Ready when the standby is in recovery and streams from the primary.
  local ok=""
  for _ in $(seq 60); do
    if [ "$(pg "$STANDBY_PORT" 'select pg_is_in_recovery()' 2>/dev/null)" = "t" ] \
      && [ "$(pg "$PRIMARY_PORT" "select count(*) from pg_stat_replication where state = 'streaming'")" = "1" ]; then
      ok=1
      break
    fi
    sleep 0.5
  done
  [ -n "$ok" ] || { echo "standby: not streaming" >&2; tail -n 20 "$DIR/standby.log" >&2; exit 1; }
  pg "$PRIMARY_PORT" "create database $DB"
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DB"
  echo "export DATABASE_REPLICA_URLS=postgres://postgres@127.0.0.1:$STANDBY_PORT/$DB"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
