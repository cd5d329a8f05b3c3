#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench-sync.sh [--headers] [BUILD_DIR]: bytes on the wire (requests and answers, HTTP
# headers included, counted at a TCP proxy on loopback) and round trips of
# simvault-cli's backups and restores against simvault-server: incremental
# backups of k = 1, 10, 100 changed records out of 250 and 500, full
# backups, incremental restores of k records. Prints `BENCH name=value
# unit=U` lines (build-aux/bench.sh makes the table). Needs a build.
#
# On stderr: every exchange (request line, bytes each way split into head
# and body); with --headers also every header line of every request and
# answer with its bytes (the line and its CRLF).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--headers" ]; then
  export SV_BENCH_SYNC_HEADERS=1
  shift
fi
build=${1:-$root/build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
meson compile -C "$build" app/cli/simvault-cli sync/server/simvault-server tests/mirror/mirror-from-profile >/dev/null
exec /usr/bin/python3 "$root/tests/bench/bench-sync.py" "$build/app/cli/simvault-cli" \
  "$build/sync/server/simvault-server" "$build/tests/mirror/mirror-from-profile" "$root/tests/data/cards"
