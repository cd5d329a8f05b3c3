#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The PC/SC card harness: a private pcscd with one vsmartcard vpcd reader
# entry (two slots), optionally with virtual cards (simvault-vsim) in them.
#
#   card-harness.sh start [--port N] [--card0 IMAGE] [--card1 IMAGE] [--persist] [--in-place]
#   card-harness.sh stop
#   card-harness.sh restart [SECONDS]   # stop, SECONDS (default 3) without pcscd, start
#   card-harness.sh status
#   card-harness.sh env          # SV_VPCD_PORT=... SV_VPCD_READER0=... for eval
#
# IMAGE is a path or a profile name from tests/data/cards (e.g. usim-2sets);
# the harness copies it into its state dir, so --persist never touches the
# committed profiles. With --in-place it serves the file itself, so edits
# made with --persist outlive the harness (the demo in build-aux/run.sh).
#
# Environment: SV_HARNESS_DIR (state dir; default $XDG_RUNTIME_DIR/simvault-harness
# or /tmp/simvault-harness-$UID), SV_VPCD_PORT (default 28963: below Linux's
# ephemeral port range 32768-60999, which vpcd's usual 35963 is inside, so no
# outgoing connection can hold it), SV_VSIM (the
# simvault-vsim binary; default: $SV_BUILD_ROOT or the newest build/ or _build*/ of the
# source tree).
#
# Facts this relies on (../shared/TESTING-NOTES.md): one pcscd per machine;
# vpcd listens on PORT (slot 0) and PORT+1 (slot 1) and a TCP connection to
# those ports *is* a card insertion, so the harness never probes them with a
# connect, only with `ss`; pcscd says "daemon ready" even when it has no
# reader, so the readers are checked through PC/SC itself.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcroot=$(cd "$here/.." && pwd)
state=${SV_HARNESS_DIR:-${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/simvault-harness}}
state=${state:-/tmp/simvault-harness-$(id -u)}
friendly="SimVault Virtual Reader"
python=/usr/bin/python3

die() { echo "card-harness: $1" >&2; exit "${2:-1}"; }
say() { echo "card-harness: $*" >&2; }

not_zombie() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null || true)
  [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

pid_alive() {  # pid_alive PID NAME (a zombie is dead)
  local pid=$1 name=$2
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
    && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] && not_zombie "$pid"
}

live_pcscds() {
  local p
  for p in $(pgrep -x pcscd || true); do
    not_zombie "$p" && echo "$p"
  done
  return 0
}

our_pcscd() {
  local pid
  pid=$(cat "$state/pcscd.pid" 2>/dev/null || true)
  pid_alive "$pid" pcscd && echo "$pid"
}

port_listening() {
  [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

find_vsim() {
  local c
  if [ -n "${SV_VSIM:-}" ]; then echo "$SV_VSIM"; return; fi
  if [ -n "${SV_BUILD_ROOT:-}" ] && [ -x "$SV_BUILD_ROOT/smartcard/vsim/simvault-vsim" ]; then
    echo "$SV_BUILD_ROOT/smartcard/vsim/simvault-vsim"; return
  fi
  c=$(ls -t "$srcroot"/build/smartcard/vsim/simvault-vsim "$srcroot"/_build*/smartcard/vsim/simvault-vsim 2>/dev/null | head -n1 || true)
  [ -n "$c" ] || die "simvault-vsim not found: build it or set SV_VSIM"
  echo "$c"
}

# Lists the readers pcscd really offers, one per line (SCardListReaders).
list_readers() {
  "$python" - <<'PY' 2>/dev/null || true
from smartcard.scard import (SCardEstablishContext, SCardListReaders,
                             SCardReleaseContext, SCARD_SCOPE_USER)
rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
if rv == 0:
    rv, readers = SCardListReaders(ctx, [])
    if rv == 0:
        print("\n".join(readers))
    SCardReleaseContext(ctx)
PY
}

# wait_card READER present|absent SECONDS: SCardGetStatusChange, no polling
# of the card ports.
wait_card() {
  "$python" - "$1" "$2" "$3" <<'PY'
import sys, time
from smartcard.scard import *
reader, want, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
if rv != 0:
    sys.exit(2)
deadline = time.monotonic() + secs
states = [(reader, SCARD_STATE_UNAWARE)]
while True:
    left = int(max(0, deadline - time.monotonic()) * 1000)
    rv, states = SCardGetStatusChange(ctx, left, states)
    if rv not in (0, SCARD_E_TIMEOUT):
        sys.exit(2)
    st = states[0][1]
    present = bool(st & SCARD_STATE_PRESENT)
    if present == (want == "present") and not (st & SCARD_STATE_MUTE):
        sys.exit(0)
    if rv == SCARD_E_TIMEOUT or time.monotonic() >= deadline:
        sys.exit(1)
    states = [(reader, st & ~SCARD_STATE_CHANGED)]
PY
}

clean_stale_run_files() {
  local pid
  if [ -e /run/pcscd/pcscd.pid ] || [ -e /run/pcscd/pcscd.comm ]; then
    pid=$(cat /run/pcscd/pcscd.pid 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && not_zombie "$pid"; then
      return 0  # a live pcscd owns them
    fi
    say "removing stale /run/pcscd files (pid ${pid:-none} is dead)"
    rm -f /run/pcscd/pcscd.pid /run/pcscd/pcscd.comm
  fi
}

stop_pid() {  # stop_pid PID NAME: TERM, wait, then KILL
  local pid=$1 name=$2 i
  pid_alive "$pid" "$name" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    pid_alive "$pid" "$name" || return 0
    sleep 0.1
  done
  say "$name $pid did not stop on TERM, killing it"
  kill -KILL "$pid" 2>/dev/null || true
  for i in $(seq 1 20); do
    pid_alive "$pid" "$name" || return 0
    sleep 0.1
  done
}

resolve_image() {
  local img=$1
  if [ -f "$img" ]; then echo "$img"; return; fi
  if [ -f "$srcroot/tests/data/cards/$img.json" ]; then
    echo "$srcroot/tests/data/cards/$img.json"; return
  fi
  die "no card image $img (a file, or a profile in tests/data/cards)"
}

start_card() {  # start_card SLOT IMAGE PERSIST IN_PLACE
  local slot=$1 image=$2 persist=$3 in_place=$4 port reader vsim pid served args=()
  port=$(( $(cat "$state/port") + slot ))
  reader=$(sed -n "$((slot + 1))p" "$state/readers")
  vsim=$(find_vsim)
  served="$state/card$slot.json"
  if [ "$in_place" = 1 ]; then
    served=$(resolve_image "$image")
  else
    cp "$(resolve_image "$image")" "$served"
  fi
  args=(--image "$served" --port "$port" --apdu-log "$state/card$slot.apdu.log")
  [ "$persist" = 1 ] && args+=(--persist)
  "$vsim" "${args[@]}" </dev/null >"$state/card$slot.log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$state/card$slot.pid"
  if ! wait_card "$reader" present 10; then
    cat "$state/card$slot.log" >&2 || true
    die "card $slot ($image) did not show up in \"$reader\""
  fi
  say "card $slot: $image in \"$reader\" (simvault-vsim pid $pid)"
}

cmd_start() {
  local port=${SV_VPCD_PORT:-28963} card0="" card1="" persist=0 in_place=0 pid others i readers
  while [ $# -gt 0 ]; do
    case $1 in
      --port) port=$2; shift 2 ;;
      --card0) card0=$2; shift 2 ;;
      --card1) card1=$2; shift 2 ;;
      --persist) persist=1; shift ;;
      --in-place) in_place=1; shift ;;
      *) die "start: unknown option $1" 2 ;;
    esac
  done

  if pid=$(our_pcscd); then
    die "already running (pcscd pid $pid, state $state): run '$0 stop' first" 3
  fi
  others=$(live_pcscds)
  if [ -n "$others" ]; then
    die "another pcscd is running (pid $(echo $others)): only one pcscd may run per machine; stop it first" 3
  fi
  for p in "$port" $((port + 1)); do
    if port_listening "$p"; then
      die "TCP port $p is already taken (ss -ltnp 'sport = :$p'); choose another with --port or SV_VPCD_PORT" 3
    fi
  done
  clean_stale_run_files

  rm -rf "$state/reader.conf.d"
  mkdir -p "$state/reader.conf.d"
  rm -f "$state"/card*.pid "$state"/readers "$state"/card*.apdu.log
  cat >"$state/reader.conf.d/simvault-vpcd" <<CONF
# written by build-aux/card-harness.sh
FRIENDLYNAME "$friendly"
DEVICENAME   /dev/null:$port
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CONF
  echo "$port" >"$state/port"

  # 9>&-: the daemon must not inherit (and hold) the harness lock.
  pcscd --foreground -c "$state/reader.conf.d" </dev/null >"$state/pcscd.log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$state/pcscd.pid"

  for i in $(seq 1 100); do
    # $pid is our child: until it has exec'd pcscd its comm is still the
    # shell's, so pid_alive's name check would call a starting pcscd dead
    # (and leave it running, orphaned, holding the harness).
    { kill -0 "$pid" 2>/dev/null && not_zombie "$pid"; } || { cat "$state/pcscd.log" >&2; die "pcscd exited at start"; }
    port_listening "$port" && port_listening $((port + 1)) && break
    sleep 0.05
  done
  port_listening "$port" || { stop_pid "$pid" pcscd; cat "$state/pcscd.log" >&2; die "vpcd does not listen on $port"; }

  readers=""
  for i in $(seq 1 50); do
    readers=$(list_readers | grep -F "$friendly" || true)
    [ "$(printf '%s\n' "$readers" | grep -c .)" -ge 2 ] && break
    sleep 0.1
  done
  if [ "$(printf '%s\n' "$readers" | grep -c .)" -lt 2 ]; then
    stop_pid "$pid" pcscd
    cat "$state/pcscd.log" >&2
    die "pcscd started but does not list the two \"$friendly\" slots"
  fi
  printf '%s\n' "$readers" >"$state/readers"
  say "pcscd pid $pid, vpcd ports $port/$((port + 1)), state $state"

  [ -n "$card0" ] && start_card 0 "$card0" "$persist" "$in_place"
  [ -n "$card1" ] && start_card 1 "$card1" "$persist" "$in_place"
  return 0
}

cmd_stop() {
  local slot pid
  for slot in 0 1; do
    pid=$(cat "$state/card$slot.pid" 2>/dev/null || true)
    [ -n "$pid" ] && stop_pid "$pid" simvault-vsim
    rm -f "$state/card$slot.pid"
  done
  pid=$(cat "$state/pcscd.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    stop_pid "$pid" pcscd
    say "stopped pcscd $pid"
  fi
  rm -f "$state/pcscd.pid"
  clean_stale_run_files
}

cmd_status() {
  local pid slot cpid
  if ! pid=$(our_pcscd); then
    echo "not running (state $state)"
    return 1
  fi
  echo "pcscd pid $pid, vpcd port $(cat "$state/port"), state $state"
  for slot in 0 1; do
    cpid=$(cat "$state/card$slot.pid" 2>/dev/null || true)
    if pid_alive "$cpid" simvault-vsim; then
      echo "slot $slot: $(sed -n "$((slot + 1))p" "$state/readers"): card pid $cpid"
    else
      echo "slot $slot: $(sed -n "$((slot + 1))p" "$state/readers"): empty"
    fi
  done
}

cmd_env() {
  our_pcscd >/dev/null || die "not running (state $state): run '$0 start'"
  printf 'SV_VPCD_PORT=%q\n' "$(cat "$state/port")"
  printf 'SV_VPCD_READER0=%q\n' "$(sed -n 1p "$state/readers")"
  printf 'SV_VPCD_READER1=%q\n' "$(sed -n 2p "$state/readers")"
  printf 'SV_HARNESS_DIR=%q\n' "$state"
  printf 'export SV_VPCD_PORT SV_VPCD_READER0 SV_VPCD_READER1 SV_HARNESS_DIR\n'
}

cmd=${1:-}
[ $# -gt 0 ] && shift
mkdir -p "$state"
case $cmd in
  start|stop)
    # One harness operation at a time: concurrent callers queue here.
    exec 9>"$state/lock"
    flock -w 60 9 || die "another card-harness.sh holds $state/lock" 3
    "cmd_$cmd" "$@"
    ;;
  restart)
    # Under one lock: another harness waiting to start cannot take the
    # machine's one pcscd in the gap (and have it stopped by our trap).
    exec 9>"$state/lock"
    flock -w 60 9 || die "another card-harness.sh holds $state/lock" 3
    cmd_stop
    sleep "${1:-3}"
    cmd_start
    ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) sed -n '4,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
