#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# pg-run.sh [--partitioned] COMMAND [ARGS...]
#
# Runs COMMAND with SV_TEST_STORAGE set to a throwaway PostgreSQL cluster
# (Debian's postgresql-15 binaries): initdb into a short temporary
# directory, postgres listening only on a Unix socket in that directory,
# trust authentication for the role "sv", fsync off (nothing here survives
# the test). SV_TEST_PSQL names the matching psql (the server tests create
# one database per data directory with it).
#
# As root, initdb and postgres run as the postgres user through
# `setpriv --reuid`, which replaces itself with the program, so `$!` is the
# postmaster's own pid: the cluster is stopped by that pid (SIGINT, a fast
# shutdown) and the directory removed, however COMMAND ends.
#
# --partitioned: the schema is created in template1 (simvault-server's own
# migrations) and converted by sync/server/pgsql-partition-by-card.sql
# into HASH partitions on iccid, so every database created afterwards
# (CREATE DATABASE copies template1) starts partitioned, and the server
# finds its migrations applied.
set -eu

partitioned=""
if [ "${1:-}" = "--partitioned" ]; then
  partitioned=1
  shift
fi

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/postgres" ]; then
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && bindir=$d
  done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "1..0 # SKIP no PostgreSQL server binaries (initdb); build-aux/install-deps.sh installs them"
  exit 0
fi

# Unix socket paths are limited to 107 bytes: keep the directory short.
dir=$(mktemp -d /tmp/svpg-XXXXXX)
as_owner=""
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as_owner="setpriv --reuid=postgres --regid=postgres --init-groups --reset-env"
fi

pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

$as_owner "$bindir/initdb" -D "$dir/data" -U sv -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
  >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}

# ( cd && exec ... ) &: $! is postgres itself, not a shell that would
# ignore SIGINT (TESTING-NOTES.md).
( cd "$dir" && exec $as_owner "$bindir/postgres" -D "$dir/data" \
    -c listen_addresses= -c unix_socket_directories="$dir" \
    -c fsync=off -c full_page_writes=off -c synchronous_commit=off \
    -c max_connections=200 >"$dir/server.log" 2>&1 ) &
pid=$!

i=0
until "$bindir/pg_isready" -q -h "$dir" -d postgres -U sv; do
  if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 300 ]; then
    cat "$dir/server.log" >&2
    echo "pg-run.sh: PostgreSQL did not start" >&2
    exit 1
  fi
  sleep 0.1
  i=$((i + 1))
done

if [ -n "$partitioned" ]; then
  server="${SV_BUILD_ROOT:?}/sync/server/simvault-server"
  # opening the store runs the migrations; `staff list` then exits
  { SIMVAULT_SERVER_PASSWORD_COST=test-only "$server" --data-dir "$dir/template" \
      --storage "postgresql://sv@/template1?host=$dir" staff list &&
    "$bindir/psql" "postgresql://sv@/template1?host=$dir" -q -v ON_ERROR_STOP=1 -v partitions=8 \
      -f "${SV_SOURCE_ROOT:?}/sync/server/pgsql-partition-by-card.sql"
  } >"$dir/partition.log" 2>&1 || {
    cat "$dir/partition.log" >&2
    echo "pg-run.sh: could not partition the schema" >&2
    exit 1
  }
fi

SV_TEST_STORAGE="postgresql://sv@/postgres?host=$dir"
SV_TEST_PSQL="$bindir/psql"
export SV_TEST_STORAGE SV_TEST_PSQL

set +e
"$@"
rc=$?
set -e
exit $rc
