#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs what is missing, builds, and starts SimVault.
#
# With a real USB reader (a pcscd is already running, or one starts and
# finds a reader), SimVault uses it. Without one, it starts a private
# pcscd with the virtual reader and puts two virtual cards in it — a 2G SIM
# and a USIM — so that you see full cards at once. The virtual cards keep
# your edits in ~/.local/share/simvault/demo-cards/.
#
# Options are passed on to simvault. Set SV_NO_VIRTUAL_CARDS=1 to never
# start the virtual cards.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
build-aux/install-deps.sh

if [ -f build/build.ninja ]; then
  meson compile -C build
else
  meson setup build && meson compile -C build
fi

export GSETTINGS_SCHEMA_DIR=$root/build/data

harness_started=
server_pid=
cleanup () {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [ -n "$harness_started" ] && build-aux/card-harness.sh stop || true
}
trap cleanup EXIT INT TERM

# A local backup server on SQLite beside the GUI (data in the user's data
# dir), so backups and the web portal work with no setup. It stops when the
# GUI exits. SV_NO_SERVER=1 skips it; SV_SERVER_PORT picks the port.
server=$root/build/sync/server/simvault-server
if [ -z "${SV_NO_SERVER:-}" ] && [ -x "$server" ]; then
  server_data=${XDG_DATA_HOME:-$HOME/.local/share}/simvault/server
  server_log=$server_data/server.log
  server_url_file=$(mktemp)
  mkdir -p "$server_data"
  for port in "${SV_SERVER_PORT:-8765}" 0; do
    "$server" --port "$port" --data-dir "$server_data" >"$server_url_file" 2>>"$server_log" &
    server_pid=$!
    for _ in $(seq 50); do
      [ -s "$server_url_file" ] && break
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    [ -s "$server_url_file" ] && break
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  done
  if [ -n "$server_pid" ]; then
    SIMVAULT_SERVER_URL=$(head -n 1 "$server_url_file")
    export SIMVAULT_SERVER_URL
    echo "run: backup server on SQLite in $server_data (log: $server_log)"
    echo "run: web portal at $SIMVAULT_SERVER_URL"
  else
    echo "run: the backup server did not start; see $server_log"
  fi
  rm -f "$server_url_file"
fi

if pgrep -x pcscd >/dev/null 2>&1 || [ -n "${SV_NO_VIRTUAL_CARDS:-}" ]; then
  echo "run: using the running pcscd and its readers"
elif [ -x build-aux/card-harness.sh ] && [ -x build/smartcard/vsim/simvault-vsim ]; then
  demo=${XDG_DATA_HOME:-$HOME/.local/share}/simvault/demo-cards
  mkdir -p "$demo"
  for profile in sim-2g-plain usim-2sets; do
    [ -f "$demo/$profile.json" ] || cp "tests/data/cards/$profile.json" "$demo/$profile.json"
  done
  echo "run: no reader in use; starting the virtual reader with two cards ($demo)"
  SV_VSIM=$root/build/smartcard/vsim/simvault-vsim \
    build-aux/card-harness.sh start --persist --in-place \
      --card0 "$demo/sim-2g-plain.json" --card1 "$demo/usim-2sets.json"
  harness_started=1
fi

app=$root/build/app/simvault
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  # No desktop session (a server or a container): run in a virtual display
  # and save a screenshot so there is something to look at.
  shot=$root/build/simvault-window.png
  echo "run: no display; running under Xvfb, screenshot in $shot (Ctrl+C to stop)"
  xvfb-run -a -s "-screen 0 1280x800x24 -noreset" dbus-run-session -- bash -c '
    "$1" "${@:3}" &
    pid=$!
    sleep 4
    /usr/bin/import -window root "$2" && echo "run: screenshot saved"
    wait $pid' run "$app" "$shot" "$@"
else
  "$app" "$@"
fi
