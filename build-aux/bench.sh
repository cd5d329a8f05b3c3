#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench.sh [--quick] [BUILD_DIR]: every benchmark of SimVault in one run,
# printed as one table: the machine, the commit, and per row our figure, the
# peer's or the limit's, and the ratio (ours / theirs: below 1 is better,
# except where the row says otherwise).
#
# It runs build-aux/bench-*.sh and collects the lines they print as
#   BENCH <key>=<value> unit=<unit>
# The keys each row reads are listed below (and in BENCHMARKS.md); a row
# whose keys no benchmark printed says "not yet measured": nothing is
# invented. A new bench-<name>.sh that takes [BUILD_DIR] and prints BENCH
# lines is run too; give its keys a row here.
#
# The card benchmarks need the PC/SC card harness: they run through
# with-card-harness.sh, which waits while another harness is up.
#   --quick        fewer repetitions (a smoke run; the figures are noisier)
#   --table LOGS   print the table again from the logs of an earlier run
#   BUILD_DIR      default build-bench/, configured --buildtype=debugoptimized
# Logs of every part are kept in $SV_BENCH_LOGS (default: a new temp dir,
# named at the end).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
quick=0 table_only=""
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
if [ "${1:-}" = "--table" ]; then table_only=${2:?--table needs the logs directory}; shift 2; fi
# The benchmarks measure an optimized build, as a distribution ships it
# (-O2, Debian's default), in a build directory of their own; a BUILD_DIR
# given is used as it is.
build=${1:-$src/build-bench}
logs=${table_only:-${SV_BENCH_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/simvault-bench.XXXXXX")}}
mkdir -p "$logs"

say() { echo "bench: $*" >&2; }

if [ -z "$table_only" ]; then
  if [ ! -f "$build/build.ninja" ]; then
    say "configuring $build"
    meson setup --buildtype=debugoptimized "$build" >"$logs/setup.log" 2>&1 || { cat "$logs/setup.log" >&2; exit 1; }
  fi
  # Everything: the parts run the programs (simvault, simvault-server,
  # simvault-cli, simvault-vsim) and use the compiled settings schema.
  say "building $build"
  meson compile -C "$build" >"$logs/build.log" 2>&1 \
    || { tail -n 30 "$logs/build.log" >&2; exit 1; }

  if [ "$quick" = 1 ]; then
    card_n=5 card_delay_n=1 vsim_n=300 gui_sizes="10000"
  else
    card_n=20 card_delay_n=3 vsim_n=2000 gui_sizes="10000 50000"
  fi

  part() {  # part NAME CMD...: runs one benchmark, its output into the log
    local name=$1 rc
    shift
    say "$name ..."
    "$@" >"$logs/$name.log" 2>&1
    rc=$?
    [ "$rc" = 0 ] || say "$name failed (exit $rc); its rows will say so; log: $logs/$name.log"
    return 0
  }

  start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "start=$start load_before=\"$load_before\" gui_sizes=\"$gui_sizes\"" >"$logs/run.info"
  # The card parts share one harness (waiting once for a busy machine).
  say "card, card with 5 ms per APDU, APDU round trip (waiting for the card harness if busy) ..."
  "$here/with-card-harness.sh" bash -c '
    here=$1 build=$2 logs=$3
    "$here/bench-card.sh" "$build" "$4" >"$logs/card.log" 2>&1 || echo "bench-card.sh failed: exit $?" >>"$logs/card.log"
    "$here/bench-card.sh" --delay-ms 5 "$build" "$5" >"$logs/card-delay5.log" 2>&1 \
      || echo "bench-card.sh --delay-ms 5 failed: exit $?" >>"$logs/card-delay5.log"
    "$here/bench-vsim.sh" "$build" "$6" >"$logs/vsim.log" 2>&1 || echo "bench-vsim.sh failed: exit $?" >>"$logs/vsim.log"
  ' _ "$here" "$build" "$logs" "$card_n" "$card_delay_n" "$vsim_n" >"$logs/harness.log" 2>&1 \
    || say "the card harness did not start: $(tail -n1 "$logs/harness.log")"
  # shellcheck disable=SC2086
  part gui "$here/bench-gui.sh" "$build" $gui_sizes
  for script in "$here"/bench-*.sh; do
    name=$(basename "$script" .sh)
    case "$name" in
      bench-card|bench-vsim|bench-gui) ;;
      *) part "${name#bench-}" "$script" "$build" ;;
    esac
  done
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "load_after=\"$load_after\"" >>"$logs/run.info"
fi
# shellcheck disable=SC1091
. "$logs/run.info"

# key -> value, key -> unit, from every log; the keys a row shows
declare -A value unit used
while read -r _ kv u; do
  key=${kv%%=*}
  value[$key]=${kv#*=}
  unit[$key]=${u#unit=}
done < <(cat "$logs"/*.log | grep -a '^BENCH ')

failed_parts=""
for f in card card-delay5 vsim gui $(for g in "$logs"/*.log; do basename "$g" .log; done); do
  case " $failed_parts " in *" $f "*) continue ;; esac
  case "$f" in setup|build|harness|run) continue ;; esac
  grep -aqs '^BENCH ' "$logs/$f.log" || failed_parts="$failed_parts $f"
done

fmt() {  # fmt KEY: "value unit" or empty
  local k=$1
  # (called in $(...): the caller marks the key used)
  [ -n "${value[$k]:-}" ] && echo "${value[$k]} ${unit[$k]}"
}

ratio() {  # ratio A B
  awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "—"; else if (a / b < 0.1) printf "%.3f", a / b; else printf "%.2f", a / b }'
}

row() {  # row FIGURE OURS-KEY REF-KEY-OR-NUMBER REF-LABEL [UNIT-OF-NUMBER [higher-is-better]]
  local figure=$1 ours=$2 ref=$3 label=$4 ref_unit=${5:-} higher=${6:-}
  local o=${value[$ours]:-} r q
  used[$ours]=1
  if [[ "$ref" =~ ^[0-9.]+$ ]]; then r=$ref; else r=${value[$ref]:-}; ref_unit=${unit[$ref]:-}; used[$ref]=1; fi
  if [ -z "$o" ]; then
    printf '| %s | not yet measured | %s | |\n' "$figure" "$label"
  elif [ -z "$r" ]; then
    printf '| %s | %s %s | %s: not yet measured | |\n' "$figure" "$o" "${unit[$ours]}" "$label"
  else
    # the ratio is always "below 1 is better": for rates it is theirs / ours
    if [ -n "$higher" ]; then q=$(ratio "$r" "$o"); else q=$(ratio "$o" "$r"); fi
    printf '| %s | %s %s | %s %s (%s) | %s |\n' "$figure" "$o" "${unit[$ours]}" "$r" "$ref_unit" "$label" "$q"
  fi
}

plain() {  # plain FIGURE OURS-KEY NOTE
  local o=${value[$2]:-}
  used[$2]=1
  if [ -z "$o" ]; then printf '| %s | not yet measured | %s | |\n' "$1" "$3"
  else printf '| %s | %s %s | %s | |\n' "$1" "$o" "${unit[$2]}" "$3"; fi
}

missing() {  # missing FIGURE REF-LABEL: a figure no benchmark measures yet
  printf '| %s | not yet measured | %s | |\n' "$1" "$2"
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$src" diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
buildtype=$(meson introspect --buildoptions "$build" 2>/dev/null \
  | python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"))' 2>/dev/null \
  || echo unknown)

echo
echo "SimVault benchmarks, $start"
echo
echo "- machine: ${cpu:-unknown CPU}, $(nproc) cores, $(uname -sr), load average ${load_before} before, ${load_after} after"
echo "- commit: $commit; build: $build (buildtype $buildtype)"
echo "- ratio: ours / peer or limit; below 1 is better"
[ -n "$failed_parts" ] && echo "- parts that printed no figures this run (their rows say \"not yet measured\"):$failed_parts (logs in $logs)"
echo
echo "| figure | ours | peer or limit | ratio |"
echo "| --- | --- | --- | --- |"
for p in sim_2g_plain usim_2sets; do
  # the APDU counts of the delayed runs and the 2G re-read repeat the rows' (they are in the logs)
  for k in delay5_apdus delay5_min_apdus delay5_reread_apdus reread_apdus; do used[card_${p}_$k]=1; done
  case $p in sim_2g_plain) name="2G (sim-2g-plain)";; *) name="USIM (usim-2sets)";; esac
  row "card: full read of $name, APDUs" "card_${p}_apdus" "card_${p}_min_apdus" "minimum: one per record + one SELECT per file"
  row "card: full read of $name, time" "card_${p}_ours_ms" "card_${p}_loop_ms" "minimal loop of the same APDUs"
  row "card: full read of $name, time, card 5 ms per APDU" "card_${p}_delay5_ours_ms" "card_${p}_delay5_loop_ms" "minimal loop, same card"
done
row "card: re-read of the unchanged USIM, APDUs" card_usim_2sets_reread_apdus card_usim_2sets_min_apdus "a full read's minimum"
# bench-card.sh: the write operation (plan + run) against a bare loop of the minimum: per record
# one UPDATE and its verifying READ, one SELECT per EF (and the DFs on the way)
for w in write10 write10_2g; do
  case $w in write10) name="USIM (usim-2sets)";; *) name="2G (sim-2g-plain)";; esac
  row "card: write of 10 changed records, $name, APDUs" "card_${w}_apdus" "card_${w}_min_apdus" "minimum: SELECTs + UPDATEs + one verifying READ each"
  plain "card: write of 10 changed records, $name, APDUs of the ICCID and change checks (their SELECTs included)" "card_${w}_check_apdus" "in the row above; the minimum has no checks (2G: one READ per record, no change counter)"
  row "card: write of 10 changed records, $name, time" "card_${w}_ours_ms" "card_${w}_loop_ms" "minimal loop"
  row "card: write of 10 changed records, $name, time, 5 ms per APDU" "card_${w}_delay5_ours_ms" "card_${w}_delay5_loop_ms" "minimal loop"
  row "card: a later write of 10 records to the same card, $name, APDUs" "card_${w}_later_apdus" "card_${w}_later_min_apdus" "minimum: SELECTs + UPDATEs + one verifying READ each"
  used[card_${w}_check_apdus]=1
done
row "card: restore of usim-2sets onto a blank card, APDUs" card_restore_apdus card_restore_min_apdus "minimum: SELECTs + UPDATEs + one verifying READ each"
plain "card: restore onto a blank card, APDUs of the ICCID and change checks (their SELECTs included)" card_restore_check_apdus "in the row above"
row "card: restore onto a blank card, time" card_restore_ours_ms card_restore_loop_ms "minimal loop"
row "card: restore onto a blank card, time, 5 ms per APDU" card_restore_delay5_ours_ms card_restore_delay5_loop_ms "minimal loop"
row "card: one APDU round trip through pcscd" vsim_rtt_uicc_us vsim_rtt_no_quickack_us "the same without TCP_QUICKACK (delayed ACK)"
for total in 250 500; do
  for k in 1 10 100; do
    # the limit is 300 B + 100 B per record sent (bench-sync.sh prints it
    # from the records the client sent: a USIM contact may be two records)
    row "sync: incremental backup, $k of $total contacts changed ($(fmt "sync_backup_k${k}_of_${total}_records_sent")), bytes on the wire" \
      "sync_backup_k${k}_of_${total}_bytes" "sync_backup_k${k}_of_${total}_limit_bytes" "limit: 300 B + 100 B per record"
    used[sync_backup_k${k}_of_${total}_records_sent]=1
    used[sync_backup_k${k}_of_${total}_round_trips]=1
  done
  row "sync: full backup of $total records, bytes on the wire" "sync_full_backup_${total}_bytes" "$((300 + 100 * total))" "limit: 300 B + 100 B per record" B
  plain "sync: full backup of $total records, round trips" "sync_full_backup_${total}_round_trips" "batches of at most 1,000 records"
  for k in 1 10 100; do
    row "sync: incremental restore of $k of $total contacts edited in the portal ($(fmt "sync_restore_k${k}_of_${total}_records")), bytes" \
      "sync_restore_k${k}_of_${total}_bytes" "sync_restore_k${k}_of_${total}_limit_bytes" "limit: 300 B + 100 B per record"
    plain "sync: incremental restore of $k of $total, round trips" "sync_restore_k${k}_of_${total}_round_trips" "one GET of the changes since the cursor per 1,000 records"
    used[sync_restore_k${k}_of_${total}_records]=1
  done
done
used[sync_restore_k10_bytes]=1
plain "sync: incremental backup, round trips (any k, any phonebook)" sync_backup_round_trips "must not grow with the phonebook"
plain "sync: login + logout of each simvault-cli run, bytes" sync_session_bytes "the same for any k; not in the rows above"
for c in 1 16 64; do
  row "server: incremental backups (10 records) per second, clients: $c" "server_backup_c${c}_per_s" "radicale_put_c${c}_per_s" "Radicale: 10 vCard PUTs; ratio Radicale / ours, target <= 0.02" "" higher
  row "server: backup latency p50, clients: $c" "server_backup_c${c}_p50_ms" "radicale_put_c${c}_p50_ms" "Radicale"
  row "server: backup latency p99, clients: $c" "server_backup_c${c}_p99_ms" "radicale_put_c${c}_p99_ms" "Radicale"
  row "server: changes since (10 records), per second, clients: $c" "server_changes_c${c}_per_s" "radicale_report_c${c}_per_s" "Radicale sync-collection REPORT; ratio Radicale / ours, target <= 0.02" "" higher
  row "server: changes since latency p50, clients: $c" "server_changes_c${c}_p50_ms" "radicale_report_c${c}_p50_ms" "Radicale"
  row "server: changes since latency p99, clients: $c" "server_changes_c${c}_p99_ms" "radicale_report_c${c}_p99_ms" "Radicale"
  used[server_backup_c${c}_x_radicale]=1
  used[server_changes_c${c}_x_radicale]=1
  plain "server: backups per second, ours / Radicale's in each repetition, clients: $c" "server_backup_c${c}_x_radicale_runs" "lowest first; target >= 50"
  plain "server: changes since per second, ours / Radicale's in each repetition, clients: $c" "server_changes_c${c}_x_radicale_runs" "lowest first; target >= 50"
  row "server: CPU per incremental backup (10 records), clients: $c" "server_backup_c${c}_cpu_us" "radicale_put_c${c}_cpu_us" "Radicale's process, same work (the benchmark client's cost not included)"
  row "server: CPU per changes since (10 records), clients: $c" "server_changes_c${c}_cpu_us" "radicale_report_c${c}_cpu_us" "Radicale's process, same work (the benchmark client's cost not included)"
done
row "server: RSS after the concurrency runs (64 cards)" server_rss_bench_mib radicale_rss_mib "Radicale after the same work"
row "server: RSS with 100,000 cards of 250 records" server_rss_100000_mib server_rss_10000_mib "RSS with 10,000 cards"
row "server: backup latency p50 with 100,000 cards" server_backup_p50_100000_ms server_backup_p50_10000_ms "with 10,000 cards"
row "server: backup latency p99 with 100,000 cards" server_backup_p99_100000_ms server_backup_p99_10000_ms "with 10,000 cards"
plain "server: backup latency p50 of each block of requests, 10,000 cards" server_backup_p50_10000_blocks_ms "lowest-highest median of the 15 blocks"
plain "server: backup latency p50 of each block of requests, 100,000 cards" server_backup_p50_100000_blocks_ms "lowest-highest median of the 15 blocks"
plain "server: backup latency p50 at 100,000 cards over 10,000 cards, each block pair" server_backup_p50_100000_x_10000_blocks "lowest / median / highest of the 15 block pairs, each run back to back; flat: about 1"
for n in $gui_sizes; do
  # Derived, from two measured figures of the same run: the time a key or a
  # click adds over a frame that changes nothing (on Xvfb that frame already
  # waits ~one refresh interval for the frame clock).
  for f in filter_mean sort_mean; do
    if [ -n "${value[gui_${n}_${f}_ms]:-}" ] && [ -n "${value[gui_${n}_frame_ms]:-}" ]; then
      value[gui_${n}_${f}_beyond_floor_ms]=$(awk -v a="${value[gui_${n}_${f}_ms]}" -v b="${value[gui_${n}_frame_ms]}" \
        'BEGIN { printf "%.2f", a - b }')
      unit[gui_${n}_${f}_beyond_floor_ms]=ms
    fi
  done
  for k in load_cpu_ms reload_sorted_cpu_ms frame_cpu_ms base_rss_mib filter_models_mean_ms filter_cpu_p95_ms sort_p95_ms sort_cpu_max_ms; do
    used[gui_${n}_$k]=1   # shown in a note, or a detail of a row's figure (gui.log has them all)
  done
  plain "window, $n contacts: load into the list, until drawn" "gui_${n}_load_ms" "CPU: $(fmt "gui_${n}_load_cpu_ms")"
  plain "window, $n contacts: reload after an edit, until drawn" "gui_${n}_reload_ms" ""
  plain "window, $n contacts: reload after an edit, sorted by name, until drawn" "gui_${n}_reload_sorted_ms" "CPU: $(fmt "gui_${n}_reload_sorted_cpu_ms")"
  row "window, $n contacts: filter per key, mean until drawn" "gui_${n}_filter_mean_ms" 16.7 "one frame at 60 Hz" ms
  row "window, $n contacts: filter per key, mean until drawn beyond a frame that changes nothing" "gui_${n}_filter_mean_beyond_floor_ms" 16.7 "one frame at 60 Hz" ms
  row "window, $n contacts: filter per key, p95 until drawn" "gui_${n}_filter_p95_ms" 16.7 "one frame at 60 Hz" ms
  row "window, $n contacts: filter per key, max until drawn" "gui_${n}_filter_max_ms" 16.7 "one frame at 60 Hz" ms
  row "window, $n contacts: filter per key, mean CPU until drawn" "gui_${n}_filter_cpu_mean_ms" 16.7 "one frame at 60 Hz" ms
  row "window, $n contacts: filter per key, mean work until drawn (the call and its frame, without the wait for the frame clock's next slot)" "gui_${n}_filter_work_mean_ms" 16.7 "one frame at 60 Hz" ms
  row "window, $n contacts: sort (column header), mean until drawn" "gui_${n}_sort_mean_ms" 16.7 "one frame at 60 Hz" ms
  row "window, $n contacts: sort, mean until drawn beyond a frame that changes nothing" "gui_${n}_sort_mean_beyond_floor_ms" 16.7 "one frame at 60 Hz" ms
  row "window, $n contacts: sort, max until drawn" "gui_${n}_sort_max_ms" 16.7 "one frame at 60 Hz" ms
  row "window, $n contacts: sort, mean CPU until drawn" "gui_${n}_sort_cpu_mean_ms" 16.7 "one frame at 60 Hz" ms
  row "window, $n contacts: sort, mean work until drawn (the call and its frame, without the wait for the frame clock's next slot)" "gui_${n}_sort_work_mean_ms" 16.7 "one frame at 60 Hz" ms
  plain "window, $n contacts: a frame that changes nothing (the floor)" "gui_${n}_frame_ms" "CPU: $(fmt "gui_${n}_frame_cpu_ms")"
  plain "window, $n contacts: peak memory (VmHWM)" "gui_${n}_peak_rss_mib" "before loading: $(fmt "gui_${n}_base_rss_mib")"
done
# For information (bench-gui.sh runs them at the first size only): the
# cursor blink off, and GTK's cairo renderer instead of the default one.
n=${gui_sizes%% *}
for v in noblink cairo; do
  case $v in noblink) label="cursor blink off" ;; cairo) label="cairo renderer" ;; esac
  for what in filter sort; do
    plain "window, $n contacts, $label (information): $what, mean until drawn" "gui_${v}_${n}_${what}_mean_ms" \
      "work: $(fmt "gui_${v}_${n}_${what}_work_mean_ms"); CPU: $(fmt "gui_${v}_${n}_${what}_cpu_mean_ms")"
  done
  for k in "${!value[@]}"; do
    case $k in gui_${v}_*) used[$k]=1 ;; esac
  done
done
row "window: app start to first frame (median of 5)" gui_startup_ms gui_startup_minimal_ms "an empty libadwaita window"
row "window: app peak memory at first frame" gui_startup_rss_mib gui_startup_minimal_rss_mib "an empty libadwaita window"
others=$(for k in "${!value[@]}"; do [ -n "${used[$k]:-}" ] || echo "$k"; done | sort)
if [ -n "$others" ]; then
  echo
  echo "Other figures the benchmarks printed (no row above compares them):"
  echo
  echo "| key | value |"
  echo "| --- | --- |"
  for k in $others; do echo "| $k | ${value[$k]} ${unit[$k]} |"; done
fi
echo
echo "Logs: $logs"
