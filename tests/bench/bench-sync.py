#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bytes on the wire and round trips of the sync client (simvault-cli, the
product's libsoup client) against simvault-server on loopback, counted at a
TCP proxy between the two: every byte of every request and answer, HTTP
headers included.

Usage: bench-sync.py SIMVAULT_CLI SIMVAULT_SERVER MIRROR_FROM_PROFILE CARDS_DIR

Cards: sim-2g-plain (EF_ADN of 250 records) and usim-2sets (2 x 250 = 500
ADN records plus their ANR/EMAIL/SNE/... files), read into a mirror by the
product's reader code (mirror-from-profile, no pcscd). Per card: register,
full backup, then for k = 1, 10, 100: change k contacts' names in the
mirror (`simvault-cli edit`), back up (incremental), and count. Then k
portal edits on the server and an incremental restore of them.

Prints `BENCH key=value unit=U` lines (build-aux/bench.sh). A row's bytes
are those of the exchanges that depend on the work (the backup batches;
the restore's "changes since" pages): every byte of their requests and
answers, HTTP heads included. The login and logout exchanges of each CLI
run are counted apart (`sync_session_bytes`): they are the same for any k
and any phonebook. On stderr, per row, every exchange counted (request
line, bytes each way split into head and body) and, with
SV_BENCH_SYNC_HEADERS=1 (bench-sync.sh --headers), every header line with
its bytes; at the end, bytes per record sent for each k on both cards
(they must grow with k, not with the phonebook).
"""

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request

CLI, SERVER, FROM_PROFILE, CARDS = sys.argv[1:5]
PHONE = "+8613800138000"
PASSWORD = "correct horse battery staple"
HEADERS = bool(os.environ.get("SV_BENCH_SYNC_HEADERS"))


def bench(key, value, unit):
    print(f"BENCH {key}={value} unit={unit}", flush=True)


HEAD_KEEP = 16384  # bytes of each direction kept to split headers from body


class Exchange:
    """One request and its answer as the proxy saw them: the request line,
    the bytes each way, and the first bytes each way (for the headers)."""

    def __init__(self, line):
        self.line = line
        self.sent = 0
        self.received = 0
        self.request_head = bytearray()
        self.answer_head = bytearray()

    @staticmethod
    def split(raw, total):
        """(header lines, bytes of the head, bytes of the body): the head
        is the start line and the header lines with their CRLFs and the
        blank line that ends them."""
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            return [], total, 0
        lines = raw[:end].decode(errors="replace").split("\r\n")
        return lines, end + 4, total - end - 4

    def report(self, headers):
        """Lines for stderr: the exchange's cost split into heads and
        bodies and, with @headers, every header line with its bytes (the
        line and its CRLF)."""
        req_lines, req_head, req_body = self.split(bytes(self.request_head), self.sent)
        ans_lines, ans_head, ans_body = self.split(bytes(self.answer_head), self.received)
        out = [f"#   {self.line}  request {self.sent} B (head {req_head}, body {req_body}), "
               f"answer {self.received} B (head {ans_head}, body {ans_body})"]
        if headers:
            for side, lines in (("> ", req_lines), ("< ", ans_lines)):
                for line in lines:
                    out.append(f"#     {side}{len(line) + 2:4d}  {line}")
        return out


class CountingProxy:
    """Forwards 127.0.0.1:port to the server and splits the byte stream
    into exchanges: a request starts where the client sends after the
    server has answered (libsoup does not pipeline). Each exchange is an
    Exchange."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.exchanges = []
        self.connections = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def take(self):
        with self.lock:
            taken, self.exchanges = self.exchanges, []
            connections, self.connections = self.connections, 0
        return taken, connections

    def accept_loop(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client):
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        current = None
        last_from_server = True
        try:
            while True:
                readable, _, _ = select.select([client, upstream], [], [], 30)
                if not readable:
                    return
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is client:
                        upstream.sendall(data)
                        with self.lock:
                            if current is None or last_from_server:
                                line = data.split(b"\r\n", 1)[0].decode(errors="replace")
                                current = Exchange(line)
                                self.exchanges.append(current)
                            current.sent += len(data)
                            current.request_head.extend(data[:HEAD_KEEP - len(current.request_head)])
                        last_from_server = False
                    else:
                        client.sendall(data)
                        with self.lock:
                            if current is not None:
                                current.received += len(data)
                                current.answer_head.extend(data[:HEAD_KEEP - len(current.answer_head)])
                        last_from_server = True
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()


def is_session(exchange):
    return " /api/v1/session" in exchange.line


def run_cli(db, pw_file, *args):
    argv = [CLI, *args, "--db", db]
    if args[0] in ("register", "backup", "restore"):
        argv += ["--password-file", pw_file]
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env["SV_NO_KEYRING"] = "1"
    p = subprocess.run(argv, capture_output=True, env=env, timeout=300, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise RuntimeError(f"simvault-cli {' '.join(args)}: exit {p.returncode}: {p.stdout.decode()} {p.stderr.decode()}")
    out = p.stdout.decode()
    return json.loads(out) if out.strip() else None


def api(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path.lstrip("/"), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def measure(proxy, what):
    """Sums the exchanges since the last call: (bytes of the work's own
    exchanges, their count, bytes of login/logout, their count). Prints
    each exchange on stderr, and each header line with its bytes when
    SV_BENCH_SYNC_HEADERS is set (bench-sync.sh --headers)."""
    exchanges, connections = proxy.take()
    work = [e for e in exchanges if not is_session(e)]
    session = [e for e in exchanges if is_session(e)]
    wb = sum(e.sent + e.received for e in work)
    sb = sum(e.sent + e.received for e in session)
    print(f"# {what}: {len(work)} exchanges, {wb} B; login/logout {len(session)} exchanges, {sb} B; "
          f"{connections} TCP connections", file=sys.stderr)
    for e in exchanges:
        for line in e.report(HEADERS):
            print(line + ("  (login/logout)" if is_session(e) and line.startswith("#   ") else ""),
                  file=sys.stderr)
    return wb, len(work), sb, len(session)


def main():
    work = tempfile.mkdtemp(prefix="sv-bench-sync-")
    server_dir = os.path.join(work, "server")
    os.mkdir(server_dir)
    db = os.path.join(work, "mirror.db")
    pw_file = os.path.join(work, "password")
    with open(pw_file, "w") as f:
        f.write(PASSWORD + "\n")
    iccids = subprocess.run([FROM_PROFILE, db, os.path.join(CARDS, "sim-2g-plain.json"),
                             os.path.join(CARDS, "usim-2sets.json")],
                            capture_output=True, check=True).stdout.decode().split()
    cards = {250: iccids[0], 500: iccids[1]}
    env = dict(os.environ)
    env["SIMVAULT_SERVER_PASSWORD_COST"] = "test-only"  # logins are counted in bytes, not timed
    server = subprocess.Popen([SERVER, "--port=0", f"--data-dir={server_dir}"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        base = server.stdout.readline().decode().strip()
        base = base if base.endswith("/") else base + "/"
        proxy = CountingProxy(int(base.rstrip("/").rsplit(":", 1)[1]))
        net = ["--timeout", "30", "--attempts", "1"]
        round_trips = set()
        per_record = {}
        name_counter = 0
        for total, iccid in cards.items():
            run_cli(db, pw_file, "register", iccid, "--server", proxy.url(), "--phone", PHONE, *net)
            measure(proxy, f"register {total}")
            full = run_cli(db, pw_file, "backup", iccid, "--full", "--sms", "none", *net)
            wb, n, sb, _ = measure(proxy, f"full backup {total}")
            bench(f"sync_full_backup_{total}_bytes", wb, "B")
            bench(f"sync_full_backup_{total}_round_trips", n, "round-trips")
            print(f"# full backup {total}: {full['records']}", file=sys.stderr)
            listing = run_cli(db, pw_file, "export", iccid, "--format", "json")
            for k in (1, 10, 100):
                # k contacts renamed (same name length: the ADN record is
                # fixed-size anyway); spread over the sets of the card
                chosen = listing[:k]
                for c in chosen:
                    name_counter += 1
                    args = ["edit", iccid, "set", str(c["index"]), "--name", f"Bench {name_counter:05d}"]
                    if "set" in c:
                        args += ["--set", str(c["set"])]
                    run_cli(db, pw_file, *args)
                proxy.take()
                result = run_cli(db, pw_file, "backup", iccid, "--sms", "none", *net)
                wb, n, sb, ns = measure(proxy, f"incremental backup {k} of {total}")
                if result["records"]["sent"] != k:
                    print(f"# note: {k} contacts changed, {result['records']['sent']} records sent",
                          file=sys.stderr)
                bench(f"sync_backup_k{k}_of_{total}_bytes", wb, "B")
                bench(f"sync_backup_k{k}_of_{total}_records_sent", result["records"]["sent"], "records")
                # the limit, per record on the wire (a USIM contact
                # edit may change more than its ADN record)
                bench(f"sync_backup_k{k}_of_{total}_limit_bytes", 300 + 100 * result["records"]["sent"], "B")
                bench(f"sync_backup_k{k}_of_{total}_round_trips", n, "round-trips")
                per_record[("backup", k, total)] = (wb, result["records"]["sent"])
                round_trips.add(n)
                if k == 10 and total == 250:
                    bench("sync_session_bytes", sb, "B")
                    bench("sync_session_round_trips", ns, "round-trips")
            # Incremental restore of k records edited in the portal (API)
            token = api(base, "POST", "api/v1/session", {"phone": PHONE, "password": PASSWORD})["token"]
            for k in (1, 10, 100):
                for c in listing[:k]:
                    name_counter += 1
                    api(base, "PUT", f"api/v1/cards/{iccid}/contacts/{c.get('set', 0)}/{c['index']}",
                        {"name": f"Portal {name_counter:05d}", "number": c.get("number") or "123"},
                        token=token)
                proxy.take()
                result = run_cli(db, pw_file, "restore", iccid, "--incremental", "--apply", *net)
                wb, n, _, _ = measure(proxy, f"incremental restore {k} of {total}")
                bench(f"sync_restore_k{k}_of_{total}_bytes", wb, "B")
                bench(f"sync_restore_k{k}_of_{total}_round_trips", n, "round-trips")
                bench(f"sync_restore_k{k}_of_{total}_records", result["records"]["changed"], "records")
                per_record[("restore", k, total)] = (wb, result["records"]["changed"])
                bench(f"sync_restore_k{k}_of_{total}_limit_bytes", 300 + 100 * max(1, result["records"]["changed"]), "B")
                if total == 250 and k == 10:
                    bench("sync_restore_k10_bytes", wb, "B")
                # the restored records are now the mirror's; the next
                # backup sends none of them back
                run_cli(db, pw_file, "backup", iccid, "--sms", "none", *net)
                proxy.take()
        bench("sync_backup_round_trips", "/".join(str(r) for r in sorted(round_trips)), "round-trips")
        print("# bytes per record (row bytes / records), 250 vs 500:", file=sys.stderr)
        for kind in ("backup", "restore"):
            for k in (1, 10, 100):
                cells = []
                for total in cards:
                    b, n = per_record[(kind, k, total)]
                    cells.append(f"{total}: {b} B / {n} = {b / max(1, n):.0f} B")
                print(f"#   {kind} k={k}: " + "; ".join(cells), file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
