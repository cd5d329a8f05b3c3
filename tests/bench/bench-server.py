#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""simvault-server against Radicale (Debian's python3-radicale, CardDAV) on
the same work, in one run, on loopback; then simvault-server's memory and
backup latency with 10,000 and 100,000 registered cards.

Usage: bench-server.py SIMVAULT_SERVER [--quick] [--scale N,N]

Load generator: python asyncio on raw sockets, HTTP/1.1 keep-alive where
the server keeps the connection (Radicale's HTTP/1.0 server closes it
after every answer: we reconnect, as any client must). Every phase is
bounded in time (PHASE_S) and count (MAX_OPS per client).

The work, per client (one card / one address book of 250 contacts each):
- backup: 10 changed contacts. SimVault: one POST .../backup with 10 ADN
  records (incremental, base versions from the previous answer). Radicale:
  10 PUTs of the same contacts as vCard 3.0 (If-Match-free overwrite).
- changes since: the 10 records of the client's last backup. SimVault:
  GET .../changes?since=TOKEN. Radicale: a sync-collection REPORT with the
  sync-token taken before that backup.
Scale: cards, accounts, layouts and 250 records per card inserted with one
SQL statement per table (INSERT ... SELECT over a recursive counter,
copying the rows of one card registered and backed up through the API),
matching the server's schema because they are copies of its own rows.

Prints `BENCH key=value unit=U` lines (build-aux/bench.sh).
"""

import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

SERVER = sys.argv[1]
QUICK = "--quick" in sys.argv
SCALE = [10000, 100000]
for i, a in enumerate(sys.argv):
    if a == "--scale" and i + 1 < len(sys.argv):
        SCALE = [int(x) for x in sys.argv[i + 1].split(",") if x]
CONCURRENCY = [1, 16, 64]
PHASE_S = 2.0 if QUICK else 4.0
MAX_OPS = 2000
OP_TIMEOUT_S = 60.0     # an operation still running then is abandoned, not counted
RECORDS = 250
BATCH = 10
ADN_LEN = 30


def bench(key, value, unit):
    print(f"BENCH {key}={value} unit={unit}", flush=True)


def note(text):
    print("# " + text, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def adn_hex(name, digits):
    """TS 51.011 §10.5.1: 16 bytes alpha, length, TON/NPI, 10 bytes BCD, CCP, EXT1."""
    alpha = name.encode()[:16].ljust(16, b"\xff")
    bcd = bytearray(b"\xff" * 10)
    for i, ch in enumerate(digits[:20]):
        d = int(ch)
        if i % 2 == 0:
            bcd[i // 2] = 0xF0 | d
        else:
            bcd[i // 2] = (bcd[i // 2] & 0x0F) | (d << 4)
    rec = alpha + bytes([(len(digits) + 1) // 2 + 1, 0x81]) + bytes(bcd) + b"\xff\xff"
    return rec.hex().upper()


def vcard(uid, name, digits):
    return ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:%s\r\nFN:%s\r\nN:%s;;;;\r\nTEL;TYPE=CELL:+%s\r\nEND:VCARD\r\n"
            % (uid, name, name, digits))


def percentile(values, p):
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


# ---------------------------------------------------------------------------
# A minimal HTTP/1.1 client on asyncio streams


class Conn:
    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method, path, headers, body=b""):
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sContent-Length: %d\r\n\r\n" % (
                method, path, self.port, "".join("%s: %s\r\n" % kv for kv in headers), len(body))
            try:
                self.writer.write(head.encode() + body)
                raw = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 0:
                    continue
                raise
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            length, close = None, lines[0].startswith("HTTP/1.0")
            for line in lines[1:]:
                k, _, v = line.partition(":")
                k = k.strip().lower()
                if k == "content-length":
                    length = int(v)
                elif k == "connection":
                    close = v.strip().lower() == "close" or (close and v.strip().lower() != "keep-alive")
            data = await self.reader.readexactly(length) if length is not None else await self.reader.read()
            if close or length is None:
                self.close()
            return status, data
        raise RuntimeError("unreachable")

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run_phase(clients, op, n_clients):
    """n_clients clients each doing op(client) until PHASE_S or MAX_OPS."""
    latencies = []
    errors = []
    timeouts = []
    deadline = time.monotonic() + PHASE_S

    async def one(c):
        for _ in range(MAX_OPS):
            if time.monotonic() >= deadline:
                return
            t0 = time.perf_counter()
            try:
                await asyncio.wait_for(op(c), OP_TIMEOUT_S)
            except asyncio.TimeoutError:
                timeouts.append(1)
                c.conn.close()
                return
            except Exception as e:  # noqa: BLE001 - counted and reported
                errors.append(repr(e))
                return
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(c) for c in clients[:n_clients]))
    elapsed = time.perf_counter() - t0
    if errors:
        note(f"  {len(errors)} errors, first: {errors[0]}")
    if timeouts:
        note(f"  {len(timeouts)} operations gave up after {OP_TIMEOUT_S:.0f} s (not counted as done)")
    return len(latencies) / elapsed, percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000, len(latencies), errors


# ---------------------------------------------------------------------------
# SimVault


class SvClient:
    def __init__(self, port, n, token, versions):
        self.conn = Conn(port)
        self.n = n
        self.iccid = "8986%016d" % (10 ** 11 + n)
        self.auth = [("Authorization", "Bearer " + token), ("Content-Type", "application/json")]
        self.versions = versions
        self.round = 0
        self.token_before = None

    async def backup(self):
        self.round += 1
        first = (self.round * BATCH) % RECORDS
        records = []
        for j in range(BATCH):
            idx = (first + j) % RECORDS + 1
            records.append({"file": "adn", "index": idx,
                            "data": adn_hex("C%dR%dI%d" % (self.n, self.round, idx), "1380013%04d" % idx),
                            "base_version": self.versions.get(idx, 0)})
        body = json.dumps({"batch_id": str(uuid.uuid4()), "mode": "incremental", "records": records},
                          separators=(",", ":")).encode()
        status, data = await self.conn.request("POST", "/api/v1/cards/%s/backup" % self.iccid, self.auth, body)
        if status != 200:
            raise RuntimeError("backup: %d %s" % (status, data[:200]))
        answer = json.loads(data)
        if answer.get("conflicts"):
            raise RuntimeError("backup: conflicts %s" % answer["conflicts"][:1])
        for idx, v in answer["versions"]["adn"].items():
            self.versions[int(idx)] = v
        return answer["token"]

    async def changes(self):
        status, data = await self.conn.request(
            "GET", "/api/v1/cards/%s/changes?since=%s" % (self.iccid, self.token_before), self.auth[:1])
        if status != 200:
            raise RuntimeError("changes: %d %s" % (status, data[:200]))
        n = len(json.loads(data)["records"])
        if n != BATCH:
            raise RuntimeError("changes: %d records, expected %d" % (n, BATCH))


def sv_start(data_dir, env):
    proc = subprocess.Popen([SERVER, "--port=0", f"--data-dir={data_dir}"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("http"):
        proc.kill()
        raise RuntimeError("simvault-server did not start: %r" % line)
    return proc, int(line.rstrip("/").rsplit(":", 1)[1])


def sv_stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def sv_call(port, method, path, body=None, token=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    c.request(method, path, json.dumps(body) if body is not None else None, headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data else None


def sv_register(port, n):
    iccid = "8986%016d" % (10 ** 11 + n)
    status, reply = sv_call(port, "POST", "/api/v1/cards/register", {
        "phone": "+86139%08d" % n, "password": "bench-password-%d" % n,
        "card": {"iccid": iccid, "imsi": "460001234567890", "card_type": "sim", "counter_a": 0,
                 "sms_capacity": 10,
                 "files": [{"key": "adn", "path": "3F007F106F3A", "structure": "linear-fixed",
                            "record_len": ADN_LEN, "n_records": RECORDS},
                           {"key": "sms", "path": "3F007F106F3C", "structure": "linear-fixed",
                            "record_len": 176, "n_records": 10}]}})
    if status != 200:
        raise RuntimeError("register: %d %s" % (status, reply))
    token = reply["session"]["token"]
    records = [{"file": "adn", "index": i, "data": adn_hex("Contact %d" % i, "1380013%04d" % i)}
               for i in range(1, RECORDS + 1)]
    status, reply = sv_call(port, "POST", "/api/v1/cards/%s/backup" % iccid,
                            {"batch_id": str(uuid.uuid4()), "mode": "full", "files": ["adn"],
                             "records": records}, token)
    if status != 200:
        raise RuntimeError("full backup: %d %s" % (status, reply))
    return token, {int(i): v for i, v in reply["versions"]["adn"].items()}


async def bench_simvault(port, clients, results):
    for c in CONCURRENCY:
        rate, p50, p99, n, err = await run_phase(clients, lambda cl: cl.backup(), c)
        results[("server", "backup", c)] = (rate, p50, p99, n, err)
        note(f"simvault backup c={c}: {rate:.1f}/s p50 {p50:.2f} ms p99 {p99:.2f} ms ({n} ops)")
        # token before the last backup: take it, then one more backup
        for cl in clients[:c]:
            st, data = await cl.conn.request("GET", "/api/v1/cards/%s" % cl.iccid, cl.auth[:1])
            cl.token_before = json.loads(data)["token"]
            await cl.backup()
        rate, p50, p99, n, err = await run_phase(clients, lambda cl: cl.changes(), c)
        results[("server", "changes", c)] = (rate, p50, p99, n, err)
        note(f"simvault changes c={c}: {rate:.1f}/s p50 {p50:.2f} ms p99 {p99:.2f} ms ({n} ops)")


# ---------------------------------------------------------------------------
# Radicale

SYNC_REPORT = ('<?xml version="1.0" encoding="utf-8"?>\n'
               '<sync-collection xmlns="DAV:"><sync-token>%s</sync-token><sync-level>1</sync-level>'
               '<prop><getetag/></prop></sync-collection>')


class RadClient:
    def __init__(self, port, n):
        import base64
        self.conn = Conn(port)
        self.n = n
        self.user = "user%d" % n
        self.path = "/%s/contacts/" % self.user
        basic = base64.b64encode(("%s:x" % self.user).encode()).decode()
        self.auth = [("Authorization", "Basic " + basic)]
        self.round = 0
        self.token_before = ""

    async def backup(self):
        self.round += 1
        first = (self.round * BATCH) % RECORDS
        for j in range(BATCH):
            idx = (first + j) % RECORDS + 1
            uid = "c%d-%d" % (self.n, idx)
            body = vcard(uid, "C%dR%dI%d" % (self.n, self.round, idx), "861380013%04d" % idx).encode()
            status, data = await self.conn.request("PUT", "%s%s.vcf" % (self.path, uid),
                                                   self.auth + [("Content-Type", "text/vcard; charset=utf-8")], body)
            if status not in (201, 204):
                raise RuntimeError("PUT: %d %s" % (status, data[:200]))

    async def report(self, token):
        body = (SYNC_REPORT % token).encode()
        status, data = await self.conn.request("REPORT", self.path, self.auth + [
            ("Content-Type", "application/xml; charset=utf-8"), ("Depth", "1")], body)
        if status != 207:
            raise RuntimeError("REPORT: %d %s" % (status, data[:300]))
        text = data.decode()
        token = text.split("<sync-token>")[1].split("</sync-token>")[0] if "<sync-token>" in text else \
            text.split("sync-token>")[1].split("</")[0]
        return token, text.count("<response>") + text.count(":response>")

    async def changes(self):
        _, n = await self.report(self.token_before)
        if n != BATCH:
            raise RuntimeError("REPORT: %d responses, expected %d" % (n, BATCH))


def radicale_populate(root, n_clients):
    """The collections written as Radicale's multifilesystem layout (what
    250 PUTs each would leave, without waiting for them)."""
    for n in range(n_clients):
        d = os.path.join(root, "collection-root", "user%d" % n, "contacts")
        os.makedirs(d)
        with open(os.path.join(d, ".Radicale.props"), "w") as f:
            json.dump({"tag": "VADDRESSBOOK"}, f)
        for i in range(1, RECORDS + 1):
            uid = "c%d-%d" % (n, i)
            with open(os.path.join(d, uid + ".vcf"), "w", newline="") as f:
                f.write(vcard(uid, "Contact %d" % i, "861380013%04d" % i))


def radicale_start(work, port):
    storage = os.path.join(work, "radicale")
    config = os.path.join(work, "radicale.conf")
    with open(config, "w") as f:
        f.write("[server]\nhosts = 127.0.0.1:%d\nmax_connections = 128\n"
                "[auth]\ntype = none\n[rights]\ntype = owner_only\n"
                "[storage]\nfilesystem_folder = %s\n[logging]\nlevel = warning\nmask_passwords = True\n"
                "[web]\ntype = none\n" % (port, storage))
    proc = subprocess.Popen(["/usr/bin/python3", "-m", "radicale", "--config", config],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("radicale did not start")


async def bench_radicale(clients, results):
    # warm up: Radicale builds its item cache and first sync token per collection
    await asyncio.gather(*(cl.report("") for cl in clients))
    for c in CONCURRENCY:
        rate, p50, p99, n, err = await run_phase(clients, lambda cl: cl.backup(), c)
        results[("radicale", "backup", c)] = (rate, p50, p99, n, err)
        note(f"radicale backup (10 PUTs) c={c}: {rate:.2f}/s p50 {p50:.1f} ms p99 {p99:.1f} ms ({n} ops)")
        async def prepare(cl):
            cl.token_before, _ = await cl.report("")
            await cl.backup()
        await asyncio.gather(*(prepare(cl) for cl in clients[:c]))
        rate, p50, p99, n, err = await run_phase(clients, lambda cl: cl.changes(), c)
        results[("radicale", "changes", c)] = (rate, p50, p99, n, err)
        note(f"radicale REPORT c={c}: {rate:.2f}/s p50 {p50:.1f} ms p99 {p99:.1f} ms ({n} ops)")


# ---------------------------------------------------------------------------
# Scale: 10,000 and 100,000 cards


def populate(db_path, template_iccid, n_cards):
    """n_cards copies of the template card (its account, card row, layout
    and records) under new ICCIDs and phone numbers."""
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode = DELETE")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -262144")
    have = con.execute("SELECT COUNT(*) FROM cards WHERE iccid LIKE '8999%'").fetchone()[0]
    seq = ("WITH RECURSIVE seq(n) AS (SELECT %d UNION ALL SELECT n + 1 FROM seq WHERE n < %d) "
           % (have, n_cards - 1))
    cid = "printf('8999%016d', n)"
    con.execute("BEGIN")
    acc = [r[1] for r in con.execute("PRAGMA table_info(accounts)")]
    cards = [r[1] for r in con.execute("PRAGMA table_info(cards)")]
    files = [r[1] for r in con.execute("PRAGMA table_info(card_files)")]
    recs = [r[1] for r in con.execute("PRAGMA table_info(records)")]
    t_acc = con.execute("SELECT account_id FROM cards WHERE iccid = ?", (template_iccid,)).fetchone()[0]
    base_id = con.execute("SELECT MAX(id) FROM accounts").fetchone()[0] + 1

    def cols(names, subst):
        return ", ".join(subst.get(c, c) for c in names)

    con.execute("INSERT INTO accounts (%s) %s SELECT %s FROM seq, accounts a WHERE a.id = %d" % (
        ", ".join(acc), seq, cols(acc, {"id": "%d + n" % base_id, "phone": "printf('+86199%08d', n)"}), t_acc))
    con.execute("INSERT INTO cards (%s) %s SELECT %s FROM seq, cards c WHERE c.iccid = '%s'" % (
        ", ".join(cards), seq, cols(cards, {"iccid": cid, "account_id": "%d + n" % base_id}), template_iccid))
    con.execute("INSERT INTO card_files (%s) %s SELECT %s FROM seq, card_files f WHERE f.iccid = '%s'" % (
        ", ".join(files), seq, cols(files, {"iccid": cid}), template_iccid))
    con.execute("INSERT INTO records (%s) %s SELECT %s FROM seq, records r WHERE r.iccid = '%s' "
                "ORDER BY n, r.file_key, r.idx" % (
                    ", ".join(recs), seq, cols(recs, {"iccid": cid}), template_iccid))
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode = WAL")
    total = con.execute("SELECT COUNT(*) FROM cards").fetchone()[0]
    con.close()
    return total


async def scale_latency(port, client, n_ops):
    lat = []
    for _ in range(n_ops):
        t0 = time.perf_counter()
        await client.backup()
        lat.append(time.perf_counter() - t0)
    return percentile(lat, 50) * 1000, percentile(lat, 99) * 1000


def bench_scale(work, env):
    data = os.path.join(work, "scale")
    os.mkdir(data)
    proc, port = sv_start(data, env)
    try:
        token, versions = sv_register(port, 0)
        template = "8986%016d" % (10 ** 11)
        # the bench card itself (its account and session survive restarts)
        bench_token, bench_versions = sv_register(port, 1)
    finally:
        sv_stop(proc)
    db_path = os.path.join(data, "simvault-server.db")
    for n in SCALE:
        t0 = time.monotonic()
        total = populate(db_path, template, n)
        note(f"scale: {total} cards in the database ({time.monotonic() - t0:.1f} s to insert, "
             f"{os.path.getsize(db_path) / 2**20:.0f} MiB file)")
        proc, port = sv_start(data, env)
        try:
            client = SvClient(port, 1, bench_token, bench_versions)
            rss_start = rss_kib(proc.pid)
            p50, p99 = asyncio.run(scale_latency(port, client, 50 if QUICK else 300))
            # a "changes since" and a card listing of other cards too: the
            # server touches a spread of the database, not one hot card
            rss = rss_kib(proc.pid)
            note(f"scale {n}: backup p50 {p50:.2f} ms p99 {p99:.2f} ms; RSS {rss_start / 1024:.1f} MiB "
                 f"at start, {rss / 1024:.1f} MiB after")
            bench(f"server_backup_p50_{n}_ms", "%.2f" % p50, "ms")
            bench(f"server_backup_p99_{n}_ms", "%.2f" % p99, "ms")
            bench(f"server_rss_{n}_mib", "%.1f" % (rss / 1024), "MiB")
        finally:
            sv_stop(proc)


def main():
    work = tempfile.mkdtemp(prefix="sv-bench-server-")
    env = dict(os.environ)
    # registration logins only (set-up); the measured requests use bearer
    # tokens and never hash a password
    env["SIMVAULT_SERVER_PASSWORD_COST"] = "test-only"
    n_clients = max(CONCURRENCY)
    results = {}
    try:
        if "--scale-only" in sys.argv:
            bench_scale(work, env)
            return
        data = os.path.join(work, "sv")
        os.mkdir(data)
        proc, port = sv_start(data, env)
        try:
            clients = []
            for n in range(n_clients):
                token, versions = sv_register(port, n)
                clients.append(SvClient(port, n, token, versions))
            asyncio.run(bench_simvault(port, clients, results))
            bench("server_rss_bench_mib", "%.1f" % (rss_kib(proc.pid) / 1024), "MiB")
        finally:
            sv_stop(proc)

        radicale_populate(os.path.join(work, "radicale"), n_clients)
        rport = free_port()
        rproc = radicale_start(work, rport)
        try:
            rclients = [RadClient(rport, n) for n in range(n_clients)]
            asyncio.run(bench_radicale(rclients, results))
            bench("radicale_rss_mib", "%.1f" % (rss_kib(rproc.pid) / 1024), "MiB")
        finally:
            rproc.terminate()
            rproc.wait(timeout=30)

        for who, prefix in (("server", "server"), ("radicale", "radicale")):
            for c in CONCURRENCY:
                b = results.get((who, "backup", c))
                ch = results.get((who, "changes", c))
                op = "backup" if who == "server" else "put"
                rop = "changes" if who == "server" else "report"
                if b and b[3]:
                    bench(f"{prefix}_{op}_c{c}_per_s", "%.2f" % b[0], "backups/s")
                    bench(f"{prefix}_{op}_c{c}_p50_ms", "%.2f" % b[1], "ms")
                    bench(f"{prefix}_{op}_c{c}_p99_ms", "%.2f" % b[2], "ms")
                if ch and ch[3]:
                    bench(f"{prefix}_{rop}_c{c}_per_s", "%.2f" % ch[0], "requests/s")
                    bench(f"{prefix}_{rop}_c{c}_p50_ms", "%.2f" % ch[1], "ms")
                    bench(f"{prefix}_{rop}_c{c}_p99_ms", "%.2f" % ch[2], "ms")
        for c in CONCURRENCY:
            s, r = results.get(("server", "backup", c)), results.get(("radicale", "backup", c))
            if s and r and r[0] and s[3]:
                bench(f"server_backup_c{c}_x_radicale", "%.1f" % (s[0] / r[0]), "x")
            s, r = results.get(("server", "changes", c)), results.get(("radicale", "changes", c))
            if s and r and r[0] and s[3]:
                bench(f"server_changes_c{c}_x_radicale", "%.1f" % (s[0] / r[0]), "x")

        if SCALE:
            bench_scale(work, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
