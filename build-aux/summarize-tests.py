#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sums meson's testlog.json files into the one closing line CI reads:
'N passed, N failed, N skipped'. Exits 1 when anything failed or nothing ran.
Usage: summarize-tests.py TESTLOG.json..."""
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}

passed = failed = skipped = 0
failures = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as log:
        for line in log:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            result = entry.get("result", "ERROR")
            if result in PASSED:
                passed += 1
            elif result in SKIPPED:
                skipped += 1
            else:
                failed += 1
                failures.append(f"{entry.get('name')} ({result}) in {path}")

for failure in failures:
    print(f"FAILED: {failure}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
