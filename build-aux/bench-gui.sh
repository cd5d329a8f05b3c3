#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Prints how the contacts list copes with many contacts in a real window
# under Xvfb: showing them, filtering per key typed, sorting.
#   build-aux/bench-gui.sh [N]     (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
build-aux/install-deps.sh
[ -f build/build.ninja ] || meson setup build
meson compile -C build tests/gui/sv-bench-contacts
GSETTINGS_BACKEND=memory xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- \
  build/tests/gui/sv-bench-contacts "${1:-10000}" 2> >(grep -v dbus-daemon >&2)
