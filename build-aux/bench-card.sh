#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench-card.sh [--delay-ms MS] [BUILD_DIR] [N]: a full card read with libsvsmartcard through
# the real PC/SC stack (pcscd + vpcd + simvault-vsim), for the 2G profile
# (sim-2g-plain) and the USIM profile (usim-2sets). For each it prints
#   - the APDUs sent against the minimum (one per record or transparent
#     file, plus one SELECT per file read), with the SELECT / GET RESPONSE /
#     READ split;
#   - the time of our read against a minimal C loop that sends the same
#     APDUs with bare SCardTransmit calls through the same pcscd (ratio);
#   - the APDUs of a re-read of the unchanged card (previous image given:
#     USIM change counters; 2G cards have none).
# With --delay-ms MS the virtual card answers every APDU MS ms late, as a
# real T=0 card does (a few ms per APDU): then the APDU count is the time.
# Prints the figures, and BENCH lines for build-aux/bench.sh:
#   BENCH card_<profile>[_delayMS]_<figure>=<value> unit=<unit>
# Starts the card harness unless one already runs (then uses it).
set -euo pipefail

delay=0
if [ "${1:-}" = "--delay-ms" ]; then
  delay=${2:?--delay-ms needs a number}
  shift 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-}
n=${2:-20}
if [ -z "$build" ]; then
  build=$( (ls -td "$src"/build/ "$src"/_build*/ 2>/dev/null || true) | while read -r d; do
            [ -x "$d/tests/card/bench-card-read" ] && [ -x "$d/smartcard/vsim/simvault-vsim" ] \
              && { echo "$d"; break; }; done)
fi
bench="$build/tests/card/bench-card-read"
vsim="$build/smartcard/vsim/simvault-vsim"
[ -x "$bench" ] && [ -x "$vsim" ] || {
  echo "bench-card: build first: ninja -C BUILD tests/card/bench-card-read smartcard/vsim/simvault-vsim" >&2
  exit 1
}

started=0
if ! "$here/card-harness.sh" status >/dev/null 2>&1; then
  "$here/card-harness.sh" start
  started=1
fi
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
  if [ "$started" = 1 ]; then "$here/card-harness.sh" stop; fi
  return 0
}
trap cleanup EXIT
eval "$("$here/card-harness.sh" env)"

run() {  # run PROFILE [PIN]
  local profile=$1 pin=${2:-} out
  cp "$src/tests/data/cards/$profile.json" "$tmp/card.json"
  "$vsim" --image "$tmp/card.json" --port "$SV_VPCD_PORT" --delay-ms "$delay" </dev/null >"$tmp/vsim.log" 2>&1 &
  pid=$!
  # Wait for the card through PC/SC, never with a connect to the vpcd port.
  for _ in $(seq 1 50); do
    "$build/app/cli/simvault-cli" readers --json 2>/dev/null \
      | grep -q '"card_present" : true' && break
    sleep 0.1
  done
  out=$("$bench" "$SV_VPCD_READER0" "$n" $pin)
  # apdus=A min=M selects=S get_response=G reads=R records=.. files=.. ours_us=T loop_us=L ratio=X
  eval "$(echo "$out" | tr ' ' '\n' | sed 's/^/b_/')"
  printf '%-14s APDUs %4s (minimum %4s: %s records + %s SELECTs)  SELECT %s, GET RESPONSE %s, READ %s\n' \
    "$profile" "$b_apdus" "$b_min" "$b_records" "$b_files" "$b_selects" "$b_get_response" "$b_reads"
  printf '%-14s time %8s us per read, bare SCardTransmit loop %8s us: ratio %s\n' \
    "" "$b_ours_us" "$b_loop_us" "$b_ratio"
  printf '%-14s re-read of the unchanged card: %s APDUs (%s without EF_SMS)\n' \
    "" "$b_reread" "$b_reread_no_sms"
  local key="card_${profile//-/_}$suffix"
  echo "BENCH ${key}_apdus=$b_apdus unit=APDUs"
  echo "BENCH ${key}_min_apdus=$b_min unit=APDUs"
  echo "BENCH ${key}_ours_ms=$(awk -v u="$b_ours_us" 'BEGIN { printf "%.2f", u / 1000 }') unit=ms"
  echo "BENCH ${key}_loop_ms=$(awk -v u="$b_loop_us" 'BEGIN { printf "%.2f", u / 1000 }') unit=ms"
  echo "BENCH ${key}_reread_apdus=$b_reread unit=APDUs"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=""
  sleep 0.5
}

suffix=""
delay_text=""
if [ "$delay" != 0 ]; then
  suffix="_delay$delay"
  delay_text=", the card answering each APDU ${delay} ms late"
fi
echo "Full card read through pcscd + vpcd + simvault-vsim, mean of $n reads ($(nproc) cores)$delay_text"
run sim-2g-plain
run usim-2sets
