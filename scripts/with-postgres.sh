#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 server and DATABASE_URL set,
# then stops the server and deletes its data, however the command ends.
#
#   scripts/with-postgres.sh npm test
#   scripts/with-postgres.sh npx vitest run src/store
#
# The server listens on 127.0.0.1 only, on the first free port from
# LADDER_PG_PORT (default 55432), with its own data and socket directories
# under $TMPDIR. fsync is off: the data is thrown away, so only speed matters.
# As root the server runs as the `postgres` user (it refuses to run as root);
# as anyone else it runs as that user. Exits with the command's status.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo 'usage: scripts/with-postgres.sh COMMAND [ARG...]' >&2
  exit 64
fi

pg_bin=${PGBIN:-/usr/lib/postgresql/15/bin}
if [[ ! -x $pg_bin/initdb ]]; then
  echo "with-postgres: no PostgreSQL 15 at $pg_bin (set PGBIN, or as root:" \
    'apt-get install -y --no-install-recommends postgresql-15)' >&2
  exit 69
fi

# The server and its tools run as `postgres` when we are root.
as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port=${LADDER_PG_PORT:-55432}
for _ in $(seq 1 50); do
  port_in_use "$port" || break
  port=$((port + 1))
done
if port_in_use "$port"; then
  echo "with-postgres: no free port from ${LADDER_PG_PORT:-55432} to $port" >&2
  exit 69
fi

data_dir=$(mktemp -d "${TMPDIR:-/tmp}/ladder-pgdata.XXXXXX")
sock_dir=$(mktemp -d "${TMPDIR:-/tmp}/ladder-pgsock.XXXXXX")
started=no

stop_server() {
  if [[ $started == yes ]]; then
    as_server_user "$pg_bin/pg_ctl" -D "$data_dir" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$data_dir" "$sock_dir"
}
trap stop_server EXIT

if [[ $(id -u) -eq 0 ]]; then
  chown postgres:postgres "$data_dir" "$sock_dir"
fi

as_server_user "$pg_bin/initdb" -D "$data_dir" -U postgres --auth=trust -E UTF8 \
  --locale=C.UTF-8 >"$data_dir.initdb.log" 2>&1 || {
  cat "$data_dir.initdb.log" >&2
  rm -f "$data_dir.initdb.log"
  exit 1
}
rm -f "$data_dir.initdb.log"

server_options="-c listen_addresses=127.0.0.1 -p $port -k $sock_dir"
server_options+=' -c fsync=off -c synchronous_commit=off -c full_page_writes=off'
if ! as_server_user "$pg_bin/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -w -t 60 \
  -o "$server_options" start >/dev/null; then
  echo 'with-postgres: the server did not start; its log:' >&2
  cat "$data_dir/server.log" >&2 || true
  exit 1
fi
started=yes

as_server_user "$pg_bin/psql" -h "$sock_dir" -p "$port" -U postgres -d postgres -qc \
  'CREATE DATABASE ladder'

export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/ladder"
echo "with-postgres: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}')" \
  "on 127.0.0.1:$port" >&2

status=0
"$@" || status=$?
exit "$status"
