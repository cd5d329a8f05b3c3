#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench-server-scale.sh [BUILD_DIR] [-- bench-cluster.py options]
#
# simvault-server's throughput versus node count (1, 2, 3 nodes behind
# haproxy) on SQLite (one WAL file shared by the nodes) and on PostgreSQL 15
# (a throwaway cluster, durable commits), 16 concurrent clients doing
# incremental backups; then PostgreSQL's bytes per row of every table, for
# the 10-million-card estimate in BENCHMARKS.md. Prints
# `BENCH name=value unit=U` lines. Needs Debian's postgresql and haproxy
# (build-aux/install-deps.sh) and a build (meson compile -C build).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
case "${1:-}" in
  ""|-*) ;;
  *) build=$1; shift ;;
esac
[ "${1:-}" = "--" ] && shift
if [ ! -x "$build/sync/server/simvault-server" ]; then
  echo "bench-server-scale.sh: no $build/sync/server/simvault-server; build first" >&2
  exit 1
fi
SV_BUILD_ROOT=$build exec /usr/bin/python3 "$root/tests/postgresql/bench-cluster.py" "$@"
