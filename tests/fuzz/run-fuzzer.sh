#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Run one libFuzzer target for $SV_FUZZ_SECONDS (default 30) seconds over
# a scratch copy of its seed corpus. Usage: run-fuzzer.sh FUZZER SEED_DIR
set -eu
fuzzer=$1
seeds=$2
seconds=${SV_FUZZ_SECONDS:-30}
# The targets of issue 17 (SV_FUZZ_OUTSIDE) run SV_FUZZ_NEW_SECONDS when
# that is set (build-aux/test.sh keeps them brief), and their own input
# limit (SV_FUZZ_MAX_LEN: a request body, a file).
if [ -n "${SV_FUZZ_OUTSIDE:-}" ] && [ -n "${SV_FUZZ_NEW_SECONDS:-}" ]; then
  seconds=$SV_FUZZ_NEW_SECONDS
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$seeds"/. "$work"/ 2>/dev/null || true
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
# A target may add options (fuzz-server-request: its store and thread
# pool live for the whole run, so only the per-input leak check applies).
if [ -n "${SV_FUZZ_ASAN_EXTRA:-}" ]; then
  export ASAN_OPTIONS="$ASAN_OPTIONS:$SV_FUZZ_ASAN_EXTRA"
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
exec "$fuzzer" -error_exitcode=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len="${SV_FUZZ_MAX_LEN:-512}" -print_final_stats=1 -artifact_prefix="${SV_FUZZ_ARTIFACTS:-$work}/" "$work"
