#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# pg-run.sh COMMAND [ARGS...]
#
# Runs COMMAND with SV_TEST_STORAGE set to a throwaway PostgreSQL cluster
# (Debian's postgresql-15 binaries): initdb into a temporary directory,
# a server listening only on a Unix socket in that directory, trust
# authentication for the role "sv", fsync off (nothing here survives the
# test). The server is stopped by its own pid, and the directory removed,
# however COMMAND ends. As root, the cluster runs as the postgres user.
set -eu

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && bindir=$d
  done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "1..0 # SKIP no PostgreSQL server binaries (initdb)"
  exit 0
fi

dir=$(mktemp -d /tmp/sv-pg-XXXXXX)
as_owner=""
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as_owner="runuser -u postgres --"
fi

pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill -INT "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

$as_owner "$bindir/initdb" -D "$dir/data" -U sv -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}
$as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses='' -k $dir -c fsync=off -c full_page_writes=off -c max_connections=50" \
  start >/dev/null || {
  cat "$dir/server.log" >&2
  exit 1
}
pid=$(head -n 1 "$dir/data/postmaster.pid")

SV_TEST_STORAGE="postgresql://sv@/postgres?host=$dir"
export SV_TEST_STORAGE

set +e
"$@"
rc=$?
set -e
exit $rc
