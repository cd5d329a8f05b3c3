# SPDX-License-Identifier: GPL-3.0-or-later
"""Throwaway PostgreSQL clusters, simvault-server nodes, haproxy and backup
clients on loopback, for test-cluster.py and build-aux/bench-server-scale.sh.

Everything here is bounded: every wait has a deadline, every HTTP request a
timeout, every process is stopped by its own pid (TESTING-NOTES.md).
Standard library only; run with /usr/bin/python3.
"""

import glob
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid

ADN_RECORDS = 250
ADN_LEN = 30
SMS_CAPACITY = 20


def pg_bindir():
    for d in sorted(glob.glob('/usr/lib/postgresql/*/bin'), reverse=True):
        if os.access(os.path.join(d, 'postgres'), os.X_OK):
            return d
    return None


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError('timed out waiting for ' + what)


class Workdir:
    """A short temporary directory (Unix socket paths are limited to 107
    bytes), owned by postgres when we are root."""

    def __init__(self, prefix='svcl'):
        self.path = tempfile.mkdtemp(prefix=prefix, dir='/tmp')
        self.root = os.getuid() == 0
        if self.root:
            shutil.chown(self.path, 'postgres', 'postgres')
        os.chmod(self.path, 0o755)

    def __call__(self, *parts):
        return os.path.join(self.path, *parts)

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


class Postgres:
    """One postgres process. As root it runs as the postgres user through
    setpriv, which replaces itself with the program, so Popen's pid is the
    postmaster's own pid."""

    def __init__(self, work, name, port=None):
        self.work = work
        self.name = name
        self.data = work(name)
        self.port = port or free_port()
        self.bindir = pg_bindir()
        self.proc = None
        self.log = None

    def _cmd(self, program, *args, env=()):
        argv = [os.path.join(self.bindir, program)] + list(args)
        if env:
            argv = ['/usr/bin/env'] + list(env) + argv
        if self.work.root:
            # --reset-env: the environment is set again after it (env)
            argv = ['setpriv', '--reuid=postgres', '--regid=postgres',
                    '--init-groups', '--reset-env'] + argv
        return argv

    def run(self, program, *args):
        # until a synchronous standby is attached, every commit would wait
        env = ['PGOPTIONS=-c synchronous_commit=local']
        r = subprocess.run(self._cmd(program, *args, env=env), cwd=self.work.path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=120)
        if r.returncode != 0:
            raise RuntimeError('%s failed: %s' % (program, r.stdout.decode(errors='replace')))
        return r.stdout.decode(errors='replace')

    def initdb(self):
        self.run('initdb', '-D', self.data, '-U', 'postgres', '-A', 'trust',
                 '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync')

    def basebackup_from(self, primary):
        self.run('pg_basebackup', '-h', '127.0.0.1', '-p', str(primary.port),
                 '-U', 'postgres', '-D', self.data, '-R', '-X', 'stream',
                 '-C', '-S', self.name, '-c', 'fast')

    def start(self, *settings):
        args = ['-D', self.data, '-c', 'port=%d' % self.port,
                '-c', 'listen_addresses=127.0.0.1',
                '-c', 'unix_socket_directories=' + self.work.path,
                '-c', 'max_connections=100']
        for s in settings:
            args += ['-c', s]
        self.log = open(self.work(self.name + '.log'), 'ab')
        self.proc = subprocess.Popen(self._cmd('postgres', *args), cwd=self.work.path,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self.ready, 30, 'PostgreSQL %s' % self.name)

    def ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError('postgres %s exited: see %s' % (self.name, self.work(self.name + '.log')))
        return subprocess.run([os.path.join(self.bindir, 'pg_isready'), '-q', '-h', '127.0.0.1',
                               '-p', str(self.port), '-U', 'postgres'],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

    def psql(self, sql, db='postgres'):
        return self.run('psql', '-h', '127.0.0.1', '-p', str(self.port), '-U', 'postgres',
                        '-d', db, '-Atqc', sql).strip()

    def kill(self):
        """SIGKILL, then wait for the postmaster's pid (its children go
        when they notice)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)   # fast shutdown
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
            self.log = None

    def promote(self):
        self.run('pg_ctl', 'promote', '-w', '-t', '30', '-D', self.data)


class Node:
    """One simvault-server process on 127.0.0.1, an ephemeral port."""

    def __init__(self, binary, work, name, storage, port=0, extra_args=(), config=False):
        self.binary = binary
        self.config = config
        self.extra_args = list(extra_args)
        self.work = work
        self.name = name
        self.storage = storage
        self.port = port
        self.proc = None
        self.url = None

    def start(self):
        data = self.work(self.name)
        os.makedirs(data, exist_ok=True)
        env = dict(os.environ)
        env['SIMVAULT_SERVER_PASSWORD_COST'] = 'test-only'
        self.log = open(self.work(self.name + '.log'), 'ab')
        argv = [self.binary, '--listen=127.0.0.1', '--port=%d' % self.port,
                '--data-dir=' + data]
        if self.storage and self.config:
            # the same settings from a config file's [server] group
            conf = self.work(self.name + '.conf')
            with open(conf, 'w') as f:
                f.write('[server]\nstorage=%s\n' % self.storage)
            argv.append('--config=' + conf)
        elif self.storage:
            argv.append('--storage=' + self.storage)
        argv += self.extra_args
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith('http'):
            raise RuntimeError('%s did not start: see %s' % (self.name, self.work(self.name + '.log')))
        self.url = line.rstrip('/')
        self.port = int(self.url.rsplit(':', 1)[1])
        return self

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()


class Haproxy:
    """Debian's haproxy in the foreground (-db) in front of the nodes:
    health checks every 200 ms, a failed connection retried on another
    node (retries 2, option redispatch 1)."""

    def __init__(self, work, nodes, tls=False):
        self.work = work
        self.port = free_port()
        self.nodes = nodes
        self.proc = None
        self.tls_port = free_port() if tls else None
        self.tls_pem = None
        self.ca_file = None

    def _make_certificate(self):
        """A test certificate for localhost (TESTING-NOTES.md), as haproxy
        wants it: certificate and key in one PEM."""
        cert, key = self.work('haproxy-cert.pem'), self.work('haproxy-key.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                        '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
                        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        self.tls_pem = self.work('haproxy.pem')
        with open(self.tls_pem, 'w') as out:
            for part in (cert, key):
                with open(part) as f:
                    out.write(f.read())
        self.ca_file = cert

    def start(self):
        cfg = self.work('haproxy.cfg')
        if self.tls_port:
            self._make_certificate()
        with open(cfg, 'w') as f:
            f.write(haproxy_config(self.port, [('n%d' % i, '127.0.0.1', n.port)
                                               for i, n in enumerate(self.nodes, 1)],
                                   tls_port=self.tls_port, tls_pem=self.tls_pem))
        self.log = open(self.work('haproxy.log'), 'ab')
        self.proc = subprocess.Popen([shutil.which('haproxy') or '/usr/sbin/haproxy', '-db', '-f', cfg],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: http_status(self.url, 'GET', '/api/v1/') == 200, 15, 'haproxy')
        return self

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    @property
    def tls_url(self):
        return 'https://127.0.0.1:%d' % self.tls_port

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)   # graceful
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def haproxy_config(port, servers, tls_port=None, tls_pem=None):
    """The load balancer of README.md's multi-node deployment; HTTPS
    terminated here when @tls_port is given."""
    binds = ['    bind 127.0.0.1:%d' % port]
    if tls_port:
        binds.append('    bind 127.0.0.1:%d ssl crt %s' % (tls_port, tls_pem))
    lines = [
        'global',
        '    maxconn 1024',
        '',
        'defaults',
        '    mode http',
        '    timeout connect 2s',
        '    timeout client 30s',
        '    timeout server 30s',
        '    retries 2',
        '    option redispatch 1',
        # the client's address for the nodes' per-address login limit
        # (simvault-server --trusted-proxy ADDR believes it from ADDR only)
        '    option forwardfor',
        '',
        'frontend simvault',
    ] + binds + [
        '    default_backend simvault_nodes',
        '',
        'backend simvault_nodes',
        '    balance roundrobin',
        '    option httpchk GET /api/v1/',
        '    http-check expect status 200',
        '    default-server inter 200ms fall 2 rise 2',
    ]
    for name, host, p in servers:
        lines.append('    server %s %s:%d check' % (name, host, p))
    return '\n'.join(lines) + '\n'


def http_request(base, method, path, body=None, token=None, timeout=10, source=None,
                 ca_file=None, headers_out=None):
    """(status, parsed JSON or None); status 0 when the connection failed.
    @source: a local address to connect from (any of 127.0.0.0/8 works on
    loopback, so tests can be "several clients" to haproxy). An https://
    @base is checked against @ca_file. @headers_out, a list, receives the
    answer's headers."""
    host, port = base.split('//', 1)[1].split(':')
    if base.startswith('https:'):
        context = ssl.create_default_context(cafile=ca_file)
        conn = http.client.HTTPSConnection(host, int(port), timeout=timeout, context=context,
                                           source_address=(source, 0) if source else None)
    else:
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout,
                                          source_address=(source, 0) if source else None)
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers['Content-Type'] = 'application/json'
    if token:
        headers['Authorization'] = 'Bearer ' + token
    try:
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        if headers_out is not None:
            headers_out.extend(r.getheaders())
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return r.status, parsed
    except (OSError, http.client.HTTPException, ssl.SSLError):
        return 0, None
    finally:
        conn.close()


def http_status(base, method, path):
    return http_request(base, method, path, timeout=2)[0]


def card_json(iccid):
    return {
        'iccid': iccid, 'imsi': '460001234567890', 'card_type': 'sim',
        'counter_a': 0, 'sms_capacity': SMS_CAPACITY,
        'files': [
            {'key': 'adn', 'path': '3F007F106F3A', 'structure': 'linear-fixed',
             'record_len': ADN_LEN, 'n_records': ADN_RECORDS},
            {'key': 'sms', 'path': '3F007F106F3C', 'structure': 'linear-fixed',
             'record_len': 176, 'n_records': SMS_CAPACITY},
        ],
    }


def adn_hex(name, digits):
    """TS 51.011 §10.5.1: 16 bytes alpha, length, TON/NPI, 10 bytes BCD,
    CCP, EXT1."""
    alpha = name.encode()[:16].ljust(16, b'\xff')
    bcd = bytearray(b'\xff' * 10)
    for i, ch in enumerate(digits[:20]):
        d = int(ch)
        if i % 2 == 0:
            bcd[i // 2] = 0xF0 | d
        else:
            bcd[i // 2] = (bcd[i // 2] & 0x0F) | (d << 4)
    rec = alpha + bytes([(len(digits) + 1) // 2 + 1, 0x81]) + bytes(bcd) + b'\xff\xff'
    assert len(rec) == ADN_LEN
    return rec.hex().upper()


def sms_hex(n):
    return ('01%08X' % n).ljust(352, 'F')


RETRYABLE = {0, 409, 502, 503, 504}


class Client:
    """One card's owner doing what the desktop does: register, then
    incremental backups with a batch id each, SMS backups, "changes since".
    A batch is retried with the same id and body until the server answers
    200 (bounded by the deadline); only then is it acknowledged."""

    def __init__(self, base_urls, n, batches, records_per_batch=5, messages=0, deadline=None):
        self.base_urls = base_urls          # spread over these (round robin)
        self.n = n
        self.iccid = '8986%016d' % (10 ** 11 + n)
        self.phone = '+86139%08d' % n
        self.password = 'cluster-pw-%d' % n
        self.batches = batches
        self.rpb = records_per_batch
        self.messages = messages
        self.deadline = deadline or time.monotonic() + 60
        self.token = None
        self.sync_token = None
        self.acked = {}         # index -> hex of the last acknowledged batch
        self.acked_batches = 0
        self.acked_messages = []
        self.retries = 0
        self.errors = []
        self.latencies = []
        self._i = n

    def _base(self):
        self._i += 1
        return self.base_urls[self._i % len(self.base_urls)]

    def call(self, method, path, body=None, auth=True):
        """Until a non-retryable answer or the deadline."""
        while True:
            t0 = time.monotonic()
            status, reply = http_request(self._base(), method, path, body,
                                         self.token if auth else None)
            if status not in RETRYABLE or (status == 409 and (reply or {}).get('error', {}).get('code') != 'batch-in-progress'):
                self.latencies.append(time.monotonic() - t0)
                return status, reply
            self.retries += 1
            if time.monotonic() > self.deadline:
                return status, reply
            time.sleep(0.05)

    def register(self):
        status, reply = self.call('POST', '/api/v1/cards/register',
                                  {'phone': self.phone, 'password': self.password,
                                   'card': card_json(self.iccid)}, auth=False)
        if status != 200:
            raise RuntimeError('register %s: %s %s' % (self.iccid, status, reply))
        self.token = reply['session']['token']
        self.sync_token = reply['token']
        self.first_token = reply['token']

    def backup(self, b):
        first = b * self.rpb + 1
        records = []
        for idx in range(first, first + self.rpb):
            data = adn_hex('C%dB%dR%d' % (self.n, b, idx), '1380013%04d' % idx)
            records.append({'file': 'adn', 'index': idx, 'data': data, 'base_version': 0})
        body = {'batch_id': str(uuid.uuid4()), 'mode': 'incremental', 'records': records}
        status, reply = self.call('POST', '/api/v1/cards/%s/backup' % self.iccid, body)
        if status != 200:
            self.errors.append('backup %d: %s %s' % (b, status, reply))
            return False
        if reply.get('conflicts') or reply.get('applied', {}).get('adn') != '%d-%d' % (first, first + self.rpb - 1):
            self.errors.append('backup %d: unexpected answer %s' % (b, reply))
            return False
        for r in records:
            self.acked[r['index']] = r['data']
        self.acked_batches += 1
        return True

    def backup_messages(self, k):
        body = {'batch_id': str(uuid.uuid4()),
                'messages': [{'record': sms_hex(self.n * 1000 + k), 'stored_at': '2026-12-07T03:10:00Z'}]}
        status, reply = self.call('POST', '/api/v1/cards/%s/messages' % self.iccid, body)
        if status != 200:
            self.errors.append('messages %d: %s %s' % (k, status, reply))
            return False
        self.acked_messages.append(body['messages'][0]['record'])
        return True

    def changes(self):
        status, reply = self.call('GET', '/api/v1/cards/%s/changes?since=%s&limit=1000'
                                  % (self.iccid, self.sync_token))
        if status != 200:
            self.errors.append('changes: %s %s' % (status, reply))
            return
        self.sync_token = reply['token']

    def run(self):
        try:
            self.register()
            self.run_backups()
        except Exception as e:      # reported by the test, never swallowed
            self.errors.append('%s: %s' % (type(e).__name__, e))

    def run_backups(self):
        try:
            for b in range(self.batches):
                if time.monotonic() > self.deadline:
                    self.errors.append('deadline after %d batches' % b)
                    return
                self.backup(b)
                if b < self.messages:
                    self.backup_messages(b)
                if b % 5 == 4:
                    self.changes()
        except Exception as e:      # reported by the test, never swallowed
            self.errors.append('%s: %s' % (type(e).__name__, e))


def run_clients(clients, registered=False):
    """One thread per client: register and back up, or only back up."""
    threads = [threading.Thread(target=c.run_backups if registered else c.run, daemon=True)
               for c in clients]
    for t in threads:
        t.start()
    return threads


def read_records(base, client):
    """index -> hex of every stored ADN record of the card (non-empty ones)."""
    status, reply = http_request(base, 'GET', '/api/v1/cards/%s/records?file=adn' % client.iccid,
                                 token=client.token)
    if status != 200:
        raise RuntimeError('records %s: %s %s' % (client.iccid, status, reply))
    out = {}
    for r in reply['records']:
        if r['data'].upper().strip('F') != '':
            out[r['index']] = r['data'].upper()
    return out


def read_all_changes(base, client):
    """Every (file, index) listed by "changes since" the registration token."""
    since = client.first_token
    seen = []
    for _ in range(100):
        status, reply = http_request(base, 'GET', '/api/v1/cards/%s/changes?since=%s&limit=500'
                                     % (client.iccid, since), token=client.token)
        if status != 200:
            raise RuntimeError('changes %s: %s %s' % (client.iccid, status, reply))
        seen += [(r['file'], r['index']) for r in reply['records']]
        since = reply['token']
        if not reply['more']:
            break
    return seen


def read_messages(base, client):
    status, reply = http_request(base, 'GET', '/api/v1/cards/%s/messages' % client.iccid,
                                 token=client.token)
    if status != 200:
        raise RuntimeError('messages %s: %s %s' % (client.iccid, status, reply))
    return reply['messages']
