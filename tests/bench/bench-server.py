#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""simvault-server against Radicale (Debian's python3-radicale, CardDAV) on
the same work, in one run, on loopback; then simvault-server's memory and
backup latency with 10,000 and 100,000 registered cards.

Usage: bench-server.py SIMVAULT_SERVER [--quick] [--reps N] [--scale N,N]

Load generator: python asyncio on raw sockets, HTTP/1.1 keep-alive where
the server keeps the connection (Radicale's HTTP/1.0 server closes it
after every answer: we reconnect, as any client must). Every phase is
bounded in time (PHASE_S) and count (MAX_OPS per client).

Both servers run side by side, and each phase (one operation, one number
of clients) runs on SimVault and on Radicale back to back, REPS times, the
order swapped every repetition: on a shared machine the load drifts, and a
ratio is only meaningful between two phases measured under the same load.
A rate is the median of the repetitions; the ratio's spread is printed
from the per-repetition ratios; latencies pool every repetition's
operations.

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
At each size the same measurement: the database file flushed to disk, a
server started on it, SCALE_CARDS cards drawn at random over the whole
range (each given a session, a copy of the template's), SCALE_WARMUP
backups of 10 records to random ones of them (not measured), then
SCALE_OPS measured backups to random ones of them, in SCALE_BLOCKS blocks
that alternate between the sizes (every size has its own database and
server, side by side).

Prints `BENCH key=value unit=U` lines (build-aux/bench.sh).
"""

import asyncio
import functools
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import statistics
import time
import uuid

SERVER = sys.argv[1]
QUICK = "--quick" in sys.argv
SCALE = [10000, 100000]
REPS = 1 if QUICK else 3
for i, a in enumerate(sys.argv):
    if a == "--scale" and i + 1 < len(sys.argv):
        SCALE = [int(x) for x in sys.argv[i + 1].split(",") if x]
    if a == "--reps" and i + 1 < len(sys.argv):
        REPS = max(1, int(sys.argv[i + 1]))
CONCURRENCY = [1, 16, 64]
PHASE_S = 2.0 if QUICK else 4.0
SCALE_CARDS = 100 if QUICK else 500    # cards drawn at random at each size
SCALE_WARMUP = 100 if QUICK else 300   # backups before measuring
SCALE_OPS = 200 if QUICK else 1500     # measured backups at each size
SCALE_BLOCKS = 15                      # ... in blocks, alternating the sizes
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


def cpu_s(pid):
    """CPU time (user + system, all threads) the process has used."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@functools.lru_cache(maxsize=None)
def adn_number(digits):
    """Length, TON/NPI, 10 bytes BCD, CCP, EXT1 (the numbers repeat: kept,
    so the load generator spends its time on the requests)."""
    bcd = bytearray(b"\xff" * 10)
    for i, ch in enumerate(digits[:20]):
        d = int(ch)
        if i % 2 == 0:
            bcd[i // 2] = 0xF0 | d
        else:
            bcd[i // 2] = (bcd[i // 2] & 0x0F) | (d << 4)
    return bytes([(len(digits) + 1) // 2 + 1, 0x81]) + bytes(bcd) + b"\xff\xff"


def adn_hex(name, digits):
    """TS 51.011 §10.5.1: 16 bytes alpha, length, TON/NPI, 10 bytes BCD, CCP, EXT1."""
    return (name.encode()[:16].ljust(16, b"\xff") + adn_number(digits)).hex().upper()


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
    """One connection. In blocking mode (one client alone: it needs no
    event loop) it uses a plain socket, which costs the generator a third
    of what asyncio's streams do per request; the requests and the
    parsing are the same."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None
        self.sock = self.file = None
        self.blocking = False

    def _parse_head(self, lines):
        status = int(lines[0].split()[1])
        length, close = None, lines[0].startswith("HTTP/1.0")
        for line in lines[1:]:
            k, _, v = line.partition(":")
            k = k.strip().lower()
            if k == "content-length":
                length = int(v)
            elif k == "connection":
                close = v.strip().lower() == "close" or (close and v.strip().lower() != "keep-alive")
        return status, length, close

    def _request_blocking(self, method, path, headers, body):
        for attempt in range(2):
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=OP_TIMEOUT_S)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.file = self.sock.makefile("rb")
            head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sContent-Length: %d\r\n\r\n" % (
                method, path, self.port, "".join("%s: %s\r\n" % kv for kv in headers), len(body))
            try:
                self.sock.sendall(head.encode() + body)
                lines = []
                while True:
                    line = self.file.readline()
                    if not line:
                        raise ConnectionError("closed by the server")
                    if line == b"\r\n":
                        break
                    lines.append(line.decode("latin-1").rstrip("\r\n"))
            except ConnectionError:
                self.close()
                if attempt == 0:
                    continue
                raise
            status, length, close = self._parse_head(lines)
            data = self.file.read(length) if length is not None else self.file.read()
            if close or length is None:
                self.close()
            return status, data
        raise RuntimeError("unreachable")

    async def request(self, method, path, headers, body=b""):
        if self.blocking:
            return self._request_blocking(method, path, headers, body)
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
            status, length, close = self._parse_head(raw.decode("latin-1").split("\r\n"))
            data = await self.reader.readexactly(length) if length is not None else await self.reader.read()
            if close or length is None:
                self.close()
            return status, data
        raise RuntimeError("unreachable")

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
        if self.sock is not None:
            self.file.close()
            self.sock.close()
        self.sock = self.file = None


async def run_phase(clients, op, n_clients):
    """n_clients clients each doing op(client) until PHASE_S or MAX_OPS."""
    latencies = []
    errors = []
    timeouts = []
    deadline = time.monotonic() + PHASE_S
    # one client alone: blocking sockets, the socket's timeout for the limit
    alone = n_clients == 1
    for c in clients[:n_clients]:
        c.conn.close()
        c.conn.blocking = alone

    async def one(c):
        for _ in range(MAX_OPS):
            if time.monotonic() >= deadline:
                return
            t0 = time.perf_counter()
            try:
                if alone:
                    await op(c)
                else:
                    await asyncio.wait_for(op(c), OP_TIMEOUT_S)
            except (asyncio.TimeoutError, socket.timeout):
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
    if alone:
        clients[0].conn.close()
        clients[0].conn.blocking = False
    if errors:
        note(f"  {len(errors)} errors, first: {errors[0]}")
    if timeouts:
        note(f"  {len(timeouts)} operations gave up after {OP_TIMEOUT_S:.0f} s (not counted as done)")
    return len(latencies) / elapsed, latencies, errors


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


async def simvault_prepare_changes(clients, c):
    """The token before one more backup: "changes since" then answers 10 records."""
    for cl in clients[:c]:
        st, data = await cl.conn.request("GET", "/api/v1/cards/%s" % cl.iccid, cl.auth[:1])
        cl.token_before = json.loads(data)["token"]
        await cl.backup()


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


async def radicale_prepare_changes(clients, c):
    async def prepare(cl):
        cl.token_before, _ = await cl.report("")
        await cl.backup()
    await asyncio.gather(*(prepare(cl) for cl in clients[:c]))


async def bench_both(sv_clients, rad_clients, pids, results):
    """Every phase on both servers back to back, REPS times, alternating
    which goes first. results[(who, op, c)] = ([rate per rep], [latencies],
    [server CPU seconds, operations]): the CPU the server process (@pids by
    side) spent, which the benchmark client's own cost does not enter."""
    if rad_clients:
        # Radicale builds its item cache and first sync token per collection
        await asyncio.gather(*(cl.report("") for cl in rad_clients))
    for rep in range(REPS):
        for c in CONCURRENCY:
            for op in ("backup", "changes"):
                sides = [("server", sv_clients, simvault_prepare_changes)]
                if rad_clients:
                    sides.append(("radicale", rad_clients, radicale_prepare_changes))
                if rep % 2 == 1:
                    sides.reverse()
                for who, clients, prepare in sides:
                    if op == "changes":
                        await prepare(clients, c)
                    cpu_before = cpu_s(pids[who])
                    rate, lat, err = await run_phase(
                        clients, (lambda cl: cl.backup()) if op == "backup" else (lambda cl: cl.changes()), c)
                    cpu_used = cpu_s(pids[who]) - cpu_before
                    rates, pooled, cpu = results.setdefault((who, op, c), ([], [], [0.0, 0]))
                    rates.append(rate if lat else None)   # by repetition, for the ratios
                    pooled.extend(lat)
                    cpu[0] += cpu_used
                    cpu[1] += len(lat)
                    note(f"rep {rep + 1}/{REPS} {who} {op} c={c}: {rate:.2f}/s p50 "
                         f"{percentile(lat, 50) * 1000:.2f} ms p99 {percentile(lat, 99) * 1000:.2f} ms "
                         f"({len(lat)} ops)")


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


def flush_to_disk(db_path):
    """The freshly written database on disk before the server starts, so
    no write-back of the copy runs under the measurement (3.5 GB at
    100,000 cards); its pages stay in the page cache at either size."""
    for path in (db_path, db_path + "-wal"):
        if os.path.exists(path):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def scale_sessions(db_path, template_token, iccids, rng):
    """A session for each card's account: copies of the template's session
    row (so its columns are the server's own), with a new random token and
    last seen now (the server then does not refresh them while measured)."""
    con = sqlite3.connect(db_path, isolation_level=None)
    cols = [r[1] for r in con.execute("PRAGMA table_info(sessions)")]
    template_hash = hashlib.blake2b(template_token.encode(), digest_size=32).digest()
    now = int(time.time() * 1e6)
    subst = {"token_hash": "?", "account_id": "(SELECT account_id FROM cards WHERE iccid = ?)",
             "created_at": "?", "last_seen_at": "?", "expires_at": "? + (expires_at - last_seen_at)"}
    order = [c for c in cols if c in subst]
    sql = "INSERT INTO sessions (%s) SELECT %s FROM sessions WHERE token_hash = ?" % (
        ", ".join(cols), ", ".join(subst.get(c, c) for c in cols))
    tokens = {}
    con.execute("BEGIN")
    for iccid in iccids:
        token = "%032x" % rng.getrandbits(128)
        values = {"token_hash": hashlib.blake2b(token.encode(), digest_size=32).digest(),
                  "account_id": iccid, "created_at": now, "last_seen_at": now, "expires_at": now}
        con.execute(sql, [values[c] for c in order] + [template_hash])
        tokens[iccid] = token
    con.execute("COMMIT")
    con.close()
    return tokens


class ScaleClient(SvClient):
    def __init__(self, conn, iccid, token, versions):
        self.conn = conn
        self.n = int(iccid[-8:])
        self.iccid = iccid
        self.auth = [("Authorization", "Bearer " + token), ("Content-Type", "application/json")]
        self.versions = dict(versions)
        self.round = 0
        self.token_before = None


async def scale_backups(port, cards, rng, n_ops):
    """@n_ops backups, each to a card drawn at random from @cards, over one
    kept-alive connection; their latencies."""
    conn = Conn(port)
    conn.blocking = True
    lat = []
    for _ in range(n_ops):
        client = cards[rng.randrange(len(cards))]
        client.conn = conn
        t0 = time.perf_counter()
        await client.backup()
        lat.append(time.perf_counter() - t0)
    conn.close()
    return lat


def bench_scale(work, env):
    """Every size its own database and server, side by side; the warm-up
    and then SCALE_BLOCKS blocks of backups alternate between the sizes
    (the order swapped every block), so the sizes are compared under the
    same load of the machine, as the concurrency phases are."""
    data = os.path.join(work, "scale")
    os.mkdir(data)
    proc, port = sv_start(data, env)
    try:
        token, versions = sv_register(port, 0)
        template = "8986%016d" % (10 ** 11)
    finally:
        sv_stop(proc)
    previous = os.path.join(data, "simvault-server.db")
    sizes = []
    for n in sorted(SCALE):
        # each size grows a copy of the one before (the template for the first)
        size_dir = os.path.join(work, "scale-%d" % n)
        os.mkdir(size_dir)
        db_path = os.path.join(size_dir, "simvault-server.db")
        shutil.copyfile(previous, db_path)
        t0 = time.monotonic()
        total = populate(db_path, template, n)
        note(f"scale: {total} cards in the database ({time.monotonic() - t0:.1f} s to insert, "
             f"{os.path.getsize(db_path) / 2**20:.0f} MiB file)")
        previous = db_path
        sizes.append((n, size_dir, db_path))
    servers = {}
    try:
        for n, size_dir, db_path in sizes:
            # the same draw at every size relative to its range: cards
            # 8999... numbered 0 .. n - 1, drawn uniformly
            rng = random.Random(n)
            numbers = rng.sample(range(n), min(SCALE_CARDS, n))
            iccids = ["8999%016d" % k for k in numbers]
            tokens = scale_sessions(db_path, token, iccids, rng)
            flush_to_disk(db_path)
            proc, port = sv_start(size_dir, env)
            cards = [ScaleClient(None, iccid, tokens[iccid], versions) for iccid in iccids]
            servers[n] = (proc, port, cards, rng, rss_kib(proc.pid), [], [])
        order = [n for n, _, _ in sizes]
        for n in order:
            proc, port, cards, rng = servers[n][:4]
            asyncio.run(scale_backups(port, cards, rng, SCALE_WARMUP))
        per_block = max(1, SCALE_OPS // SCALE_BLOCKS)
        for block in range(SCALE_BLOCKS):
            for n in (order if block % 2 == 0 else list(reversed(order))):
                proc, port, cards, rng, _, lat, medians = servers[n]
                got = asyncio.run(scale_backups(port, cards, rng, per_block))
                lat.extend(got)
                medians.append(statistics.median(got) * 1000)
        for n in order:
            proc, port, cards, rng, rss_start, lat, medians = servers[n]
            rss = rss_kib(proc.pid)
            p50, p99 = percentile(lat, 50) * 1000, percentile(lat, 99) * 1000
            blocks = sorted(medians)
            note(f"scale {n}: {len(lat)} backups to {len(cards)} random cards after {SCALE_WARMUP} unmeasured, "
                 f"in {SCALE_BLOCKS} blocks alternating with the other sizes: p50 {p50:.2f} ms p99 {p99:.2f} ms "
                 f"(block medians {', '.join('%.2f' % b for b in medians)} ms); "
                 f"RSS {rss_start / 1024:.1f} MiB at start, {rss / 1024:.1f} MiB after")
            bench(f"server_backup_p50_{n}_ms", "%.2f" % p50, "ms")
            bench(f"server_backup_p99_{n}_ms", "%.2f" % p99, "ms")
            bench(f"server_backup_p50_{n}_blocks_ms", "%.2f-%.2f" % (blocks[0], blocks[-1]), "ms")
            bench(f"server_rss_{n}_mib", "%.1f" % (rss / 1024), "MiB")
        if len(order) >= 2:
            # per block, the larger size's median over the smaller's: the
            # blocks ran back to back, under the same load
            small, large = servers[order[0]][6], servers[order[-1]][6]
            ratios = sorted(b / a for a, b in zip(small, large) if a)
            if ratios:
                note("scale: per block, p50 at %d over p50 at %d: %s" % (
                    order[-1], order[0], " ".join("%.2f" % r for r in ratios)))
                bench(f"server_backup_p50_{order[-1]}_x_{order[0]}_blocks", "%.2f/%.2f/%.2f" % (
                    ratios[0], statistics.median(ratios), ratios[-1]), "x")
    finally:
        for n in servers:
            sv_stop(servers[n][0])


def median_of(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def report_concurrency(results):
    """Rates: the median of the repetitions. Latencies: every operation of
    every repetition. Ratios: per repetition (the two phases measured back
    to back), their median and spread."""
    for who, prefix in (("server", "server"), ("radicale", "radicale")):
        for c in CONCURRENCY:
            for op, key_op, unit in ((("backup", "backup", "backups/s") if who == "server" else ("backup", "put", "backups/s")),
                                     (("changes", "changes", "requests/s") if who == "server" else ("changes", "report", "requests/s"))):
                rates, lat, cpu = results.get((who, op, c), ([], [], [0.0, 0]))
                rate = median_of(rates)
                if rate is None or not lat:
                    continue
                if cpu[1]:
                    bench(f"{prefix}_{key_op}_c{c}_cpu_us", "%.0f" % (cpu[0] / cpu[1] * 1e6), "us")
                bench(f"{prefix}_{key_op}_c{c}_per_s", "%.2f" % rate, unit)
                bench(f"{prefix}_{key_op}_c{c}_p50_ms", "%.2f" % (percentile(lat, 50) * 1000), "ms")
                bench(f"{prefix}_{key_op}_c{c}_p99_ms", "%.2f" % (percentile(lat, 99) * 1000), "ms")
    for c in CONCURRENCY:
        for op in ("backup", "changes"):
            ours = results.get(("server", op, c), ([],))[0]
            theirs = results.get(("radicale", op, c), ([],))[0]
            ratios = sorted(o / t for o, t in zip(ours, theirs) if o and t)
            if not ratios:
                continue
            bench(f"server_{op}_c{c}_x_radicale", "%.1f" % statistics.median(ratios), "x")
            # every repetition's ratio, lowest first: the spread
            bench(f"server_{op}_c{c}_x_radicale_runs", "/".join("%.0f" % r for r in ratios), "x")


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
        rproc = None
        try:
            clients = []
            for n in range(n_clients):
                token, versions = sv_register(port, n)
                clients.append(SvClient(port, n, token, versions))
            rclients = []
            try:
                __import__("radicale")  # only to know whether this python has it
                radicale_populate(os.path.join(work, "radicale"), n_clients)
                rport = free_port()
                rproc = radicale_start(work, rport)
                rclients = [RadClient(rport, n) for n in range(n_clients)]
            except ImportError:
                note("no radicale module for this python: its rows are skipped")
            asyncio.run(bench_both(clients, rclients,
                                   {"server": proc.pid, "radicale": rproc.pid if rproc else None}, results))
            bench("server_rss_bench_mib", "%.1f" % (rss_kib(proc.pid) / 1024), "MiB")
            if rproc is not None:
                bench("radicale_rss_mib", "%.1f" % (rss_kib(rproc.pid) / 1024), "MiB")
        finally:
            sv_stop(proc)
            if rproc is not None:
                rproc.terminate()
                rproc.wait(timeout=30)

        report_concurrency(results)

        if SCALE:
            bench_scale(work, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
