#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Suite 'security' (issue 17): INPUTS.md is executable. Every table row
of INPUTS.md whose last column is `test-inputs` is run here against the
real simvault-server / simvault-cli, and its answer compared with the
row; every other row names a test (a file and, for GLib tests, a test
path), which must exist. A row without either fails.

Example column (one code span):
  HTTP rows     VERB ARGS, VERB one of REGISTER BACKUP MESSAGES RESTORE
                LOGIN SIGNUP CONTACT CHANGES CONSENT RAW; then edits of
                the valid body: path=JSON (set), -path (remove),
                e.g. `REGISTER card.iccid="123"`; CHANGES takes the query;
                RAW takes METHOD PATH [BODY].
  CLI rows      `CLI args…`: simvault-cli with --db (a mirror holding one
                card, $ICCID); @TEXT:"python literal" becomes a file.
  SERVER rows   `SERVER args…`: simvault-server on a scratch data dir;
                @TEXT:"…" becomes a file (a config file).
Answer column (one code span):
  HTTP          `STATUS [code [field]] ["message part"]`; field - = none
  CLI/SERVER    `exit N ["message part"]` or `starts` (prints its URL)

usage: test-inputs.py INPUTS.md SIMVAULT_SERVER SIMVAULT_CLI MIRROR_FROM_PROFILE PROFILE SOURCE_ROOT
"""

import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

TABLE, SERVER, CLI, MAKE_MIRROR, PROFILE, ROOT = sys.argv[1:7]
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}" + (f" # {detail}" if detail and not ok else ""))
    sys.stdout.flush()


PHONE = "+8613800138321"
PASSWORD = "inputs table horse 3"
ICCID = "89860123456789013210"


def adn(name="Ann", digits="13800138000"):
    alpha = name.encode().hex().upper() + "FF" * (16 - len(name))
    bcd = bytearray([0xFF] * 10)
    for i, ch in enumerate(digits):
        d = int(ch)
        bcd[i // 2] = (0xF0 | d) if i % 2 == 0 else ((bcd[i // 2] & 0x0F) | (d << 4))
    return alpha + f"{(len(digits) + 1) // 2 + 1:02X}81" + bcd.hex().upper() + "FFFF"


SMS = ("01" + "07913386094000F0" + "040B913386010000F00000" + "62207021000000" + "05C8329BFD06")
SMS = SMS + "FF" * (176 - len(SMS) // 2)


def card(iccid):
    return {"iccid": iccid, "imsi": "460001234567890", "card_type": "sim", "counter_a": 0, "sms_capacity": 5,
            "files": [{"key": "adn", "path": "3F007F106F3A", "structure": "linear-fixed",
                       "record_len": 30, "n_records": 10},
                      {"key": "ext1", "path": "3F007F106F4A", "structure": "linear-fixed",
                       "record_len": 13, "n_records": 2},
                      {"key": "sms", "path": "3F007F106F3C", "structure": "linear-fixed",
                       "record_len": 176, "n_records": 5}]}


counter = [0]


def fresh(prefix):
    counter[0] += 1
    return f"{prefix}-{counter[0]}"


def bodies():
    counter[0] += 1
    n = counter[0]
    return {
        "REGISTER": ("POST", "api/v1/cards/register",
                     {"phone": f"+86138009{n:05d}", "password": "a good password 1",
                      "card": card(f"8986012345678902{n:04d}")}, False),
        "BACKUP": ("POST", f"api/v1/cards/{ICCID}/backup",
                   {"batch_id": f"in-{n}", "mode": "incremental",
                    "records": [{"file": "adn", "index": 1, "data": adn(), "base_version": 0}]}, True),
        "MESSAGES": ("POST", f"api/v1/cards/{ICCID}/messages",
                     {"batch_id": f"m-{n}", "messages": [{"record": SMS, "stored_at": "2026-12-07T03:10:00Z"}]}, True),
        "RESTORE": ("POST", f"api/v1/cards/{ICCID}/restores", {"kind": "full", "sms": True}, True),
        "LOGIN": ("POST", "api/v1/session", {"phone": PHONE, "password": PASSWORD}, False),
        "SIGNUP": ("POST", "api/v1/accounts", {"phone": f"+86139009{n:05d}", "password": "a good password 2"}, False),
        "CONTACT": ("POST", f"api/v1/cards/{ICCID}/contacts", {"name": "Bo", "number": "+8613800138000"}, True),
        "CONSENT": ("POST", "api/v1/staff/consents", {"phone": PHONE, "password": PASSWORD}, "staff"),
    }


def set_path(obj, path, value, remove=False):
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        key = int(p[1:-1]) if p.startswith("[") else p
        if last:
            if remove:
                del obj[key]
            else:
                obj[key] = value
        else:
            obj = obj[key]


class Server:
    def __init__(self, d):
        env = dict(os.environ, SIMVAULT_SERVER_PASSWORD_COST="test-only")
        self.log = open(os.path.join(d, "server.log"), "ab")
        self.process = subprocess.Popen([SERVER, "--port=0", f"--data-dir={d}"], stdout=subprocess.PIPE,
                                        stderr=self.log, env=env)
        line = self.process.stdout.readline().decode().strip()
        self.url = line if line.endswith("/") else line + "/"

    def call(self, method, path, body, token=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path.lstrip("/"), data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as a:
                t = a.read()
                return a.status, t
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def expand_files(tokens, tmp):
    out = []
    for t in tokens:
        m = re.match(r"^(.*)@TEXT:(.*)$", t, re.S)
        if m:
            # shlex took the quotes off; the escapes (\r \n \x00) remain.
            content = m.group(2).encode("utf-8").decode("unicode_escape")
            p = os.path.join(tmp, fresh("file"))
            with open(p, "w") as f:
                f.write(content)
            out.append(m.group(1) + p)
        else:
            out.append(t)
    return out


def parse_edits(text):
    """`a.b=JSON -c d[0].e=JSON`: the JSON values may hold spaces."""
    decoder = json.JSONDecoder()
    at = 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        m = re.compile(r"(-?)([^=\s]+)(=?)").match(text, at)
        at = m.end()
        if m.group(3):
            value, at = decoder.raw_decode(text, at)
            yield m.group(2), value, False
        else:
            yield m.group(2), None, bool(m.group(1))


def run_http(example, expected, server, tokens):
    verb, _, rest = example.partition(" ")
    if verb == "CHANGES":
        status, text = server.call("GET", f"api/v1/cards/{ICCID}/changes?{rest}", None, tokens["owner"])
    elif verb == "RAW":
        method, path, *body = rest.split(" ", 2)
        raw = body[0].encode() if body else None
        status, text = server.call(method, path.replace("$ICCID", ICCID), None, tokens["owner"], raw=raw)
    else:
        method, path, body, auth = copy.deepcopy(bodies()[verb])
        for key, value, remove in parse_edits(rest):
            set_path(body, key, value, remove=remove)
        token = tokens["owner"] if auth is True else tokens["staff"] if auth == "staff" else None
        status, text = server.call(method, path, body, token)
    try:
        answer = json.loads(text) if text else {}
    except ValueError:
        answer = {}
    err = answer.get("error") or {} if isinstance(answer, dict) else {}
    m = re.match(r'^(\d+)(?:\s+([a-z-]+))?(?:\s+([^\s“"]+))?(?:\s+[“"](.*)[”"])?$', expected.strip())
    if not m:
        return False, f"bad expectation {expected!r}"
    want_status, want_code, want_field, want_msg = m.groups()
    ok = status == int(want_status)
    if want_code:
        ok &= err.get("code") == want_code
    if want_field:
        ok &= (err.get("field") is None) if want_field == "-" else err.get("field") == want_field
    if want_msg:
        ok &= want_msg in (err.get("message") or "")
    return ok, f"got {status} {text[:200]!r}"


def run_cli(example, expected, db, tmp):
    args = expand_files(shlex.split(example)[1:], tmp)
    args = [a.replace("$ICCID", cli_iccid[0]) for a in args]
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    r = subprocess.run([CLI, *args, "--db", db], capture_output=True, text=True, env=env, timeout=60)
    m = re.match(r'^exit (\d+)(?:\s+[“"](.*)[”"])?$', expected.strip())
    if not m:
        return False, f"bad expectation {expected!r}"
    ok = r.returncode == int(m.group(1))
    if m.group(2):
        ok &= m.group(2) in (r.stdout + r.stderr)
    return ok, f"exit {r.returncode}: {(r.stdout + r.stderr)[:240]!r}"


def run_server(example, expected, tmp):
    args = expand_files(shlex.split(example)[1:], tmp)
    d = tempfile.mkdtemp(dir=tmp)
    env = dict(os.environ, SIMVAULT_SERVER_PASSWORD_COST="test-only")
    if any(a.startswith("--config") for a in args):
        env.pop("SIMVAULT_SERVER_PASSWORD_COST")
    p = subprocess.Popen([SERVER, f"--data-dir={d}", "--port=0", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, text=True)
    line = p.stdout.readline()
    if line.startswith("http"):
        p.terminate()
        p.wait(timeout=20)
        return expected.strip() == "starts", f"it started: {line.strip()}"
    err = p.stderr.read()
    rc = p.wait(timeout=20)
    m = re.match(r'^exit (\d+)(?:\s+[“"](.*)[”"])?$', expected.strip())
    if not m:
        return False, f"exit {rc}: {err[:200]!r}"
    ok = rc == int(m.group(1)) and (not m.group(2) or m.group(2) in err)
    return ok, f"exit {rc}: {err[:200]!r}"


def test_exists(ref):
    """`path [/glib/test/path]`: the file exists and holds the test path."""
    parts = ref.split()
    if not parts:
        return False
    path = os.path.join(ROOT, parts[0])
    if not os.path.exists(path):
        return False
    if len(parts) > 1:
        with open(path, errors="replace") as f:
            text = f.read()
        return all(p in text for p in parts[1:])
    return True


cli_iccid = [""]


def main():
    with open(TABLE) as f:
        lines = f.read().splitlines()
    rows = []
    for no, line in enumerate(lines, 1):
        if not line.startswith("| ") or line.startswith("| id ") or set(line) <= set("|- "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 6:
            continue
        rows.append((no, cells))

    tmp = tempfile.mkdtemp(prefix="sv-inputs-")
    sd = os.path.join(tmp, "server")
    os.makedirs(sd)
    pw = os.path.join(tmp, "staffpw")
    with open(pw, "w") as f:
        f.write("staff inputs pw 4")
    env = dict(os.environ, SIMVAULT_SERVER_PASSWORD_COST="test-only")
    subprocess.run([SERVER, f"--data-dir={sd}", f"--password-file={pw}", "staff", "add", "shop-inputs"],
                   check=True, capture_output=True, env=env)
    server = Server(sd)
    db = os.path.join(tmp, "mirror.db")
    r = subprocess.run([MAKE_MIRROR, db, PROFILE], capture_output=True, text=True, check=True)
    cli_iccid[0] = r.stdout.split()[0]
    try:
        st, t = server.call("POST", "api/v1/cards/register", {"phone": PHONE, "password": PASSWORD, "card": card(ICCID)})
        assert st == 200, (st, t)
        tokens = {"owner": json.loads(t)["session"]["token"]}
        st, t = server.call("POST", "api/v1/staff/session", {"name": "shop-inputs", "password": "staff inputs pw 4"})
        tokens["staff"] = json.loads(t)["token"]
        for no, cells in rows:
            rid, what, example, verdict, answer, test = cells[:6]
            code = re.findall(r"`([^`]*)`", example)
            want = re.findall(r"`([^`]*)`", answer)
            name = f"INPUTS.md:{no} {rid} {what}: {verdict}"
            if test == "test-inputs":
                if not code or not want:
                    check(name, False, "a test-inputs row needs an example and an answer in `code`")
                    continue
                ex, exp = code[0], want[0]
                if ex.startswith("CLI "):
                    ok, detail = run_cli(ex, exp, db, tmp)
                elif ex.startswith("SERVER"):
                    ok, detail = run_server(ex, exp, tmp)
                else:
                    ok, detail = run_http(ex, exp, server, tokens)
                check(name, ok, detail)
            else:
                refs = re.findall(r"`([^`]*)`", test)
                check(name + f" (checked by {', '.join(refs) or test})", bool(refs) and all(test_exists(x) for x in refs),
                      "no such test")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{len(results)}")
    sys.exit(0 if results and all(results) else 1)


main()
