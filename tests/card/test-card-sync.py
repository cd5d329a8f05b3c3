#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Card to server to card on the real PC/SC stack (pcscd + vpcd +
simvault-vsim, build-aux/with-card-harness.sh): read a virtual card ->
register -> back up -> edit in the portal's API -> incremental restore into
the mirror -> write to the card -> read it back: the card holds, byte for
byte, what the server holds.

Usage: test-card-sync.py SIMVAULT_CLI SIMVAULT_SERVER SIMVAULT_VSIM CARDS_DIR
Skips when the harness is not running (SV_VPCD_PORT unset).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

CLI, SERVER, VSIM, CARDS = sys.argv[1:5]
PHONE = "+8613600136000"
PASSWORD = "card story password"
results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))
    return bool(ok)


def cli(*args, db, ok=True):
    env = dict(os.environ, SV_NO_KEYRING="1")
    p = subprocess.run([CLI, *args, "--db", db], capture_output=True, env=env, timeout=300,
                       stdin=subprocess.DEVNULL)
    out = p.stdout.decode()
    if ok and p.returncode != 0:
        raise RuntimeError(f"simvault-cli {args}: exit {p.returncode}: {out} {p.stderr.decode()}")
    return json.loads(out) if out.strip() else None


def api(url, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
            return answer.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, (json.loads(text) if text else None)


def base_records(db, iccid, key):
    con = sqlite3.connect(db)
    rows = con.execute("SELECT r.idx, r.base FROM records r JOIN files f ON f.id = r.file_id "
                       "JOIN cards c ON c.id = f.card_id WHERE c.iccid = ? AND f.key = ?",
                       (iccid, key)).fetchall()
    con.close()
    return {idx: bytes(base).hex().upper() for idx, base in rows if base is not None}


def main(work):
    port = os.environ.get("SV_VPCD_PORT")
    if port is None:
        print("1..0 # SKIP the card harness is not running (SV_VPCD_PORT unset)")
        sys.exit(0)
    reader = os.environ.get("SV_VPCD_READER0", "SimVault Virtual Reader 00 00")
    db = os.path.join(work, "mirror.db")
    pw = os.path.join(work, "password")
    with open(pw, "w") as f:
        f.write(PASSWORD + "\n")
    image = os.path.join(work, "card.json")
    shutil.copy(os.path.join(CARDS, "sim-2g-plain.json"), image)

    server_dir = os.path.join(work, "server")
    os.mkdir(server_dir)
    server = subprocess.Popen([SERVER, "--port=0", f"--data-dir={server_dir}"], stdout=subprocess.PIPE,
                              env=dict(os.environ, SIMVAULT_SERVER_PASSWORD_COST="test-only"))
    url = server.stdout.readline().decode().strip()
    url = url if url.endswith("/") else url + "/"
    vsim = subprocess.Popen([VSIM, "--image", image, "--port", port, "--connect-timeout-ms", "5000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        story(db, pw, url, reader)
    finally:
        vsim.terminate()
        vsim.wait(timeout=20)
    try:
        retail(work, url, server_dir, port)
    finally:
        server.terminate()
        server.wait(timeout=20)


def story(db, pw, url, reader):
    first = None
    deadline = time.monotonic() + 20
    while first is None and time.monotonic() < deadline:
        try:
            first = cli("read", "--reader", reader, "--json", db=db)
        except RuntimeError:
            time.sleep(0.5)
    if not check("the virtual card read into the mirror", first is not None):
        return
    iccid = first["iccid"]

    reg = cli("register", iccid, "--server", url, "--phone", PHONE, "--password-file", pw, db=db)
    up = cli("backup", iccid, "--password-file", pw, db=db)
    check("registered and backed up", reg["result"] == "registered" and up["records"]["applied"] > 0, up)

    status, answer = api(url, "POST", "api/v1/session", {"phone": PHONE, "password": PASSWORD})
    token = answer["token"]
    listing = cli("export", iccid, "--format", "json", db=db)
    victim = listing[0]
    status, answer = api(url, "PUT", f"api/v1/cards/{iccid}/contacts/{victim['set']}/{victim['index']}",
                         {"name": "From Portal", "number": "+8613811112222"}, token=token)
    check("edited in the portal's API", status == 200, answer)

    restored = cli("restore", iccid, "--incremental", "--apply", "--password-file", pw, db=db)
    check("incremental restore into the mirror", restored["records"]["changed"] >= 1, restored)
    written = cli("write", iccid, "--reader", reader, db=db)
    check("written to the card", written is not None, written)

    cli("read", "--reader", reader, "--json", db=db)
    diff = cli("diff", iccid, db=db)
    check("read back: nothing pending", diff == [], diff)
    after = [c for c in cli("export", iccid, "--format", "json", db=db)
             if c["index"] == victim["index"] and c["set"] == victim["set"]]
    check("read back: the portal's contact is on the card",
          after and after[0]["name"] == "From Portal" and after[0]["number"] == "+8613811112222", after)

    status, answer = api(url, "GET", f"api/v1/cards/{iccid}/records?file=adn", token=token)
    on_server = {r["index"]: r["data"].upper() for r in answer["records"]}
    on_card = base_records(db, iccid, "adn")
    check("read back: every ADN record on the card byte-exact with the server",
          on_server and all(on_card.get(i) == d for i, d in on_server.items()),
          [i for i, d in on_server.items() if on_card.get(i) != d][:10])


def start_card(work, profile, port, slot):
    image = os.path.join(work, f"card-{slot}.json")
    shutil.copy(os.path.join(CARDS, profile), image)
    return subprocess.Popen([VSIM, "--image", image, "--port", str(int(port) + slot), "--connect-timeout-ms", "5000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def read_card(reader, db):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            return cli("read", "--reader", reader, "--json", db=db)
        except RuntimeError:
            time.sleep(0.5)
    return None


def retail(work, url, server_dir, port):
    """The shop: the customer's USIM (two phonebook sets) backed up; a blank
    USIM in the second reader gets it through the staff consent, written
    and read back."""
    reader0 = os.environ.get("SV_VPCD_READER0", "SimVault Virtual Reader 00 00")
    reader1 = os.environ.get("SV_VPCD_READER1", "SimVault Virtual Reader 00 01")
    db = os.path.join(work, "retail.db")
    phone = "+8613300133000"
    pw = os.path.join(work, "customer")
    staff_pw = os.path.join(work, "staff")
    with open(pw, "w") as f:
        f.write("customer password 5\n")
    with open(staff_pw, "w") as f:
        f.write("shop password 6\n")
    old_card = start_card(work, "usim-2sets.json", port, 0)
    try:
        source = read_card(reader0, db)
        if not check("retail: the customer's card read", source is not None):
            return
        cli("register", source["iccid"], "--server", url, "--phone", phone, "--password-file", pw, db=db)
        up = cli("backup", source["iccid"], "--password-file", pw, db=db)
        check("retail: the customer's card backed up", up["records"]["applied"] > 0, up["records"])
    finally:
        old_card.terminate()
        old_card.wait(timeout=20)

    subprocess.run([SERVER, f"--data-dir={server_dir}", "staff", "add", "shop", "--password-file", staff_pw],
                   check=True, capture_output=True, env=dict(os.environ, SIMVAULT_SERVER_PASSWORD_COST="test-only"))
    status, answer = api(url, "POST", "api/v1/session", {"phone": phone, "password": "customer password 5"})
    status, answer = api(url, "POST", "api/v1/account/restore-codes", {}, token=answer["token"])
    code = answer["code"]

    new_card = start_card(work, "usim-empty.json", port, 1)
    try:
        target = read_card(reader1, db)
        if not check("retail: the blank card read", target is not None):
            return
        applied = cli("restore", target["iccid"], "--server", url, "--phone", phone, "--staff", "shop",
                      "--staff-password-file", staff_pw, "--consent-code", code, "--full", "--apply", db=db)
        check("retail: restored with the customer's consent, a card change",
              applied["registration"] == "card-change" and applied["summary"]["overflow"] == 0, applied.get("summary"))
        cli("write", target["iccid"], "--reader", reader1, db=db)
        cli("read", "--reader", reader1, "--json", db=db)
        check("retail: read back, nothing pending", cli("diff", target["iccid"], db=db) == [])
        key = lambda c: (c["name"], c["number"], tuple(c.get("additional_numbers") or []),
                         tuple(c.get("emails") or []), c.get("second_name") or "")
        a = sorted(map(key, cli("export", source["iccid"], "--format", "json", db=db)))
        b = sorted(map(key, cli("export", target["iccid"], "--format", "json", db=db)))
        check("retail: the new card holds every contact of the old one, decoded equal", a == b and len(a) > 0,
              (len(a), len(b)))
    finally:
        new_card.terminate()
        new_card.wait(timeout=20)


if __name__ == "__main__":
    work = tempfile.mkdtemp(prefix="sv-card-sync-")
    try:
        main(work)
    except Exception as e:
        import traceback
        traceback.print_exc()
        check("the story ran to its end", False, repr(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"1..{len(results)}")
    for i, (name, ok, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok and detail != "":
            print("# " + json.dumps(detail, default=str, ensure_ascii=False)[:2000])
    sys.exit(0 if all(ok for _, ok, _ in results) else 1)
