#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Suite 'fault' (issue 17): a full disk and a read-only data directory,
for simvault-server and for the desktop mirror (simvault-cli as the
headless desktop).

The data lives on a small tmpfs of its own (mount -t tmpfs, as root); a
filler file takes all but a little of it, so the next writes hit ENOSPC.
"Read-only" is the same tmpfs remounted ro (root ignores file modes, so a
chmod would test nothing). For each case:
  - the failing request or command fails with a clear message (the
    server: a JSON error a client can show; the CLI: exit status != 0 and
    a message on stderr), never a crash;
  - what was stored before is intact and readable (the server answers
    reads; PRAGMA integrity_check is "ok" on both databases);
  - when space returns (the filler removed, the mount rw again), the same
    request / command succeeds, without restarting the server.

Skips (TAP) when not root or when mount is refused.
usage: test-disk-full.py SIMVAULT_SERVER SIMVAULT_CLI MIRROR_FROM_PROFILE PROFILE.json
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

SERVER, CLI, MAKE_MIRROR, PROFILE = sys.argv[1:5]
PHONE = "+8613800138123"
PASSWORD = "disk full horse 9"
ICCID = "89860123456789019999"

results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}" + (f" # {detail}" if detail and not ok else ""))
    sys.stdout.flush()
    return ok


def skip_all(reason):
    print(f"1..0 # SKIP {reason}")
    sys.exit(0)


def mount_tmpfs(path, size):
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                          capture_output=True).returncode == 0


def remount(path, option):
    subprocess.run(["mount", "-o", f"remount,{option}", path], check=True)


def fill(path):
    """Takes all free space of the file system at @path but a little."""
    filler = os.path.join(path, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def integrity(db):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return c.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        c.close()


def adn_hex(name, digits="13800138000"):
    alpha = name.encode().hex().upper() + "FF" * (16 - len(name))
    bcd = bytearray([0xFF] * 10)
    for i, ch in enumerate(digits):
        d = int(ch)
        bcd[i // 2] = (0xF0 | d) if i % 2 == 0 else ((bcd[i // 2] & 0x0F) | (d << 4))
    return alpha + f"{(len(digits) + 1) // 2 + 1:02X}81" + bcd.hex().upper() + "FFFF"


class Server:
    def __init__(self, data_dir, log):
        env = dict(os.environ, SIMVAULT_SERVER_PASSWORD_COST="test-only")
        self.log = open(log, "ab")
        self.process = subprocess.Popen([SERVER, "--port=0", f"--data-dir={data_dir}"],
                                        stdout=subprocess.PIPE, stderr=self.log, env=env)
        line = self.process.stdout.readline().decode().strip()
        if not line.startswith("http"):
            raise RuntimeError(f"simvault-server did not start: {line!r}")
        self.url = line if line.endswith("/") else line + "/"

    def api(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path.lstrip("/"), data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as a:
                text = a.read()
                return a.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                return e.code, (json.loads(text) if text else None)
            except ValueError:
                return e.code, {"raw": text.decode(errors="replace")}

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def card():
    return {"iccid": ICCID, "imsi": "460001234567890", "card_type": "sim", "counter_a": 0,
            "sms_capacity": 10,
            "files": [{"key": "adn", "path": "3F007F106F3A", "structure": "linear-fixed",
                       "record_len": 30, "n_records": 250},
                      {"key": "sms", "path": "3F007F106F3C", "structure": "linear-fixed",
                       "record_len": 176, "n_records": 10}]}


def batch(n, start):
    return {"batch_id": f"disk-{n}", "mode": "incremental",
            "records": [{"file": "adn", "index": start + k, "data": adn_hex(f"D{n}K{k}"), "base_version": 0}
                        for k in range(1, 51)]}


def error_is_clear(answer):
    e = (answer or {}).get("error") or {}
    return bool(e.get("code")) and bool(e.get("message"))


def full_restore(s, token):
    """A full restore of the card through the API: (status, answer of the
    create, {index: data} of its records or None)."""
    st, a = s.api("POST", f"api/v1/cards/{ICCID}/restores", {"kind": "full", "sms": True}, token)
    if st != 201:
        return st, a, None
    records = {}
    for n in range(a["groups"]):
        gst, g = s.api("GET", f"api/v1/restores/{a['id']}/groups/{n}", token=token)
        if gst != 200:
            return gst, g, None
        for r in g["records"]:
            if r["file"] == "adn":
                records[r["index"]] = r["data"]
    return st, a, records


def stored_records(s, token):
    st, a = s.api("GET", f"api/v1/cards/{ICCID}/records?file=adn", token=token)
    return {r["index"]: r["data"] for r in a["records"]} if st == 200 else None


def server_case(mnt, kind):
    data = os.path.join(mnt, "server")
    os.makedirs(data, exist_ok=True)
    log = os.path.join(os.path.dirname(mnt), f"server-{kind}.log")
    s = Server(data, log)
    try:
        st, a = s.api("POST", "api/v1/cards/register", {"phone": PHONE, "password": PASSWORD, "card": card()})
        check(f"server/{kind}: register", st == 200, f"{st} {a}")
        token = a["session"]["token"]
        st, a = s.api("POST", f"api/v1/cards/{ICCID}/backup", batch(0, 0), token)
        check(f"server/{kind}: a batch before the fault is stored", st == 200, f"{st} {a}")

        filler = fill(mnt)
        # Fill until it fails: the first batches may still fit in pages
        # SQLite already holds.
        failed = None
        for n in range(1, 5):
            st, a = s.api("POST", f"api/v1/cards/{ICCID}/backup", batch(n, 50 * (n % 4)), token)
            if st != 200:
                failed = (n, st, a)
                break
        check(f"server/{kind}: a backup fails", failed is not None)
        if failed:
            n, st, a = failed
            check(f"server/{kind}: the failure is a 5xx with a JSON error a client can show",
                  st >= 500 and error_is_clear(a), f"{st} {a}")
            msg = ((a or {}).get("error") or {}).get("message", "")
            check(f"server/{kind}: the message says what is wrong (disk / space / read-only)",
                  any(w in msg.lower() for w in ("disk", "space", "full", "read-only", "readonly", "storage")),
                  msg)
        check(f"server/{kind}: the server is still running", s.alive())
        st, a = s.api("GET", f"api/v1/cards/{ICCID}/records?file=adn", token=token)
        check(f"server/{kind}: what was stored before is readable", st == 200 and len(a["records"]) >= 50,
              f"{st}")

        # A restore from the full server: it snapshots the card first
        # (restores, restore_items), which needs space; so it either works
        # in pages SQLite already holds or is refused the same clear way.
        before = stored_records(s, token)
        st, a, restored = full_restore(s, token)
        print(f"# server/{kind}: a full restore while the disk is full: {st}")
        msg = ((a or {}).get("error") or {}).get("message", "").lower()
        check(f"server/{kind}: a restore while full gives the backup or a 5xx JSON error about the disk",
              (st == 201 and restored == before) or
              (st >= 500 and error_is_clear(a) and any(w in msg for w in ("disk", "space", "full", "storage"))),
              f"{st} {a}")
        check(f"server/{kind}: the server is still running after the restore", s.alive())

        os.unlink(filler)
        st, a, restored = full_restore(s, token)
        check(f"server/{kind}: space back: a full restore gives every stored record, same server",
              st == 201 and restored == stored_records(s, token) and len(restored) >= 50, f"{st} {a}")
        if failed:
            n = failed[0]
            st, a = s.api("POST", f"api/v1/cards/{ICCID}/backup", batch(n, 50 * (n % 4)), token)
            check(f"server/{kind}: the same batch succeeds once space returns, same server",
                  st == 200 and not a["conflicts"], f"{st} {a}")
            st, a = s.api("POST", f"api/v1/cards/{ICCID}/backup", batch(n + 10, 200), token)
            check(f"server/{kind}: later batches succeed", st == 200, f"{st} {a}")
    finally:
        s.stop()
    check(f"server/{kind}: PRAGMA integrity_check", integrity(os.path.join(data, "simvault-server.db")) == "ok")
    return data


def server_readonly_case(top, data):
    """The server started on a data directory it cannot write (a read-only
    bind mount of the one above): it refuses to start with a message, or it
    serves reads and refuses writes with a JSON error; a start on the
    writable directory afterwards works and finds everything."""
    ro = os.path.join(top, "ro")
    os.makedirs(ro, exist_ok=True)
    subprocess.run(["mount", "--bind", data, ro], check=True)
    try:
        remount(ro, "bind,ro")
        log = os.path.join(top, "server-ro.log")
        env = dict(os.environ, SIMVAULT_SERVER_PASSWORD_COST="test-only")
        p = subprocess.Popen([SERVER, "--port=0", f"--data-dir={ro}"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        line = p.stdout.readline().decode().strip()
        if not line.startswith("http"):
            err = p.stderr.read().decode()
            rc = p.wait(timeout=20)
            check("server/readonly: refuses to start, exit status != 0", rc != 0, f"rc {rc}")
            check("server/readonly: and says why on stderr", len(err.strip()) > 0 and
                  any(w in err.lower() for w in ("read-only", "readonly", "permission", "write", "open")), err)
        else:
            url = line if line.endswith("/") else line + "/"
            s = Server.__new__(Server)
            s.url, s.process, s.log = url, p, open(os.devnull, "wb")
            st, a = s.api("POST", "api/v1/session", {"phone": PHONE, "password": PASSWORD})
            token = (a or {}).get("token")
            if token:
                st, a = s.api("GET", f"api/v1/cards/{ICCID}/records?file=adn", token=token)
                check("server/readonly: reads still answered", st == 200, f"{st}")
                st, a = s.api("POST", f"api/v1/cards/{ICCID}/backup", batch(77, 100), token)
                check("server/readonly: a backup is refused with a JSON error", st >= 500 and error_is_clear(a),
                      f"{st} {a}")
            else:
                check("server/readonly: login refused with a JSON error", st >= 500 and error_is_clear(a), f"{st} {a}")
            s.stop()
    finally:
        subprocess.run(["umount", ro])
    s = Server(data, os.path.join(top, "server-rw.log"))
    try:
        st, a = s.api("POST", "api/v1/session", {"phone": PHONE, "password": PASSWORD})
        check("server/readonly: writable again, login works", st in (200, 201), f"{st} {a}")
        st, a = s.api("POST", f"api/v1/cards/{ICCID}/backup", batch(78, 100), a["token"])
        check("server/readonly: writable again, backup works", st == 200, f"{st} {a}")
    finally:
        s.stop()
    check("server/readonly: PRAGMA integrity_check", integrity(os.path.join(data, "simvault-server.db")) == "ok")


def cli(db, *args):
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return subprocess.run([CLI, *args, "--db", db], capture_output=True, text=True, env=env, timeout=60)


def cli_error(r):
    """simvault-cli prints a failure as {"error": "..."} on stdout."""
    try:
        return json.loads(r.stdout).get("error", "") or r.stderr.strip()
    except ValueError:
        return r.stderr.strip()


def mirror_case(top, mnt, make_mirror, profile):
    """The desktop mirror (simvault-cli as the headless desktop) on a full
    disk, then read-only: an edit fails with a message and exit status 1,
    the mirror keeps what it had and passes integrity_check, and the same
    edit succeeds once space returns."""
    data = os.path.join(mnt, "mirror")
    os.makedirs(data, exist_ok=True)
    db = os.path.join(data, "mirror.db")
    r = subprocess.run([make_mirror, db, profile], capture_output=True, text=True)
    check("mirror: a mirror with a card from a profile", r.returncode == 0, r.stderr)
    iccid = r.stdout.split()[0] if r.returncode == 0 else ""
    r = cli(db, "edit", iccid, "add", "--name", "Before", "--number", "5550100")
    check("mirror: an edit before the fault", r.returncode == 0, r.stderr)
    before = cli(db, "show", iccid).stdout

    filler = fill(mnt)
    failed = None
    for n in range(8):
        r = cli(db, "edit", iccid, "add", "--name", f"Full{n}", "--number", f"555020{n}")
        if r.returncode != 0:
            failed = (n, r)
            break
    check("mirror/full: an edit fails", failed is not None)
    if failed:
        n, r = failed
        msg = cli_error(r)
        check("mirror/full: exit status 1 with the JSON error the CLI prints, no crash",
              r.returncode == 1 and msg != "", f"rc {r.returncode} {r.stdout!r} {r.stderr!r}")
        check("mirror/full: the message says the disk is full",
              any(w in msg.lower() for w in ("full", "space", "disk")), msg)
    os.unlink(filler)
    check("mirror/full: PRAGMA integrity_check", integrity(db) == "ok")
    shown = cli(db, "show", iccid)
    check("mirror/full: what was there before is still there", shown.returncode == 0 and "Before" in shown.stdout,
          shown.stderr)
    if failed:
        n = failed[0]
        r = cli(db, "edit", iccid, "add", "--name", f"Full{n}", "--number", f"555020{n}")
        check("mirror/full: the same edit succeeds once space returns", r.returncode == 0, r.stderr)

    ro = os.path.join(top, "mirror-ro")
    os.makedirs(ro, exist_ok=True)
    subprocess.run(["mount", "--bind", data, ro], check=True)
    try:
        remount(ro, "bind,ro")
        rodb = os.path.join(ro, "mirror.db")
        r = cli(rodb, "edit", iccid, "add", "--name", "ReadOnly", "--number", "5550300")
        msg = cli_error(r)
        check("mirror/readonly: an edit fails with a message", r.returncode == 1 and msg != "",
              f"rc {r.returncode} {r.stdout!r} {r.stderr!r}")
        check("mirror/readonly: the message names the problem (read-only / cannot open or write)",
              any(w in msg.lower() for w in ("read-only", "readonly", "write", "permission", "unable to open")), msg)
    finally:
        subprocess.run(["umount", ro])
    check("mirror/readonly: PRAGMA integrity_check", integrity(db) == "ok")
    r = cli(db, "edit", iccid, "add", "--name", "ReadOnly", "--number", "5550300")
    check("mirror/readonly: the same edit succeeds when writable again", r.returncode == 0, r.stderr)
    shown = cli(db, "show", iccid).stdout
    check("mirror: every edit that succeeded is there", all(x in shown for x in ("Before", "ReadOnly")), shown)


def main():
    if os.geteuid() != 0:
        skip_all("needs root to mount a tmpfs")
    top = tempfile.mkdtemp(prefix="sv-disk-full-")
    mnt = os.path.join(top, "mnt")
    os.makedirs(mnt)
    if not mount_tmpfs(mnt, "4m"):
        shutil.rmtree(top)
        skip_all("mount -t tmpfs refused")
    try:
        data = server_case(mnt, "full")
        server_readonly_case(top, data)
        mirror_case(top, mnt, MAKE_MIRROR, PROFILE)
    finally:
        subprocess.run(["umount", mnt])
        shutil.rmtree(top, ignore_errors=True)
    print(f"1..{len(results)}")
    sys.exit(0 if all(ok for _, ok, _ in results) else 1)


main()
