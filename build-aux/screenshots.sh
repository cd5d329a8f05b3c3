#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Pictures the main states of the window on virtual cards, rendered by GTK
# under Xvfb, into data/screenshots/ (shown in the README). A second run
# in Simplified Chinese uses a private zh_CN locale made with localedef.
#   build-aux/screenshots.sh [OUTDIR]
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
out=${1:-$root/data/screenshots}
build-aux/install-deps.sh
[ -f build/build.ninja ] || meson setup build
meson compile -C build

export GSETTINGS_SCHEMA_DIR=$root/build/data GSETTINGS_BACKEND=memory
export SV_BUILD_ROOT=$root/build SV_SOURCE_ROOT=$root
export SV_VSIM=$root/build/smartcard/vsim/simvault-vsim
export XDG_DATA_HOME=$(mktemp -d) LC_ALL=C.UTF-8
trap 'rm -rf "$XDG_DATA_HOME"' EXIT

run () {
  build-aux/with-card-harness.sh xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" \
    dbus-run-session -- "$@"
}

run build/tests/gui/sv-screenshots "$out"

# The backup and restore desk states need a loopback simvault-server.
server=${SIMVAULT_SERVER:-$root/build/sync/server/simvault-server}
if [ -x "$server" ]; then
  SIMVAULT_SERVER=$server run build/tests/gui/sv-screenshots-sync "$out"
else
  echo "screenshots: no simvault-server at $server: backup states skipped" >&2
fi

locales=$(mktemp -d)
localedef -i zh_CN -f UTF-8 "$locales/zh_CN.UTF-8"
LOCPATH=$locales LC_ALL=zh_CN.UTF-8 SV_LOCALEDIR=$root/build/po \
  run build/tests/gui/sv-screenshots "$out/zh_CN" --only-main
rm -rf "$locales"
