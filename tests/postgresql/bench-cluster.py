#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throughput of simvault-server versus node count, on both engines.

  bench-cluster.py [--clients N] [--batches B] [--nodes 1,2,3] [--engines sqlite,postgresql]

For each engine and node count: a fresh store (one SQLite file shared by
the nodes, WAL; or a throwaway PostgreSQL 15 cluster), N simvault-server
nodes behind haproxy, then C clients (threads) each registering a card
and sending B incremental backups of 5 ADN records (each batch one
request, one transaction), and a "changes since" every 5 batches.
Everything (clients, haproxy, nodes, database) shares this machine's
cores, so the figures are of the whole system on one host.

Prints `BENCH name=value unit=U` lines (medians of --repeat runs) (build-aux/bench-server-scale.sh),
then a per-card size measurement on PostgreSQL for the 10-million-card
estimate in BENCHMARKS.md.
"""

import argparse
import os
import signal
import statistics
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svcluster as sc  # noqa: E402


def server_binary():
    root = os.environ.get('SV_BUILD_ROOT', os.path.join(os.path.dirname(__file__), '..', '..', 'build'))
    return os.path.join(root, 'sync', 'server', 'simvault-server')


def figure(figures, name, value, unit):
    figures.setdefault(name, (unit, []))[1].append(value)


def bench(line_name, value, unit):
    print('BENCH %s=%s unit=%s' % (line_name, ('%.2f' % value) if isinstance(value, float) else value, unit))
    sys.stdout.flush()


TICK = os.sysconf('SC_CLK_TCK')


def cpu_seconds(pid):
    """utime + stime of a live process, 0 when it is gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def children(pid):
    out = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as f:
                    if int(f.read().rsplit(')', 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except OSError:
                pass
    return out


def cpu_snapshot(nodes, lb, pg):
    """CPU seconds so far of the nodes, haproxy, PostgreSQL's processes
    (postmaster and backends) and this process (the clients)."""
    snap = {'nodes': sum(cpu_seconds(n.proc.pid) for n in nodes),
            'haproxy': cpu_seconds(lb.proc.pid),
            'clients': sum(os.times()[:2])}
    if pg:
        snap['postgresql'] = {p: cpu_seconds(p) for p in [pg.proc.pid] + children(pg.proc.pid)}
    return snap


def cpu_used(before, after):
    used = {k: after[k] - before[k] for k in ('nodes', 'haproxy', 'clients')}
    if 'postgresql' in after:
        used['postgresql'] = sum(v - before['postgresql'].get(p, 0.0) for p, v in after['postgresql'].items())
    return used


def run_one(engine, n_nodes, n_clients, batches, measure_sizes_too, figures):
    work = sc.Workdir('svbn')
    pg = None
    nodes = []
    lb = None
    try:
        if engine == 'postgresql':
            pg = sc.Postgres(work, 'primary')
            pg.initdb()
            # durable commits (fsync on, synchronous_commit on): the figures
            # are of acknowledged, on-disk batches
            pg.start('max_connections=100')
            pg.psql('CREATE DATABASE simvault')
            storage = 'postgresql://postgres@127.0.0.1:%d/simvault' % pg.port
        else:
            storage = 'sqlite:' + work('simvault-server.db')
        for i in range(n_nodes):
            nodes.append(sc.Node(server_binary(), work, 'node%d' % (i + 1), storage).start())
        lb = sc.Haproxy(work, nodes).start()

        clients = [sc.Client([lb.url], 1000 + i, 0) for i in range(n_clients)]
        for c in clients:
            c.deadline = time.monotonic() + 300
            c.register()
        for c in clients:
            c.batches = batches
            c.messages = 10
            c.latencies = []
        t0 = time.monotonic()
        cpu0 = cpu_snapshot(nodes, lb, pg)
        lsn0 = pg.psql('SELECT pg_current_wal_lsn()') if pg else None
        threads = sc.run_clients(clients, registered=True)
        for t in threads:
            t.join(600)
        elapsed = time.monotonic() - t0
        cpu = cpu_used(cpu0, cpu_snapshot(nodes, lb, pg))
        wal = int(float(pg.psql("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '%s')" % lsn0))) if pg else None
        errors = [e for c in clients for e in c.errors]
        total = sum(c.acked_batches for c in clients)
        lat = sorted(x for c in clients for x in c.latencies)
        name = 'server_%s_nodes%d' % (engine, n_nodes)
        figure(figures, name + '_batches_per_s', total / elapsed, 'batch/s')
        figure(figures, name + '_records_per_s', total * 5 / elapsed, 'record/s')
        figure(figures, name + '_requests_per_s', len(lat) / elapsed, 'request/s')
        figure(figures, name + '_p50_ms', 1000 * lat[len(lat) // 2], 'ms')
        figure(figures, name + '_p95_ms', 1000 * lat[int(len(lat) * 0.95)], 'ms')
        figure(figures, name + '_errors', len(errors), 'count')
        if wal is not None:
            figure(figures, name + '_wal_bytes_per_batch', wal / total, 'B')
        # CPU per request of each part: what the figures would be on a
        # machine where they do not share two cores
        for part, seconds in sorted(cpu.items()):
            figure(figures, '%s_cpu_%s_ms_per_request' % (name, part), 1000 * seconds / len(lat), 'ms')
        if errors:
            print('# errors: %s' % errors[:3])
        measure = None
        if engine == 'postgresql' and measure_sizes_too:
            measure = measure_sizes(pg, clients)
        return measure
    finally:
        if lb:
            lb.stop()
        for n in nodes:
            n.stop()
        if pg:
            pg.stop()
        work.remove()


COPIES = 30


def measure_sizes(pg, clients):
    """Bytes per row of every per-card table on PostgreSQL: the cards the
    clients stored, copied COPIES times under other ICCIDs of the same
    length (so pages fill as they would), then VACUUM ANALYZE; heap (main
    fork and TOAST) and indexes, for the estimate in BENCHMARKS.md."""
    other = "overlay(iccid placing lpad(g::text, 4, '0') from 5 for 4)"
    series = 'generate_series(1, %d) g' % COPIES
    pg.psql('BEGIN;'
            'INSERT INTO cards SELECT %(o)s, account_id, imsi, card_type, batch, counter_a, sms_capacity,'
            ' epoch, modseq, purge_floor, msg_seq, replaced_by, registered_at, updated_at FROM cards, %(s)s;'
            'INSERT INTO card_files SELECT %(o)s, key, path, structure, record_len, n_records, position'
            ' FROM card_files, %(s)s;'
            'INSERT INTO records SELECT %(o)s, file_key, idx, data, cleared, version FROM records, %(s)s;'
            'INSERT INTO messages SELECT %(o)s, id, content_hash, parts, n_parts, stored_at, received_at'
            ' FROM messages, %(s)s;'
            'INSERT INTO batches SELECT %(o)s, batch_id, kind, request_hash, answer, created_at'
            ' FROM batches, %(s)s;'
            'COMMIT' % {'o': other, 's': series}, db='simvault')
    pg.psql('VACUUM ANALYZE', db='simvault')
    rows = pg.psql("SELECT relname, reltuples::bigint,"
                   " pg_relation_size(oid) + COALESCE(pg_total_relation_size(NULLIF(reltoastrelid, 0)), 0),"
                   " pg_indexes_size(oid) FROM pg_class WHERE relkind = 'r'"
                   " AND relnamespace = 'public'::regnamespace ORDER BY 1", db='simvault')
    out = {}
    for line in rows.splitlines():
        rel, tuples, heap, index = line.split('|')
        out[rel] = (int(tuples), int(heap), int(index))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--clients', type=int, default=16)
    ap.add_argument('--batches', type=int, default=25)
    ap.add_argument('--nodes', default='1,2,3')
    ap.add_argument('--engines', default='sqlite,postgresql')
    ap.add_argument('--repeat', type=int, default=3)
    args = ap.parse_args()
    # meson's timeout sends SIGTERM: leave through the finally blocks, which
    # stop every cluster, node and haproxy by its pid
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print('# %d cores, load %s; %d clients x %d batches of 5 records; median of %d runs'
          % (os.cpu_count(), '%.2f %.2f %.2f' % os.getloadavg(), args.clients, args.batches, args.repeat))
    sizes = None
    figures = {}
    # repeats interleaved, so that a burst of load elsewhere on the machine
    # does not fall on one configuration only; the median is printed
    for r in range(args.repeat):
        for engine in args.engines.split(','):
            for n in [int(x) for x in args.nodes.split(',')]:
                m = run_one(engine, n, args.clients, args.batches, sizes is None, figures)
                sizes = sizes or m
    for name, (unit, values) in figures.items():
        if name.endswith('_errors'):
            bench(name, sum(values), unit)
        else:
            bench(name, statistics.median(values), unit)
    if sizes:
        print('# PostgreSQL, the first run\'s cards x %d: table rows heap-bytes index-bytes (per row)' % (COPIES + 1))
        for rel, (tuples, heap, index) in sorted(sizes.items()):
            per = ' (%.0f + %.0f B/row)' % (heap / tuples, index / tuples) if tuples >= 300 else ''
            print('#   %-14s %7d %9d %9d%s' % (rel, tuples, heap, index, per))
            if tuples >= 300:
                bench('server_pgsql_%s_heap_bytes_per_row' % rel, heap / tuples, 'B')
                bench('server_pgsql_%s_index_bytes_per_row' % rel, index / tuples, 'B')
    return 0


if __name__ == '__main__':
    sys.exit(main())
