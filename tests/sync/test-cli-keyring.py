#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""simvault-cli and the keyring, run inside dbus-run-session with a private
gnome-keyring-daemon: `register` stores the password (the CLI says
password_in_keyring), `deregister` finds it there (no --password-file) and
forgets it: afterwards the Secret Service holds no item for that server and
phone. Skips when gnome-keyring-daemon, gdbus or the bus is missing.

Usage: test-cli-keyring.py SIMVAULT_CLI SIMVAULT_SERVER MIRROR_FROM_PROFILE CARDS_DIR
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

CLI, SERVER, FROM_PROFILE, CARDS = sys.argv[1:5]
PHONE = "+8613800138000"
PASSWORD = "keyring story password"


def tap(results):
    print(f"1..{len(results)}")
    for n, (name, ok, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {n} - {name}")
        if not ok:
            print(f"# {detail!r}")
    return 0 if all(ok for _, ok, _ in results) else 1


def search_items(server, phone):
    """The object paths of the Secret Service items with these attributes."""
    out = subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.secrets",
                          "--object-path", "/org/freedesktop/secrets",
                          "--method", "org.freedesktop.Secret.Service.SearchItems",
                          f"{{'server': '{server}', 'phone': '{phone}'}}"],
                         capture_output=True, check=True).stdout.decode()
    return [p for p in out.replace("(", " ").replace(")", " ").replace(",", " ").split()
            if p.startswith("'/") or p.startswith("[objectpath '/") or p.startswith("'/org")]


def main():
    keyring = shutil.which("gnome-keyring-daemon")
    if not keyring or not shutil.which("gdbus") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("1..0 # SKIP gnome-keyring-daemon, gdbus or a session bus is missing")
        return 0
    work = tempfile.mkdtemp(prefix="sv-cli-keyring-")
    env = dict(os.environ, XDG_DATA_HOME=work, XDG_RUNTIME_DIR=work)
    env.pop("SV_NO_KEYRING", None)
    daemon = subprocess.Popen([keyring, "--foreground", "--components=secrets", "--unlock"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    daemon.stdin.write(b"keyring test password")
    daemon.stdin.close()
    time.sleep(1)

    db = os.path.join(work, "mirror.db")
    pw_file = os.path.join(work, "password")
    with open(pw_file, "w") as f:
        f.write(PASSWORD + "\n")
    iccid = subprocess.run([FROM_PROFILE, db, os.path.join(CARDS, "sim-2g-plain.json")],
                           capture_output=True, check=True).stdout.decode().split()[0]
    data_dir = os.path.join(work, "server")
    os.mkdir(data_dir)
    server = subprocess.Popen([SERVER, "--port=0", f"--data-dir={data_dir}"], stdout=subprocess.PIPE,
                              env=dict(env, SIMVAULT_SERVER_PASSWORD_COST="test-only"))
    url = server.stdout.readline().decode().strip()
    url = url if url.endswith("/") else url + "/"
    results = []

    def cli(*args):
        p = subprocess.run([CLI, *args, "--db", db], capture_output=True, env=env, timeout=120,
                           stdin=subprocess.DEVNULL)
        try:
            return p.returncode, json.loads(p.stdout.decode())
        except json.JSONDecodeError:
            return p.returncode, {"stdout": p.stdout.decode(), "stderr": p.stderr.decode()}

    try:
        rc, reg = cli("register", iccid, "--server", url, "--phone", PHONE, "--password-file", pw_file)
        results.append(("register stores the password in the keyring",
                        rc == 0 and reg.get("password_in_keyring") is True, reg))
        stored = search_items(url, PHONE)
        results.append(("the keyring holds an item for the server and phone", len(stored) == 1, stored))
        rc, dereg = cli("deregister", iccid)
        results.append(("deregister, with the password from the keyring",
                        rc == 0 and dereg.get("result") == "deregistered", dereg))
        left = search_items(url, PHONE)
        results.append(("after deregister the keyring holds no item for them", left == [], left))
    finally:
        server.terminate()
        server.wait(timeout=20)
        daemon.terminate()
        daemon.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)
    return tap(results)


if __name__ == "__main__":
    sys.exit(main())
