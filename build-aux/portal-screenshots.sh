#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Retakes the web portal's screenshots in data/screenshots/portal/: runs the
# browser suite (Chromium against a real simvault-server, see
# tests/browser/test-portal.mjs), which saves every state it passes under
# BUILD/tests/browser/screenshots/, and copies the main states.
# Usage: build-aux/portal-screenshots.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
meson test -C "$build" --suite browser --num-processes 1
src=$build/tests/browser/screenshots
dst=$root/data/screenshots/portal
mkdir -p "$dst"
for shot in desktop/contacts desktop/edit-does-not-fit desktop/messages desktop/backup \
            desktop/account desktop/deregister-confirm desktop/login-failed desktop/card-change desktop/usim-email-does-not-fit \
            phone/contacts phone/edit-does-not-fit phone/messages phone/login-dark phone/contacts-dark \
            zh_CN/contacts zh_CN/backup zh_CN/edit-does-not-fit; do
  cp "$src/$shot.png" "$dst/${shot//\//-}.png"
done
echo "portal-screenshots: $(ls "$dst" | wc -l) screenshots in $dst"
