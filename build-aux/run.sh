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
cleanup () {
  [ -n "$harness_started" ] && build-aux/card-harness.sh stop || true
}
trap cleanup EXIT INT TERM

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
  xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
    "$1" "${@:3}" &
    pid=$!
    sleep 4
    /usr/bin/import -window root "$2" && echo "run: screenshot saved"
    wait $pid' run "$app" "$shot" "$@"
else
  "$app" "$@"
fi
