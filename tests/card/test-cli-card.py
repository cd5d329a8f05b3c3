#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""simvault-cli read/write as a first-time user meets them, on the real
PC/SC stack: pcscd + vpcd (build-aux/with-card-harness.sh) and two
simvault-vsim cards. Skips without the harness.

- write with a card in the reader that has nothing pending, while another
  card has pending changes: said, exit 1, nothing written;
- write --db naming a missing file: an error;
- a --reader matching both readers: both named when both hold a card, the
  one holding a card when only one does;
- a wrong PIN says how many tries are left, and is sent once;
- a card that uses the universal PIN instead of PIN1 (usim-upin) is read
  with it.
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("SV_BUILD_ROOT", "")
SOURCE = os.environ.get("SV_SOURCE_ROOT", "")
PORT = os.environ.get("SV_VPCD_PORT", "")
R0 = os.environ.get("SV_VPCD_READER0", "")
R1 = os.environ.get("SV_VPCD_READER1", "")

if not (BUILD and SOURCE and PORT and R0 and R1):
    print("1..0 # SKIP no card harness (run under build-aux/with-card-harness.sh)")
    sys.exit(0)

CLI = os.path.join(BUILD, "app", "cli", "simvault-cli")
VSIM = os.path.join(BUILD, "smartcard", "vsim", "simvault-vsim")
CARDS = os.path.join(SOURCE, "tests", "data", "cards")
results = []
cards = {}


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))


def cli(*args):
    p = subprocess.run([CLI, *args], capture_output=True, timeout=60)
    out = p.stdout.decode("utf-8")
    try:
        obj = json.loads(out) if out.strip() else None
    except ValueError:
        obj = None
    return p.returncode, obj, out + p.stderr.decode("utf-8")


def present(reader):
    rc, obj, _ = cli("readers", "--json")
    return rc == 0 and any(r["name"] == reader and r["card_present"] for r in obj)


def wait_for(reader, want, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if present(reader) == want:
            return True
        time.sleep(0.2)
    return False


def insert(slot, profile):
    proc = subprocess.Popen([VSIM, "--image", os.path.join(CARDS, profile + ".json"),
                             "--port", str(int(PORT) + slot), "--connect-timeout-ms", "5000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cards[slot] = proc
    if not wait_for(R0 if slot == 0 else R1, True):
        raise RuntimeError(f"{profile} never appeared in slot {slot}")


def pull(slot):
    proc = cards.pop(slot)
    proc.terminate()
    proc.wait(timeout=10)
    wait_for(R0 if slot == 0 else R1, False)


tmp = tempfile.mkdtemp(prefix="sv-cli-card-")
db = os.path.join(tmp, "mirror.db")
try:
    insert(0, "usim-2sets")
    insert(1, "usim-sms")
    rc, a, text = cli("read", "--reader", R0, "--db", db, "--json", "--no-messages")
    check("read the card in reader 0", rc == 0, text[:300])
    rc, b, text = cli("read", "--reader", R1, "--db", db, "--json")
    check("read the card in reader 1", rc == 0, text[:300])
    # RFC 3339 §5.6 timestamps, with the offsets the profile's messages
    # carry (+02:00, +08:00), parsed by datetime.fromisoformat
    stamps = [m["timestamp"] for m in b["messages"] if m["timestamp"]]
    rfc = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
    parsed = []
    for st in stamps:
        try:
            parsed.append(datetime.datetime.fromisoformat(st.replace("Z", "+00:00")).utcoffset())
        except ValueError:
            parsed.append(None)
    check("read --json: every message timestamp is RFC 3339",
          stamps and all(rfc.match(st) for st in stamps) and None not in parsed, repr(stamps))
    check("read --json: the senders' offsets are kept",
          datetime.timedelta(hours=2) in parsed and datetime.timedelta(hours=8) in parsed, repr(stamps))
    iccid_a, iccid_b = a["iccid"], b["iccid"]

    rc, _, text = cli("edit", iccid_a, "add", "--name", "Pending", "--number", "123", "--db", db)
    check("an edit of card A is pending", rc == 0, text)

    rc, obj, text = cli("write", "--reader", R1, "--db", db)
    err = (obj or {}).get("error", "")
    check("write with card B in the reader, changes pending for A: exit 1", rc == 1, text)
    check("... says the card has nothing pending and names card A",
          iccid_a in err and iccid_b in err and "no pending changes" in err, err)
    rc, obj, _ = cli("diff", iccid_a, "--db", db)
    check("... and card A's changes are still pending", rc == 0 and len(obj) > 0)

    missing = os.path.join(tmp, "typo.db")
    rc, obj, text = cli("write", "--reader", R0, "--db", missing)
    check("write --db MISSING is an error", rc == 1 and "No mirror" in (obj or {}).get("error", ""), text)
    check("... and creates no file", not os.path.exists(missing))

    both = os.path.commonprefix([R0, R1])
    rc, obj, text = cli("read", "--reader", both, "--json", "--no-messages")
    err = (obj or {}).get("error", "")
    check("a reader name matching two readers with cards: exit 1", rc == 1, text)
    check("... and both readers are named", R0 in err and R1 in err, err)
    pull(1)
    rc, obj, text = cli("read", "--reader", both, "--json", "--no-messages")
    check("the same name with one card: that reader", rc == 0 and obj and obj.get("reader") == R0, text[:300])

    insert(1, "usim-pin")
    pin_file = os.path.join(tmp, "wrong-pin")
    with open(pin_file, "w") as f:
        f.write("9999\n")
    rc, obj, text = cli("read", "--reader", R1, "--pin-file", pin_file, "--json")
    err = (obj or {}).get("error", "")
    check("a wrong PIN: exit 1 and how many tries are left", rc == 1 and "2 tries left" in err, text)
    rc, obj, text = cli("readers", "--json")
    with open(pin_file, "w") as f:
        f.write("1234\n")
    rc, obj, text = cli("read", "--reader", R1, "--pin-file", pin_file, "--json", "--no-messages")
    check("the right PIN then reads the card (one try was spent, not more)", rc == 0, text[:300])

    # A card that uses the universal PIN (key reference 11) instead of PIN1
    pull(1)
    insert(1, "usim-upin")
    with open(pin_file, "w") as f:
        f.write("0000\n")
    rc, obj, text = cli("read", "--reader", R1, "--pin-file", pin_file, "--json", "--no-messages")
    err = (obj or {}).get("error", "")
    check("universal PIN card: PIN1's value is a wrong universal PIN, tries left said",
          rc == 1 and "2 tries left" in err, text[:300])
    with open(pin_file, "w") as f:
        f.write("4321\n")
    rc, obj, text = cli("read", "--reader", R1, "--pin-file", pin_file, "--json", "--no-messages")
    check("universal PIN card: read with the universal PIN",
          rc == 0 and obj and len(obj.get("contacts", [])) == 6, text[:300])
finally:
    for slot in list(cards):
        try:
            pull(slot)
        except Exception:
            pass
    shutil.rmtree(tmp, ignore_errors=True)

print(f"1..{len(results)}")
for i, (name, ok, detail) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok and detail:
        for line in str(detail)[:600].splitlines():
            print(f"# {line}")
