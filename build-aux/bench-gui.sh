#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench-gui.sh [BUILD_DIR] [N...]: how the contacts list copes with many
# contacts in a real window under Xvfb (default N: 10000 50000): loading
# them, filtering per key typed until drawn, sorting, peak memory; then the
# application's start to its first frame. Prints figures and BENCH lines
# (build-aux/bench.sh collects them).
#
# Figures "until drawn" are wall-clock times; on a machine shared with other
# work also read the CPU times printed beside them. Each is also split into
# the wait for the frame clock's next slot (the search entry's blinking
# cursor keeps the clock running) and the work: the call and its frame.
#
# For information, at the first size only: the same with the cursor blink
# turned off (keys gui_noblink_N_*: the frame clock is idle when a key
# comes) and with GTK's cairo renderer instead of its default GL renderer,
# which draws in software (llvmpipe) here (keys gui_cairo_N_*). The rows
# compared with the targets are the default renderer's, blink on, as a user
# gets them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-}
[ $# -gt 0 ] && shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 50000)
if [ -z "$build" ]; then
  build=$( (ls -td "$src"/build/ "$src"/_build*/ 2>/dev/null || true) | while read -r d; do
            [ -x "$d/tests/gui/sv-bench-contacts" ] && { echo "$d"; break; }; done)
fi
bench="$build/tests/gui/sv-bench-contacts"
# The start-up figure runs the application, which needs its settings schema.
[ -n "$build" ] && [ -x "$bench" ] && [ -x "$build/app/simvault" ] && [ -f "$build/data/gschemas.compiled" ] || {
  echo "bench-gui: build first: meson compile -C BUILD" >&2
  exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The application must not reach a pcscd of the machine (another test's
# virtual card): point libpcsclite at a socket that does not exist. Its
# mirror and settings live in a throwaway home.
export PCSCLITE_CSOCK_NAME="$tmp/no-pcscd.comm"
export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/data" LC_ALL=C.UTF-8

export bench
sizes_str="${sizes[*]}"
xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" dbus-run-session -- \
  bash -c 'for n in '"$sizes_str"'; do "$bench" "$n"; done
           "$bench" --no-cursor-blink '"${sizes[0]}"'
           GSK_RENDERER=cairo "$bench" --variant cairo '"${sizes[0]}"'
           "$bench" --startup 5' \
  2> >(grep -v -e dbus-daemon -e SpiRegistry >&2) | grep -v SpiRegistry
