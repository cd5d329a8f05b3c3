#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Independent evidence: pcsc_scan (pcsc-tools) sees the virtual card in the
# harness's reader, prints its ATR and identifies it from its ATR list.
# pcsc_scan runs forever, so it runs under `timeout`.  Exit 77 = skip.
set -uo pipefail

if [ -z "${SV_VPCD_PORT:-}" ]; then
  echo "pcsc-scan-check: skipped, no card harness (SV_VPCD_PORT unset)"
  exit 77
fi
src=${SV_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
vsim=${SV_VSIM:-$SV_BUILD_ROOT/smartcard/vsim/simvault-vsim}
reader=${SV_VPCD_READER0:-SimVault Virtual Reader 00 00}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

fail=0
check() {  # check PROFILE ATR-SPACED IDENTIFICATION
  local profile=$1 atr=$2 ident=$3 out
  cp "$src/tests/data/cards/$profile.json" "$tmp/card.json"
  "$vsim" --image "$tmp/card.json" --port "$SV_VPCD_PORT" &
  pid=$!
  out=$(timeout 3 pcsc_scan 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
  kill "$pid"; wait "$pid" 2>/dev/null
  for want in "Reader 0: $reader" "Card state: Card inserted" "ATR: $atr" "$ident"; do
    if printf '%s\n' "$out" | grep -qF -- "$want"; then
      echo "ok: $profile: pcsc_scan shows \"$want\""
    else
      echo "FAIL: $profile: pcsc_scan does not show \"$want\""
      fail=1
    fi
  done
  sleep 0.5
}

check usim-2sets "3B 9F 96 80 1F C7 80 31 A0 73 BE 21 13 67 43 20 07 18 00 00 01 A5" "Protocol T = 0"
check sim-2g-plain "3B 16 94 71 01 01 05 02 00" "GSM SIM Bouygues Telecom"
[ "$fail" = 0 ] && echo "pcsc-scan-check: all good"
exit $fail
