#!/usr/bin/env bash
# Bench scenarios 1 (Okta push) and 4 (look-ups) three ways: on SQLite (one replica), on
# PostgreSQL with one replica, and on PostgreSQL with two replicas behind a round-robin IdP.
# Starts a throwaway PostgreSQL server for it (initdb in a temporary directory, trust auth,
# loopback only, a free port; stopped and removed at exit) and prints each run's report.
# Options are passed to every bench run, e.g.: scripts/bench-replicas.sh --users 1000 --duration 10
#
# PostgreSQL's binaries are taken from PG_BIN, else the highest /usr/lib/postgresql/*/bin, else
# PATH. As root, the server runs as the `postgres` user (PostgreSQL refuses root).
set -euo pipefail
cd "$(dirname "$0")/.."

# --- the bridge: the release binary this build produced, wherever CARGO_TARGET_DIR puts it
bin=$(cargo build --release --locked --quiet --bin falcon-scim-bridge --message-format=json-render-diagnostics \
  | python3 -c 'import json, sys
paths = [m["executable"] for m in map(json.loads, sys.stdin)
         if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "falcon-scim-bridge"
         and m.get("executable")]
print(paths[-1] if paths else "")')
[ -x "$bin" ] || { echo "cargo build did not name the falcon-scim-bridge executable" >&2; exit 1; }

# --- PostgreSQL's binaries
complete() { [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/postgres" ]; }
pg_bin=${PG_BIN:-}
if [ -z "$pg_bin" ]; then
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if complete "$dir"; then pg_bin=$dir; break; fi
  done
fi
if [ -z "$pg_bin" ] && command -v initdb >/dev/null; then
  pg_bin=$(dirname "$(readlink -f "$(command -v initdb)")")
fi
[ -n "$pg_bin" ] && complete "$pg_bin" || {
  echo "no PostgreSQL binaries (apt-get install postgresql, or set PG_BIN)" >&2; exit 1; }

# --- a throwaway server
dir=$(mktemp -d /tmp/fsb-bench-pg.XXXXXX)
mkdir "$dir/socket"
as_server=()
if [ "$(id -u)" = 0 ]; then
  chown -R postgres: "$dir"
  if command -v runuser >/dev/null; then
    as_server=(runuser -u postgres --)
  else
    as_server=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  fi
fi
cleanup() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    (cd "$dir" && "${as_server[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1) || true
  fi
  rm -rf -- "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

(cd "$dir" && "${as_server[@]}" "$pg_bin/initdb" -D "$dir/data" --username=bridge --auth=trust \
  --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1) || { cat "$dir/initdb.log" >&2; exit 1; }
cat >>"$dir/data/postgresql.conf" <<EOF

# bench-replicas.sh: a throwaway server
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/socket'
max_connections = 200
EOF
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$dir" && "${as_server[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port" start >/dev/null) || { tail -30 "$dir/server.log" >&2; exit 1; }
url="postgres://bridge@127.0.0.1:$port/postgres"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throwaway, in $dir)"

# --- the three runs
run() {
  echo
  echo "######## $1"
  shift
  "$bin" bench --scenario 1 --scenario 4 "$@"
}
run "SQLite, 1 replica" "$@"
run "PostgreSQL, 1 replica" --database-url "$url" "$@"
run "PostgreSQL, 2 replicas" --database-url "$url" --replicas 2 "$@"

# Each scenario dropped its database; say so if one was left behind.
if [ -x "$pg_bin/psql" ]; then
  left=$("$pg_bin/psql" -X -At -d "$url" -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'fsb\_bench\_%'")
  [ "$left" = 0 ] || echo "warning: $left bench databases were left on the server" >&2
fi
