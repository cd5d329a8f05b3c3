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
#     USIM change counters; 2G cards have none);
#   - a write of 10 changed records (tests/card/bench-card-write.c: the
#     product's write operation, plan + run with its checks, read-backs and
#     journal) on each profile, and a restore of usim-2sets onto a blank
#     card of the same layout (usim-empty): APDUs by kind against the
#     minimum (one UPDATE and one verifying READ per record, one SELECT per
#     EF and the DFs on the way), time against a bare SCardTransmit loop
#     sending that minimum.
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
bench_write="$build/tests/card/bench-card-write"
vsim="$build/smartcard/vsim/simvault-vsim"
[ -x "$bench" ] && [ -x "$bench_write" ] && [ -x "$vsim" ] || {
  echo "bench-card: build first: ninja -C BUILD tests/card/bench-card-read tests/card/bench-card-write smartcard/vsim/simvault-vsim" >&2
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

insert() {  # insert PROFILE: a fresh copy of the profile in the reader
  cp "$src/tests/data/cards/$1.json" "$tmp/card.json"
  # BENCH_CARD_APDU_LOG=DIR keeps each card's APDUs (simvault-vsim --apdu-log) in DIR/<profile>.log.
  "$vsim" --image "$tmp/card.json" --port "$SV_VPCD_PORT" --delay-ms "$delay" \
    ${BENCH_CARD_APDU_LOG:+--apdu-log "$BENCH_CARD_APDU_LOG/$1.log"} </dev/null >"$tmp/vsim.log" 2>&1 &
  pid=$!
  # Wait for the card through PC/SC, never with a connect to the vpcd port.
  for _ in $(seq 1 50); do
    "$build/app/cli/simvault-cli" readers --json 2>/dev/null \
      | grep -q '"card_present" : true' && break
    sleep 0.1
  done
}

eject() {
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=""
  sleep 0.5
}

run() {  # run PROFILE [PIN]
  local profile=$1 pin=${2:-} out
  insert "$profile"
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
  eject
}

# records=.. apdus=.. selects=.. get_response=.. reads=.. verify_reads=.. updates=..
# searches=.. others=.. min=.. min_selects=.. ours_us=.. write_us=.. loop_us=.. ratio=..
# later_apdus=.. later_min=.. later_checks=.. min_checked=.. loop_checked_us=.. ratio_checked=..
print_write() {  # print_write LABEL KEY OUTPUT
  local label=$1 key=$2
  eval "$(echo "$3" | tr ' ' '\n' | sed 's/^/w_/')"
  printf '%-26s APDUs %4s (minimum %4s: %s records x UPDATE + verifying READ, %s SELECTs)\n' \
    "$label" "$w_apdus" "$w_min" "$w_records" "$w_min_selects"
  printf '%-26s SELECT %s, UPDATE %s, READ %s (%s verifying), GET RESPONSE %s, SEARCH RECORD %s, other %s\n' \
    "" "$w_selects" "$w_updates" "$w_reads" "$w_verify_reads" "$w_get_response" "$w_searches" "$w_others"
  printf '%-26s time %8s us (card write alone %s us), bare SCardTransmit loop %8s us: ratio %s\n' \
    "" "$w_ours_us" "$w_write_us" "$w_loop_us" "$w_ratio"
  # The checks: READs other than verifying ones, SEARCH RECORDs, and the SELECTs beyond the minimum's.
  local checks=$((w_reads - w_verify_reads + w_searches + w_selects - w_min_selects))
  printf '%-26s beyond the minimum: the ICCID and change checks, %s APDUs (%s READs and SEARCH RECORDs, %s SELECTs)\n' \
    "" "$checks" "$((w_reads - w_verify_reads + w_searches))" "$((w_selects - w_min_selects))"
  echo "BENCH ${key}_apdus=$w_apdus unit=APDUs"
  echo "BENCH ${key}_min_apdus=$w_min unit=APDUs"
  echo "BENCH ${key}_check_apdus=$checks unit=APDUs"
  if [ "${w_later_apdus:-0}" != 0 ]; then
    printf '%-26s a later write of 10 to the same card: APDUs %s (minimum %s), %s of them checks\n' \
      "" "$w_later_apdus" "$w_later_min" "$w_later_checks"
    echo "BENCH ${key}_later_apdus=$w_later_apdus unit=APDUs"
    echo "BENCH ${key}_later_min_apdus=$w_later_min unit=APDUs"
  fi
  echo "BENCH ${key}${suffix}_ours_ms=$(awk -v u="$w_ours_us" 'BEGIN { printf "%.2f", u / 1000 }') unit=ms"
  echo "BENCH ${key}${suffix}_loop_ms=$(awk -v u="$w_loop_us" 'BEGIN { printf "%.2f", u / 1000 }') unit=ms"
  # The second baseline: the minimum plus the checks a safe write needs
  # (ICCID; USIM: EF_PSC, EF_PBC flags, EF_CC; 2G: each record compared),
  # replayed the same way. The target row stays the one against the bare minimum.
  printf '%-26s minimum with the necessary checks: APDUs %s (ours %s: ratio %s); loop %s us: time ratio %s\n' \
    "" "$w_min_checked" "$w_apdus" "$(awk -v a="$w_apdus" -v m="$w_min_checked" 'BEGIN { printf "%.2f", a / m }')" \
    "$w_loop_checked_us" "$w_ratio_checked"
  echo "BENCH ${key}_min_checked_apdus=$w_min_checked unit=APDUs"
  echo "BENCH ${key}${suffix}_loop_checked_ms=$(awk -v u="$w_loop_checked_us" 'BEGIN { printf "%.2f", u / 1000 }') unit=ms"
  # bench.sh compares only the bare minimum in its rows; these land in its "other figures".
  echo "BENCH ${key}_apdus_x_checked_min=$(awk -v a="$w_apdus" -v m="$w_min_checked" 'BEGIN { printf "%.2f", a / m }') unit=x"
  echo "BENCH ${key}${suffix}_time_x_checked_loop=$w_ratio_checked unit=x"
}

write10() {  # write10 PROFILE: 10 contacts renamed and written, N times
  local profile=$1 n_write=$2 out
  insert "$profile"
  rm -f "$tmp/mirror.db"
  out=$("$bench_write" write10 "$SV_VPCD_READER0" "$tmp/mirror.db" "$n_write")
  print_write "$profile write of 10" "card_write10${profile_key[$profile]}" "$out"
  eject
}

restore() {  # restore SOURCE TARGET: SOURCE read into the mirror, restored onto TARGET (blank)
  local source=$1 target=$2 out source_iccid
  rm -f "$tmp/mirror.db"
  insert "$source"
  source_iccid=$("$build/app/cli/simvault-cli" read --reader "$SV_VPCD_READER0" --db "$tmp/mirror.db" --json \
                   | grep -o '"iccid" *: *"[0-9]*"' | head -n1 | grep -o '[0-9]*"$' | tr -d '"')
  eject
  [ -n "$source_iccid" ] || { echo "bench-card: cannot read $source into the mirror" >&2; exit 1; }
  insert "$target"
  out=$("$bench_write" restore "$SV_VPCD_READER0" "$tmp/mirror.db" "$source_iccid")
  print_write "$source -> $target" "card_restore" "$out"
  eject
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
echo
echo "Writes through the write operation (plan + run: ICCID check, change check, UPDATE, verifying READ, journal)$delay_text"
# The USIM write keeps the historical key card_write10_*; the 2G one is card_write10_2g_*.
declare -A profile_key=([usim-2sets]="" [sim-2g-plain]="_2g")
n_write=$(( n < 2 ? 2 : n < 10 ? n : 10 ))   # the first write is the figure; the last, a later write
write10 sim-2g-plain "$n_write"
write10 usim-2sets "$n_write"
restore usim-2sets usim-empty
