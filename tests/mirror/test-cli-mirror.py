#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""simvault-cli over the mirror as a first-time user meets it, on the
virtual card profiles read into a mirror by mirror-from-profile (the
product's reader code, no pcscd).

Usage: test-cli-mirror.py SIMVAULT_CLI MIRROR_FROM_PROFILE CARDS_DIR
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

CLI, FROM_PROFILE, CARDS = sys.argv[1:4]
results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))


def cli(*args, db=None):
    cmd = [CLI, *args]
    if db is not None:
        cmd += ["--db", db]
    p = subprocess.run(cmd, capture_output=True)
    out = p.stdout.decode("utf-8")
    try:
        obj = json.loads(out) if out.strip() else None
    except ValueError:
        obj = None
    return p.returncode, obj, out + p.stderr.decode("utf-8")


tmp = tempfile.mkdtemp(prefix="sv-cli-mirror-")
DB = os.path.join(tmp, "mirror.db")
try:
    profiles = ["usim-2sets", "usim-restore-source", "sim-2g-old-small", "usim-empty"]
    out = subprocess.run([FROM_PROFILE, DB] + [os.path.join(CARDS, p + ".json") for p in profiles],
                         capture_output=True, text=True, check=True).stdout.split()
    two, src, small, empty = out

    # --- two phonebook sets: which set, ambiguity, no such set ---------------
    rc, obj, text = cli("edit", two, "delete", "5", db=DB)
    check("delete of a record used in both sets fails", rc == 1, text)
    check("... and names --set", obj and "--set" in obj.get("error", ""), text)
    rc, obj, text = cli("edit", two, "delete", "100", db=DB)
    check("delete of a record used in set 1 only works", rc == 0, text)
    check("... and says set 1", obj and obj.get("set") == 1 and "set 1" in obj.get("message", ""), text)
    rc, obj, text = cli("edit", two, "delete", "5", "--set", "2", db=DB)
    check("delete --set 2 says set 2", rc == 0 and obj.get("set") == 2, text)
    contacts = json.loads(cli("export", two, "--format", "json", db=DB)[2])
    check("delete --set 2 removed set 2 record 5 and kept set 1 record 5",
          not any(c["set"] == 2 and c["index"] == 5 for c in contacts) and
          any(c["set"] == 1 and c["index"] == 5 for c in contacts))
    rc, obj, text = cli("edit", two, "set", "7", "--name", "Renamed", db=DB)
    check("set of an ambiguous record names --set", rc == 1 and "--set" in obj.get("error", ""), text)
    rc, obj, text = cli("edit", two, "set", "7", "--set", "2", "--name", "Renamed", db=DB)
    check("set --set 2 says set 2", rc == 0 and obj.get("set") == 2 and "set 2" in obj.get("message", ""), text)
    for args in (["add", "--set", "3", "--name", "X"], ["delete", "1", "--set", "9"],
                 ["add", "--set", "0", "--name", "X"]):
        rc, obj, text = cli("edit", two, *args, db=DB)
        check(f"edit {' '.join(args)}: no such set, not 'full'",
              rc == 1 and "No such phonebook set" in obj.get("error", "") and "full" not in obj.get("error", ""),
              text)
    rc, obj, text = cli("edit", small, "add", "--set", "1", "--name", "X", "--number", "1", db=DB)
    check("a 2G card has set 0 only", rc == 1 and "No such phonebook set 1" in obj.get("error", ""), text)
    # set 1 is full again after one add; the next add goes to set 2
    cli("edit", two, "add", "--name", "Fill", "--number", "1", db=DB)
    rc, obj, text = cli("edit", two, "add", "--name", "Next", "--number", "2", db=DB)
    check("add when set 1 is full goes to set 2 and says so",
          rc == 0 and obj.get("set") == 2 and "set 2" in obj.get("message", ""), text)

    # --- restore --------------------------------------------------------------
    rc, obj, text = cli("restore", two, two, db=DB)
    check("restore X X is refused", rc == 1 and "itself" in (obj or {}).get("error", ""), text)
    rc, obj, text = cli("restore", two, two, "--apply", db=DB)
    check("restore X X --apply is refused", rc == 1, text)
    rc, obj, text = cli("restore", src, small, "--apply", db=DB)
    err = (obj or {}).get("error", "")
    check("a truncating restore is refused and names --accept-truncation",
          rc == 1 and "--accept-truncation" in err, text)
    check("... and says what would be lost", "additional number" in err and "e-mail" in err, err)
    rc, obj, text = cli("restore", src, empty, db=DB)
    check("restore usim-restore-source onto usim-empty keeps everything",
          rc == 0 and obj["summary"]["overflow"] == 0, text[:300])

    # --- --db naming a file that does not exist -------------------------------
    missing = os.path.join(tmp, "typo.db")
    for args in (["cards"], ["show", two], ["edit", two, "delete", "1"], ["export", two],
                 ["diff", two], ["history", two], ["restore", two, src]):
        rc, obj, text = cli(*args, db=missing)
        check(f"{args[0]} --db MISSING is an error", rc == 1 and obj and "error" in obj, text)
    check("... and creates no file", not os.path.exists(missing))
    csv_path = os.path.join(tmp, "one.csv")
    with open(csv_path, "w") as f:
        f.write("name,number\nNew,123\n")
    rc, obj, text = cli("import", two, csv_path, "--dry-run", db=missing)
    check("import --db MISSING is allowed", rc == 0, text)

    # --- import: every set is used; a refusal names --partial -----------------
    many = os.path.join(tmp, "many.csv")
    with open(many, "w") as f:
        f.write("name,number\n" + "".join(f"Import {i},+4930{i:06d}\n" for i in range(70)))
    rc, obj, text = cli("import", two, many, db=DB)
    check("import without places onto usim-2sets (set 1 full) uses set 2", rc == 0 and obj["imported"] == 70, text[:300])
    placed = json.loads(cli("export", two, "--format", "json", db=DB)[2])
    check("... and the imported contacts are in set 2",
          sum(1 for c in placed if c["name"].startswith("Import ") and c["set"] == 2) == 70)
    rc, obj, text = cli("import", small, many, db=DB)
    err = (obj or {}).get("error", "")
    check("an import that does not fit is refused and names --partial", rc == 1 and "--partial" in err, text[:300])
    bad = os.path.join(tmp, "bad.csv")
    with open(bad, "w") as f:
        f.write('name,number\n"unclosed,1\n')
    rc, obj, text = cli("import", small, bad, db=DB)
    check("an import with a malformed row names --partial", rc == 1 and "--partial" in (obj or {}).get("error", ""), text)

    # --- flags that do nothing are gone ---------------------------------------
    for args in (["edit", two, "delete", "1", "--set", "1", "--name", "X"],
                 ["edit", two, "add", "--name", "X", "--text", "hello"],
                 ["edit", two, "undo", "--set", "1"],
                 ["cards", "--confirm", two],
                 ["cards", "--label", "L"],
                 ["restore", two, src, "--accept-truncation"]):
        rc, obj, text = cli(*args, db=DB)
        check(f"{' '.join(args[:1] + args[2:])}: an option that does nothing is refused", rc == 2, text)
    rc, obj, text = cli("show", two, "--json", db=DB)
    check("show --json (it did nothing) is an unknown option", rc == 2, text)
    rc, obj, text = cli("decode", "alpha", "4142", "--smsc")
    check("decode alpha --smsc is refused", rc == 2 and "--smsc" in text, text)
    rc, obj, text = cli("decode", "gsm7", "C8F71D14969741F977FD07", "--type2")
    check("decode gsm7 --type2 is refused", rc == 2, text)
    rc, obj, text = cli("decode", "sms-pdu", "--smsc", "0006D60B911326880736F4111011719551401110117195714000")
    check("decode sms-pdu --smsc still works", rc == 0, text)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print(f"1..{len(results)}")
for i, (name, ok, detail) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok and detail:
        for line in str(detail)[:600].splitlines():
            print(f"# {line}")
