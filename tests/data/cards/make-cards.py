#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generates the virtual card images in this folder (see README.md).

Run with Debian's /usr/bin/python3:  ./make-cards.py  (rewrites *.json)
                                     ./make-cards.py --check  (compares)

The encoders here (GSM 7-bit, alpha identifiers in the three UCS2 schemes,
BCD dialling numbers with EXT1 chains, SMS TPDUs with concatenation headers,
USIM phonebook files) are written from the specs independently of the C
codec library, so the images cross-check it.  Every image is deterministic.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------
# TS 23.038 §6.2.1 GSM 7-bit default alphabet and its extension table.

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
assert len(GSM7_BASIC) == 128
GSM7_EXT = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F,
            "[": 0x3C, "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65}


def gsm7_septets(text):
    """Text -> list of septets, or None when a character is not in GSM 7."""
    out = []
    for ch in text:
        i = GSM7_BASIC.find(ch)
        if i >= 0 and ch != "\x1b":
            out.append(i)
        elif ch in GSM7_EXT:
            out += [0x1B, GSM7_EXT[ch]]
        else:
            return None
    return out


def pack7(septets, prefix=b""):
    """TS 23.038 §6.1.2.1.1 packing, after `prefix` octets (a UDH) and the
    fill bits that align the first septet on a septet boundary."""
    start = len(prefix) * 8
    if prefix:
        start = ((start + 6) // 7) * 7
    total = start + 7 * len(septets)
    buf = bytearray((total + 7) // 8)
    buf[:len(prefix)] = prefix
    pos = start
    for s in septets:
        for b in range(7):
            if (s >> b) & 1:
                buf[pos // 8] |= 1 << (pos % 8)
            pos += 1
    return bytes(buf), start // 7 + len(septets)


# ---------------------------------------------------------------------------
# TS 102.221 Annex A: alpha identifiers.

def alpha_gsm(text, size):
    s = gsm7_septets(text)
    assert s is not None, text
    assert len(s) <= size, (text, size)
    return bytes(s) + b"\xff" * (size - len(s))


def alpha_ucs2_80(text, size):
    raw = b"\x80" + text.encode("utf-16-be")   # surrogate pairs kept as is
    assert len(raw) <= size, (text, size)
    return raw + b"\xff" * (size - len(raw))


def _ucs2_window(text, base):
    out = []
    for ch in text:
        s = gsm7_septets(ch)
        if s is not None and len(s) == 1:
            out.append(s[0])
        else:
            off = ord(ch) - base
            assert 0 <= off < 0x80, (text, hex(base))
            out.append(0x80 | off)
    return bytes(out)


def alpha_ucs2_81(text, size):
    """0x81: length, base pointer bits 15..8 (base = byte << 7)."""
    wide = [ord(c) for c in text if gsm7_septets(c) is None]
    base = (min(wide) >> 7) << 7
    assert base >> 15 == 0
    raw = bytes([0x81, len(text), base >> 7]) + _ucs2_window(text, base)
    assert len(raw) <= size, (text, size)
    return raw + b"\xff" * (size - len(raw))


def alpha_ucs2_82(text, size):
    """0x82: length, full 16-bit base pointer."""
    wide = [ord(c) for c in text if gsm7_septets(c) is None]
    base = min(wide)
    raw = bytes([0x82, len(text), base >> 8, base & 0xFF]) + _ucs2_window(text, base)
    assert len(raw) <= size, (text, size)
    return raw + b"\xff" * (size - len(raw))


def alpha(text, size, scheme=None):
    if scheme is None:
        scheme = "gsm" if gsm7_septets(text) is not None else "80"
    return {"gsm": alpha_gsm, "80": alpha_ucs2_80, "81": alpha_ucs2_81,
            "82": alpha_ucs2_82}[scheme](text, size)


# ---------------------------------------------------------------------------
# TS 24.008 §10.5.4.7 / TS 31.102 §4.4.2.3: BCD dialling numbers.

BCD = {str(d): d for d in range(10)}
BCD.update({"*": 0xA, "#": 0xB, "p": 0xC, "w": 0xD})


def bcd_digits(digits):
    nibbles = [BCD[d] for d in digits]
    if len(nibbles) % 2:
        nibbles.append(0xF)
    return bytes(nibbles[i] | nibbles[i + 1] << 4 for i in range(0, len(nibbles), 2))


def ton_npi(number):
    return (0x91 if number.startswith("+") else 0x81), number.lstrip("+")


class Ext1:
    """EF_EXT1 (TS 31.102 §4.4.2.4 / TS 51.011 §10.5.10), 13-byte records."""

    def __init__(self, count):
        self.records = [b"\xff" * 13 for _ in range(count)]

    def chain(self, digits):
        """Stores `digits` (beyond the first 20) as a chain; returns the
        first record number."""
        chunks = [digits[i:i + 20] for i in range(0, len(digits), 20)]
        free = [i for i, r in enumerate(self.records) if r[0] == 0xFF]
        assert len(free) >= len(chunks), "EXT1 full"
        ids = free[:len(chunks)]
        for k, (i, chunk) in enumerate(zip(ids, chunks)):
            data = bcd_digits(chunk)
            nxt = ids[k + 1] + 1 if k + 1 < len(ids) else 0xFF
            self.records[i] = (bytes([0x02, len(data)]) + data.ljust(10, b"\xff")
                               + bytes([nxt]))
        return ids[0] + 1


def adn_record(name, number, alpha_len, ext1=None, scheme=None, ton=None):
    """An ADN/MSISDN record: alpha, BCD length, TON/NPI, 10 BCD bytes,
    CCP, EXT1 id. `ton` overrides the TON/NPI byte (0xA1: national)."""
    if name is None and number is None:
        return b"\xff" * (alpha_len + 14)
    a = alpha(name or "", alpha_len, scheme)
    ton_default, digits = ton_npi(number or "")
    ton = ton if ton is not None else ton_default
    ext = 0xFF
    if len(digits) > 20:
        assert ext1 is not None, "number needs EXT1: " + number
        ext = ext1.chain(digits[20:])
        digits = digits[:20]
    data = bcd_digits(digits)
    return a + bytes([len(data) + 1, ton]) + data.ljust(10, b"\xff") + bytes([0xFF, ext])


def anr_record(number, aas=0x00):
    """TS 31.102 §4.4.2.9 EF_ANR (type 1): AAS, BCD len, TON/NPI, 10 bytes,
    CCP, EXT1."""
    if number is None:
        return b"\xff" * 15
    ton, digits = ton_npi(number)
    assert len(digits) <= 20
    data = bcd_digits(digits)
    return bytes([aas, len(data) + 1, ton]) + data.ljust(10, b"\xff") + b"\xff\xff"


def email_record(address, size, adn_sfi=None, adn_rec=None):
    """TS 31.102 §4.4.2.13 EF_EMAIL; type 2 appends ADN SFI and record."""
    raw = alpha(address, size) if address is not None else b"\xff" * size
    if adn_sfi is not None:
        raw += bytes([adn_sfi, adn_rec]) if address is not None else b"\xff\xff"
    return raw


# ---------------------------------------------------------------------------
# TS 23.040 §9.2: SMS TPDUs.

def address_field(number):
    """TP-OA / TP-DA: digit count, TON/NPI, BCD.  Alphanumeric senders
    (TON 101) are GSM 7-bit packed."""
    if not number.lstrip("+").isdigit():
        packed, septets = pack7(gsm7_septets(number))
        return bytes([(septets * 7 + 3) // 4, 0xD0]) + packed
    ton, digits = ton_npi(number)
    return bytes([len(digits), ton]) + bcd_digits(digits)


def sca_field(number):
    ton, digits = ton_npi(number)
    data = bcd_digits(digits)
    return bytes([len(data) + 1, ton]) + data


def scts(timestamp):
    """'2024-03-05 14:07:09+08' -> 7 swapped semi-octets; TZ in quarters."""
    date, time_tz = timestamp.split(" ")
    y, mo, d = date.split("-")
    hh, mi, rest = time_tz.split(":")
    ss, tz = rest[:2], rest[2:]
    quarters = int(tz) * 4
    fields = [int(y) % 100, int(mo), int(d), int(hh), int(mi), int(ss)]
    out = bytes(((v % 10) << 4) | (v // 10) for v in fields)
    q = abs(quarters)
    tzb = ((q % 10) << 4) | (q // 10)
    if quarters < 0:
        tzb |= 0x08
    return out + bytes([tzb])


def user_data(text, ucs2, udh=b""):
    """(DCS, UDL, UD) for a text, with an optional UDH (without UDHL)."""
    header = bytes([len(udh)]) + udh if udh else b""
    if ucs2:
        body = header + text.encode("utf-16-be")
        return 0x08, len(body), body
    packed, septets = pack7(gsm7_septets(text), header)
    return 0x00, septets, packed


def concat_iei(ref, total, seq, sixteen=False):
    """TS 23.040 §9.2.3.24.1 (IEI 00, 8-bit ref) / §9.2.3.24.8 (IEI 08)."""
    if sixteen:
        return bytes([0x08, 0x04, ref >> 8, ref & 0xFF, total, seq])
    return bytes([0x00, 0x03, ref, total, seq])


def iso_timestamp(timestamp):
    """'2024-03-05 14:07:09+08' -> '2024-03-05T14:07:09+08:00'."""
    date, time_tz = timestamp.split(" ")
    return "%sT%s%s:00" % (date, time_tz[:8], time_tz[8:])


def sms_deliver(sender, text, timestamp, ucs2=False, udh=b""):
    dcs, udl, ud = user_data(text, ucs2, udh)
    first = 0x04 | (0x40 if udh else 0)          # MTI 00, TP-MMS, TP-UDHI
    tpdu = (bytes([first]) + address_field(sender) + bytes([0x00, dcs])
            + scts(timestamp) + bytes([udl]) + ud)
    TPDU_SOURCE[tpdu] = {"type": "deliver", "number": sender, "text": text,
                         "timestamp": iso_timestamp(timestamp)}
    return tpdu


def sms_submit(dest, text, mr, ucs2=False, udh=b""):
    dcs, udl, ud = user_data(text, ucs2, udh)
    first = 0x01 | (0x40 if udh else 0)          # MTI 01, no TP-VP
    tpdu = (bytes([first, mr]) + address_field(dest) + bytes([0x00, dcs])
            + bytes([udl]) + ud)
    TPDU_SOURCE[tpdu] = {"type": "submit", "number": dest, "text": text,
                         "timestamp": None}
    return tpdu


# What each TPDU and EF_SMS record holds, as written here: the source of the
# profiles' "expected" messages (see Image.expected).
TPDU_SOURCE = {}
RECORD_SOURCE = {}

SMS_STATUS = {"free": 0x00, "read": 0x01, "unread": 0x03, "sent": 0x05,
              "unsent": 0x07}
SMSC = "+8613800100500"


def sms_record(status, tpdu=None):
    """TS 51.011 §10.5.3 EF_SMS: status, SC address, TPDU, FF padding."""
    if status == "free":
        return b"\x00" + b"\xff" * 175
    raw = bytes([SMS_STATUS[status]]) + sca_field(SMSC) + tpdu
    assert len(raw) <= 176, len(raw)
    raw += b"\xff" * (176 - len(raw))
    RECORD_SOURCE[raw] = dict(TPDU_SOURCE[tpdu], status=status)
    return raw


def split_text(text, ucs2, sixteen):
    # 140 octets minus the UDH (6 or 7 octets with its length byte)
    size = (66 if sixteen else 67) if ucs2 else (152 if sixteen else 153)
    return [text[i:i + size] for i in range(0, len(text), size)]


def multipart(kind, who, text, ref, ucs2=False, sixteen=False, timestamp=None,
              mr=0):
    parts = split_text(text, ucs2, sixteen)
    out = []
    for i, part in enumerate(parts):
        udh = concat_iei(ref, len(parts), i + 1, sixteen)
        if kind == "deliver":
            out.append(sms_deliver(who, part, timestamp, ucs2, udh))
        else:
            out.append(sms_submit(who, part, mr + i, ucs2, udh))
        TPDU_SOURCE[out[-1]] = dict(TPDU_SOURCE[out[-1]], text=text,
                                    part=(kind, who, ref, len(parts), i + 1))
    return out


# ---------------------------------------------------------------------------
# Identity files.

def luhn(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        v = int(d)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return str((10 - total % 10) % 10)


def iccid(body):
    """TS 102.221 §13.2 EF_ICCID: swapped BCD, padded with F."""
    digits = body + luhn(body)
    return bcd_digits(digits).ljust(10, b"\xff")


def imsi(digits):
    """TS 31.102 §4.2.2: length, then parity/type nibble and digits."""
    nibbles = [int(digits[0]) << 4 | (0x9 if len(digits) % 2 else 0x1)]
    rest = digits[1:]
    if len(rest) % 2:
        rest += "F"
    for i in range(0, len(rest), 2):
        lo = int(rest[i])
        hi = 0xF if rest[i + 1] == "F" else int(rest[i + 1])
        nibbles.append(hi << 4 | lo)
    return bytes([len(nibbles)]) + bytes(nibbles)


def spn(name, condition=0x01):
    return bytes([condition]) + alpha_gsm(name, 16)


def smsp_record(alpha_len=12):
    """TS 31.102 §4.2.27 EF_SMSP: only the SC address present."""
    sca = sca_field(SMSC).ljust(12, b"\xff")
    return (b"\xff" * alpha_len + bytes([0xFD]) + b"\xff" * 12 + sca
            + b"\xff\xff\xff")


def dir_record(aid, label, size=32):
    """TS 102.221 §13.1 EF_DIR application template."""
    inner = bytes([0x4F, len(aid)]) + aid + bytes([0x50, len(label)]) + label.encode()
    raw = bytes([0x61, len(inner)]) + inner
    return raw.ljust(size, b"\xff")


USIM_AID = bytes.fromhex("A0000000871002FF49FF0589")
ATR_USIM = "3B9F96801FC78031A073BE21136743200718000001A5"   # sysmoUSIM-SJS1
ATR_SIM = "3B1694710101050200"                             # a GSM SIM (T=0)
ATR_OLD = "3B179489010201024187"                           # a 16K GSM SIM

# ---------------------------------------------------------------------------
# Image assembly.


class Image:
    def __init__(self, name, description, atr, modes, pin1=("0000", False),
                 puk1="12345678", pin2=("5678", True), puk2="87654321",
                 quirks=None, upin=None):
        self.doc = {
            "format": "simvault-card-image",
            "version": 1,
            "name": name,
            "description": description,
            "atr": atr,
            "modes": modes,
            "secrets": {
                "pin1": {"value": pin1[0], "enabled": pin1[1], "tries_left": 3, "max_tries": 3},
                "puk1": {"value": puk1, "enabled": True, "tries_left": 10, "max_tries": 10},
                "pin2": {"value": pin2[0], "enabled": pin2[1], "tries_left": 3, "max_tries": 3},
                "puk2": {"value": puk2, "enabled": True, "tries_left": 10, "max_tries": 10},
                "adm1": {"value": "88888888", "enabled": True, "tries_left": 10, "max_tries": 10},
            },
            "files": [],
        }
        if upin:
            # TS 102.221 §9.5.1: the universal PIN (key reference 11) in
            # place of PIN1 when "used"
            self.doc["secrets"]["upin"] = {"value": upin[0], "enabled": True, "tries_left": 3,
                                           "max_tries": 3, "used": upin[1]}
            self.doc["secrets"]["upuk"] = {"value": "23456789", "enabled": True, "tries_left": 10,
                                           "max_tries": 10}
        if quirks:
            self.doc["quirks"] = quirks
        # The source data the files were encoded from, for tests that
        # check a read against it (tests/card/test-card-pcsc.c): contacts by
        # set (0: the 2G EF_ADN) and record; messages with their records in
        # part order, listed by the lowest one.
        self.expected = {"contacts": [], "messages": []}

    def expect_contact(self, set_number, index, c):
        self.expected["contacts"].append({
            "set": set_number, "index": index, "name": c["name"],
            "number": c["number"],
            "additional_numbers": [c["anr"]] if c.get("anr") else [],
            "emails": [c["email"]] if c.get("email") else [],
            "second_name": c.get("sne")})

    def expect_messages(self, sms_recs):
        groups = {}
        for i, raw in enumerate(sms_recs):
            src = RECORD_SOURCE.get(raw)
            if src is None:
                continue
            part = src.get("part")
            key = part[:4] if part else ("single", i)
            msg = groups.get(key)
            if msg is None:
                msg = groups[key] = {k: src[k] for k in ("status", "type", "number", "timestamp", "text")}
                msg["records"] = {}
            msg["records"][part[4] if part else 1] = i + 1
        out = []
        for msg in groups.values():
            msg["records"] = [msg["records"][seq] for seq in sorted(msg["records"])]
            msg["index"] = msg["records"][0]      # a message is named by its first part
            out.append(msg)
        # Listed by the lowest record any part is in.
        self.expected["messages"] = sorted(out, key=lambda m: min(m["records"]))

    def df(self, path, name, kind="df", aid=None):
        f = {"path": path, "type": kind, "name": name}
        if aid is not None:
            f["aid"] = aid.hex().upper()
        self.doc["files"].append(f)

    def alias(self, path, target, name):
        self.doc["files"].append({"path": path, "type": "ef" if len(path.split("/")[-1]) and not name.startswith("DF") and not name.startswith("ADF") else "df",
                                  "name": name, "alias_of": target})

    def transparent(self, path, name, data, read="always", update="adm", size=None, sfi=None):
        f = {"path": path, "name": name, "structure": "transparent",
             "read": read, "update": update, "size": size or len(data),
             "data": data.hex().upper()}
        if sfi:
            f["sfi"] = sfi
        self.doc["files"].append(f)

    def records(self, path, name, length, count, recs, read="pin1", update="pin1",
                structure="linear", sfi=None):
        recs = list(recs)
        assert len(recs) <= count, (path, len(recs), count)
        for r in recs:
            assert len(r) == length, (path, len(r), length)
        while recs and recs[-1] == b"\xff" * length:
            recs.pop()
        f = {"path": path, "name": name, "structure": structure,
             "read": read, "update": update, "record_length": length,
             "record_count": count, "records": [r.hex().upper() for r in recs]}
        if sfi:
            f["sfi"] = sfi
        self.doc["files"].append(f)

    def write(self, filename):
        doc = dict(self.doc, expected=self.expected)
        return filename, json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def base_files(img, iccid_body, imsi_digits, spn_name, usim):
    img.transparent("3F00/2FE2", "EF_ICCID", iccid(iccid_body), update="never", sfi=2 if usim else None)
    if usim:
        img.records("3F00/2F00", "EF_DIR", 32, 2, [dir_record(USIM_AID, "USIM")],
                    read="always", update="adm", sfi=30)
        img.transparent("3F00/2F05", "EF_PL", b"enzh", update="pin1", size=4, sfi=5)
    img.df("3F00/7F10", "DF_TELECOM")
    img.df("3F00/7F20", "DF_GSM")
    img.transparent("3F00/7F20/6F07", "EF_IMSI", imsi(imsi_digits), read="pin1", update="adm")
    img.transparent("3F00/7F20/6F46", "EF_SPN", spn(spn_name), read="always", update="adm")
    if usim:
        img.df("3F00/7FFF", "ADF.USIM", kind="adf", aid=USIM_AID)
        img.alias("3F00/7FFF/6F07", "3F00/7F20/6F07", "EF_IMSI")
        img.alias("3F00/7FFF/6F46", "3F00/7F20/6F46", "EF_SPN")
        # TS 31.102 §4.2.8 EF_UST: services 1-8 (local phonebook, FDN,
        # EXT2, SDN, EXT3, BDN, EXT4, OCI...), 10 (SMS), 12 (SMSP).
        img.transparent("3F00/7FFF/6F38", "EF_UST", bytes.fromhex("0B0A00000000"), read="pin1", update="adm", sfi=4)


def telecom_files(img, sms_recs, sms_count, msisdn, usim, alpha_len=16):
    img.records("3F00/7F10/6F3C", "EF_SMS", 176, sms_count, sms_recs)
    img.expect_messages(sms_recs)
    img.records("3F00/7F10/6F40", "EF_MSISDN", alpha_len + 14, 2,
                [adn_record("My number", msisdn, alpha_len)])
    img.records("3F00/7F10/6F42", "EF_SMSP", 40, 2, [smsp_record()])
    if usim:
        img.alias("3F00/7FFF/6F3C", "3F00/7F10/6F3C", "EF_SMS")
        img.alias("3F00/7FFF/6F40", "3F00/7F10/6F40", "EF_MSISDN")
        img.alias("3F00/7FFF/6F42", "3F00/7F10/6F42", "EF_SMSP")


def tlv(tag, fid, sfi=None):
    return bytes([tag, 3 if sfi else 2, fid >> 8, fid & 0xFF]) + (bytes([sfi]) if sfi else b"")


class PhonebookSet:
    def __init__(self, adn_fid, adn_sfi, count, alpha_len, anr_fid=None,
                 email_fid=None, email_type=1, iap_fid=None, sne_fid=None,
                 pbc_fid=None, uid_fid=None, email_count=None):
        self.__dict__.update(locals())
        del self.__dict__["self"]
        self.email_count = email_count or count


def usim_phonebook(img, sets, contacts_per_set, ext1, email_len=40, sne_len=20):
    """The global phonebook DF_TELECOM/5F3A (TS 31.102 §4.4.2) with its PBR,
    DF_TELECOM/EF_ADN and EF_EXT1 aliases of set 1, and ADF.USIM/5F3A as an
    alias of the same DF: one phonebook, three ways to reach it."""
    pb = "3F00/7F10/5F3A"
    img.df(pb, "DF_PHONEBOOK")
    pbr = []
    psc_cc_uid = 0
    for n, s in enumerate(sets):
        type1 = tlv(0xC0, s.adn_fid, s.adn_sfi)
        if s.iap_fid:
            type1 += tlv(0xC1, s.iap_fid)
        if s.pbc_fid:
            type1 += tlv(0xC5, s.pbc_fid)
        if s.anr_fid:
            type1 += tlv(0xC4, s.anr_fid)
        if s.email_fid and s.email_type == 1:
            type1 += tlv(0xCA, s.email_fid)
        if s.sne_fid:
            type1 += tlv(0xC3, s.sne_fid)
        if s.uid_fid:
            type1 += tlv(0xC9, s.uid_fid)
        type2 = tlv(0xCA, s.email_fid) if s.email_fid and s.email_type == 2 else b""
        type3 = tlv(0xC2, 0x4F4A)
        rec = bytes([0xA8, len(type1)]) + type1
        if type2:
            rec += bytes([0xA9, len(type2)]) + type2
        rec += bytes([0xAA, len(type3)]) + type3
        pbr.append(rec.ljust(64, b"\xff"))

        contacts = contacts_per_set[n]
        adn, anr, email, iap, sne, pbc, uid = [], [], [], [], [], [], []
        email2 = []
        for i in range(s.count):
            c = contacts[i] if i < len(contacts) else None
            if c is None:
                adn.append(adn_record(None, None, s.alpha_len))
                anr.append(anr_record(None))
                sne.append(b"\xff" * sne_len)
                pbc.append(b"\x00\x00")
                uid.append(b"\xff\xff")
                iap.append(b"\xff")
                if s.email_type == 1:
                    email.append(email_record(None, email_len))
                continue
            psc_cc_uid += 1
            img.expect_contact(n + 1, i + 1, c)
            adn.append(adn_record(c["name"], c["number"], s.alpha_len, ext1, c.get("scheme"), c.get("ton")))
            anr.append(anr_record(c.get("anr")))
            sne.append(alpha(c["sne"], sne_len) if c.get("sne") else b"\xff" * sne_len)
            pbc.append(b"\x00\x00")
            uid.append(bytes([psc_cc_uid >> 8, psc_cc_uid & 0xFF]))
            if s.email_type == 1:
                email.append(email_record(c.get("email"), email_len))
                iap.append(b"\xff")
            else:
                if c.get("email"):
                    email2.append(email_record(c["email"], email_len, s.adn_sfi, i + 1))
                    iap.append(bytes([len(email2)]))
                else:
                    iap.append(b"\xff")
        img.records(pb + "/%04X" % s.adn_fid, "EF_ADN", s.alpha_len + 14, s.count, adn, sfi=s.adn_sfi)
        if s.anr_fid:
            img.records(pb + "/%04X" % s.anr_fid, "EF_ANR", 15, s.count, anr)
        if s.sne_fid:
            img.records(pb + "/%04X" % s.sne_fid, "EF_SNE", sne_len, s.count, sne)
        if s.pbc_fid:
            img.records(pb + "/%04X" % s.pbc_fid, "EF_PBC", 2, s.count, pbc)
        if s.uid_fid:
            img.records(pb + "/%04X" % s.uid_fid, "EF_UID", 2, s.count, uid)
        if s.iap_fid:
            img.records(pb + "/%04X" % s.iap_fid, "EF_IAP", 1, s.count, iap)
        if s.email_fid and s.email_type == 1:
            img.records(pb + "/%04X" % s.email_fid, "EF_EMAIL", email_len, s.count, email)
        if s.email_fid and s.email_type == 2:
            img.records(pb + "/%04X" % s.email_fid, "EF_EMAIL", email_len + 2, s.email_count, email2)

    img.records(pb + "/4F30", "EF_PBR", 64, len(pbr), pbr, update="adm")
    img.records(pb + "/4F4A", "EF_EXT1", 13, len(ext1.records), ext1.records)
    # TS 31.102 §4.4.2.12.2 PSC, §4.4.2.12.3 CC, §4.4.2.12.4 PUID
    img.transparent(pb + "/4F22", "EF_PSC", bytes([0x12, 0x34, 0x56, 0x78]), read="pin1", update="pin1")
    img.transparent(pb + "/4F23", "EF_CC", bytes([0x00, psc_cc_uid & 0xFF]), read="pin1", update="pin1")
    img.transparent(pb + "/4F24", "EF_PUID", bytes([psc_cc_uid >> 8, psc_cc_uid & 0xFF]), read="pin1", update="pin1")
    img.alias("3F00/7F10/6F3A", pb + "/%04X" % sets[0].adn_fid, "EF_ADN")
    img.alias("3F00/7F10/6F4A", pb + "/4F4A", "EF_EXT1")
    img.alias("3F00/7FFF/5F3A", pb, "DF_PHONEBOOK")


# ---------------------------------------------------------------------------
# Contents.

FIRST = ["Anna", "Ben", "Chloé", "David", "Emma", "Felix", "Grace", "Hugo",
         "Ines", "Jonas", "Karin", "Liam", "Mia", "Noah", "Olga", "Paul",
         "Quinn", "Rosa", "Sven", "Tara", "Uwe", "Vera", "Will", "Xenia",
         "Yusuf", "Zoe"]
LAST = ["Adler", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia",
        "Hansen", "Ivanova", "Jensen", "Kowalski", "Lopez", "Müller",
        "Novak", "Olsen", "Peters"]


def latin_contacts(n, seed, with_extras=False):
    out = []
    for i in range(n):
        name = "%s %s" % (FIRST[(i + seed) % len(FIRST)], LAST[(i * 7 + seed) % len(LAST)])
        number = ("+4915%09d" % ((i * 7919 + seed * 104729) % 10 ** 9)) if i % 3 else "0301234%04d" % i
        c = {"name": name[:14], "number": number}
        if with_extras:
            if i % 4 == 0:
                c["anr"] = "+4930%08d" % (i * 31)
            if i % 5 == 0:
                c["email"] = "%s.%d@example.org" % (FIRST[(i + seed) % len(FIRST)].lower().replace("é", "e"), i)
            if i % 9 == 0:
                c["sne"] = FIRST[(i + seed) % len(FIRST)][:3]
        out.append(c)
    return out


SPECIAL_LATIN = [
    {"name": "Voicemail", "number": "*100#"},
    {"name": "Pizza {Roma}", "number": "+390612345678"},
    {"name": "Büro €", "number": "+4969123456p123"},
]


def simple_sms(n):
    recs = []
    statuses = ["read", "unread", "sent", "unsent"]
    for i in range(n):
        st = statuses[i % 4]
        text = "Message %d: see you at %d:%02d @ the café" % (i + 1, 8 + i % 12, (i * 7) % 60)
        if st in ("read", "unread"):
            tpdu = sms_deliver("+4917%08d" % (i * 1234567 % 10 ** 8), text,
                               "2024-03-%02d 14:%02d:09+01" % (1 + i % 28, i % 60))
        else:
            tpdu = sms_submit("+4916%08d" % (i * 7654321 % 10 ** 8), text, i & 0xFF)
        recs.append(sms_record(st, tpdu))
    return recs


def sim_2g(name, description, atr, adn_count, alpha_len, n_contacts, sms_count,
           n_sms, pin1=("0000", False), long_numbers=()):
    img = Image(name, description, atr, ["2g"], pin1=pin1)
    base_files(img, "894910012345678%04d" % adn_count, "262011234567%03d" % adn_count,
               "SimVault", usim=False)
    ext1 = Ext1(10)
    contacts = SPECIAL_LATIN + latin_contacts(n_contacts - len(SPECIAL_LATIN) - len(long_numbers), 3)
    contacts += [{"name": n[:alpha_len], "number": num} for n, num in long_numbers]
    adn = [adn_record(c["name"][:alpha_len], c["number"], alpha_len, ext1) for c in contacts]
    for i, c in enumerate(contacts):
        img.expect_contact(0, i + 1, dict(c, name=c["name"][:alpha_len]))
    img.records("3F00/7F10/6F3A", "EF_ADN", alpha_len + 14, adn_count, adn)
    img.records("3F00/7F10/6F4A", "EF_EXT1", 13, 10, ext1.records)
    telecom_files(img, simple_sms(n_sms) + [sms_record("free")] * (sms_count - n_sms),
                  sms_count, "+4915112345678", usim=False, alpha_len=alpha_len)
    return img


def usim(name, description, modes, sets, contacts, sms, sms_count, pin1=("0000", False),
         quirks=None, ext1_count=20, iccid_body="8986001234567890123", upin=None):
    img = Image(name, description, ATR_USIM, modes, pin1=pin1, quirks=quirks, upin=upin)
    base_files(img, iccid_body, "460001234567890", "SimVault", usim=True)
    ext1 = Ext1(ext1_count)
    sms = sms + [sms_record("free")] * (sms_count - len(sms))
    telecom_files(img, sms, sms_count, "+8613912345678", usim=True)
    usim_phonebook(img, sets, contacts, ext1)
    return img


def set_full(adn_fid, sfi, email_type, n):
    if email_type == 1:
        return PhonebookSet(adn_fid, sfi, 250, 16, anr_fid=0x4F11 + n, email_fid=0x4F50 + n,
                            email_type=1, sne_fid=0x4F19 + n, pbc_fid=0x4F09 + n,
                            uid_fid=0x4F81 + n)
    return PhonebookSet(adn_fid, sfi, 250, 16, anr_fid=0x4F11 + n, email_fid=0x4F50 + n,
                        email_type=2, iap_fid=0x4F25 + n, sne_fid=0x4F19 + n,
                        pbc_fid=0x4F09 + n, uid_fid=0x4F81 + n, email_count=100)


def ucs2_contacts():
    return [
        {"name": "乔丹", "number": "+8613800000001", "scheme": "80"},
        {"name": "中丽", "number": "+8613800000002", "scheme": "81"},
        {"name": "陈陆", "number": "+8613800000003", "scheme": "82"},
        {"name": "丁一 23", "number": "+8613800000004", "scheme": "81"},
        {"name": "Иван Петров", "number": "+79161234567", "scheme": "80"},
        {"name": "Ольга", "number": "+79161234568", "scheme": "81"},
        {"name": "Дмитрий", "number": "+79161234569", "scheme": "82"},
        {"name": "Мама 1", "number": "+79161234570", "scheme": "82"},
        {"name": "Ana 😀", "number": "+34612345678", "scheme": "80"},
        {"name": "王小明", "number": "13912345678", "scheme": "80",
         "email": "wang@example.cn", "sne": "小明"},
        {"name": "Plain Latin", "number": "+441234567890"},
    ]


def long_number_contacts():
    return [
        {"name": "Conf bridge", "number": "+4930123456789012345678901234"},        # 1 EXT1 record
        {"name": "Calling card", "number": "0800123456p1234567890p987654321p1234567890p55"},  # 2 records
        {"name": "DTMF chain", "number": "+1800555012312345678901234567890123456789012345678901234567890"},  # 3 records
        {"name": "Short", "number": "+4930123"},
        {"name": "Exactly 20", "number": "12345678901234567890"},
        {"name": "21 digits", "number": "123456789012345678901"},
    ]


def sms_variety():
    long_text = ("This is a long concatenated message sent as several parts. "
                 * 6).strip()
    long_ucs2 = "长短信测试：这是一条用UCS2编码的很长的短信，需要分成好几部分发送。" * 4
    cyr = "Привет! Это сообщение в кодировке UCS2."
    recs = []
    parts8 = multipart("deliver", "+4917600000001", long_text, 0x42,
                       timestamp="2024-05-01 10:00:00+02")
    parts16 = multipart("deliver", "+8613800138000", long_ucs2, 0x1234, ucs2=True,
                        sixteen=True, timestamp="2024-05-02 08:30:15+08")
    sent_parts = multipart("submit", "+4917600000002", long_text[:200], 0x07, mr=0x10)
    # Parts stored out of order, with free records in between.
    recs.append(sms_record("read", parts8[2]))
    recs.append(sms_record("free"))
    recs.append(sms_record("read", parts8[0]))
    recs.append(sms_record("unread", parts16[1]))
    recs.append(sms_record("read", parts8[1]))
    recs.append(sms_record("unread", parts16[0]))
    recs.append(sms_record("unread", parts16[2]))
    recs.append(sms_record("read", sms_deliver("+79161234567", cyr, "2024-05-03 12:00:00+03", ucs2=True)))
    recs.append(sms_record("unread", sms_deliver("Vodafone", "Your bill is ready: 12,50 € [info]", "2024-05-04 09:15:00+01")))
    recs.append(sms_record("sent", sent_parts[1]))
    recs.append(sms_record("sent", sent_parts[0]))
    recs.append(sms_record("unsent", sms_submit("+8613800138000", "还没发送的短信", 0x21, ucs2=True)))
    recs.append(sms_record("free"))
    recs.append(sms_record("unsent", sms_submit("+4930123456", "Draft: call me back", 0x22)))
    return recs, len(parts8), len(parts16), len(sent_parts)


def profiles():
    out = []
    out.append(sim_2g(
        "sim-2g-plain", "Plain 2G SIM: 250 x 30-byte ADN (16-byte alpha), EXT1, 30 SMS records. "
        "CLA A0 only. PIN1 0000 disabled, PUK1 12345678.",
        ATR_SIM, 250, 16, 120, 30, 20,
        long_numbers=[("Long one", "+4930123456789012345678901234")]))
    out.append(sim_2g(
        "sim-2g-old-small", "Small old 2G SIM: 100 x 28-byte ADN (14-byte alpha), 10 SMS records. "
        "CLA A0 only. PIN1 0000 disabled, PUK1 12345678.",
        ATR_OLD, 100, 14, 40, 10, 6))

    sets = [set_full(0x4F3A, 0x01, 1, 0), set_full(0x4F3B, 0x02, 2, 1)]
    set1 = latin_contacts(250, 1, with_extras=True)
    set2 = latin_contacts(60, 5, with_extras=True)
    out.append(usim(
        "usim-2sets", "USIM, CLA A0 and 00: two PBR sets of 250 ADN (500 entries). Set 1: type 1 "
        "ANR, EMAIL, SNE, PBC, UID; set 2: type 1 ANR, SNE, PBC, UID and type 2 EMAIL via IAP. "
        "EXT1 shared (type 3), PSC, CC, PUID. 310 contacts, 20 of 40 SMS used. "
        "PIN1 0000 disabled, PUK1 12345678.",
        ["2g", "uicc"], sets, [set1, set2], simple_sms(20), 40))

    one = [PhonebookSet(0x4F3A, 0x01, 50, 16, anr_fid=0x4F11, email_fid=0x4F50,
                        email_type=1, sne_fid=0x4F19, pbc_fid=0x4F09, uid_fid=0x4F81)]
    out.append(usim(
        "usim-pin", "PIN-protected USIM, CLA A0 and 00: PIN1 1234 enabled (3 tries), PUK1 12345678 "
        "(10 tries), PIN2 5678, PUK2 87654321, ADM 88888888. Phonebook and SMS answer 69 82 / 98 04 "
        "before VERIFY.",
        ["2g", "uicc"], one, [latin_contacts(10, 2, with_extras=True)], simple_sms(5), 10,
        pin1=("1234", True), iccid_body="8986001234567890124"))

    ucs2_set = [PhonebookSet(0x4F3A, 0x01, 100, 24, anr_fid=0x4F11, email_fid=0x4F50,
                             email_type=1, sne_fid=0x4F19, pbc_fid=0x4F09, uid_fid=0x4F81)]
    cyr_sms = [sms_record("read", sms_deliver("+79161234567", "Привет, как дела?", "2024-02-01 10:00:00+03", ucs2=True)),
               sms_record("read", sms_deliver("+8613800138000", "你好，世界！", "2024-02-02 10:00:00+08", ucs2=True))]
    out.append(usim(
        "usim-ucs2", "USIM, CLA A0 and 00: names in Chinese and Cyrillic in all three UCS2 alpha "
        "schemes (0x80, 0x81, 0x82), an emoji as a surrogate pair in 0x80, UCS2 SMS. "
        "PIN1 0000 disabled.",
        ["2g", "uicc"], ucs2_set, [ucs2_contacts()], cyr_sms, 10, iccid_body="8986001234567890125"))

    out.append(usim(
        "usim-long-numbers", "USIM, CLA A0 and 00: dialling numbers longer than 20 digits stored "
        "in EXT1 chains of 1, 2 and 3 records (shared EXT1 of the phonebook = DF_TELECOM/EF_EXT1). "
        "PIN1 0000 disabled.",
        ["2g", "uicc"], one, [long_number_contacts()], [], 10, iccid_body="8986001234567890126"))

    recs, n8, n16, nsent = sms_variety()
    out.append(usim(
        "usim-sms", "USIM, CLA A0 and 00: SMS in every status (read, unread, sent, unsent, free): "
        "a %d-part GSM 7-bit message with 8-bit reference (IEI 00), a %d-part UCS2 message with "
        "16-bit reference (IEI 08), a %d-part sent message, parts stored out of order, Cyrillic "
        "UCS2, an alphanumeric sender. PIN1 0000 disabled." % (n8, n16, nsent),
        ["2g", "uicc"], one, [latin_contacts(5, 4)], recs, 30, iccid_body="8986001234567890127"))

    empty_sets = [set_full(0x4F3A, 0x01, 1, 0), set_full(0x4F3B, 0x02, 2, 1)]
    out.append(usim(
        "usim-empty", "Brand-new USIM, CLA A0 and 00, same layout as usim-2sets with nothing "
        "stored: a restore target. PIN1 0000 disabled.",
        ["2g", "uicc"], empty_sets, [[], []], [], 40, iccid_body="8986001234567890128"))

    # Restore across layouts: a source whose contacts carry additional
    # numbers, e-mails and second names, some national (TON/NPI A1), and a
    # target whose set 1 is small and has no EMAIL/SNE while set 2 has
    # them: everything fits, but only when both sets are used.
    src_set = [PhonebookSet(0x4F3A, 0x01, 100, 16, anr_fid=0x4F11, email_fid=0x4F50,
                            email_type=1, sne_fid=0x4F19, pbc_fid=0x4F09, uid_fid=0x4F81)]
    src = latin_contacts(60, 7, with_extras=True)
    for i, c in enumerate(src):
        if i % 7 == 3:
            c["number"] = "030%07d" % (i * 4099)
            c["ton"] = 0xA1
    out.append(usim(
        "usim-restore-source", "USIM, CLA A0 and 00: one set of 100 ADN with type 1 ANR, EMAIL "
        "and SNE, 60 contacts, some with a national number (TON/NPI A1). A restore source. "
        "PIN1 0000 disabled.",
        ["2g", "uicc"], src_set, [src], [], 10, iccid_body="8986001234567890130"))
    uneven = [PhonebookSet(0x4F3A, 0x01, 30, 16, anr_fid=0x4F11, pbc_fid=0x4F09, uid_fid=0x4F81),
              PhonebookSet(0x4F3B, 0x02, 100, 16, anr_fid=0x4F12, email_fid=0x4F51, email_type=1,
                           sne_fid=0x4F1A, pbc_fid=0x4F0A, uid_fid=0x4F82)]
    out.append(usim(
        "usim-restore-uneven", "Empty USIM, CLA A0 and 00, two PBR sets of different shape: set 1 "
        "has 30 ADN with ANR only (no EMAIL, no SNE), set 2 has 100 ADN with ANR, EMAIL and SNE. "
        "A restore target. PIN1 0000 disabled.",
        ["2g", "uicc"], uneven, [[], []], [], 10, iccid_body="8986001234567890131"))

    out.append(usim(
        "usim-upin", "UICC-only USIM that uses the universal PIN (key reference 11, TS 102.221 "
        "§9.5.1) instead of PIN1: PIN1 0000 disabled, universal PIN 4321 enabled (3 tries), "
        "its PUK 23456789; the PIN status template says so (usage qualifier 08).",
        ["uicc"], one, [latin_contacts(6, 8)], simple_sms(2), 10,
        iccid_body="8986001234567890132", upin=("4321", True)))

    out.append(usim(
        "usim-uicc-only", "Modern USIM that refuses CLA A0 (6E 00) and returns the FCP directly "
        "for SELECT with P2=04 when Le is present (quirk select_fcp_direct). PIN1 0000 disabled.",
        ["uicc"], one, [latin_contacts(8, 6)], simple_sms(3), 10,
        quirks={"select_fcp_direct": True}, iccid_body="8986001234567890129"))
    return out


def main():
    check = "--check" in sys.argv
    stale = []
    for img in profiles():
        filename, text = img.write(img.doc["name"] + ".json")
        path = os.path.join(HERE, filename)
        if check:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    stale.append(filename)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print("wrote", filename)
    if stale:
        print("stale (run make-cards.py):", " ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
