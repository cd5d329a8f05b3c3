#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench-vsim.sh [BUILD_DIR] [N]: APDU round-trip time through the real PC/SC
# stack (libpcsclite -> pcscd -> vpcd -> simvault-vsim), in microseconds.
# Starts the card harness unless one is already running (then uses it).
#
# Prints figures for READ RECORD with CLA 00 and CLA A0, for a card that
# emulates a slow real card (--delay-ms 20), and for a card that leaves
# Linux's delayed ACK on (--no-quickack): the pitfall TCP_QUICKACK avoids.
# Also prints "BENCH vsim_rtt_<case>_us=<mean> unit=us" lines for
# build-aux/bench.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-}
n=${2:-2000}
if [ -z "$build" ]; then
  build=$( (ls -td "$src"/build/ "$src"/_build*/ 2>/dev/null || true) | while read -r d; do
            [ -x "$d/tests/vsim/bench-vsim-rtt" ] && { echo "$d"; break; }; done)
fi
bench="$build/tests/vsim/bench-vsim-rtt"
vsim="$build/smartcard/vsim/simvault-vsim"
[ -x "$bench" ] && [ -x "$vsim" ] || { echo "bench-vsim: build $build first (ninja tests/vsim/bench-vsim-rtt smartcard/vsim/simvault-vsim)" >&2; exit 1; }

started=0
if ! "$here/card-harness.sh" status >/dev/null 2>&1; then
  "$here/card-harness.sh" start
  started=1
fi
tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
  [ "$started" = 1 ] && "$here/card-harness.sh" stop
  return 0
}
trap cleanup EXIT
eval "$("$here/card-harness.sh" env)"

run() {  # run KEY LABEL N MODE VSIM-ARGS...
  local key=$1 label=$2 count=$3 mode=$4 out mean
  shift 4
  cp "$src/tests/data/cards/usim-2sets.json" "$tmp/card.json"
  "$vsim" --image "$tmp/card.json" --port "$SV_VPCD_PORT" "$@" &
  pid=$!
  # wait for the card through PC/SC (never a connect to the vpcd port)
  for _ in $(seq 1 50); do
    "$bench" "$SV_VPCD_READER0" 1 "$mode" >/dev/null 2>&1 && break
    sleep 0.1
  done
  out=$("$bench" "$SV_VPCD_READER0" "$count" "$mode")
  printf '%-28s %s\n' "$label:" "$out"
  mean=$(echo "$out" | sed -n 's/.*: mean \([0-9.]*\) us.*/\1/p')
  [ -n "$mean" ] && echo "BENCH vsim_rtt_${key}_us=$mean unit=us"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=""
  sleep 0.5
}

echo "simvault-vsim APDU round trips through pcscd ($(nproc) cores, $(uname -r))"
run uicc "UICC (CLA 00)" "$n" uicc
run 2g "2G (CLA A0)" "$n" 2g
run delay20 "UICC, --delay-ms 20" 50 uicc --delay-ms 20
run no_quickack "UICC, without TCP_QUICKACK" 50 uicc --no-quickack
