#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs every Debian package that SimVault's build, programs and tests
# need. Idempotent: it asks apt only for what is missing, and runs
# `apt-get update` only when something is missing.
set -euo pipefail

packages=(
  # build
  meson ninja-build pkg-config gcc clang libclang-rt-14-dev gettext
  libglib2.0-dev libglib2.0-dev-bin libgtk-4-dev libadwaita-1-dev
  libsoup-3.0-dev libjson-glib-dev libsodium-dev libsqlite3-dev
  libpcsclite-dev
  # run time
  pcscd libccid vsmartcard-vpcd glib-networking adwaita-icon-theme
  fonts-noto-cjk fonts-cantarell
  # tests
  desktop-file-utils appstream libglib2.0-bin pcsc-tools python3-pyscard
  xvfb xauth dbus dbus-x11 at-spi2-core imagemagick iproute2 procps jq sqlite3
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
