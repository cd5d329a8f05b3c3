#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""simvault-cli's exports read back by standard parsers, on the contents of
the virtual card profiles (tests/data/cards), read into a mirror by the
product's own reader code (mirror-from-profile, no pcscd).

Usage: test-exports.py SIMVAULT_CLI MIRROR_FROM_PROFILE CARDS_DIR

- CSV with python's csv module (RFC 4180), multi-value cells split by the
  documented rule (" ; ", a ';' or '\\' in a value escaped with '\\');
- vCard 3.0 and 4.0 against RFC 6350 §3.2 (CRLF, lines of at most 75
  octets, folding) and §3.4 (TEXT escaping), unfolded and unescaped here;
- SMS XML with xml.etree (expat) and, when installed, xmllint;
- every timestamp of the JSON outputs against RFC 3339 §5.6 and
  datetime.fromisoformat, under TZ=Europe/Berlin and Asia/Kolkata.
"""

import csv
import datetime
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

CLI, FROM_PROFILE, CARDS = sys.argv[1:4]
PROFILES = ["usim-2sets", "usim-sms", "usim-ucs2", "sim-2g-plain", "usim-long-numbers",
            "usim-empty"]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))


def run(*args, tz=None, ok=True):
    env = dict(os.environ)
    if tz:
        env["TZ"] = tz
    # bytes, decoded here: text=True would turn CRLF into LF
    p = subprocess.run([CLI, *args, "--db", DB], capture_output=True, env=env)
    p.stdout = p.stdout.decode("utf-8")
    p.stderr = p.stderr.decode("utf-8")
    if ok and p.returncode != 0:
        raise RuntimeError(f"{args}: exit {p.returncode}: {p.stdout} {p.stderr}")
    return p


def contacts_json(iccid):
    return json.loads(run("export", iccid, "--format", "json").stdout)


def split_multi(cell):
    """The documented rule of sv-csv.c, written again from its description."""
    values, cur, i = [], "", 0
    while i < len(cell):
        c = cell[i]
        if c == "\\" and i + 1 < len(cell) and cell[i + 1] in ";\\":
            cur += cell[i + 1]
            i += 2
            continue
        if c == ";":
            values.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    values.append(cur.strip())
    return [v for v in values if v]


def check_csv(iccid, contacts):
    text = run("export", iccid, "--format", "csv").stdout
    check(f"csv {iccid}: CRLF line ends", "\r\n" in text and "\n" not in text.replace("\r\n", ""))
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    check(f"csv {iccid}: one row per contact", len(rows) == len(contacts),
          f"{len(rows)} rows, {len(contacts)} contacts")
    bad = []
    for row, c in zip(rows, contacts):
        got = (int(row["set"]), int(row["index"]), row["name"], row["number"],
               split_multi(row["additional_numbers"]), split_multi(row["emails"]),
               row["second_name"] or None)
        want = (c["set"], c["index"], c["name"], c["number"], c["additional_numbers"],
                c["emails"], c["second_name"] or None)
        if got != want:
            bad.append((got, want))
    check(f"csv {iccid}: every field as in the mirror", not bad, repr(bad[:2]))


def unescape_text(value, list_sep=None):
    """RFC 6350 §3.4: \\\\, \\n/\\N, \\, and \\; in a TEXT value."""
    out, parts, i = "", [], 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            n = value[i + 1]
            out += "\n" if n in "nN" else n
            i += 2
            continue
        if list_sep is not None and c == list_sep:
            parts.append(out)
            out = ""
        else:
            if c in ",;" and list_sep is None:
                raise ValueError(f"unescaped {c!r} in a TEXT value: {value!r}")
            out += c
        i += 1
    return parts + [out] if list_sep is not None else out


def check_vcard(iccid, contacts, fmt):
    raw = run("export", iccid, "--format", fmt).stdout.encode("utf-8")
    lines = raw.split(b"\r\n")
    check(f"{fmt} {iccid}: ends with CRLF", raw == b"" or raw.endswith(b"\r\n"))
    check(f"{fmt} {iccid}: no bare LF or CR", b"\n" not in raw.replace(b"\r\n", b"")
          and b"\r" not in raw.replace(b"\r\n", b""))
    long = [l for l in lines if len(l) > 75]
    check(f"{fmt} {iccid}: no line over 75 octets (RFC 6350 §3.2)", not long, repr(long[:1]))
    try:
        for l in lines:
            l.decode("utf-8")
        split_ok = True
    except UnicodeDecodeError:
        split_ok = False
    check(f"{fmt} {iccid}: folding never splits a UTF-8 sequence", split_ok)
    # unfold: CRLF followed by one space or tab
    logical = re.sub(r"\r\n[ \t]", "", raw.decode("utf-8")).split("\r\n")
    cards, cur = [], None
    for l in logical:
        if not l:
            continue
        name, _, value = l.partition(":")
        prop = name.split(";")[0].upper()
        params = [p.upper() for p in name.split(";")[1:]]
        if prop == "BEGIN":
            cur = {"tel": [], "email": [], "fn": None, "nickname": None, "version": None}
        elif prop == "END":
            cards.append(cur)
        elif prop == "VERSION":
            cur["version"] = value
        elif prop == "FN":
            cur["fn"] = unescape_text(value)
        elif prop == "TEL":
            if "VALUE=URI" in params:
                check(f"{fmt} {iccid}: TEL uri is a global tel: URI",
                      re.fullmatch(r"tel:\+\d+", value), value)
                cur["tel"].append(value[4:])
            else:
                cur["tel"].append(unescape_text(value))
        elif prop == "EMAIL":
            cur["email"].append(unescape_text(value))
        elif prop == "NICKNAME":
            cur["nickname"] = unescape_text(value, ",")[0]
    check(f"{fmt} {iccid}: one vCard per contact", len(cards) == len(contacts))
    want_version = "4.0" if fmt == "vcard4" else "3.0"
    bad = []
    for card, c in zip(cards, contacts):
        want = ([c["number"]] if c["number"] else []) + c["additional_numbers"]
        got = (card["version"], card["fn"], card["tel"], card["email"], card["nickname"])
        exp = (want_version, c["name"], want, c["emails"], c["second_name"] or None)
        if got != exp:
            bad.append((got, exp))
    check(f"{fmt} {iccid}: every field as in the mirror", not bad, repr(bad[:2]))


def check_timestamps(where, values):
    for v in values:
        if v is None:
            continue
        ok = bool(RFC3339.match(v))
        try:
            datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            ok = False
        check(f"{where}: RFC 3339 timestamp {v}", ok)


def check_sms(iccid, tz):
    js = json.loads(run("export", iccid, "--format", "sms-json", tz=tz).stdout)
    check_timestamps(f"sms-json {iccid} TZ={tz}", [m["timestamp"] for m in js])
    shown = json.loads(run("show", iccid, tz=tz).stdout)
    check_timestamps(f"show {iccid} TZ={tz}", [m["timestamp"] for m in shown["messages"]])
    hist = json.loads(run("history", iccid, tz=tz).stdout)
    check_timestamps(f"history {iccid} TZ={tz}", [h["at"] for h in hist])
    text = run("export", iccid, "--format", "sms-xml", tz=tz).stdout
    try:
        root = ET.fromstring(text.encode("utf-8"))
        parsed = True
    except ET.ParseError as e:
        parsed, root = False, None
        check(f"sms-xml {iccid}: parses", False, str(e))
    if not parsed:
        return
    smses = root.findall("sms")
    check(f"sms-xml {iccid}: count attribute", root.get("count") == str(len(smses)) == str(len(js)))
    bad = []
    for el, m in zip(smses, js):
        if el.get("body") != m["text"] or el.get("address") != m["number"]:
            bad.append((el.get("body"), m["text"]))
        if m["timestamp"]:
            when = datetime.datetime.fromisoformat(m["timestamp"].replace("Z", "+00:00"))
            if int(el.get("date")) != int(when.timestamp()) * 1000:
                bad.append((el.get("date"), m["timestamp"]))
    check(f"sms-xml {iccid}: every body, address and date as in sms-json", not bad, repr(bad[:2]))
    if shutil.which("xmllint"):
        p = subprocess.run(["xmllint", "--noout", "-"], input=text, capture_output=True, text=True)
        check(f"sms-xml {iccid}: xmllint accepts it", p.returncode == 0, p.stderr)


tmp = tempfile.mkdtemp(prefix="sv-exports-")
DB = os.path.join(tmp, "mirror.db")
try:
    out = subprocess.run([FROM_PROFILE, DB] + [os.path.join(CARDS, p + ".json") for p in PROFILES],
                         capture_output=True, text=True, check=True).stdout.split()
    iccids = dict(zip(PROFILES, out))

    # Values that need escaping, stored through the CLI like a user would.
    two = iccids["usim-2sets"]
    run("edit", two, "add", "--set", "2", "--name", "Se;mi,Co\\lon", "--number", "+4930123",
        "--email", "a;b@example.org", "--anr", "0301234")
    run("edit", two, "add", "--set", "2", "--name", "Back", "--number", "555",
        "--email", "back\\slash@example.org")
    body = "line one\nline two\r\n\ttabbed & <tagged> \"quoted\" 'apos'"
    run("edit", iccids["usim-sms"], "add-message", "--number", "+491701234567", "--text", body,
        "--status", "unsent")

    for profile, iccid in iccids.items():
        contacts = contacts_json(iccid)
        check_csv(iccid, contacts)
        check_vcard(iccid, contacts, "vcard")
        check_vcard(iccid, contacts, "vcard4")
    for tz in ["Europe/Berlin", "Asia/Kolkata"]:
        for profile in ["usim-sms", "usim-ucs2", "sim-2g-plain", "usim-2sets"]:
            check_sms(iccids[profile], tz)

    # The stored message's body comes back from the XML parser unchanged.
    text = run("export", iccids["usim-sms"], "--format", "sms-xml").stdout
    bodies = [el.get("body") for el in ET.fromstring(text.encode("utf-8")).findall("sms")]
    check("sms-xml: a body with CR, LF and tab survives an XML parser", body in bodies,
          repr([b for b in bodies if b and b.startswith("line one")]))

    # Timestamps with the offsets of the profile (+02:00, +08:00).
    stamps = [m["timestamp"] for m in
              json.loads(run("export", iccids["usim-sms"], "--format", "sms-json").stdout)]
    check("sms-json: offsets written as ±hh:mm",
          any(s and s.endswith("+02:00") for s in stamps) and
          any(s and s.endswith("+08:00") for s in stamps), repr(stamps))

    # A sender's offset of +05:30 (TP-SCTS time zone 22 quarters), decoded.
    for tz in ["Europe/Berlin", "Asia/Kolkata"]:
        env = dict(os.environ, TZ=tz)
        p = subprocess.run([CLI, "decode", "sms-pdu", "04048121430000425010010000220141"],
                           capture_output=True, env=env)
        stamp = json.loads(p.stdout.decode("utf-8")).get("timestamp")
        check_timestamps(f"decode sms-pdu TZ={tz}", [stamp])
        check(f"decode sms-pdu TZ={tz}: offset +05:30 kept",
              stamp and datetime.datetime.fromisoformat(stamp).utcoffset()
              == datetime.timedelta(hours=5, minutes=30), stamp)

    # CSV round trip: the export imported onto another card keeps every value.
    src = contacts_json(two)
    target = iccids["usim-empty"]
    csv_path = os.path.join(tmp, "two.csv")
    run("export", two, "--format", "csv", "-o", csv_path)
    run("import", target, csv_path)
    got = {(c["name"], c["number"], tuple(c["additional_numbers"]), tuple(c["emails"]))
           for c in contacts_json(target)}
    want = {(c["name"], c["number"], tuple(c["additional_numbers"]), tuple(c["emails"]))
            for c in src}
    check("csv round trip: an e-mail with ';' and one with '\\' survive export and import",
          ("Se;mi,Co\\lon", "+4930123", ("0301234",), ("a;b@example.org",)) in got and
          ("Back", "555", (), ("back\\slash@example.org",)) in got,
          repr([g for g in got if g[0] in ("Se;mi,Co\\lon", "Back")]))
    check("csv round trip: every contact of usim-2sets comes back", want <= got,
          repr(sorted(want - got)[:3]))
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print(f"1..{len(results)}")
for i, (name, ok, detail) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok and detail:
        for line in str(detail)[:600].splitlines():
            print(f"# {line}")
