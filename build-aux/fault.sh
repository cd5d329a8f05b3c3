#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The long fault run (issue 17): the `fault` suite with many more server
# kills than build-aux/test.sh does (SV_FAULT_KILLS, default 60 here, 5 in
# test.sh), repeated ROUNDS times with fresh random seeds (each round's
# seed is printed; SV_FAULT_SEED=N repeats one). Loopback only.
#   build-aux/fault.sh            # 60 kills x 1 round
#   build-aux/fault.sh 200 3      # 200 kills x 3 rounds
# The restore kills (test-fault-restores.py, 16 desktops restoring) run
# SV_FAULT_RESTORE_KILLS (default: the same number as the backup kills),
# on SQLite and again on PostgreSQL.
# The desktop kills (test-desktop-kill.py) run SV_FAULT_DESKTOP_KILLS (30
# here, 6 in test.sh) per operation.
# Prints the FIGURES lines (kills, acknowledged batches, retries, records
# lost) that RELIABILITY.md quotes.
set -eu
kills=${1:-60}
rounds=${2:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SV_BUILD_DIR:-$root/build}

[ -f "$build/build.ninja" ] || meson setup "$build" "$root"
meson compile -C "$build"

status=0
i=0
while [ "$i" -lt "$rounds" ]; do
  i=$((i + 1))
  echo "=== fault round $i: $kills kills"
  SV_FAULT_KILLS=$kills SV_FAULT_RESTORE_KILLS=${SV_FAULT_RESTORE_KILLS:-$kills} SV_FAULT_DESKTOP_KILLS=${SV_FAULT_DESKTOP_KILLS:-30} meson test -C "$build" --no-rebuild --suite fault \
    --num-processes 1 --print-errorlogs --timeout-multiplier 10 || status=1
  grep -ho 'FIGURES[^"\\]*' "$build/meson-logs/testlog.json" || true
done
# The same restore kills with the server on PostgreSQL, and the full disk
# under PostgreSQL (tests/postgresql; skip with SV_FAULT_POSTGRESQL=0).
if [ "${SV_FAULT_POSTGRESQL:-1}" != 0 ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "=== PostgreSQL: $kills kills while 16 desktops restore; a full disk"
  SV_FAULT_RESTORE_KILLS=${SV_FAULT_RESTORE_KILLS:-$kills} meson test -C "$build" --no-rebuild \
    test-fault-restores-postgresql test-pg-disk-full --num-processes 1 --print-errorlogs \
    --timeout-multiplier 10 || status=1
  grep -ho 'FIGURES[^"\\]*' "$build/meson-logs/testlog.json" || true
fi
# SV_FAULT_CARD=1: also the card pulled at every APDU of the writes
# (tests/card/test-card-pull-every.c with no cap on the pull points),
# through the shared card harness.
if [ -n "${SV_FAULT_CARD:-}" ]; then
  echo "=== card pulled at every APDU"
  SV_PULL_MAX_POINTS=100000 "$root/build-aux/with-card-harness.sh" \
    meson test -C "$build" --no-rebuild card-pull-every --num-processes 1 --print-errorlogs \
    --timeout-multiplier 4 || status=1
  grep -ho 'FIGURES pulls[^"\\]*' "$build/meson-logs/testlog.json" || true
fi
exit $status
