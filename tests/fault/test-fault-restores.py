#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Suite 'fault' (issue 17): 16 desktops restoring from simvault-server
while the test SIGKILLs the server at random moments and starts it again
on the same data and the same port.

Every client is simvault-cli, the headless desktop: its `restore` and
`backup` run the same sync/operations code as the GUI (restore from the
server onto a card of the mirror, then `write` would put it on the card;
the card is left out, the mirror is the restore's target). Each of the 16
clients is its own account and card (a copy of a card profile with its
own ICCID), with two mirrors: W, the desktop that backed the card up, and
R, a second desktop that restores it.

  - clients 0, 2, ... 14 ("restore"): the server content is fixed; each
    round is a full restore (--full --sms) onto a brand-new mirror read
    from the card, or onto R again (everything already there), or an
    incremental one onto R;
  - clients 1, 3, ... 15 ("mixed"): each round edits W (contacts set and
    deleted, a message added), backs it up, then restores R: incremental
    (--incremental) two rounds out of three, full (--full --sms) the third.

A failed command (the server died under it, the connection was refused
while it restarted) is run again, as a user would, until it succeeds; a
backup counts as acknowledged only when `sync-status` then shows nothing
waiting. After each successful restore the mirror must equal the
acknowledged content: R's phonebook (every ADN record) byte-equal with W's,
and after a --sms restore R's messages equal to W's, each once (no record
lost, none duplicated, none from another card: every client's names and
message texts carry its own tag, and none of another's may appear). At the
end, with the server up: each card's records on the server equal W's, a
last full restore onto a new mirror equals them too, integrity_check is ok
on the server's database (SQLite) and on every mirror.

SV_FAULT_RESTORE_KILLS (default 5; build-aux/fault.sh runs 60) sets the
kills, SV_FAULT_SEED repeats a run (the seed is printed). Under
SV_TEST_STORAGE (tests/postgresql/pg-run.sh) the server stores in that
PostgreSQL database instead of SQLite.
usage: test-fault-restores.py SIMVAULT_CLI SIMVAULT_SERVER MIRROR_FROM_PROFILE PROFILE
"""

import collections
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

CLI, SERVER, MAKE_MIRROR, PROFILE = sys.argv[1:5]
N_CLIENTS = 16
PASSWORD = "restore kill horse 16"
KILLS = int(os.environ.get("SV_FAULT_RESTORE_KILLS", "5"))
SEED = int(os.environ.get("SV_FAULT_SEED", str(random.randrange(1 << 30))))
STORAGE = os.environ.get("SV_TEST_STORAGE")
MAX_TRIES = 400
NET = ["--timeout", "5", "--attempts", "2"]

results = []
lock = threading.Lock()
figures = {"kills": 0, "kills_during_work": 0, "restores": 0, "full_restores": 0,
           "full_restores_new_mirror": 0, "incremental_restores": 0, "backups": 0,
           "failed_runs_retried": 0, "client_retries": 0, "records_checked": 0, "messages_checked": 0,
           "records_received": 0, "incremental_records_received": 0, "lost": 0, "duplicated": 0, "foreign": 0}
failures = []


def check(name, ok, detail=""):
    with lock:
        results.append(bool(ok))
        print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}" + (f" # {detail}" if detail and not ok else ""))
        sys.stdout.flush()
    return ok


def count(key, n=1):
    with lock:
        figures[key] += n


def fail(text):
    text = text if len(text) < 400 else text[:400] + "..."
    with lock:
        failures.append(text)
    print(f"# FAIL {text}")
    sys.stdout.flush()


class Server:
    """simvault-server on 127.0.0.1; kill_and_restart() keeps the port so
    the clients' registrations stay valid."""

    def __init__(self, d, port=0):
        env = dict(os.environ, SIMVAULT_SERVER_PASSWORD_COST="test-only")
        self.dir = d
        self.log = open(os.path.join(d, "server.log"), "ab")
        argv = [SERVER, f"--port={port}", f"--data-dir={d}"]
        if STORAGE:
            argv.append(f"--storage={STORAGE}")
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, env=env)
        line = self.process.stdout.readline().decode().strip()
        self.url = line if line.endswith("/") else line + "/"
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1]) if line.startswith("http") else 0
        if not self.port:
            self.process.wait()
            self.log.close()

    def kill_and_restart(self):
        self.process.kill()
        self.process.wait()
        self.log.close()
        for _ in range(100):
            again = Server(self.dir, self.port)
            if again.port:
                self.__dict__.update(again.__dict__)
                return
            time.sleep(0.05)
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


busy = [0]          # simvault-cli commands talking to the server right now


def run_cli(db, pwfile, *args, network=False):
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    argv = [CLI, *args, "--db", db] + (["--password-file", pwfile] if pwfile else [])
    if network:
        with lock:
            busy[0] += 1
    try:
        r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    finally:
        if network:
            with lock:
                busy[0] -= 1
    try:
        out = json.loads(r.stdout) if r.stdout.strip() else None
    except ValueError:
        out = None
    return r.returncode, out, r.stderr


def until_ok(what, db, pwfile, *args):
    """Runs a network command until it exits 0 (a user pressing Retry)."""
    for attempt in range(MAX_TRIES):
        rc, out, err = run_cli(db, pwfile, *args, network=True)
        if rc == 0:
            if isinstance(out, dict):
                count("client_retries", int(out.get("retries") or 0))
            return out
        count("failed_runs_retried")
        time.sleep(0.05 + random.random() * 0.15)
    raise AssertionError(f"{what}: never succeeded: {rc} {out} {err}")


def profile_with_iccid(src, dst, n):
    """A copy of the card profile with its own ICCID (EF_ICCID is BCD with
    swapped nibbles): ...80<n>9 instead of ...8025 0-9."""
    with open(src) as f:
        p = json.load(f)
    for f in p["files"]:
        if f.get("name") == "EF_ICCID":
            digits = f"8949100123456780{n:02d}09"[:20]
            f["data"] = "".join(digits[i + 1] + digits[i] for i in range(0, 20, 2))
            iccid = digits
    with open(dst, "w") as f:
        json.dump(p, f)
    return iccid


def make_mirror(db, profile):
    r = subprocess.run([MAKE_MIRROR, db, profile], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"mirror-from-profile: {r.stderr}")
    return r.stdout.split()[0]


def integrity(db):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return c.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        c.close()


def working(db, iccid, key):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = c.execute("SELECT r.idx, r.working FROM records r JOIN files f ON f.id = r.file_id "
                         "JOIN cards c ON c.id = f.card_id WHERE c.iccid = ? AND f.key = ? ORDER BY r.idx",
                         (iccid, key)).fetchall()
    finally:
        c.close()
    return {i: bytes(w).hex().upper() for i, w in rows}


def messages(db, iccid):
    """The card's messages in the mirror: sorted (number, text, type)."""
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = c.execute("SELECT m.number, m.text, m.type FROM messages m JOIN cards c ON c.id = m.card_id "
                         "WHERE c.iccid = ?", (iccid,)).fetchall()
    finally:
        c.close()
    return sorted(rows)


def all_text(db):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [r[0] or "" for r in c.execute("SELECT name FROM contacts")]
        texts = [r[0] or "" for r in c.execute("SELECT text FROM messages")]
    finally:
        c.close()
    return names + texts


class Client:
    def __init__(self, n, top, server_url):
        self.n = n
        self.tag = f"Q{n:02d}"
        self.mixed = n % 2 == 1
        self.dir = os.path.join(top, f"c{n}")
        os.makedirs(self.dir)
        self.profile = os.path.join(self.dir, "card.json")
        self.iccid = profile_with_iccid(PROFILE, self.profile, n)
        self.phone = f"+861390000{n:04d}"
        self.pw = os.path.join(self.dir, "pw")
        with open(self.pw, "w") as f:
            f.write(PASSWORD)
        self.w = os.path.join(self.dir, "w.db")
        self.r = os.path.join(self.dir, "r.db")
        self.url = server_url
        self.rounds = 0
        self.rng = random.Random(SEED * 100 + n)
        self.error = None

    def restore_args(self, kind):
        a = ["restore", self.iccid, "--server", self.url, "--phone", self.phone, "--apply", *NET]
        # A mirror that read the card before any sync holds its records as
        # local data the server has not seen: the full restore is told to
        # take the server's (the user's choice in the GUI). Incremental
        # restores follow an acknowledged sync and need no choice.
        return a + (["--full", "--sms", "--resolve", "server"] if kind == "full" else ["--incremental"])

    def setup(self):
        assert make_mirror(self.w, self.profile) == self.iccid
        assert make_mirror(self.r, self.profile) == self.iccid
        for k, idx in enumerate((2, 5, 9)):
            rc, out, err = run_cli(self.w, None, "edit", self.iccid, "set", str(idx), "--name", f"{self.tag}S{k}",
                                   "--number", f"5550{self.n:02d}{k}")
            assert rc == 0, err
        rc, out, err = run_cli(self.w, None, "edit", self.iccid, "add-message", "--number", "5550100",
                               "--text", f"{self.tag} setup")
        assert rc == 0, err
        until_ok("register", self.w, self.pw, "register", self.iccid, "--server", self.url, "--phone", self.phone,
                 *NET)
        self.backup()
        # R starts from the same server content: a first full restore.
        self.restore("full", self.r)

    def backup(self):
        until_ok("backup", self.w, self.pw, "backup", self.iccid, "--sms", "all", *NET)
        for _ in range(MAX_TRIES):
            rc, st, err = run_cli(self.w, None, "sync-status", self.iccid)
            if rc == 0 and st["unacknowledged_batches"] == 0 and st["records_pending_upload"] == 0:
                count("backups")
                return
            # Something still waits (an interrupted batch): back up again.
            until_ok("backup", self.w, self.pw, "backup", self.iccid, "--sms", "all", *NET)
        raise AssertionError("backup never left nothing waiting")

    def restore(self, kind, db):
        out = until_ok(f"restore {kind}", db, self.pw, *self.restore_args(kind))
        if out.get("kind") != kind or out.get("mode") != "applied" or out.get("conflicts"):
            fail(f"client {self.n}: restore {kind}: {out.get('kind')} {out.get('mode')}, "
                 f"{len(out.get('conflicts') or [])} conflicts, first {(out.get('conflicts') or [None])[0]}")
        received = int((out.get("records") or {}).get("received") or 0)
        count("records_received", received)
        if kind == "incremental":
            count("incremental_records_received", received)
        self.compare(db, kind)
        count("restores")
        count("full_restores" if kind == "full" else "incremental_restores")

    def compare(self, db, kind):
        """R (or a new mirror) against what the server acknowledged to W."""
        want, got = working(self.w, self.iccid, "adn"), working(db, self.iccid, "adn")
        count("records_checked", len(want))
        if want != got:
            count("lost", sum(1 for i in want if got.get(i) != want[i]))
            diff = [(i, want.get(i), got.get(i)) for i in sorted(set(want) | set(got)) if want.get(i) != got.get(i)]
            fail(f"client {self.n}: {kind} restore: {len(diff)} ADN records differ, first {diff[:2]}")
        if kind == "full":
            mw, mr = messages(self.w, self.iccid), messages(db, self.iccid)
            count("messages_checked", len(mw))
            if mw != mr:
                extra, missing = collections.Counter(mr), collections.Counter(mw)
                extra.subtract(collections.Counter(mw))
                missing.subtract(collections.Counter(mr))
                count("duplicated", sum(v for v in extra.values() if v > 0))
                count("lost", sum(v for v in missing.values() if v > 0))
                fail(f"client {self.n}: {kind} restore: messages differ: {len(mw)} acknowledged, {len(mr)} "
                     f"restored; missing {[m for m in mw if m not in mr][:2]} extra {[m for m in mr if m not in mw][:2]}")
        others = [t for t in all_text(db) if t[:1] == "Q" and t[:3] != self.tag and t[1:3].isdigit()]
        if others:
            count("foreign", len(others))
            fail(f"client {self.n}: another card's records in the mirror: {others[:3]}")

    def round(self):
        self.rounds += 1
        r = self.rounds
        if self.mixed:
            for k, idx in enumerate(self.rng.sample(range(1, 40), 3)):
                rc, out, err = run_cli(self.w, None, "edit", self.iccid, "set", str(idx), "--name",
                                       f"{self.tag}R{r}K{k}", "--number", f"5551{r:03d}{k}")
                assert rc == 0, err
            rc, out, err = run_cli(self.w, None, "edit", self.iccid, "delete", str(self.rng.randrange(40, 80)))
            assert rc == 0, err
            if r % 3 == 0:
                rc, out, err = run_cli(self.w, None, "edit", self.iccid, "add-message", "--number", "5550101",
                                       "--text", f"{self.tag} round {r}")
                assert rc == 0, err
            self.backup()
            self.restore("full" if r % 3 == 0 else "incremental", self.r)
        else:
            choice = r % 3
            if choice == 0:
                self.restore("incremental", self.r)
            elif choice == 1:
                fresh = os.path.join(self.dir, f"new{r}.db")
                make_mirror(fresh, self.profile)
                self.restore("full", fresh)
                count("full_restores_new_mirror")
                check_integrity_quietly(self.n, fresh)
                os.unlink(fresh)
            else:
                self.restore("full", self.r)


def check_integrity_quietly(n, db):
    if integrity(db) != "ok":
        fail(f"client {n}: {db}: integrity_check failed")


def client_loop(client, stop):
    try:
        while not stop.is_set() or client.rounds < 3:
            client.round()
    except Exception as e:  # noqa: BLE001 - reported as a test failure
        client.error = e
        fail(f"client {client.n}: {e!r}")


def main():
    print(f"# seed {SEED} (SV_FAULT_SEED to repeat), {KILLS} kills, {N_CLIENTS} clients"
          + (" on PostgreSQL" if STORAGE else ""))
    started = time.monotonic()
    top = tempfile.mkdtemp(prefix="sv-fault-restores-")
    sd = os.path.join(top, "server")
    os.makedirs(sd)
    server = Server(sd)
    rng = random.Random(SEED)
    clients = [Client(n, top, server.url) for n in range(N_CLIENTS)]
    try:
        threads = [threading.Thread(target=c.setup) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check("16 clients registered, backed up and restored once", not failures, failures[:1])

        stop = threading.Event()
        threads = [threading.Thread(target=client_loop, args=(c, stop)) for c in clients]
        for t in threads:
            t.start()
        for k in range(KILLS):
            time.sleep(rng.uniform(0.15, 0.9))
            with lock:
                during = busy[0]
            server.kill_and_restart()
            count("kills")
            if during:
                count("kills_during_work")
            print(f"# kill {k + 1}: {during} client commands were talking to the server")
        stop.set()
        for t in threads:
            t.join()
        check(f"{KILLS} kills: every client's restores equal the acknowledged content", not failures,
              f"{len(failures)} failures, first: {failures[:1]}")
        if KILLS:
            check("the kills landed while clients were working", figures["kills_during_work"] > 0, figures)
            # The client's own retries (its --attempts) or, when those ran
            # out, running the command again: the kills cost retries.
            check("the kills made clients retry (the client's own retries or a second run)",
                  figures["failed_runs_retried"] + figures["client_retries"] > 0, figures)

        # With the server up: the server's own records, a last restore onto
        # a new mirror, integrity everywhere.
        st, a = server.api("POST", "api/v1/session", {"phone": clients[0].phone, "password": PASSWORD})
        for c in clients:
            st, a = server.api("POST", "api/v1/session", {"phone": c.phone, "password": PASSWORD})
            if not check(f"client {c.n}: login", st in (200, 201), f"{st} {a}"):
                continue
            st, a = server.api("GET", f"api/v1/cards/{c.iccid}/records?file=adn", token=a["token"])
            remote = {r["index"]: r["data"].upper() for r in (a or {}).get("records", [])}
            local = working(c.w, c.iccid, "adn")
            check(f"client {c.n}: the server holds W's phonebook byte for byte",
                  st == 200 and all(remote.get(i) == d for i, d in local.items() if d.strip("F"))
                  and all(local.get(i) == d for i, d in remote.items() if d.strip("F")),
                  str([(i, local.get(i), remote.get(i)) for i in sorted(set(local) | set(remote))
                       if local.get(i) != remote.get(i) and (local.get(i) or "").strip("F")][:2]))
            before = len(failures)
            last = os.path.join(c.dir, "last.db")
            make_mirror(last, c.profile)
            c.restore("full", last)
            check(f"client {c.n} ({'mixed' if c.mixed else 'restore'}, {c.rounds} rounds): a last full restore "
                  f"onto a new mirror equals the acknowledged content", len(failures) == before, failures[before:before + 1])
            check(f"client {c.n}: integrity_check on W, R and the new mirror",
                  all(integrity(db) == "ok" for db in (c.w, c.r, last)))
        sqlite_db = os.path.join(sd, "simvault-server.db")
        if not STORAGE:
            check("server database: PRAGMA integrity_check", integrity(sqlite_db) == "ok")
    finally:
        server.stop()
        shutil.rmtree(top, ignore_errors=True)
    figures["seconds"] = round(time.monotonic() - started, 1)
    print("# FIGURES restores " + " ".join(f"{k}={v}" for k, v in figures.items())
          + f" clients={N_CLIENTS} failures={len(failures)}"
          + (" storage=postgresql" if STORAGE else " storage=sqlite"))
    print(f"1..{len(results)}")
    sys.exit(0 if all(results) else 1)


main()
