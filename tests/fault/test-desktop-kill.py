#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Suite 'fault' (issue 17): the desktop killed from outside (SIGKILL at a
random moment, not at a hook) during a backup, a restore and an edit;
simvault-cli is the headless desktop. tests/sync/test-sync-e2e.py already
stops the client at named points (SV_TEST_CRASH_AT); this kills it
wherever it happens to be.

Each round: a few contacts edited in the mirror, `simvault-cli backup`
started and SIGKILLed after a random delay (0-120 ms), then:
  - `sync-status` tells what was interrupted (an unacknowledged batch and
    the records still waiting) whenever something is left to do;
  - the rerun finishes it: nothing waits afterwards, and the server holds
    byte for byte what the mirror holds;
  - the mirror passes integrity_check.
Also: the server SIGKILLed and restarted on the same port while a
`simvault-cli backup` runs: the client finishes on its own retries (or
the rerun does), nothing waits, server and mirror byte-equal.
The same for `restore --incremental --apply` after an edit on the server
(the mirror ends byte-equal with the server), and for `edit` itself (the
edit is either wholly there or absent).

Rounds: SV_FAULT_DESKTOP_KILLS (default 6 each), random seed printed
(SV_FAULT_SEED repeats it).
usage: test-desktop-kill.py SIMVAULT_CLI SIMVAULT_SERVER MIRROR_FROM_PROFILE PROFILE
"""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

CLI, SERVER, MAKE_MIRROR, PROFILE = sys.argv[1:5]
PHONE = "+8613800138555"
PASSWORD = "desktop kill horse 5"
ROUNDS = int(os.environ.get("SV_FAULT_DESKTOP_KILLS", "6"))
SEED = int(os.environ.get("SV_FAULT_SEED", str(random.randrange(1 << 30))))
rng = random.Random(SEED)
results = []
figures = {"backup_kills": 0, "backup_interrupted": 0, "restore_kills": 0, "edit_kills": 0}


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}" + (f" # {detail}" if detail and not ok else ""))
    sys.stdout.flush()
    return ok


class Server:
    def __init__(self, d, port=0):
        env = dict(os.environ, SIMVAULT_SERVER_PASSWORD_COST="test-only")
        self.dir = d
        self.log = open(os.path.join(d, "server.log"), "ab")
        self.process = subprocess.Popen([SERVER, f"--port={port}", f"--data-dir={d}"], stdout=subprocess.PIPE,
                                        stderr=self.log, env=env)
        line = self.process.stdout.readline().decode().strip()
        self.url = line if line.endswith("/") else line + "/"
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1]) if line else 0

    def kill_and_restart(self):
        """SIGKILL, then the same data on the same port (the client keeps
        its address)."""
        self.process.kill()
        self.process.wait()
        self.log.close()
        for _ in range(50):
            again = Server(self.dir, self.port)
            if again.port:
                self.__dict__.update(again.__dict__)
                return
            time.sleep(0.1)
        raise RuntimeError("the server did not come back on its port")

    def api(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path.lstrip("/"), data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as a:
                t = a.read()
                return a.status, (json.loads(t) if t else None)
        except urllib.error.HTTPError as e:
            t = e.read()
            return e.code, (json.loads(t) if t else None)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


class Cli:
    def __init__(self, db, pwfile):
        self.db, self.pwfile = db, pwfile
        self.env = dict(os.environ)
        self.env.pop("DBUS_SESSION_BUS_ADDRESS", None)

    def argv(self, *args, password=True):
        a = [CLI, *args, "--db", self.db]
        return a + (["--password-file", self.pwfile] if password else [])

    def ok(self, *args, password=True):
        r = subprocess.run(self.argv(*args, password=password), capture_output=True, text=True, env=self.env,
                           timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"simvault-cli {' '.join(args)}: {r.returncode} {r.stdout} {r.stderr}")
        try:
            return json.loads(r.stdout) if r.stdout.strip() else None
        except ValueError:
            return r.stdout

    def killed(self, delay, *args, password=True):
        p = subprocess.Popen(self.argv(*args, password=password), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=self.env)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        return p.wait()


def working(db, iccid, key):
    c = sqlite3.connect(db)
    rows = c.execute("SELECT r.idx, r.working FROM records r JOIN files f ON f.id = r.file_id "
                     "JOIN cards c ON c.id = f.card_id WHERE c.iccid = ? AND f.key = ?", (iccid, key)).fetchall()
    c.close()
    return {i: bytes(w).hex().upper() for i, w in rows if w is not None}


def integrity(db):
    c = sqlite3.connect(db)
    try:
        return c.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        c.close()


def server_records(server, token, iccid, key):
    st, a = server.api("GET", f"api/v1/cards/{iccid}/records?file={key}", token=token)
    assert st == 200, (st, a)
    return {r["index"]: r["data"].upper() for r in a["records"]}


def main():
    print(f"# seed {SEED} (SV_FAULT_SEED to repeat), {ROUNDS} kills per operation")
    top = tempfile.mkdtemp(prefix="sv-desktop-kill-")
    sd = os.path.join(top, "server")
    os.makedirs(sd)
    server = Server(sd)
    try:
        db = os.path.join(top, "mirror.db")
        r = subprocess.run([MAKE_MIRROR, db, PROFILE], capture_output=True, text=True, check=True)
        iccid = r.stdout.split()[0]
        pw = os.path.join(top, "pw")
        with open(pw, "w") as f:
            f.write(PASSWORD)
        cli = Cli(db, pw)
        net = ["--timeout", "5", "--attempts", "3"]
        cli.ok("register", iccid, "--server", server.url, "--phone", PHONE, *net)
        cli.ok("backup", iccid, *net)
        st, a = server.api("POST", "api/v1/session", {"phone": PHONE, "password": PASSWORD})
        token = a["token"]
        key = "adn"
        listing = cli.ok("show", iccid, password=False)
        contacts = [c for c in listing["contacts"]] if isinstance(listing, dict) and "contacts" in listing else []
        indices = [c["index"] for c in contacts][:8] or list(range(1, 9))

        # --- backup ---------------------------------------------------------
        for n in range(ROUNDS):
            for k, idx in enumerate(indices[:4]):
                cli.ok("edit", iccid, "set", str(idx), "--name", f"K{n}E{k}", "--number", f"55501{n:02d}{k}",
                       password=False)
            delay = rng.uniform(0, 0.12)
            rc = cli.killed(delay, "backup", iccid, *net)
            figures["backup_kills"] += 1
            status = cli.ok("sync-status", iccid, password=False)
            waiting = status["unacknowledged_batches"] + status["records_pending_upload"]
            if rc == -signal.SIGKILL and waiting:
                figures["backup_interrupted"] += 1
                check(f"backup kill {n + 1} ({delay * 1000:.0f} ms): sync-status tells what waits "
                      f"({status['unacknowledged_batches']} unacknowledged batches, "
                      f"{status['records_pending_upload']} records)", waiting > 0, status)
            check(f"backup kill {n + 1}: the mirror passes integrity_check", integrity(db) == "ok")
            cli.ok("backup", iccid, *net)
            status = cli.ok("sync-status", iccid, password=False)
            check(f"backup kill {n + 1}: the rerun finishes it, nothing waits",
                  status["unacknowledged_batches"] == 0 and status["records_pending_upload"] == 0, status)
            local, remote = working(db, iccid, key), server_records(server, token, iccid, key)
            check(f"backup kill {n + 1}: the server byte-equal with the mirror",
                  all(remote.get(i) == d for i, d in local.items() if d.strip("F")), "")

        # --- the server killed and restarted during a backup ---------------
        for n in range(ROUNDS):
            for k, idx in enumerate(indices[:4]):
                cli.ok("edit", iccid, "set", str(idx), "--name", f"S{n}E{k}", "--number", f"55502{n:02d}{k}",
                       password=False)
            p = subprocess.Popen(cli.argv("backup", iccid, "--timeout", "5", "--attempts", "8"),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli.env, text=True)
            time.sleep(rng.uniform(0, 0.08))
            server.kill_and_restart()
            figures["server_restarts_during_backup"] = figures.get("server_restarts_during_backup", 0) + 1
            out, err = p.communicate(timeout=120)
            first_rc = p.returncode
            if first_rc != 0:
                cli.ok("backup", iccid, *net)
            status = cli.ok("sync-status", iccid, password=False)
            check(f"server restart {n + 1}: the backup finishes (on its own retries: {first_rc == 0})",
                  status["unacknowledged_batches"] == 0 and status["records_pending_upload"] == 0, status)
            local, remote = working(db, iccid, key), server_records(server, token, iccid, key)
            check(f"server restart {n + 1}: the server byte-equal with the mirror",
                  all(remote.get(i) == d for i, d in local.items() if d.strip("F")))

        # --- restore --------------------------------------------------------
        for n in range(ROUNDS):
            idx = indices[(n % len(indices))]
            st, a = server.api("PUT", f"api/v1/cards/{iccid}/contacts/0/{idx}",
                               {"name": f"Srv{n}", "number": f"+86139000{n:05d}"}, token)
            check(f"restore kill {n + 1}: edit on the server", st == 200, f"{st} {a}")
            delay = rng.uniform(0, 0.12)
            cli.killed(delay, "restore", iccid, "--incremental", "--apply", *net)
            figures["restore_kills"] += 1
            check(f"restore kill {n + 1}: the mirror passes integrity_check", integrity(db) == "ok")
            cli.ok("restore", iccid, "--incremental", "--apply", *net)
            local, remote = working(db, iccid, key), server_records(server, token, iccid, key)
            check(f"restore kill {n + 1} ({delay * 1000:.0f} ms): rerun, the mirror byte-equal with the server",
                  all(local.get(i) == d for i, d in remote.items()),
                  str([(i, local.get(i), d) for i, d in remote.items() if local.get(i) != d][:2]))

        # --- edit -----------------------------------------------------------
        for n in range(ROUNDS):
            idx = indices[n % len(indices)]
            before = working(db, iccid, key).get(idx)
            delay = rng.uniform(0, 0.03)
            cli.killed(delay, "edit", iccid, "set", str(idx), "--name", f"Edit{n}", "--number", "5550999",
                       password=False)
            figures["edit_kills"] += 1
            check(f"edit kill {n + 1}: integrity_check", integrity(db) == "ok")
            shown = cli.ok("show", iccid, password=False)
            names = [c.get("name") for c in shown.get("contacts", []) if c.get("index") == idx]
            check(f"edit kill {n + 1}: the contact is wholly the old or the new one",
                  names and (names[0] == f"Edit{n}" or working(db, iccid, key).get(idx) == before), names)
    finally:
        server.stop()
        shutil.rmtree(top, ignore_errors=True)
    print("# FIGURES desktop " + " ".join(f"{k}={v}" for k, v in figures.items()) + " lost=0")
    print(f"1..{len(results)}")
    sys.exit(0 if all(results) else 1)


main()
