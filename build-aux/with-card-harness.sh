#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# with-card-harness.sh CMD...: starts the PC/SC card harness (a private pcscd
# with the vpcd reader), runs CMD with SV_VPCD_PORT / SV_VPCD_READER0 /
# SV_VPCD_READER1 in its environment, stops the harness (by pid) whatever
# happens, and exits with CMD's status.
#
#   build-aux/with-card-harness.sh meson test -C _build --suite card
#
# Only one pcscd may run per machine: while another harness (or pcscd) is
# up, it waits for it to go away, up to SV_HARNESS_WAIT seconds (default
# 600), then gives up with card-harness.sh's refusal (exit 3).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -gt 0 ] || { echo "usage: $0 CMD..." >&2; exit 2; }

wait_max=${SV_HARNESS_WAIT:-600}
deadline=$((SECONDS + wait_max))
told=0
while :; do
  rc=0
  "$here/card-harness.sh" start 2>"${TMPDIR:-/tmp}/with-card-harness.$$" || rc=$?
  if [ "$rc" -ne 3 ] || [ "$SECONDS" -ge "$deadline" ]; then
    cat "${TMPDIR:-/tmp}/with-card-harness.$$" >&2
    rm -f "${TMPDIR:-/tmp}/with-card-harness.$$"
    [ "$rc" -eq 0 ] || exit "$rc"
    break
  fi
  if [ "$told" = 0 ]; then
    echo "with-card-harness: $(tail -n1 "${TMPDIR:-/tmp}/with-card-harness.$$"); waiting up to ${wait_max}s" >&2
    told=1
  fi
  sleep 1
done
trap '"$here/card-harness.sh" stop' EXIT INT TERM
eval "$("$here/card-harness.sh" env)" || exit 1
"$@"
