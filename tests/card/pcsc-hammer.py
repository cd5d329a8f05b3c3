#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Another PC/SC client on the same reader, as a browser's middleware or
pcsc_scan would be: connects in shared mode and sends SELECT 3F00 and
SELECT 2F00 (UICC class, no response data) in a loop, without
transactions, until SIGTERM. Prints "ready" once connected, then on exit
"selects N refused M": N answered SELECTs, M refused because another
client held a transaction (SCARD_E_SHARING_VIOLATION).

Usage: /usr/bin/python3 pcsc-hammer.py READER   (pyscard needs Debian's python3)
"""

import signal
import sys
import time

from smartcard.scard import (SCARD_E_SHARING_VIOLATION, SCARD_PCI_T0, SCARD_PCI_T1,
                             SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1, SCARD_PROTOCOL_T1 as T1,
                             SCARD_SCOPE_USER, SCARD_SHARE_SHARED, SCARD_LEAVE_CARD,
                             SCardConnect, SCardDisconnect, SCardEstablishContext,
                             SCardReleaseContext, SCardTransmit)

stop = False


def on_term(signum, frame):
    global stop
    stop = True


def main():
    reader = sys.argv[1]
    signal.signal(signal.SIGTERM, on_term)
    rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    if rv != 0:
        print("SCardEstablishContext: 0x%08X" % (rv & 0xFFFFFFFF), flush=True)
        return 1
    rv, card, proto = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
                                   SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
    if rv != 0:
        print("SCardConnect: 0x%08X" % (rv & 0xFFFFFFFF), flush=True)
        return 1
    pci = SCARD_PCI_T1 if proto == T1 else SCARD_PCI_T0
    apdus = ([0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00],
             [0x00, 0xA4, 0x00, 0x0C, 0x02, 0x2F, 0x00])
    selects = refused = 0
    print("ready", flush=True)
    while not stop:
        for apdu in apdus:
            rv, response = SCardTransmit(card, pci, apdu)
            if rv == 0 and len(response) >= 2:
                selects += 1
            elif (rv & 0xFFFFFFFF) == (SCARD_E_SHARING_VIOLATION & 0xFFFFFFFF):
                refused += 1
                time.sleep(0.001)
            else:
                time.sleep(0.001)
    SCardDisconnect(card, SCARD_LEAVE_CARD)
    SCardReleaseContext(ctx)
    print("selects %d refused %d" % (selects, refused), flush=True)
    return 0


sys.exit(main())
