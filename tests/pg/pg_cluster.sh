#!/bin/sh
# Starts and stops a throwaway PostgreSQL cluster for tests and benchmarks.
#
#   pg_cluster.sh start [STATE_DIR]   prints the admin DSN on stdout; with
#                                     STATE_DIR, also writes STATE_DIR/dsn and
#                                     STATE_DIR/cluster (the cluster dir)
#   pg_cluster.sh stop CLUSTER_DIR|STATE_DIR
#
# The cluster lives in a fresh directory under ${TMPDIR:-/tmp} (short, for
# the 107-byte unix socket path limit), listens only on a unix socket in that
# directory (so no TCP port is taken and clusters never collide), trusts
# every local connection and runs without fsync. As root, initdb and pg_ctl
# run as the `postgres` user (they refuse root). Exit status is non-zero on
# failure, with the server log on stderr.
set -eu

pgbin() {
  if [ -n "${CASEBRIDGE_PG_BIN:-}" ]; then echo "$CASEBRIDGE_PG_BIN"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd=${1:-}
case "$cmd" in
  start)
    state=${2:-}
    bin=$(pgbin)
    [ -x "$bin/initdb" ] || { echo "pg_cluster: no PostgreSQL binaries found" >&2; exit 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/cbpg.XXXXXX")
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    cd /  # the postgres user may not be able to read the caller's cwd
    if ! as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1
    fi
    if ! as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses= -p 5432 -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off \
            -c max_connections=300 -c shared_buffers=64MB" start >/dev/null; then
      cat "$dir/server.log" >&2 2>/dev/null || true; rm -rf "$dir"; exit 1
    fi
    dsn="host=$dir port=5432 user=postgres dbname=postgres"
    echo "$dir" >"$dir/cluster"
    if [ -n "$state" ]; then
      mkdir -p "$state"
      echo "$dsn" >"$state/dsn"
      echo "$dir" >"$state/cluster"
    fi
    echo "$dsn"
    ;;
  stop)
    target=${2:?usage: pg_cluster.sh stop DIR}
    if [ -f "$target/cluster" ]; then dir=$(cat "$target/cluster"); else dir=$target; fi
    bin=$(pgbin)
    cd /
    if [ -d "$dir/data" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    case "$dir" in
      */cbpg.*) rm -rf "$dir" ;;
    esac
    [ "$target" != "$dir" ] && rm -f "$target/dsn" "$target/cluster"
    exit 0
    ;;
  *)
    echo "usage: pg_cluster.sh start [STATE_DIR] | stop DIR" >&2
    exit 2
    ;;
esac
