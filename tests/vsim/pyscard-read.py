#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Independent evidence: Debian's pyscard reads the virtual card.

Starts simvault-vsim (slot 1 of the harness's vpcd reader) with a USIM and
with a 2G SIM, and reads EF_ICCID, an EF_ADN record and an EF_SMS record
through pcscd, in the 2G command set (CLA A0: SELECT -> 9F xx, GET RESPONSE)
and in the UICC command set (CLA 00: SELECT by AID and path, 61 xx, 6C xx).
The expected bytes come from the card image (JSON), and are decoded here
with a few lines of independent code (BCD ICCID, GSM 7-bit alpha).

Run inside the harness (build-aux/with-card-harness.sh); outside it the
TAP plan says SKIP (SV_VPCD_PORT unset).  Output is TAP.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

if "SV_VPCD_PORT" not in os.environ:
    print("1..0 # SKIP no card harness (SV_VPCD_PORT unset)")
    sys.exit(0)

from smartcard.CardRequest import CardRequest      # noqa: E402
from smartcard.CardType import AnyCardType          # noqa: E402
from smartcard.System import readers                # noqa: E402

SRC = os.environ.get("SV_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("SV_BUILD_ROOT", "")
VSIM = os.environ.get("SV_VSIM") or os.path.join(BUILD, "smartcard", "vsim", "simvault-vsim")
SLOT = 1
PORT = int(os.environ["SV_VPCD_PORT"]) + SLOT
READER = os.environ.get("SV_VPCD_READER1", "SimVault Virtual Reader 00 01")

n_test = 0
failed = 0


def ok(cond, what):
    global n_test, failed
    n_test += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n_test, what))
    if not cond:
        failed += 1


def image_file(image, path):
    for f in image["files"]:
        if f["path"] == path:
            if "alias_of" in f:
                return image_file(image, f["alias_of"])
            return f
    raise KeyError(path)


def record(f, n):
    recs = f.get("records", [])
    return bytes.fromhex(recs[n - 1]) if n <= len(recs) else b"\xff" * f["record_length"]


def iccid_digits(raw):
    out = ""
    for b in raw:
        for nib in (b & 0xF, b >> 4):
            if nib < 10:
                out += str(nib)
    return out


def gsm_alpha(raw):
    basic = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
             "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
    return "".join(basic[b] for b in raw if b != 0xFF and b < 0x80)


class Card:
    def __init__(self, image_path):
        self.image = json.load(open(image_path, encoding="utf-8"))
        self.tmp = tempfile.NamedTemporaryFile(suffix=".json", delete=False)
        self.tmp.write(open(image_path, "rb").read())
        self.tmp.close()
        self.proc = subprocess.Popen([VSIM, "--image", self.tmp.name, "--port", str(PORT)])
        reader = [r for r in readers() if str(r) == READER]
        if not reader:
            raise SystemExit("Bail out! reader %r is not listed" % READER)
        req = CardRequest(timeout=10, cardType=AnyCardType(), readers=reader)
        self.service = req.waitforcard()
        self.service.connection.connect()
        self.conn = self.service.connection

    def tx(self, hexstr):
        data, sw1, sw2 = self.conn.transmit(list(bytes.fromhex(hexstr)))
        return bytes(data), (sw1 << 8) | sw2

    def close(self):
        self.conn.disconnect()
        self.proc.terminate()
        self.proc.wait(timeout=5)
        os.unlink(self.tmp.name)
        time.sleep(0.5)   # pcscd polls the slot every 400 ms


def read_2g(card, label):
    img = card.image
    _, sw = card.tx("A0A40000023F00")
    ok(sw >> 8 == 0x9F, "%s 2G: SELECT MF answers 9F xx (%04X)" % (label, sw))
    hdr, sw = card.tx("A0C00000%02X" % (sw & 0xFF))
    ok(sw == 0x9000 and hdr[6] == 0x01 and hdr[18] & 0x80, "%s 2G: GET RESPONSE: MF header, CHV1 initialised" % label)
    _, sw = card.tx("A0A40000022FE2")
    data, sw = card.tx("A0B000000A")
    want = bytes.fromhex(image_file(img, "3F00/2FE2")["data"])
    ok(sw == 0x9000 and data == want, "%s 2G: EF_ICCID %s" % (label, iccid_digits(data)))
    card.tx("A0A40000027F10")
    _, sw = card.tx("A0A40000026F3A")
    hdr, sw = card.tx("A0C00000%02X" % (sw & 0xFF))
    reclen = hdr[14]
    adn = image_file(img, "3F00/7F10/6F3A")
    data, sw = card.tx("A0B20104%02X" % reclen)
    ok(sw == 0x9000 and data == record(adn, 1),
       "%s 2G: EF_ADN record 1 = %r" % (label, gsm_alpha(data[:reclen - 14])))
    card.tx("A0A40000026F3C")
    data, sw = card.tx("A0B20104B0")
    ok(sw == 0x9000 and data == record(image_file(img, "3F00/7F10/6F3C"), 1),
       "%s 2G: EF_SMS record 1, status %02X" % (label, data[0] if data else -1))


def read_usim(card, label):
    img = card.image
    _, sw = card.tx("00A40004023F00")
    ok(sw >> 8 == 0x61, "%s USIM: SELECT MF answers 61 xx (%04X)" % (label, sw))
    fcp, sw = card.tx("00C00000%02X" % (sw & 0xFF))
    ok(sw == 0x9000 and fcp[0] == 0x62, "%s USIM: GET RESPONSE gives an FCP template" % label)
    _, sw = card.tx("00A4000C022FE2")
    _, sw = card.tx("00B0000000")
    ok(sw == 0x6C0A, "%s USIM: READ BINARY Le=00 answers 6C 0A" % label)
    data, sw = card.tx("00B000000A")
    want = bytes.fromhex(image_file(img, "3F00/2FE2")["data"])
    ok(sw == 0x9000 and data == want, "%s USIM: EF_ICCID %s" % (label, iccid_digits(data)))
    aid = img["files"][[f["path"] for f in img["files"]].index("3F00/7FFF")]["aid"]
    _, sw = card.tx("00A4040C%02X%s" % (len(aid) // 2, aid))
    ok(sw == 0x9000, "%s USIM: SELECT ADF.USIM by AID" % label)
    _, sw = card.tx("00A4080C067FFF5F3A4F3A")
    ok(sw == 0x9000, "%s USIM: SELECT 7FFF/5F3A/4F3A by path" % label)
    adn = image_file(img, "3F00/7F10/5F3A/4F3A")
    _, sw = card.tx("00B2010400")
    ok(sw == 0x6C00 | adn["record_length"], "%s USIM: READ RECORD Le=00 answers 6C %02X" % (label, adn["record_length"]))
    data, sw = card.tx("00B20104%02X" % adn["record_length"])
    ok(sw == 0x9000 and data == record(adn, 1), "%s USIM: phonebook ADN record 1 = %r" % (label, gsm_alpha(data[:-14])))
    _, sw = card.tx("00A4080C047FFF6F3C")
    data, sw = card.tx("00B20104B0")
    ok(sw == 0x9000 and data == record(image_file(img, "3F00/7F10/6F3C"), 1), "%s USIM: EF_SMS record 1" % label)


def main():
    print("1..20")
    usim = Card(os.path.join(SRC, "tests", "data", "cards", "usim-2sets.json"))
    try:
        read_2g(usim, "usim-2sets")
        usim.conn.reconnect(disposition=1)  # SCARD_RESET_CARD
        read_usim(usim, "usim-2sets")
    finally:
        usim.close()
    sim = Card(os.path.join(SRC, "tests", "data", "cards", "sim-2g-plain.json"))
    try:
        read_2g(sim, "sim-2g-plain")
        _, sw = sim.tx("00A40004023F00")
        ok(sw == 0x6E00, "sim-2g-plain: CLA 00 answers 6E 00 on a 2G-only card")
    finally:
        sim.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
