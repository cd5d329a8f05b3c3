#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backup and restore end to end on loopback: simvault-cli against the real
simvault-server (port 0, a temporary data directory), on the contents of the
virtual card profiles read into a mirror by the product's reader code
(mirror-from-profile, no pcscd). Between the two, a small TCP proxy of this
file drops and stalls connections in the middle of backup requests.

Usage: test-sync-e2e.py SIMVAULT_CLI SIMVAULT_SERVER MIRROR_FROM_PROFILE CARDS_DIR

Stories:
- an unregistered card, a wrong password, a server that is down: a clear
  error code, and the mirror exactly as before;
- register -> back up (everything, then nothing) -> edit in the portal's
  API -> incremental restore -> the mirror holds the portal's records,
  byte-exact; the next backup sends nothing back;
- a record edited on both sides: a conflict with both versions decoded,
  settled with --resolve;
- a client killed between upload and acknowledgement (SV_TEST_CRASH_AT),
  run again: the same batch is resent, the server applies it once;
- retries through the proxy (response dropped, request cut, response
  stalled past the timeout): the backup completes, nothing twice;
- the lost SIM: a big card backed up, restored onto a smaller card: what
  fits is there, decoded equal, the rest reported; the target registered
  as a card change;
- deregistration: the server forgets the card, the mirror the registration.
"""

import hashlib
import json
import os
import select
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

CLI, SERVER, FROM_PROFILE, CARDS = sys.argv[1:5]
PHONE = "+8613800138000"
PASSWORD = "correct horse battery staple"

results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))
    return bool(ok)


# ---------------------------------------------------------------------------
# The proxy


class FaultProxy:
    """A TCP proxy on 127.0.0.1 that applies a queue of faults to the next
    backup requests (POST .../backup or .../messages) passing through:
      "drop-response"  forward the request, throw the answer away, close;
      "cut-request"    forward half of the request, close;
      "stall"          forward the request, hold the answer for `stall` s;
      "refuse"         close every new connection at once (server down)."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.faults = []
        self.refuse = False
        self.stall = 4.0
        self.applied = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def accept_loop(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if self.refuse:
                client.close()
                continue
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def next_fault(self, chunk):
        if b"POST /api/v1/cards/" not in chunk or not (b"/backup" in chunk or b"/messages" in chunk):
            return None
        with self.lock:
            if not self.faults:
                return None
            fault = self.faults.pop(0)
            self.applied.append(fault)
            return fault

    def serve(self, client):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        fault = None
        hold_until = None
        try:
            while True:
                readable, _, _ = select.select([client, upstream], [], [], 0.1)
                if hold_until is not None and time.monotonic() >= hold_until:
                    return
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is client:
                        f = self.next_fault(data)
                        if f == "cut-request":
                            upstream.sendall(data[: len(data) // 2])
                            return
                        if f is not None:
                            fault = f
                        upstream.sendall(data)
                    else:
                        if fault == "drop-response":
                            return
                        if fault == "stall":
                            if hold_until is None:
                                hold_until = time.monotonic() + self.stall
                            continue
                        client.sendall(data)
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()


# ---------------------------------------------------------------------------
# Server, API and CLI


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sv-sync-e2e-server-")
        env = dict(os.environ)
        env["SIMVAULT_SERVER_PASSWORD_COST"] = "test-only"
        self.process = subprocess.Popen([SERVER, "--port=0", f"--data-dir={self.dir}"],
                                        stdout=subprocess.PIPE, env=env)
        line = self.process.stdout.readline().decode().strip()
        if not line.startswith("http"):
            raise RuntimeError(f"simvault-server did not start: {line!r}")
        self.url = line if line.endswith("/") else line + "/"
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)


def api(server, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.url + path.lstrip("/"), data=data, method=method)
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


def login(server):
    status, answer = api(server, "POST", "api/v1/session", {"phone": PHONE, "password": PASSWORD})
    assert status in (200, 201), (status, answer)
    return answer["token"]


class Cli:
    def __init__(self, db, password_file):
        self.db = db
        self.password_file = password_file

    def run(self, *args, env=None, password=True):
        argv = [CLI, *args, "--db", self.db]
        if password:
            argv += ["--password-file", self.password_file]
        e = dict(os.environ)
        e.pop("DBUS_SESSION_BUS_ADDRESS", None)       # no keyring in tests
        e["SV_NO_KEYRING"] = "1"
        if env:
            e.update(env)
        p = subprocess.run(argv, capture_output=True, env=e, timeout=300, stdin=subprocess.DEVNULL)
        out = p.stdout.decode()
        try:
            parsed = json.loads(out) if out.strip() else None
        except json.JSONDecodeError:
            parsed = None
        return p.returncode, parsed, out, p.stderr.decode()

    def ok(self, *args, **kw):
        rc, parsed, out, err = self.run(*args, **kw)
        if rc != 0:
            raise RuntimeError(f"{args}: exit {rc}: {out} {err}")
        return parsed


def mirror_fingerprint(db):
    """Every row of every table of the mirror, hashed: "untouched" means
    this does not change."""
    con = sqlite3.connect(db)
    h = hashlib.sha256()
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        for row in con.execute(f"SELECT * FROM \"{table}\" ORDER BY 1, 2"):
            h.update(repr(row).encode())
    con.close()
    return h.hexdigest()


def working_records(db, iccid, key):
    con = sqlite3.connect(db)
    rows = con.execute("SELECT r.idx, r.working FROM records r JOIN files f ON f.id = r.file_id "
                       "JOIN cards c ON c.id = f.card_id WHERE c.iccid = ? AND f.key = ? ORDER BY r.idx",
                       (iccid, key)).fetchall()
    con.close()
    return {idx: bytes(working).hex().upper() for idx, working in rows}


def server_records(server, token, iccid, key):
    status, answer = api(server, "GET", f"api/v1/cards/{iccid}/records?file={key}", token=token)
    assert status == 200, (status, answer)
    return {r["index"]: (r["data"].upper(), r.get("version")) for r in answer["records"]}


def card_token(server, token, iccid):
    status, answer = api(server, "GET", f"api/v1/cards/{iccid}", token=token)
    assert status == 200, (status, answer)
    return answer["token"]


def adn_key(db, iccid):
    con = sqlite3.connect(db)
    keys = [k for (k,) in con.execute("SELECT f.key FROM files f JOIN cards c ON c.id = f.card_id "
                                      "WHERE c.iccid = ? AND f.key LIKE '%adn'", (iccid,))]
    con.close()
    return "adn" if "adn" in keys else sorted(keys)[0]


def contacts(cli, iccid):
    return cli.ok("export", iccid, "--format", "json", password=False)


def find_contact(listing, index, set_=None):
    for c in listing:
        if c["index"] == index and (set_ is None or c.get("set") == set_):
            return c
    return None


# ---------------------------------------------------------------------------


def main():
    work = tempfile.mkdtemp(prefix="sv-sync-e2e-")
    db = os.path.join(work, "mirror.db")
    pw_file = os.path.join(work, "password")
    bad_pw_file = os.path.join(work, "wrong-password")
    with open(pw_file, "w") as f:
        f.write(PASSWORD + "\n")
    with open(bad_pw_file, "w") as f:
        f.write("not the password\n")

    iccids = subprocess.run([FROM_PROFILE, db, os.path.join(CARDS, "sim-2g-plain.json"),
                             os.path.join(CARDS, "sim-2g-old-small.json"),
                             os.path.join(CARDS, "usim-2sets.json"),
                             os.path.join(CARDS, "usim-empty.json")],
                            capture_output=True, check=True).stdout.decode().split()
    big, small, usim, blank = iccids[0], iccids[1], iccids[2], iccids[3]
    cli = Cli(db, pw_file)
    helped = subprocess.run([CLI, "restore", "--help"], capture_output=True, stdin=subprocess.DEVNULL)
    text = helped.stdout.decode()
    check("restore --help shows both forms (from the server, card to card)",
          helped.returncode == 0 and "SOURCE-ICCID TARGET-ICCID" in text and "--server" in text
          and "--staff" in text and "--accept-truncation" in text, text)
    server = Server()
    proxy = FaultProxy(server.port)
    try:
        run_stories(cli, server, proxy, db, big, small, bad_pw_file)
        run_retail(cli, server, db, usim, blank, work)
    finally:
        server.stop()


def run_stories(cli, server, proxy, db, big, small, bad_pw_file):
    net = ["--timeout", "2", "--attempts", "4"]
    key = adn_key(db, big)

    # --- Errors that must leave the mirror untouched -----------------------
    before = mirror_fingerprint(db)
    rc, out, _, _ = cli.run("backup", big, *net)
    check("unregistered card: exit 1, not-registered", rc == 1 and out and out.get("code") == "not-registered", out)
    check("unregistered card: mirror untouched", mirror_fingerprint(db) == before)

    rc, out, _, _ = cli.run("register", big, "--server", proxy.url(), "--phone", PHONE, *net, password=False)
    check("register without a password: exit 1, no-password", rc == 1 and out and out.get("code") == "no-password", out)

    reg = cli.ok("register", big, "--server", proxy.url(), "--phone", PHONE, *net)
    check("register: new account, registered", reg["result"] == "registered", reg)
    check("register: counters and no password in the output",
          "counter_a" in reg and "counter_b" in reg and PASSWORD not in json.dumps(reg), reg)
    status = cli.ok("sync-status", big, password=False)
    check("sync-status: registered, server, phone, records waiting",
          status["registered"] and status["phone"] == PHONE and status["records_pending_upload"] > 0, status)
    con = sqlite3.connect(db)
    dump = "\n".join(con.iterdump())
    con.close()
    check("the password is nowhere in the mirror", PASSWORD not in dump)

    before = mirror_fingerprint(db)
    rc, out, _, _ = subprocess_backup_wrong(cli, big, bad_pw_file, net)
    check("wrong password: exit 1, login-failed", rc == 1 and out and out.get("code") == "login-failed", out)
    check("wrong password: mirror untouched", mirror_fingerprint(db) == before)

    proxy.refuse = True
    rc, out, _, _ = cli.run("backup", big, "--timeout", "2", "--attempts", "2")
    proxy.refuse = False
    check("server down: exit 1, unreachable", rc == 1 and out and out.get("code") in ("unreachable", "timed-out"), out)
    check("server down: mirror untouched", mirror_fingerprint(db) == before)

    # --- First backup, then nothing ---------------------------------------
    pending = status["records_pending_upload"]
    first = cli.ok("backup", big, "--sms", "all", *net)
    check("first backup: every waiting record applied",
          first["records"]["sent"] == pending and first["records"]["applied"] == pending, first)
    check("first backup: no conflicts, one round trip per batch plus login/logout",
          first["conflicts"] == [] and first["round_trips"] <= first["batches"] + 2, first)
    check("first backup: messages stored", first["messages"]["stored"] > 0, first["messages"])
    token = login(server)
    on_server = server_records(server, token, big, key)
    local = working_records(db, big, key)
    check("first backup: server's records byte-exact",
          all(on_server.get(i, (None,))[0] == d for i, d in local.items() if d != "FF" * (len(d) // 2)))
    second = cli.ok("backup", big, *net)
    check("second backup sends nothing", second["records"]["sent"] == 0 and second["messages"]["sent"] == 0, second)

    # --- Portal edit, incremental restore ---------------------------------
    set_ = 0 if key == "adn" else int(key[2:].split("/")[0])
    listing = contacts(cli, big)
    target = listing[0]
    status_code, answer = api(server, "PUT", f"api/v1/cards/{big}/contacts/{target['set']}/{target['index']}",
                              {"name": "Portal Edit", "number": "+8613912345678"}, token=token)
    check("portal edit accepted", status_code == 200, answer)
    preview = cli.ok("restore", big, "--incremental", *net)
    check("incremental restore preview: the edited record, nothing stored",
          preview["mode"] == "preview" and preview["records"]["changed"] >= 1 and preview["same_card"], preview)
    applied = cli.ok("restore", big, "--incremental", "--apply", *net)
    after = find_contact(contacts(cli, big), target["index"], target["set"])
    check("incremental restore: the mirror holds the portal's contact",
          applied["mode"] == "applied" and after and after["name"] == "Portal Edit"
          and after["number"] == "+8613912345678", (applied, after))
    on_server = server_records(server, token, big, key)
    local = working_records(db, big, key)
    check("incremental restore: byte-exact with the server",
          all(local[i] == d for i, (d, _) in on_server.items()))
    third = cli.ok("backup", big, *net)
    check("backup after a restore sends nothing back", third["records"]["sent"] == 0, third)

    # A restore killed after fetching (nothing stored) and after storing
    # (the server's last group not acknowledged, the token not moved).
    second_target = listing[10]
    api(server, "PUT", f"api/v1/cards/{big}/contacts/{second_target['set']}/{second_target['index']}",
        {"name": "Portal Two", "number": "+8613900001111"}, token=token)
    before = mirror_fingerprint(db)
    token_before = cli.ok("sync-status", big, password=False)["token"]
    rc, _, _, _ = cli.run("restore", big, "--incremental", "--apply", *net,
                          env={"SV_TEST_CRASH_AT": "after-restore-fetch"})
    check("restore killed after fetching: the mirror untouched", rc == 70 and mirror_fingerprint(db) == before, rc)
    rc, _, _, _ = cli.run("restore", big, "--incremental", "--apply", *net,
                          env={"SV_TEST_CRASH_AT": "after-restore-apply"})
    mid = cli.ok("sync-status", big, password=False)
    stored = find_contact(contacts(cli, big), second_target["index"], second_target["set"])
    check("restore killed after storing: the record in the mirror, the token not moved",
          rc == 70 and stored["name"] == "Portal Two" and mid["token"] == token_before, (rc, mid["token"], token_before))
    again = cli.ok("restore", big, "--incremental", "--apply", *net)
    check("restore run again: nothing changes twice, the token moves on",
          again["records"]["changed"] == 0 and again["conflicts"] == [] and again["token"]
          and again["token"] != token_before, again)
    diff = cli.ok("diff", big, password=False)
    check("the restored record waits for the card write",
          any(d["file"] == key and d["record"] == target["index"] for d in diff), diff)

    # --- The restore cursor after a backup (issue 16) ----------------------
    # A backup that leaves the mirror equal to the server moves the restore
    # cursor to its token: the next incremental restore fetches only what
    # changed after it (one "changes since" exchange, no card list). A
    # portal edit made between the cursor and a backup keeps the cursor
    # where it was, so that edit is never skipped.
    local_a, portal_b, portal_c, local_d = listing[2], listing[3], listing[4], listing[5]
    cli.ok("edit", big, "set", str(local_a["index"]), "--name", "Local A", password=False)
    backed = cli.ok("backup", big, *net)
    synced = cli.ok("sync-status", big, password=False)
    check("cursor: a backup on top of the cursor moves it to the backup's token",
          backed["records"]["applied"] >= 1 and synced["token"] == card_token(server, token, big),
          (backed, synced))
    status_code, edited = api(server, "PUT", f"api/v1/cards/{big}/contacts/{portal_b['set']}/{portal_b['index']}",
                              {"name": "Portal B", "number": "+8613900002222"}, token=token)
    right_after = cli.ok("restore", big, "--incremental", "--apply", *net)
    got = find_contact(contacts(cli, big), portal_b["index"], portal_b["set"])
    check("cursor: a portal edit made right after a backup is restored",
          status_code == 200 and got and got["name"] == "Portal B", (right_after, got))
    check("cursor: that restore fetches only the portal edit, in one exchange besides login/logout",
          right_after["records"]["changed"] == edited["changed_records"]
          and right_after["round_trips"] == 3, (right_after, edited))

    status_code, _ = api(server, "PUT", f"api/v1/cards/{big}/contacts/{portal_c['set']}/{portal_c['index']}",
                         {"name": "Portal C", "number": "+8613900003333"}, token=token)
    cursor_before = cli.ok("sync-status", big, password=False)["token"]
    cli.ok("edit", big, "set", str(local_d["index"]), "--name", "Local D", password=False)
    backed = cli.ok("backup", big, *net)
    after_backup = cli.ok("sync-status", big, password=False)["token"]
    check("cursor: a backup on top of a portal edit the mirror lacks leaves the cursor",
          status_code == 200 and backed["records"]["applied"] >= 1 and after_backup == cursor_before,
          (cursor_before, after_backup, backed))
    restored = cli.ok("restore", big, "--incremental", "--apply", *net)
    got = find_contact(contacts(cli, big), portal_c["index"], portal_c["set"])
    mine = find_contact(contacts(cli, big), local_d["index"], local_d["set"])
    check("cursor: the portal edit made before that backup is restored, the local edit kept",
          got and got["name"] == "Portal C" and mine and mine["name"] == "Local D"
          and restored["conflicts"] == [], (restored, got, mine))
    check("cursor: after that restore the cursor is the server's token",
          cli.ok("sync-status", big, password=False)["token"] == card_token(server, token, big))

    # --- Conflict ---------------------------------------------------------
    other = listing[1]
    cli.ok("edit", big, "set", str(other["index"]), "--name", "Local Side", password=False)
    api(server, "PUT", f"api/v1/cards/{big}/contacts/{other['set']}/{other['index']}",
        {"name": "Server Side", "number": other["number"] or "123"}, token=token)
    conflicted = cli.ok("backup", big, *net)
    conflicts = conflicted["conflicts"]
    check("conflict reported with both versions decoded",
          len(conflicts) == 1 and conflicts[0]["server"]["contact"]["name"] == "Server Side"
          and conflicts[0]["local"]["contact"]["name"] == "Local Side", conflicts)
    status = cli.ok("sync-status", big, password=False)
    check("sync-status lists the conflict", len(status["conflicts"]) == 1, status)
    resolved = cli.ok("backup", big, "--resolve", "server", *net)
    now = find_contact(contacts(cli, big), other["index"], other["set"])
    check("--resolve server: the server's version in the mirror, nothing left",
          resolved["conflicts"] == [] and now["name"] == "Server Side", (resolved, now))

    # --- Crash between upload and acknowledgement --------------------------
    cli.ok("edit", big, "set", str(listing[2]["index"]), "--name", "Crash One", password=False)
    cli.ok("edit", big, "set", str(listing[3]["index"]), "--name", "Crash Two", password=False)
    rc, _, _, _ = cli.run("backup", big, *net, env={"SV_TEST_CRASH_AT": "after-upload"})
    check("crash hook ended the client after upload", rc == 70, rc)
    status = cli.ok("sync-status", big, password=False)
    check("after the crash: one unacknowledged batch, two records still waiting",
          status["unacknowledged_batches"] == 1 and status["records_pending_upload"] == 2, status)
    token_after_crash = card_token(server, token, big)
    resumed = cli.ok("backup", big, *net)
    check("rerun: the same batch resent and acknowledged",
          resumed["resumed_batches"] == 1 and resumed["records"]["applied"] == 2, resumed)
    check("rerun: the server applied it once (card token unchanged by the resend)",
          card_token(server, token, big) == token_after_crash)
    status = cli.ok("sync-status", big, password=False)
    check("rerun: nothing waits", status["unacknowledged_batches"] == 0 and status["records_pending_upload"] == 0, status)
    on_server = server_records(server, token, big, key)
    local = working_records(db, big, key)
    check("after crash and rerun: server byte-exact with the mirror",
          all(on_server.get(i, (d,))[0] == d for i, d in local.items()))

    # Crash before upload: nothing reached the server, the rerun sends it.
    cli.ok("edit", big, "set", str(listing[4]["index"]), "--name", "Crash Before", password=False)
    rc, _, _, _ = cli.run("backup", big, *net, env={"SV_TEST_CRASH_AT": "before-upload"})
    resumed = cli.ok("backup", big, *net)
    check("crash before upload, rerun: sent once, applied",
          rc == 70 and resumed["resumed_batches"] == 1 and resumed["records"]["applied"] == 1, resumed)

    # --- Retries through the proxy ----------------------------------------
    for n, fault in enumerate(["drop-response", "cut-request", "stall"]):
        cli.ok("edit", big, "set", str(listing[5 + n]["index"]), "--name", f"Retry {n}", password=False)
        before_token = card_token(server, token, big)
        proxy.faults = [fault]
        result = cli.ok("backup", big, *net)
        after_token = card_token(server, token, big)
        epoch_mod = lambda t: tuple(int(x) for x in t.split("-"))
        # libsoup itself resends a request whose reused connection closed
        # before any answer; the client's own retry covers the rest (a
        # stalled answer always ends in the client's timeout and retry).
        check(f"{fault}: the fault hit the backup, which completed",
              proxy.applied and proxy.applied[-1] == fault and result["records"]["applied"] == 1
              and (fault != "stall" or result["retries"] >= 1), result)
        check(f"{fault}: applied once (one record, token moved by one change)",
              epoch_mod(after_token)[1] - epoch_mod(before_token)[1] <= 1, (before_token, after_token))
    on_server = server_records(server, token, big, key)
    local = working_records(db, big, key)
    check("after the faults: server byte-exact with the mirror",
          all(on_server.get(i, (d,))[0] == d for i, d in local.items()))

    full_preview = cli.ok("restore", big, "--full", *net)
    check("full restore preview of an up-to-date card: nothing would change, no conflicts",
          full_preview["kind"] == "full" and full_preview["records"]["received"] > 0
          and full_preview["records"]["changed"] == 0 and full_preview["conflicts"] == [], (full_preview["records"], full_preview["conflicts"]))

    sms_preview = cli.ok("restore", big, "--full", "--sms", *net)
    check("full restore with messages: every backed-up message fits back, none dropped",
          sms_preview["messages"]["received"] == first["messages"]["stored"]
          and sms_preview["messages"]["written"] == sms_preview["messages"]["received"]
          and sms_preview["messages"]["dropped"] == 0, sms_preview["messages"])

    # --- Per-record resolution, full backup, chosen messages ---------------
    third_contact = listing[8]
    cli.ok("edit", big, "set", str(third_contact["index"]), "--name", "Mine", password=False)
    api(server, "PUT", f"api/v1/cards/{big}/contacts/{third_contact['set']}/{third_contact['index']}",
        {"name": "Theirs", "number": third_contact["number"] or "123"}, token=token)
    conflicted = cli.ok("backup", big, *net)
    check("a second conflict reported", len(conflicted["conflicts"]) == 1, conflicted["conflicts"])
    kept = cli.ok("backup", big, "--resolve-record", f"{key}:{third_contact['index']}=local", *net)
    on_server = server_records(server, token, big, key)
    local = working_records(db, big, key)
    check("--resolve-record FILE:INDEX=local: the local edit went up over the server's",
          kept["conflicts"] == [] and kept["records"]["applied"] == 1
          and on_server[third_contact["index"]][0] == local[third_contact["index"]], kept)

    full = cli.ok("backup", big, "--full", "--sms", "none", *net)
    non_empty = sum(1 for d in local.values() if d != "FF" * (len(d) // 2))
    on_server = server_records(server, token, big, key)
    check("full backup: every non-empty record sent and applied, server byte-exact",
          full["mode"] == "full" and full["records"]["applied"] == full["records"]["sent"]
          and full["records"]["sent"] >= non_empty
          and all(on_server.get(i, (d,))[0] == d for i, d in local.items()), full["records"])
    after_full = cli.ok("backup", big, *net)
    check("after a full backup nothing waits", after_full["records"]["sent"] == 0, after_full["records"])
    chosen = cli.ok("backup", big, "--sms", "1", *net)
    check("--sms INDEX: that message sent, the server already has it",
          chosen["messages"]["sent"] == 1 and chosen["messages"]["duplicates"] == 1, chosen["messages"])
    cli.ok("edit", big, "set", str(listing[9]["index"]), "--name", "Not Yet", password=False)
    before = mirror_fingerprint(db)
    rc, bad, _, _ = cli.run("backup", big, "--sms", "999", *net)
    check("--sms with a message the card lacks: an error before anything is sent, mirror untouched",
          rc == 1 and bad and "999" in bad["error"] and mirror_fingerprint(db) == before, bad)
    cli.ok("backup", big, *net)

    # --- The lost SIM: restore onto a smaller card -----------------------
    source_contacts = contacts(cli, big)
    lost_preview = cli.ok("restore", small, "--server", proxy.url(), "--phone", PHONE, "--from", big, "--full", *net)
    summary = lost_preview["summary"]
    check("lost SIM preview: some fit, the rest reported as overflow",
          lost_preview["mode"] == "preview" and not lost_preview["same_card"]
          and summary["overflow"] > 0 and summary["fits"] + summary["re-encoded"] > 0, summary)
    if summary["truncated"] > 0:
        before = mirror_fingerprint(db)
        rc, refused, _, _ = cli.run("restore", small, "--server", proxy.url(), "--phone", PHONE, "--from", big,
                                    "--full", "--apply", *net)
        check("lost SIM: truncation refused without consent, names the flag, mirror untouched",
              rc == 1 and "--accept-truncation" in refused["error"] and mirror_fingerprint(db) == before, refused)
    lost = cli.ok("restore", small, "--server", proxy.url(), "--phone", PHONE, "--from", big, "--full",
                  "--apply", "--accept-truncation", *net)
    check("lost SIM: the target registered as a card change", lost["registration"] == "card-change", lost)
    target_contacts = contacts(cli, small)
    stored = [e for e in lost["entries"] if e["target"] is not None]
    equal = all(find_contact(target_contacts, e["target"]["index"], e["target"]["set"]) is not None
                and find_contact(target_contacts, e["target"]["index"], e["target"]["set"])["number"] == e["source"]["number"]
                for e in stored if e["outcome"] in ("fits", "re-encoded"))
    check("lost SIM: what fits is on the target, decoded equal to the source",
          len(target_contacts) == len(stored) and equal, (len(target_contacts), len(stored)))
    check("lost SIM: every source contact accounted for",
          len(lost["entries"]) == len(source_contacts), (len(lost["entries"]), len(source_contacts)))
    status = cli.ok("sync-status", small, password=False)
    check("lost SIM: the new card waits for its first backup", status["registered"] and status["records_pending_upload"] > 0, status)

    # --- Another account tries to get in -----------------------------------
    intruder_db = os.path.join(os.path.dirname(db), "intruder.db")
    shutil.copy(db, intruder_db)
    intruder_pw = os.path.join(os.path.dirname(db), "intruder-password")
    with open(intruder_pw, "w") as f:
        f.write("intruder password 99\n")
    intruder = Cli(intruder_db, intruder_pw)
    before = mirror_fingerprint(intruder_db)
    rc, out, _, _ = intruder.run("register", big, "--server", server.url, "--phone", "+8613500135000", *net)
    check("another account registering the card: conflict, its mirror untouched",
          rc == 1 and out and out.get("code") == "conflict" and mirror_fingerprint(intruder_db) == before, out)
    # The intruder signs up in the portal to have an account of its own.
    api(server, "POST", "api/v1/accounts", {"phone": "+8613500135000", "password": "intruder password 99"})
    rc, out, _, _ = intruder.run("restore", big, "--server", server.url, "--phone", "+8613500135000",
                                 "--from", big, "--full", *net)
    check("another account restoring the card: not found (ids cannot be probed)",
          rc == 1 and out and out.get("code") == "not-found", out)
    status_code, answer = api(server, "POST", "api/v1/session", {"phone": "+8613500135000",
                                                                 "password": "intruder password 99"})
    intruder_token = answer["token"] if answer else None
    code_a, _ = api(server, "GET", f"api/v1/cards/{big}/records?file={key}", token=intruder_token)
    check("another account reading the records over the API: 404", code_a == 404, code_a)

    # --- Deregistration ----------------------------------------------------
    dereg = cli.ok("deregister", big, *net)
    status = cli.ok("sync-status", big, password=False)
    code, _ = api(server, "GET", f"api/v1/cards/{big}", token=token)
    check("deregister: the mirror forgets, the server answers 404",
          dereg["result"] == "deregistered" and not status["registered"] and code == 404, (dereg, status, code))


def run_retail(cli, server, db, source, target, work):
    """A customer's USIM with two phonebook sets is backed up; a shop puts
    it onto a new, blank card of the same kind with the customer's one-time
    restore code, never seeing the password."""
    net = ["--timeout", "5", "--attempts", "3"]
    phone = "+8613700137000"
    pw = os.path.join(work, "customer-password")
    staff_pw = os.path.join(work, "staff-password")
    with open(pw, "w") as f:
        f.write("customer secret 42\n")
    with open(staff_pw, "w") as f:
        f.write("shop staff secret 7\n")
    customer = Cli(db, pw)
    reg = customer.ok("register", source, "--server", server.url, "--phone", phone, *net)
    up = customer.ok("backup", source, "--sms", "all", *net)
    check("retail: the customer's card registered and backed up",
          reg["result"] == "registered" and up["records"]["applied"] > 0 and up["conflicts"] == [], up)

    add = subprocess.run([SERVER, f"--data-dir={server.dir}", "staff", "add", "shop1", "--password-file", staff_pw],
                         capture_output=True, env=dict(os.environ, SIMVAULT_SERVER_PASSWORD_COST="test-only"))
    status, answer = api(server, "POST", "api/v1/session", {"phone": phone, "password": "customer secret 42"})
    owner = answer["token"] if answer else None
    status, answer = api(server, "POST", "api/v1/account/restore-codes", {}, token=owner)
    code = answer.get("code") if answer else None
    if not check("retail: staff added and a restore code made", add.returncode == 0 and code, (add.stderr, answer)):
        return

    shop = Cli(db, pw)
    args = ["restore", target, "--server", server.url, "--phone", phone, "--staff", "shop1",
            "--staff-password-file", staff_pw, "--consent-code", code, "--full", "--sms", *net]
    rc, preview, _, _ = shop.run(*args, password=False)
    check("retail: preview with the staff consent", rc == 0 and preview and preview["mode"] == "preview"
          and preview["source"] == source, preview)
    # The code is spent by the preview's consent: a new one for the apply.
    status, answer = api(server, "POST", "api/v1/account/restore-codes", {}, token=owner)
    code = answer.get("code") if answer else None
    args[args.index("--consent-code") + 1] = code
    rc, applied, _, _ = shop.run(*args, "--apply", password=False)
    check("retail: applied, the new card registered as a card change",
          rc == 0 and applied and applied["registration"] == "card-change"
          and applied["summary"]["overflow"] == 0, applied)
    source_contacts = contacts(customer, source)
    target_contacts = contacts(customer, target)
    key = lambda c: (c["name"], c["number"], tuple(c.get("additional_numbers") or []), tuple(c.get("emails") or []))
    check("retail: every contact on the new card, decoded equal",
          sorted(map(key, source_contacts)) == sorted(map(key, target_contacts)),
          (len(source_contacts), len(target_contacts)))
    messages = applied.get("messages", {}) if applied else {}
    check("retail: the messages restored too", messages.get("received", 0) > 0
          and messages.get("written", 0) == messages.get("received"), messages)
    status, audit = api(server, "GET", "api/v1/account/audit", token=owner)
    check("retail: the shop's restore is in the customer's audit log",
          status == 200 and "restore" in json.dumps(audit), audit)
    rc, other, _, _ = shop.run("restore", target, "--server", server.url, "--phone", phone, "--staff", "shop1",
                               "--staff-password-file", staff_pw, "--consent-code", "000000", *net, password=False)
    check("retail: a wrong restore code is refused", rc == 1 and other and other.get("code") in
          ("login-failed", "forbidden", "unauthenticated", "not-found", "invalid"), other)


def subprocess_backup_wrong(cli, iccid, bad_pw_file, net):
    saved = cli.password_file
    cli.password_file = bad_pw_file
    try:
        return cli.run("backup", iccid, *net)
    finally:
        cli.password_file = saved


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, do not hide: a crash is a failure
        import traceback
        traceback.print_exc()
        check("the story ran to its end", False, repr(e))
    print(f"1..{len(results)}")
    for i, (name, ok, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok and detail != "":
            for line in json.dumps(detail, default=str, ensure_ascii=False)[:2000].splitlines():
                print(f"# {line}")
    sys.exit(0 if all(ok for _, ok, _ in results) else 1)
