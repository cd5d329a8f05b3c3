#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Build the libFuzzer targets (clang, ASan + UBSan) in build-fuzz and run
# every one of them for SECONDS seconds (default 30).
#   build-aux/fuzz.sh          # 30 s per target, as build-aux/test.sh does
#   build-aux/fuzz.sh 3600     # an hour per target
# SV_FUZZ_NEW_SECONDS=N caps the issue-17 targets (requests, answers, import
# files) at N seconds each; test.sh sets it to 5.
# Crash reproducers are left in build-fuzz/fuzz-artifacts/.
set -eu
seconds=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$root" -Dfuzzing=true \
    -Db_sanitize=address,undefined -Db_lundef=false
fi

# Only the fuzzers: the rest of the project need not build under clang here.
targets=$(cd "$build" && meson introspect --targets | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["name"].startswith("fuzz-"):
        for f in t["filename"]:
            print(f)
')
# shellcheck disable=SC2086
ninja -C "$build" $(for t in $targets; do realpath --relative-to="$build" "$t"; done)

mkdir -p "$build/fuzz-artifacts"
SV_FUZZ_SECONDS=$seconds SV_FUZZ_ARTIFACTS="$build/fuzz-artifacts" \
  meson test -C "$build" --no-rebuild --suite fuzz --print-errorlogs
