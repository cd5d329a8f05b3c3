#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench-server.sh [BUILD_DIR] [--quick] [--scale N,N]: simvault-server's
# incremental backups (10 records) and "changes since" with 1, 16 and 64
# concurrent clients on loopback, the same work through Radicale
# (python3-radicale: 10 vCard PUTs, a sync-collection REPORT) in the same
# run; then RSS and backup latency with 10,000 and 100,000 registered cards
# of 250 records (--scale "" skips them). Prints `BENCH name=value unit=U`
# lines (build-aux/bench.sh). Needs a build and build-aux/install-deps.sh.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
case "${1:-}" in
  ""|-*) ;;
  *) build=$1; shift ;;
esac
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
meson compile -C "$build" sync/server/simvault-server >/dev/null
if ! /usr/bin/python3 -c 'import radicale' 2>/dev/null; then
  echo "bench-server.sh: python3-radicale is missing (build-aux/install-deps.sh); Radicale rows are skipped" >&2
fi
exec /usr/bin/python3 "$root/tests/bench/bench-server.py" "$build/sync/server/simvault-server" "$@"
