#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# simvault-cli decode KIND HEX, end to end: one JSON object per call,
# exit status 1 and {"error": ...} for bad input. TAP output.
import json
import subprocess
import sys

cli = sys.argv[1]

# (argv after "decode", expected exit status, expected fields)
CASES = [
    (["sms-pdu", "--smsc", "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"], 0,
     {"type": "SMS-DELIVER", "smsc": "+31624000000", "number": "+31641600986", "number_type": "international",
      "timestamp": "2002-08-26T19:37:41+00:00", "alphabet": "gsm7", "udl": 12, "text": "How are you?", "pid": 0, "dcs": 0}),
    (["sms-pdu", "--smsc", "07914151551512F2040B916105551511F100006060605130308A04D4F29C0E"], 0,
     {"timestamp": "2006-06-06T15:03:03-07:00", "text": "Test"}),
    (["sms-pdu", "00040ED0D374DB1AAEB3E900004230102100502305C8329BFD06", "--smsc"], 0,
     {"number": "SimVault", "number_type": "alphanumeric", "timestamp": "2024-03-01T12:00:05+08:00", "text": "Hello"}),
    (["sms-pdu", "--smsc", "0041000B916407281553F8000009050003CC02019069"], 0,
     {"type": "SMS-SUBMIT", "mr": 0, "udh": {"ref": 0xCC, "total": 2, "seq": 1}, "text": "Hi", "smsc": None}),
    (["sms-pdu", "060D0B916407281553F8423010210050234230102100552300"], 0,
     {"type": "SMS-STATUS-REPORT", "mr": 13, "status": 0}),
    (["sms-pdu", "--smsc", "0006D60B911326880736F4111011719551401110117195714000"], 0,
     {"type": "SMS-STATUS-REPORT", "mr": 0xD6, "timestamp": "2011-01-11T17:59:15+01:00",
      "discharge_time": "2011-01-11T17:59:17+01:00", "status": 0}),
    # user data length past the data, or past the maximum; malformed headers
    (["sms-pdu", "0100038121F300048D" + "41" * 141], 1, {}),
    (["sms-pdu", "0100038121F30000A1" + "41" * 141], 1, {}),
    (["sms-pdu", "0100038121F3000405414141"], 1, {}),
    (["sms-pdu", "4100038121F300040407000301020341FFFF"], 1, {}),
    (["sms-pdu", "4100038121F300040604000301020341"], 1, {}),
    (["sms-pdu", "4100038121F3000406040002AB0341"], 1, {}),
    (["alpha", "820505302D82"], 1, {}),
    (["sms-pdu", "--smsc", "00040B916407281553F800204230102100502303AABBCC"], 0,
     {"text": None, "udl": 3, "number": "+46708251358"}),
    (["sms-pdu", "--smsc", "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977"], 1,
     {}),
    (["ef-sms", "03" + "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07" + "FF" * 137], 0,
     {"status": "to_be_read", "type": "SMS-DELIVER", "text": "How are you?"}),
    (["ef-sms", "00" + "FF" * 175], 0, {"status": "free"}),
    (["gsm7", "C8F71D14969741F977FD07"], 0, {"text": "How are you?"}),
    (["gsm7", "E8329BFD4697D9EC37"], 0, {"text": "hellohello"}),
    (["gsm7", "--fill-bits", "1", "9069"], 0, {"text": "Hi"}),
    (["alpha", "566F696365204D61696CFFFF"], 0, {"alpha": "Voice Mail", "scheme": "gsm"}),
    (["alpha", "80D83DDE00FFFF"], 0, {"alpha": "\U0001F600", "scheme": "0x80"}),
    (["alpha", "8106089FC0B8B2B5C2"], 0, {"alpha": "Привет", "scheme": "0x81"}),
    (["alpha", "820505302D82D32D31"], 0, {"scheme": "0x82"}),
    (["alpha", "41C4"], 1, {}),
    (["number", "918150367742F3"], 0, {"number": "+18056377243", "ton": 1, "npi": 1}),
    (["number", "81C1D2E3BA"], 0, {"number": "1p2w3e*#", "ton": 0}),
    (["adn", "566F696365204D61696C07918150367742F3FFFFFFFFFFFF"], 0,
     {"alpha": "Voice Mail", "number": "+18056377243", "ton": 1, "npi": 1, "ext": None, "empty": False}),
    (["adn", "FF" * 28], 0, {"empty": True, "number": "", "alpha": ""}),
    (["adn", "0B8110325476981032547698FF01", "--ext", "020221 43FFFFFFFFFFFFFFFFFFFF".replace(" ", "")], 0,
     {"number": "012345678901234567891234", "ext": 1}),
    (["adn", "0B81"], 1, {}),
    (["pbr", "A80FC0034F3A01C5034F0905C9034F210CFFFF"], 0, {}),
    (["fcp", "621A82054221001C0A83026F3A8A01058B036F060480020118880108"], 0,
     {"fid": "6F3A", "structure": "linear-fixed", "record_len": 28, "n_records": 10, "sfi": 1}),
    (["fcp", "000001186F3A040011FF220102011C"], 0, {"format": "gsm", "n_records": 10}),
    (["iccid", "981014000000123456F7"], 0, {"iccid": "8901410000002143657"}),
    (["imsi", "080910101032547698"], 0, {"imsi": "001010123456789"}),
    (["spn", "0153696D5661756C74FFFFFFFFFFFFFFFF"], 0, {"spn": "SimVault"}),
    (["alpha", "ZZ"], 1, {}),
]

print("1..%d" % len(CASES))
failed = 0
for n, (args, status, fields) in enumerate(CASES, 1):
    proc = subprocess.run([cli, "decode"] + args, capture_output=True, text=True)
    problem = None
    try:
        obj = json.loads(proc.stdout)
    except ValueError as e:
        obj = None
        problem = "stdout is not JSON: %r" % proc.stdout
    if problem is None and proc.returncode != status:
        problem = "exit status %d, expected %d: %s" % (proc.returncode, status, proc.stdout)
    if problem is None and status == 1 and "error" not in obj:
        problem = "no error member"
    if problem is None:
        for k, v in fields.items():
            if obj.get(k, "<missing>") != v:
                problem = "%s = %r, expected %r" % (k, obj.get(k, "<missing>"), v)
                break
    if problem is None and args[0] == "pbr":
        if [e["fid"] for e in obj["entries"]] != ["4F3A", "4F09", "4F21"]:
            problem = "pbr entries %r" % obj["entries"]
    if problem:
        failed += 1
        print("not ok %d - decode %s: %s" % (n, " ".join(args)[:60], problem))
    else:
        print("ok %d - decode %s" % (n, " ".join(args)[:60]))
sys.exit(1 if failed else 0)
