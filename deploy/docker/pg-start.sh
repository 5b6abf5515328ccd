#!/bin/sh
# pg-start: the stores image's PostgreSQL, the way the dev overlay's StatefulSet is configured:
# an empty PGDATA gets a cluster with POSTGRES_USER (password POSTGRES_PASSWORD) owning
# POSTGRES_DB; then the server runs in the foreground (PID 1) on PGPORT, loopback only
# unless PG_LISTEN says otherwise.
set -eu
: "${PGDATA:?}" "${POSTGRES_USER:?}" "${POSTGRES_PASSWORD:?}" "${POSTGRES_DB:?}"
port=${PGPORT:-5432}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --no-locale >/dev/null
  rm -f "$pwfile"
  if [ "$POSTGRES_DB" != postgres ]; then
    postgres --single -D "$PGDATA" -j postgres >/dev/null <<SQL
CREATE DATABASE "$POSTGRES_DB" OWNER "$POSTGRES_USER";
SQL
  fi
fi
exec postgres -D "$PGDATA" -p "$port" -k "${PG_SOCKET_DIR:-/tmp}" -c listen_addresses="${PG_LISTEN:-127.0.0.1}" "$@"
