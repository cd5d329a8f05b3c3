#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scale-out tests of simvault-server on PostgreSQL (issue 15), TAP output.

  test-cluster.py node-kill
      one PostgreSQL primary, three simvault-server nodes on loopback ports
      behind Debian's haproxy, 16 clients spread over them (each register,
      backups in batches, SMS backups, "changes since"); one node SIGKILLed
      mid-way. Every acknowledged batch is present, nothing is stored twice,
      every session works on every node (the killed one restarted too).

  test-cluster.py failover
      a primary with a synchronous streaming standby (synchronous_commit=on),
      three nodes whose connection string lists both hosts with
      target_session_attrs=read-write, clients doing backups; the primary
      SIGKILLed mid-way, the standby promoted (pg_ctl promote). The nodes
      reconnect by themselves; every backup acknowledged to a client is
      there, and the clients' retries complete the rest.

  test-cluster.py partitioned
      node-kill on a schema whose per-card tables were converted into HASH
      partitions on iccid (sync/server/pgsql-partition-by-card.sql); also
      a deregistration cascading through the partitions.

node-kill also checks: --storage sqlite:PATH and the default SQLite file,
a connection string never printed, storage= from a config file, the login
limit per client address behind haproxy (X-Forwarded-For from a trusted
proxy), HTTPS terminated at haproxy, row counts in PostgreSQL itself.

Needs Debian's postgresql and haproxy (build-aux/install-deps.sh); skips
when they are missing. Bounded: 16 clients, a deadline on everything.
"""

import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svcluster as sc  # noqa: E402

N_CLIENTS = 16
BATCHES = 40           # x 5 records: 200 of the card's 250 ADN records
MESSAGES = 10          # per client, under the card's SMS capacity (20)
RECORDS_PER_BATCH = 5
DEADLINE = 90          # seconds for the clients' whole run

results = []


def ok(cond, name, diag=None):
    results.append(cond)
    print('%s %d - %s' % ('ok' if cond else 'not ok', len(results), name))
    if not cond and diag:
        for line in str(diag).splitlines()[:40]:
            print('# ' + line)
    sys.stdout.flush()
    return cond


def note(text):
    print('# ' + text)
    sys.stdout.flush()


def server_binary():
    root = os.environ.get('SV_BUILD_ROOT')
    if root:
        return os.path.join(root, 'sync', 'server', 'simvault-server')
    return os.path.join(os.path.dirname(__file__), '..', '..', 'build', 'sync', 'server', 'simvault-server')


def wait_for_acks(clients, target, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(c.acked_batches for c in clients) >= target:
            return True
        time.sleep(0.01)
    return False


def join(threads, timeout):
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threads)


def check_data(base, clients, label):
    """No loss, no duplicate: read back through @base what every client was
    told was stored."""
    lost, extra, dup, msg_bad = [], [], [], []
    for c in clients:
        stored = sc.read_records(base, c)
        for idx, data in c.acked.items():
            if stored.get(idx) != data:
                lost.append((c.iccid, idx))
        # the server holds no record that was not acknowledged (every
        # batch is retried until acknowledged, so none is half there)
        for idx in stored:
            if idx not in c.acked:
                extra.append((c.iccid, idx))
        seen = sc.read_all_changes(base, c)
        if len(seen) != len(set(seen)):
            dup.append((c.iccid, len(seen) - len(set(seen))))
        messages = sc.read_messages(base, c)
        records = [m['records'][0].upper() for m in messages]
        if len(records) != len(set(records)) or sorted(records) != sorted(c.acked_messages):
            msg_bad.append((c.iccid, len(records), len(c.acked_messages)))
    acked = sum(len(c.acked) for c in clients)
    ok(not lost, '%s: every acknowledged record is stored (%d records)' % (label, acked), lost[:10])
    ok(not extra, '%s: nothing stored that no client sent' % label, extra[:10])
    ok(not dup, '%s: "changes since" lists each record once' % label, dup[:10])
    ok(not msg_bad, '%s: SMS ring holds each acknowledged message exactly once (%d)'
       % (label, sum(len(c.acked_messages) for c in clients)), msg_bad[:10])


def check_rows(pg, clients, label):
    """In the database itself: exactly one row per acknowledged record and
    message, one stored answer per batch id (a retried batch adds none)."""
    records = int(pg.psql("SELECT count(*) FROM records WHERE file_key = 'adn'", db='simvault'))
    messages = int(pg.psql('SELECT count(*) FROM messages', db='simvault'))
    want_records = sum(len(c.acked) for c in clients)
    want_messages = sum(len(c.acked_messages) for c in clients)
    batches = int(pg.psql('SELECT count(*) FROM batches', db='simvault'))
    want_batches = sum(c.acked_batches + len(c.acked_messages) for c in clients)
    ok(records == want_records and messages == want_messages and batches == want_batches,
       '%s: the database holds %d records, %d messages, %d batch answers, as acknowledged'
       % (label, records, messages, batches),
       'want %d records, %d messages, %d batches' % (want_records, want_messages, want_batches))


def check_sessions(nodes, clients, label):
    bad = []
    for node in nodes:
        for c in clients:
            status, reply = sc.http_request(node.url, 'GET', '/api/v1/session', token=c.token)
            if status != 200 or reply.get('phone') != c.phone:
                bad.append((node.name, c.phone, status))
    ok(not bad, '%s: every session is valid on every node (%d nodes x %d sessions)'
       % (label, len(nodes), len(clients)), bad[:10])


def check_storage_secret(work, port):
    """A connection string may hold a password: a node that cannot open it
    exits with an error that does not repeat it."""
    r = sc.subprocess.run([server_binary(), '--port=0', '--data-dir=' + work('nosecret'),
                           '--storage=postgresql://simvault:s3cr3t-pw@127.0.0.1:%d/nodb' % port],
                          stdout=sc.subprocess.PIPE, stderr=sc.subprocess.PIPE, timeout=30)
    out = (r.stdout + r.stderr).decode(errors='replace')
    ok(r.returncode != 0 and 's3cr3t-pw' not in out and 'PostgreSQL' in out,
       'an unreachable storage is an error that does not print the connection string', out)


def check_rate_limit(lb, client):
    """The login limit counts per client address on every node together:
    through haproxy (round robin over the nodes), failed logins from one
    address end in 429, and another address still logs in."""
    statuses = [sc.http_request(lb.url, 'POST', '/api/v1/session',
                                {'phone': '+8613755500%03d' % i, 'password': 'a wrong password'},
                                source='127.0.0.2')[0] for i in range(7)]
    ok(statuses[:5] == [401] * 5 and statuses[-1] == 429,
       'wrong logins from 127.0.0.2 spread over the nodes hit one shared limit', statuses)
    status, reply = sc.http_request(lb.url, 'POST', '/api/v1/session',
                                    {'phone': client.phone, 'password': client.password},
                                    source='127.0.0.3')
    ok(status == 200, 'another client address behind the same haproxy still logs in',
       '%s %s' % (status, reply))


def check_sqlite_path(work):
    """--storage sqlite:PATH puts the database at PATH, not under
    --data-dir; without --storage it is DATA-DIR/simvault-server.db."""
    path = work('elsewhere.db')
    node = sc.Node(server_binary(), work, 'sqlite-node', 'sqlite:' + path)
    try:
        node.start()
        client = sc.Client([node.url], 900, 1)
        client.run()
        ok(not client.errors and os.path.exists(path)
           and not os.path.exists(work('sqlite-node', 'simvault-server.db')),
           '--storage sqlite:PATH stores at PATH', client.errors)
    finally:
        node.stop()
    node = sc.Node(server_binary(), work, 'default-node', None)
    try:
        node.start()
        ok(os.path.exists(work('default-node', 'simvault-server.db')),
           'without --storage: SQLite under --data-dir')
    finally:
        node.stop()


def check_tls(lb, client):
    """HTTPS terminated at haproxy (README.md): the certificate checks out
    for 127.0.0.1, an owner logs in, gets the portal's Secure __Host-
    cookie, and reads the card through another node."""
    headers = []
    status, reply = sc.http_request(lb.tls_url, 'POST', '/api/v1/session',
                                    {'phone': client.phone, 'password': client.password},
                                    ca_file=lb.ca_file, headers_out=headers)
    cookies = [v for k, v in headers if k.lower() == 'set-cookie']
    ok(status == 200 and any(c.startswith('__Host-sv-session=') and 'Secure' in c for c in cookies),
       'HTTPS through haproxy: login sets the Secure __Host- session cookie', '%s %s %s' % (status, reply, cookies))
    token = (reply or {}).get('token')
    status, _ = sc.http_request(lb.tls_url, 'GET', '/api/v1/cards/%s' % client.iccid, token=token,
                                ca_file=lb.ca_file)
    ok(status == 200, 'HTTPS through haproxy: the new session reads the card', status)
    status, _ = sc.http_request(lb.tls_url, 'GET', '/api/v1/')
    ok(status == 0, 'HTTPS through haproxy: a client that does not trust the certificate is refused', status)


PARTITION_SQL = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..',
                             'sync', 'server', 'pgsql-partition-by-card.sql')


def partition_by_card(work, pg, storage):
    """The schema as a node creates it, then converted by
    sync/server/pgsql-partition-by-card.sql into HASH partitions on iccid."""
    node = sc.Node(server_binary(), work, 'migrate', storage).start()
    node.stop()
    script = work('partition.sql')
    with open(PARTITION_SQL) as f, open(script, 'w') as out:
        out.write(f.read())
    os.chmod(script, 0o644)
    pg.run('psql', '-h', '127.0.0.1', '-p', str(pg.port), '-U', 'postgres', '-d', 'simvault',
           '-q', '-v', 'ON_ERROR_STOP=1', '-v', 'partitions=8', '-f', script)
    kinds = pg.psql("SELECT string_agg(relname || '=' || relkind::text, ' ' ORDER BY relname) FROM pg_class"
                    " WHERE relname IN ('cards', 'card_files', 'records', 'messages', 'batches',"
                    " 'restores', 'restore_items')", db='simvault')
    ok(kinds.count('=p') == 7, 'the per-card tables are partitioned by iccid (%s)' % kinds, kinds)


def check_partitions(lb, pg, clients):
    """Rows spread over the partitions, and a deregistration (ON DELETE
    CASCADE between partitioned tables) leaves nothing of the card."""
    used = pg.psql("SELECT count(*) FROM (SELECT tableoid FROM records GROUP BY tableoid) t", db='simvault')
    ok(int(used) >= 4, "the cards' records are spread over %s of 8 partitions" % used)
    c = clients[-1]
    status, reply = sc.http_request(lb.url, 'DELETE', '/api/v1/cards/%s' % c.iccid,
                                    {'confirm': c.iccid}, token=c.token)
    left = pg.psql("SELECT (SELECT count(*) FROM cards WHERE iccid = '%(i)s') +"
                   " (SELECT count(*) FROM card_files WHERE iccid = '%(i)s') +"
                   " (SELECT count(*) FROM records WHERE iccid = '%(i)s') +"
                   " (SELECT count(*) FROM messages WHERE iccid = '%(i)s') +"
                   " (SELECT count(*) FROM batches WHERE iccid = '%(i)s')" % {'i': c.iccid}, db='simvault')
    ok(status == 200 and left == '0', 'deregistration deletes every row of the card from the partitions',
       '%s %s, %s rows left' % (status, reply, left))


def test_node_kill(work, partitioned=False):
    if not partitioned:
        check_storage_secret(work, sc.free_port())
        check_sqlite_path(work)
    pg = sc.Postgres(work, 'primary')
    pg.initdb()
    pg.start('fsync=off', 'full_page_writes=off')
    pg.psql('CREATE DATABASE simvault')
    storage = 'postgresql://postgres@127.0.0.1:%d/simvault?connect_timeout=5' % pg.port
    if partitioned:
        partition_by_card(work, pg, storage)
    # haproxy connects to the nodes from 127.0.0.1 and says who the client
    # is in X-Forwarded-For
    # node3 reads its storage from a config file (storage=), the others
    # from --storage
    nodes = [sc.Node(server_binary(), work, 'node%d' % i, storage, config=(i == 3),
                     extra_args=['--trusted-proxy=127.0.0.1']) for i in (1, 2, 3)]
    lb = None
    try:
        # three nodes started at once: the migration runs under an advisory
        # lock, so exactly one of them creates the schema
        starters = [threading.Thread(target=n.start) for n in nodes]
        for t in starters:
            t.start()
        for t in starters:
            t.join(30)
        ok(all(n.url for n in nodes), 'three nodes started at once on one database')
        lb = sc.Haproxy(work, nodes, tls=True).start()
        ok(True, 'haproxy in front of %s' % ', '.join(str(n.port) for n in nodes))

        t0 = time.monotonic()
        clients = [sc.Client([lb.url], i, BATCHES, RECORDS_PER_BATCH, MESSAGES,
                             deadline=time.monotonic() + DEADLINE) for i in range(1, N_CLIENTS + 1)]
        threads = sc.run_clients(clients)
        target = N_CLIENTS * BATCHES // 3
        ok(wait_for_acks(clients, target, 60), 'a third of the batches acknowledged (%d)' % target)
        victim = nodes[1]
        acked_at_kill = sum(c.acked_batches for c in clients)
        victim.kill()
        note('SIGKILLed %s (pid %d) after %d acknowledged batches' % (victim.name, victim.proc.pid, acked_at_kill))
        finished = join(threads, DEADLINE + 30)
        elapsed = time.monotonic() - t0
        ok(finished, 'every client finished within the deadline (%.1f s)' % elapsed)
        errors = [(c.n, e) for c in clients for e in c.errors]
        ok(not errors, 'no client saw an error that retries did not overcome', errors[:10])
        total = sum(c.acked_batches for c in clients)
        ok(total == N_CLIENTS * BATCHES, 'all %d batches acknowledged after retries (%d; %d retries)'
           % (N_CLIENTS * BATCHES, total, sum(c.retries for c in clients)))
        note('%d batches of %d records + %d messages in %.1f s through haproxy'
             % (total, RECORDS_PER_BATCH, sum(len(c.acked_messages) for c in clients), elapsed))

        survivor = nodes[0]
        check_data(survivor.url, clients, 'node kill')
        check_rows(pg, clients, 'node kill')
        # the killed node comes back on the same database: stateless
        victim.port = 0
        victim.start()
        check_sessions(nodes, clients, 'node kill')
        check_rate_limit(lb, clients[0])
        check_tls(lb, clients[1])
        if partitioned:
            check_partitions(lb, pg, clients)
        rows = int(pg.psql('SELECT count(*) FROM sessions', db='simvault') or '0')
        ok(rows >= N_CLIENTS, 'sessions are rows in PostgreSQL (%d)' % rows)
    finally:
        if lb:
            lb.stop()
        for n in nodes:
            n.stop()
        pg.stop()


def test_failover(work):
    primary = sc.Postgres(work, 'primary')
    standby = sc.Postgres(work, 'standby1')
    primary.initdb()
    # synchronous replication on the primary's command line, not in
    # postgresql.conf: pg_basebackup would copy it and the promoted standby
    # would then wait for a standby of its own on every commit
    primary.start('synchronous_standby_names=*', 'synchronous_commit=on', 'fsync=off')
    nodes = []
    lb = None
    try:
        primary.psql('CREATE DATABASE simvault')
        standby.basebackup_from(primary)
        standby.start('fsync=off')
        sc.wait_until(lambda: primary.psql("SELECT sync_state FROM pg_stat_replication") == 'sync',
                      30, 'the standby in sync')
        ok(True, 'streaming standby attached, sync_state = sync')

        storage = ('postgresql://postgres@127.0.0.1:%d,127.0.0.1:%d/simvault'
                   '?target_session_attrs=read-write&connect_timeout=2' % (primary.port, standby.port))
        nodes = [sc.Node(server_binary(), work, 'node%d' % i, storage).start() for i in (1, 2, 3)]
        lb = sc.Haproxy(work, nodes).start()
        ok(True, 'three nodes behind haproxy, storage lists both hosts (target_session_attrs=read-write)')

        t0 = time.monotonic()
        clients = [sc.Client([lb.url], i, BATCHES, RECORDS_PER_BATCH, MESSAGES,
                             deadline=time.monotonic() + DEADLINE) for i in range(1, N_CLIENTS + 1)]
        threads = sc.run_clients(clients)
        target = N_CLIENTS * BATCHES // 3
        ok(wait_for_acks(clients, target, 60), 'a third of the batches acknowledged (%d)' % target)

        primary.kill()
        acked_at_kill = sum(c.acked_batches for c in clients)
        running_at_kill = sum(t.is_alive() for t in threads)
        snapshot = [dict(c.acked) for c in clients]
        tk = time.monotonic()
        standby.promote()
        note('primary SIGKILLed after %d acknowledged batches; standby promoted in %.2f s'
             % (acked_at_kill, time.monotonic() - tk))

        finished = join(threads, DEADLINE + 30)
        elapsed = time.monotonic() - t0
        ok(finished, 'every client finished within the deadline (%.1f s)' % elapsed)
        errors = [(c.n, e) for c in clients for e in c.errors]
        ok(not errors, 'no client saw an error that retries did not overcome', errors[:10])
        total = sum(c.acked_batches for c in clients)
        retries = sum(c.retries for c in clients)
        ok(total == N_CLIENTS * BATCHES, 'retries completed every batch (%d of %d; %d retries)'
           % (total, N_CLIENTS * BATCHES, retries))
        # the kill fell on running traffic (the nodes retry a lost
        # connection themselves, so a client need not see a failure)
        ok(running_at_kill > 0 and acked_at_kill < N_CLIENTS * BATCHES,
           'the primary died under load (%d clients running, %d of %d batches acknowledged)'
           % (running_at_kill, acked_at_kill, N_CLIENTS * BATCHES))

        # what was acknowledged before the kill is on the promoted standby
        lost = []
        for c, before in zip(clients, snapshot):
            stored = sc.read_records(lb.url, c)
            lost += [(c.iccid, i) for i, d in before.items() if stored.get(i) != d]
        ok(not lost, 'every backup acknowledged before the primary died is on the new primary (%d records)'
           % sum(len(s) for s in snapshot), lost[:10])
        check_data(lb.url, clients, 'failover')
        check_rows(standby, clients, 'failover')
        check_sessions(nodes, clients, 'failover')
        ok(standby.psql('SELECT pg_is_in_recovery()') == 'f', 'the standby is the primary now')
    finally:
        if lb:
            lb.stop()
        for n in nodes:
            n.stop()
        standby.stop()
        primary.stop()


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else 'node-kill'
    tests = {'node-kill': test_node_kill, 'failover': test_failover,
             'partitioned': lambda work: test_node_kill(work, partitioned=True)}
    if what not in tests:
        print('usage: test-cluster.py node-kill|failover|partitioned', file=sys.stderr)
        return 2
    if sc.pg_bindir() is None or not (os.path.exists('/usr/sbin/haproxy') or sc.shutil.which('haproxy')):
        print('1..0 # SKIP PostgreSQL or haproxy missing (build-aux/install-deps.sh installs them)')
        return 0
    # meson's timeout sends SIGTERM: leave through the finally blocks, which
    # stop every cluster, node and haproxy by its pid
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = sc.Workdir()
    keep = os.environ.get('SV_TEST_KEEP')
    try:
        tests[what](work)
    except Exception as e:
        ok(False, '%s: %s: %s' % (what, type(e).__name__, e))
        keep = keep or '1'
    finally:
        if keep:
            note('logs kept in ' + work.path)
        else:
            work.remove()
    print('1..%d' % len(results))
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
