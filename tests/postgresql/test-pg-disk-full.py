#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Suite 'postgresql' (issue 17): simvault-server on PostgreSQL when the
disk under the cluster fills up.

How the disk fills: a small tmpfs of its own (mount -t tmpfs -o size=...,
as root) holds the part of the cluster under test, and a filler file takes
all of its free space, so PostgreSQL's next write there fails with ENOSPC,
the real "No space left on device" of a full file system (not a quota of
PostgreSQL's own like temp_file_limit, which is another error). The rest
of the cluster stays on the ordinary disk. Two cases:

  tablespace  the server's database lives in a tablespace on the small
              tmpfs (CREATE DATABASE ... TABLESPACE): extending a table or
              an index fails, PostgreSQL answers SQLSTATE 53100 disk_full
              ("could not extend file ...: No space left on device").
  wal         the cluster's WAL (initdb --waldir, 1 MiB segments) is on the
              small tmpfs (the segments kept by wal_keep_size, so freed
              WAL does not make room): creating the next segment fails,
              PostgreSQL PANICs, ends every connection and goes into crash
              recovery. Once the space returns it either finishes recovery
              by itself or, when its recovery already gave up and the
              postmaster exited, is started again as an operator would;
              simvault-server is never restarted.

For each: backups until one fails; then
  - the failing request gets a clear JSON error (503 unavailable; for
    53100 the same "nothing was stored" message as on SQLite), never a
    200 for something not stored, and the server process stays up;
  - nothing acknowledged is lost: every record of every 200 batch is on
    the server byte for byte at its version, and no record of a refused
    batch is (all or nothing);
  - when space returns (the filler removed; for wal the cluster back)
    the same batch, same id, succeeds on the same running server,
    and later ones too;
  - the database is consistent: pg_amcheck (heap and B-tree, with
    --heapallindexed) finds nothing, and every card's records read back.

In the tablespace case the desktop is there too: simvault-cli (the same
sync code as the GUI) with a mirror on the ordinary disk backs up while
the server's disk is full: it fails with the server's message (exit 1,
"disk is full ... nothing was stored"), `sync-status` shows the edits still
waiting, and the next `backup` after the space returns sends them; the
server then holds the mirror's phonebook byte for byte. A second desktop
restoring from the full server is refused the same clear way (a restore
snapshots the card on the server, which needs space) and its mirror is
untouched; once space returns the restore works.

Skips (TAP) when not root (mount needs it) or without PostgreSQL.
usage: test-pg-disk-full.py SIMVAULT_SERVER SIMVAULT_CLI MIRROR_FROM_PROFILE PROFILE [CASE...]
"""

import json
import os
import subprocess
import time
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svcluster  # noqa: E402

SERVER, CLI, MAKE_MIRROR, PROFILE = sys.argv[1:5]
CASES = sys.argv[5:] or ["tablespace", "wal"]
DESKTOP_PHONE = "+8613712345678"
DESKTOP_PASSWORD = "disk-full-desktop"
PER_BATCH = 50
# 1 MiB segments, none recycled or removed (wal_keep_size holds them), so
# the WAL grows into the full disk instead of reusing freed space.
WAL_SETTINGS = ("min_wal_size=2MB", "max_wal_size=64MB", "wal_recycle=off", "wal_keep_size=1GB")
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}" + (f" # {detail}" if detail and not ok else ""))
    sys.stdout.flush()
    return ok


def skip_all(reason):
    print(f"1..0 # SKIP {reason}")
    sys.exit(0)


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", path],
                      capture_output=True).returncode != 0:
        return False
    os.chown(path, *owner())
    return True


def owner():
    import pwd
    p = pwd.getpwnam("postgres")
    return p.pw_uid, p.pw_gid


def fill(path):
    """Takes every free block of the file system at @path."""
    filler = os.path.join(path, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        chunk = b"\0" * 65536
        while True:
            try:
                os.write(fd, chunk)
            except OSError:
                if len(chunk) == 512:
                    break
                chunk = chunk[:len(chunk) // 2]
    finally:
        os.close(fd)
    return filler


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


class Card:
    """One account and card; what the server acknowledged, per record."""

    def __init__(self, url, n):
        self.url = url
        self.n = n
        self.iccid = "8986%016d" % (5 * 10 ** 11 + n)
        self.phone = "+86137%08d" % n
        self.password = "disk-full-pw-%d" % n
        self.acked = {}        # index -> (data, version)
        self.refused = {}      # index -> data of a batch that was refused
        self.batches = 0

    def register(self):
        st, a = svcluster.http_request(self.url, "POST", "/api/v1/cards/register",
                                       {"phone": self.phone, "password": self.password,
                                        "card": svcluster.card_json(self.iccid)})
        assert st == 200, (st, a)
        self.token = a["session"]["token"]

    def batch(self, b):
        start = (b * PER_BATCH) % svcluster.ADN_RECORDS
        return {"batch_id": f"full-{self.n}-{b}", "mode": "incremental",
                "records": [{"file": "adn", "index": start + k + 1,
                             "data": svcluster.adn_hex(f"F{self.n}B{b}K{k}", "13800138%03d" % k),
                             "base_version": self.acked.get(start + k + 1, (None, 0))[1]}
                            for k in range(PER_BATCH)]}

    def send(self, body):
        return svcluster.http_request(self.url, "POST", f"/api/v1/cards/{self.iccid}/backup", body,
                                      token=self.token, timeout=30)

    def acknowledge(self, body, answer):
        versions = answer["versions"]["adn"]
        for r in body["records"]:
            self.acked[r["index"]] = (r["data"], versions[str(r["index"])])
            self.refused.pop(r["index"], None)

    def server_records(self):
        st, a = svcluster.http_request(self.url, "GET", f"/api/v1/cards/{self.iccid}/records?file=adn",
                                       token=self.token, timeout=30)
        return st, {r["index"]: (r["data"].upper(), r["version"]) for r in (a or {}).get("records", [])}

    def nothing_lost(self):
        """(ok, detail): every acknowledged record there at its version, no
        record of a refused batch."""
        st, have = self.server_records()
        if st != 200:
            return False, f"GET records: {st}"
        lost = [i for i, v in self.acked.items() if have.get(i) != (v[0].upper(), v[1])]
        leaked = [i for i, d in self.refused.items() if i not in self.acked and i in have]
        extra = [i for i in have if i not in self.acked]
        return not lost and not leaked and not extra, f"lost {lost[:3]} from refused {leaked[:3]} extra {extra[:3]}"


class Desktop:
    """simvault-cli with its own mirror (on the ordinary disk)."""

    def __init__(self, work, url, name="mirror.db"):
        self.db = work(name)
        self.pw = work("desktop-pw")
        if not os.path.exists(self.pw):
            with open(self.pw, "w") as f:
                f.write(DESKTOP_PASSWORD)
        r = subprocess.run([MAKE_MIRROR, self.db, PROFILE], capture_output=True, text=True, check=True)
        self.iccid = r.stdout.split()[0]
        self.url = url + "/"

    def run(self, *args, password=True):
        env = dict(os.environ)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        argv = [CLI, *args, "--db", self.db] + (["--password-file", self.pw] if password else [])
        r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        try:
            out = json.loads(r.stdout) if r.stdout.strip() else {}
        except ValueError:
            out = {"raw": r.stdout}
        return r.returncode, out, r.stderr

    def waiting(self):
        rc, st, err = self.run("sync-status", self.iccid, password=False)
        return st.get("unacknowledged_batches", -1) + st.get("records_pending_upload", -1)

    def working(self):
        import sqlite3
        c = sqlite3.connect(self.db)
        try:
            rows = c.execute("SELECT r.idx, r.working FROM records r JOIN files f ON f.id = r.file_id "
                             "JOIN cards c ON c.id = f.card_id WHERE c.iccid = ? AND f.key = 'adn'",
                             (self.iccid,)).fetchall()
        finally:
            c.close()
        return {i: bytes(w).hex().upper() for i, w in rows}


def desktop_equal(desktop, remote_only=False):
    st, a = svcluster.http_request(desktop.url.rstrip("/"), "POST", "/api/v1/session",
                                   {"phone": DESKTOP_PHONE, "password": DESKTOP_PASSWORD})
    if st != 200:
        return False, f"login {st} {a}"
    st, a = svcluster.http_request(desktop.url.rstrip("/"), "GET", f"/api/v1/cards/{desktop.iccid}/records?file=adn",
                                   token=a["token"], timeout=30)
    remote = {r["index"]: r["data"].upper() for r in (a or {}).get("records", [])}
    local = desktop.working()
    if remote_only:
        diff = [i for i, d in remote.items() if local.get(i) != d]
    else:
        diff = [i for i, d in local.items() if d.strip("F") and remote.get(i) != d]
    return st == 200 and not diff, f"{st}: {len(diff)} records differ, first {diff[:3]}"


def error_of(answer):
    return ((answer or {}).get("error") or {})


def amcheck(pg, db):
    r = subprocess.run(pg._cmd("pg_amcheck", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
                               "--install-missing", "--heapallindexed", "-d", db),
                       capture_output=True, text=True, timeout=120)
    return r.returncode == 0, (r.stdout + r.stderr)[-400:]


def run_case(kind, figures):
    work = svcluster.Workdir("svdf")
    small = work("small")
    pg = svcluster.Postgres(work, "pg")
    node = None
    mounted = False
    try:
        if not mount_tmpfs(small, "24m" if kind == "tablespace" else "8m"):
            return "mount -t tmpfs refused"
        mounted = True
        if kind == "wal":
            pg.run("initdb", "-D", pg.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                   "--locale=C.UTF-8", "--no-sync", "--wal-segsize=1", "--waldir=" + os.path.join(small, "wal"))
            pg.start(*WAL_SETTINGS)
            db = "postgres"
        else:
            pg.initdb()
            pg.start()
            os.makedirs(os.path.join(small, "ts"))
            os.chown(os.path.join(small, "ts"), *owner())
            pg.psql(f"CREATE TABLESPACE small LOCATION '{small}/ts'")
            pg.psql("CREATE DATABASE sv TABLESPACE small")
            db = "sv"
        storage = f"postgresql://postgres@127.0.0.1:{pg.port}/{db}"
        node = svcluster.Node(SERVER, work, "node", storage).start()
        url = node.url
        cards = [Card(url, n) for n in range(4)]
        for c in cards:
            c.register()
        for c in cards:
            body = c.batch(0)
            st, a = c.send(body)
            check(f"{kind}: a batch before the disk fills is stored", st == 200, f"{st} {a}")
            c.acknowledge(body, a)
            c.batches = 1

        desktop = None
        if kind == "tablespace":
            desktop = Desktop(work, url)
            net = ["--timeout", "5", "--attempts", "2"]
            rc, out, err = desktop.run("register", desktop.iccid, "--server", desktop.url, "--phone",
                                       DESKTOP_PHONE, *net)
            check(f"{kind}: desktop: simvault-cli registers its card", rc == 0, f"{rc} {out} {err}")
            rc, out, err = desktop.run("backup", desktop.iccid, *net)
            check(f"{kind}: desktop: and backs it up", rc == 0 and desktop.waiting() == 0, f"{rc} {out} {err}")

        filler = fill(small)
        check(f"{kind}: the small file system is full ({free_bytes(small)} bytes free)", free_bytes(small) < 65536)

        # Back up until the server refuses (the first batches may still fit
        # in pages PostgreSQL already holds, or in the current WAL segment).
        refused = None
        for b in range(1, 400):
            c = cards[b % len(cards)]
            body = c.batch(c.batches)
            st, a = c.send(body)
            if st == 200:
                c.acknowledge(body, a)
                c.batches += 1
                continue
            for r in body["records"]:
                c.refused[r["index"]] = r["data"]
            refused = (c, body, st, a)
            break
        figures[f"{kind}_acked_before_refusal"] = b - 1
        if not check(f"{kind}: a backup is refused once the disk is full", refused is not None):
            return None
        c, body, st, a = refused
        e = error_of(a)
        print(f"# {kind}: refused with {st}: {e.get('code')}: {e.get('message')}")
        check(f"{kind}: the refusal is 503 with a JSON error a client can show",
              st == 503 and e.get("code") == "unavailable" and e.get("message"), f"{st} {a}")
        if kind == "tablespace":
            check(f"{kind}: it says nothing was stored, as on SQLite",
                  "nothing was stored" in e.get("message", "") and "full" in e.get("message", ""), e)
        figures[f"{kind}_status"] = st
        check(f"{kind}: the server process is still running", node.proc.poll() is None)
        with open(pg.work("pg.log"), errors="replace") as f:
            pglog = f.read()
        check(f"{kind}: PostgreSQL's own log shows ENOSPC", "No space left on device" in pglog, pglog[-300:])

        if kind == "tablespace":
            # Reads still work on a full tablespace; the refused batch is
            # not there, not even in part.
            for card in cards:
                ok, detail = card.nothing_lost()
                check(f"{kind}: card {card.n}: every acknowledged record there, nothing of the refused batch",
                      ok, detail)
            st2, a2 = c.send(body)
            check(f"{kind}: the same batch again while full: refused again, not half-stored",
                  st2 == 503, f"{st2} {a2}")
            # The other writes: a message batch, a login (it stores a
            # session), a registration. Each either fits or gets the same
            # clear 503; none is a 500.
            for what, path, req, token in (
                    ("an SMS batch", f"/api/v1/cards/{c.iccid}/messages",
                     {"batch_id": f"sms-{c.n}", "messages": [{"record": svcluster.sms_hex(c.n)}]}, c.token),
                    ("a login", "/api/v1/session", {"phone": c.phone, "password": c.password}, None),
                    ("a registration", "/api/v1/cards/register",
                     {"phone": "+8613699999999", "password": "disk-full-new",
                      "card": svcluster.card_json("89860000000000099999")}, None)):
                st6, a6 = svcluster.http_request(url, "POST", path, req, token=token, timeout=30)
                figures.setdefault("tablespace_other_writes", []).append(f"{what.split()[-1]}:{st6}")
                check(f"{kind}: {what} while full: stored (200) or a clear 503, never a 500",
                      st6 == 200 or (st6 == 503 and error_of(a6).get("message")), f"{st6} {a6}")
            # The desktop backs up edits into the full disk.
            for k, idx in enumerate((3, 4, 7)):
                desktop.run("edit", desktop.iccid, "set", str(idx), "--name", f"Full{k}", "--number",
                            f"555010{k}", password=False)
            rc, out, err = desktop.run("backup", desktop.iccid, *net)
            msg = out.get("error", "")
            print(f"# {kind}: desktop backup on the full disk: exit {rc}: {msg}")
            check(f"{kind}: desktop: the backup fails with the server's message (disk full, nothing stored)",
                  rc == 1 and "disk is full" in msg and "nothing was stored" in msg, f"{rc} {out} {err}")
            check(f"{kind}: desktop: sync-status shows the edits still waiting", desktop.waiting() > 0)
            # A second desktop restores the card from the full server.
            second = Desktop(work, url, "second.db")
            rc, out, err = second.run("restore", second.iccid, "--server", second.url, "--phone", DESKTOP_PHONE,
                                      "--full", "--sms", "--resolve", "server", "--apply", *net)
            msg = out.get("error", "")
            figures["tablespace_restore_while_full"] = "ok" if rc == 0 else "refused"
            print(f"# {kind}: a restore from the full server: exit {rc}" + (f": {msg}" if msg else ""))
            check(f"{kind}: desktop: a restore from the full server succeeds or says the disk is full",
                  rc == 0 or (rc == 1 and "disk is full" in msg), f"{rc} {out} {err}")
            if rc == 0:
                ok, detail = desktop_equal(second, remote_only=True)
                check(f"{kind}: desktop: the restored mirror holds the server's phonebook", ok, detail)
            else:
                # A restore takes a snapshot of the card on the server
                # (restores, restore_items): it needs space too.
                check(f"{kind}: desktop: the refused restore changed nothing in the second mirror",
                      second.working() == Desktop(work, url, "pristine.db").working())
            # simvault-server started again while the disk is full: it
            # starts (its schema is there) and answers reads.
            node.stop()
            node = svcluster.Node(SERVER, work, "node", storage, port=node.port).start()
            ok, detail = c.nothing_lost()
            check(f"{kind}: simvault-server restarted on the full disk starts and answers reads", ok, detail)

        if kind == "wal":
            # While the cluster is down or recovering, reads are refused
            # the same clear way (never a 500, never a hang).
            time.sleep(1.0)
            st5, a5 = cards[0].server_records()[0], None
            check(f"{kind}: while the cluster cannot recover, a read is 200 or 503, not a failure",
                  st5 in (200, 503), st5)
            alive = pg.proc.poll() is None
            print(f"# {kind}: a second after the PANIC: read answered {st5}; postmaster "
                  + ("still running (in crash recovery)" if alive else "exited"))
            with open(pg.work("pg.log"), errors="replace") as f:
                for line in f.read().splitlines()[-12:]:
                    print("#   pg: " + line[:200])

        os.unlink(filler)
        if kind == "wal":
            with open(pg.work("pg.log"), errors="replace") as f:
                pglog = f.read()
            check(f"{kind}: PostgreSQL PANICked on the full WAL disk", "PANIC" in pglog, pglog[-300:])
            # Space is back. The postmaster recovers by itself if it is
            # still running; if its recovery gave up, an operator starts it
            # again. simvault-server is not restarted either way.
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and pg.proc.poll() is None and not pg.ready():
                time.sleep(0.1)
            if pg.proc.poll() is not None:
                figures["wal_recovery"] = "postmaster-restarted"
                pg.stop()
                pg.start(*WAL_SETTINGS)
            else:
                figures["wal_recovery"] = "by-itself" if pg.ready() else "restarted-after-15s"
                if not pg.ready():
                    pg.stop()
                    pg.start(*WAL_SETTINGS)
            print(f"# {kind}: after the space returned: {figures['wal_recovery']}")

        # The same batch, same id, on the same running simvault-server.
        st3, a3 = None, None
        for _ in range(100):
            st3, a3 = c.send(body)
            if st3 != 503:
                break
            time.sleep(0.1)
        check(f"{kind}: space back: the same batch succeeds on the same server, without conflicts",
              st3 == 200 and not a3.get("conflicts"), f"{st3} {a3}")
        if st3 == 200:
            c.acknowledge(body, a3)
            c.batches += 1
        for card in cards:
            body = card.batch(card.batches)
            st4, a4 = card.send(body)
            if check(f"{kind}: card {card.n}: later batches succeed", st4 == 200, f"{st4} {a4}"):
                card.acknowledge(body, a4)
                card.batches += 1
        if desktop is not None:
            desktop.url = node.url + "/"
            rc, out, err = desktop.run("backup", desktop.iccid, *net)
            check(f"{kind}: desktop: space back: the next backup sends the waiting edits, nothing waits",
                  rc == 0 and desktop.waiting() == 0, f"{rc} {out} {err}")
            ok, detail = desktop_equal(desktop)
            check(f"{kind}: desktop: the server holds the mirror's phonebook byte for byte", ok, detail)
            rc, out, err = second.run("restore", second.iccid, "--server", desktop.url, "--phone", DESKTOP_PHONE,
                                      "--full", "--sms", "--resolve", "server", "--apply", *net)
            ok, detail = desktop_equal(second, remote_only=True)
            check(f"{kind}: desktop: space back: the restore onto the second desktop works and matches the server",
                  rc == 0 and ok, f"{rc} {out.get('error')} {detail}")
        lost = 0
        for card in cards:
            ok, detail = card.nothing_lost()
            lost += 0 if ok else 1
            check(f"{kind}: card {card.n}: every acknowledged record there at its version ({len(card.acked)})",
                  ok, detail)
        ok, detail = amcheck(pg, db)
        check(f"{kind}: pg_amcheck --heapallindexed finds nothing", ok, detail)
        figures[f"{kind}_acked_records"] = sum(len(card.acked) for card in cards)
        figures[f"{kind}_lost"] = lost
        return None
    finally:
        if node is not None:
            node.stop()
        pg.stop()
        if mounted:
            subprocess.run(["umount", small])
        work.remove()


def main():
    if os.geteuid() != 0:
        skip_all("needs root to mount a tmpfs")
    if svcluster.pg_bindir() is None:
        skip_all("no PostgreSQL server binaries")
    figures = {}
    for kind in CASES:
        reason = run_case(kind, figures)
        if reason:
            skip_all(reason)
    print("# FIGURES pg-disk-full " + " ".join(f"{k}={','.join(v) if isinstance(v, list) else v}"
                                             for k, v in figures.items()))
    print(f"1..{len(results)}")
    sys.exit(0 if all(results) else 1)


main()
