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
  libsecret-1-dev
  # run time
  pcscd libccid vsmartcard-vpcd glib-networking adwaita-icon-theme
  fonts-noto-cjk fonts-cantarell
  # tests
  desktop-file-utils appstream libglib2.0-bin pcsc-tools python3-pyscard
  xvfb xauth dbus dbus-x11 at-spi2-core imagemagick iproute2 procps jq sqlite3
  gnome-keyring
  # fault suite: the GUI kill test reads the window through AT-SPI
  gir1.2-atspi-2.0 python3-gi
  # browser suite: the web portal in Debian's Chromium (playwright-core
  # from npm drives it; node_modules is installed below)
  chromium
  # security suite: a test certificate made at test time
  openssl
  # postgresql suite: the PostgreSQL engine (libpq), throwaway clusters of
  # Debian's PostgreSQL 15, and haproxy in front of several server nodes
  libpq-dev postgresql haproxy
  # the peer of build-aux/bench-server.sh (a CardDAV server doing the same work)
  python3-radicale
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages of the browser suite, exactly as pinned in package-lock.json.
# `npm ci` runs when node_modules is missing or older than the lock file
# (npm writes node_modules/.package-lock.json on every install).
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$root/package-lock.json" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm not found (Node.js 18 or later is needed for the browser suite)" >&2
  elif [ ! -f "$root/node_modules/.package-lock.json" ] ||
       [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ] ||
       [ "$root/package.json" -nt "$root/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci (browser suite)"
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error) ||
      echo "install-deps: npm ci failed: the browser suite will skip" >&2
  fi
fi
