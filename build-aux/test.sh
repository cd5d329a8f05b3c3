#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs what is missing, builds, and runs every test suite:
#   1. the displayless suites (codec, smartcard, mirror, data, ...)
#   2. card, against the real pcscd + vpcd + simvault-vsim
#   3. gui, in a real window under Xvfb with a private D-Bus, on the same
#      PC/SC stack
#   4. the displayless suites again in an ASan + UBSan build
#   5. fuzz: every libFuzzer target for SV_FUZZ_SECONDS (default 30) each
# and ends with one line "N passed, N failed, N skipped" summed over all of
# them. Exits non-zero when anything failed.
set -uo pipefail

cd "$(dirname "$0")/.."
root=$PWD
build-aux/install-deps.sh || exit 1

results=$root/build/test-results
rm -rf "$results"
mkdir -p "$results"
status=0

werror=false
[ -n "${CI:-}" ] && werror=true

setup () {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null || return 1
  else
    meson setup "$dir" "$@" || return 1
  fi
  meson compile -C "$dir"
}

# run_suites LABEL BUILDDIR [WRAPPER...] :: MESON-TEST-ARGS...
run_suites () {
  local label=$1 dir=$2; shift 2
  local wrapper=()
  while [ $# -gt 0 ] && [ "$1" != "::" ]; do wrapper+=("$1"); shift; done
  shift
  echo "=== $label"
  "${wrapper[@]}" meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || status=1
  [ -f "$dir/meson-logs/testlog.json" ] && cp "$dir/meson-logs/testlog.json" "$results/$label.json"
}

displayless=(--no-suite gui --no-suite card --no-suite fuzz --no-suite browser
             --no-suite postgresql)

# has_suite DIR SUITE: meson fails on a suite with no tests; skip those.
has_suite () {
  meson test -C "$1" --list --suite "$2" >/dev/null 2>&1
}

if ! setup build -Dwerror=$werror; then
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

export SV_VSIM=$root/build/smartcard/vsim/simvault-vsim
run_suites displayless build :: "${displayless[@]}"
# Both need the real PC/SC stack; gui also a display and a private D-Bus.
# Xvfb with -noreset: by default it resets whenever its last client leaves,
# and a window started in that moment cannot open the display (1 run of
# test-gui-kill in 4 under load; 0 of 6 with -noreset).
run_suites card build build-aux/with-card-harness.sh :: --suite card
run_suites gui build build-aux/with-card-harness.sh \
  xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" dbus-run-session -- :: --suite gui
# The portal in headless Chromium; PostgreSQL clusters the tests start.
has_suite build browser && run_suites browser build :: --suite browser
has_suite build postgresql && run_suites postgresql build :: --suite postgresql

if setup build-asan -Dwerror=$werror -Db_sanitize=address,undefined -Db_lundef=false; then
  # build-aux/lsan.supp: library-internal leaks only (each one explained).
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions=$root/build-aux/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_suites asan build-asan :: "${displayless[@]}"
else
  status=1
  echo "FAILED: the sanitizer build did not build"
fi

if [ -x build-aux/fuzz.sh ]; then
  echo "=== fuzz"
  # The targets of issue 17 (server requests, client answers, import and
  # export files) run SV_FUZZ_NEW_SECONDS each here, longer in fuzz.sh.
  SV_FUZZ_NEW_SECONDS=${SV_FUZZ_NEW_SECONDS:-5} build-aux/fuzz.sh "${SV_FUZZ_SECONDS:-30}" || status=1
  [ -f build-fuzz/meson-logs/testlog.json ] && cp build-fuzz/meson-logs/testlog.json "$results/fuzz.json"
fi

/usr/bin/python3 build-aux/summarize-tests.py "$results"/*.json || status=1
exit $status
