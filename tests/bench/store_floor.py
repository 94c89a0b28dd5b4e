#!/usr/bin/python3
"""What the MEF's durable store costs PostgreSQL per enrolment, statement by statement, alone.

  eval "$(bash tests/pg/start_pg.sh)"
  /usr/bin/python3 tests/bench/store_floor.py [--seconds=5] [--write-batch=8] [--read-batch=2.5]

mef_load measures the store inside the whole enrolment, where two cores are shared by the MEF, its
64 clients and PostgreSQL. This runs the store's two statements on their own (pgbench, one
connection, as the MEF's committer and its KpmID reader each have one), at several batch sizes,
and reports PostgreSQL's CPU (every postgres process, read from /proc while pgbench runs) and
pgbench's (the client's libpq side) per statement. From batches of 8 and 32 it fits a cost per
statement and a cost per row, then the cost per enrolment at the batch sizes mef_load reports
(docs/performance.md, "Stop 34" and "Stop 35"). The shapes:

  - product: the statements of mef/store/pg_enrolee_rows.h (kInsertEnrolmentsSql into the real
    schema of mef/store/migrations, with its foreign key, second index and ON CONFLICT;
    kGetEnroleesSql with its decoy rows), with the keys made by the server instead of bound as
    parameters;
  - no FK: the same enrolments table without the foreign key (what the key costs);
  - locked join: no foreign key, the insert instead joining each row to its enrolee with
    FOR KEY SHARE (what the key's trigger does, set-based: as safe against a concurrent delete
    if the delete also removed the enrolments itself);
  - minimal: the least an enrolment can store (KeID -> sealed Ke, KpmID), a plain point read.

It works in a schema of its own and drops it at the end. The figures are a floor: on a quiet
machine, without the cache and scheduler costs of the full load.
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
ENROLEES = 8000

KEYS = "ARRAY(SELECT 'device-' || (random() * %d)::int FROM generate_series(1, {n}))" % (
    ENROLEES - 1)
# kInsertEnrolmentsSql's rows and clauses, the values made here.
WRITE_PRODUCT = (
    "INSERT INTO {table} (ke_id, kpm_id, ke_sealed, ke_kek_version, enrolee_id, maf_id, "
    "expires_at, transport, peer_address, created_at) "
    "SELECT upper(md5(random()::text)) || '@mef.example.com', 'device-' || (random() * %d)::int, "
    "decode(repeat('5a', 60), 'hex'), 1, 'C-bench', 'maf.example.com', now() + interval '1 day', "
    "'tls', '127.0.0.1:40000', now() FROM generate_series(1, {n}) "
    "ON CONFLICT (ke_id) DO NOTHING RETURNING ke_id;" % (ENROLEES - 1))
# The foreign key's check as one set-based join: each row locks its enrolee FOR KEY SHARE, so a
# concurrent DELETE of the enrolee waits for this insert (and a deleted one yields no row).
WRITE_LOCKED_JOIN = (
    "INSERT INTO enrolments_no_fk (ke_id, kpm_id, ke_sealed, ke_kek_version, enrolee_id, maf_id, "
    "expires_at, transport, peer_address, created_at) "
    "SELECT k, p, decode(repeat('5a', 60), 'hex'), 1, 'C-bench', 'maf.example.com', "
    "now() + interval '1 day', 'tls', '127.0.0.1:40000', now() "
    "FROM (SELECT u.k, e.kpm_id AS p FROM (SELECT upper(md5(random()::text)) || '@mef.example.com' "
    "AS k, 'device-' || (random() * %d)::int AS q FROM generate_series(1, {n})) u "
    "JOIN enrolees e ON e.kpm_id = u.q FOR KEY SHARE OF e) s "
    "ON CONFLICT (ke_id) DO NOTHING RETURNING ke_id;" % (ENROLEES - 1))
WRITE_MINIMAL = (
    "INSERT INTO minimal_enrolments (ke_id, kpm_id, ke_sealed) "
    "SELECT upper(md5(random()::text)) || '@mef.example.com', 'device-' || (random() * %d)::int, "
    "decode(repeat('5a', 60), 'hex') FROM generate_series(1, {n});" % (ENROLEES - 1))
# kGetEnroleesSql, the keys made here.
READ_PRODUCT = (
    "SELECT coalesce(e.kpm_id, k.id), coalesce(e.kpm_sealed, decode(repeat('00', 65), 'hex')), "
    "coalesce(e.kpm_kek_version, 1), coalesce(e.enrolee_id, 'C-' || k.id), "
    "coalesce(e.maf_id, 'decoy.invalid'), e.maf_uri, e.enrolment_lifetime_us, "
    "(extract(epoch from e.not_after) * 1000000)::bigint, coalesce(e.state, 'disabled'), "
    "coalesce((extract(epoch from e.created_at) * 1000000)::bigint, 0), "
    "coalesce((extract(epoch from e.updated_at) * 1000000)::bigint, 0), "
    "coalesce(e.revision, 0), e.kpm_id IS NOT NULL "
    "FROM unnest(" + KEYS + ") AS k(id) LEFT JOIN enrolees e ON e.kpm_id = k.id;")
READ_MINIMAL = "SELECT kpm_id, kpm_sealed FROM enrolees WHERE kpm_id = ANY(" + KEYS + ");"

CASES = [  # (what, kind, sql)
    ("write, product", "write", WRITE_PRODUCT.replace("{table}", "enrolments")),
    ("write, no FK", "write", WRITE_PRODUCT.replace("{table}", "enrolments_no_fk")),
    ("write, locked join", "write", WRITE_LOCKED_JOIN),
    ("write, minimal", "write", WRITE_MINIMAL),
    ("read, product", "read", READ_PRODUCT),
    ("read, minimal", "read", READ_MINIMAL),
]
BATCHES = {"write": [1, 8, 32], "read": [1, 3, 32]}


def fit(cost_small, n_small, cost_large, n_large):
    """(per statement, per row) from two batch sizes' costs per statement."""
    per_row = (cost_large - cost_small) / float(n_large - n_small)
    return cost_small - n_small * per_row, per_row


def per_enrolment(fixed, per_row, batch):
    """Cost per row when statements carry `batch` rows on average."""
    return fixed / batch + per_row


def psql(conninfo, sql):
    subprocess.run(["psql", conninfo, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)


def cpu_ticks(pid):
    try:
        fields = pathlib.Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def postgres_pids():
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if pathlib.Path("/proc/%s/comm" % p).read_text().startswith("postgres"):
                    pids.append(int(p))
            except OSError:
                pass
    return pids


def run_case(conninfo, script, seconds):
    """(statements, PostgreSQL us per statement, pgbench us per statement). Backends are sampled
    while pgbench runs: one that exits takes its CPU out of /proc."""
    first = {p: cpu_ticks(p) for p in postgres_pids()}
    last = dict(first)
    bench = subprocess.Popen([PGBENCH, "-n", "-c", "1", "-j", "1", "-T", str(seconds), "-M",
                              "prepared", "-f", script, conninfo],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    client = 0
    while bench.poll() is None:
        for p in postgres_pids():
            v = cpu_ticks(p)
            if v is not None:
                first.setdefault(p, 0)
                last[p] = v
        client = cpu_ticks(bench.pid) or client
        time.sleep(0.05)
    out = bench.stdout.read()
    done = re.search(r"actually processed: (\d+)", out)
    if bench.returncode != 0 or not done or int(done.group(1)) == 0:
        raise RuntimeError("pgbench failed:\n" + out)
    n = int(done.group(1))
    tick = os.sysconf("SC_CLK_TCK")
    server = sum(last[p] - (first[p] or 0) for p in last if last[p] is not None)
    return n, server * 1e6 / tick / n, client * 1e6 / tick / n


def setup(conninfo, schema):
    psql(conninfo, "SET client_min_messages TO warning; DROP SCHEMA IF EXISTS %s CASCADE; "
         "CREATE SCHEMA %s" % (schema, schema))
    scoped = conninfo + " options='-c search_path=%s'" % schema
    for m in sorted((ROOT / "mef/store/migrations").glob("*.sql")):
        subprocess.run(["psql", scoped, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(m)], check=True,
                       stdout=subprocess.DEVNULL)
    psql(scoped,
         "INSERT INTO enrolees (kpm_id, kpm_sealed, kpm_kek_version, enrolee_id, maf_id, state, "
         "revision) SELECT 'device-' || g, decode(repeat('cd', 65), 'hex'), 1, 'C-' || g, "
         "'maf.example.com', 'active', 1 FROM generate_series(0, %d) g;"
         "CREATE TABLE enrolments_no_fk (LIKE enrolments INCLUDING ALL);"
         "CREATE TABLE minimal_enrolments (ke_id text PRIMARY KEY, kpm_id text NOT NULL, "
         "ke_sealed bytea NOT NULL); ANALYZE" % (ENROLEES - 1))
    return scoped


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default=os.environ.get("ONEM2M_TEST_PG", ""))
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--write-batch", type=float, default=8.0,
                    help="rows per INSERT to cost per enrolment (mef_load's figure)")
    ap.add_argument("--read-batch", type=float, default=2.5,
                    help="keys per KpmID read to cost per enrolment (mef_load's figure)")
    a = ap.parse_args()
    if not a.pg:
        print("no database: --pg or ONEM2M_TEST_PG (eval \"$(bash tests/pg/start_pg.sh)\")",
              file=sys.stderr)
        return 2
    schema = "store_floor_%d" % os.getpid()
    scoped = setup(a.pg, schema)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print("%-18s %6s %10s %14s %14s" % ("case", "batch", "per s", "PG us/stmt",
                                                 "client us/stmt"))
            fits = []
            for what, kind, sql in CASES:
                costs = {}
                for n in BATCHES[kind]:
                    script = pathlib.Path(tmp) / "case.sql"
                    script.write_text(sql.replace("{n}", str(n)) + "\n")
                    count, server, client = run_case(scoped, str(script), a.seconds)
                    costs[n] = (server, client)
                    print("%-18s %6d %10.0f %14.1f %14.1f" % (what, n, count / float(a.seconds),
                                                               server, client))
                small, large = BATCHES[kind][1], BATCHES[kind][2]
                fits.append((what, kind,
                             fit(costs[small][0], small, costs[large][0], large),
                             fit(costs[small][1], small, costs[large][1], large)))
            print()
            print("per enrolment (us): PostgreSQL + client, at the MEF's batches (writes %.1f rows, "
                  "reads %.1f keys) and at 32" % (a.write_batch, a.read_batch))
            for what, kind, (pg_fixed, pg_row), (cl_fixed, cl_row) in fits:
                batch = a.write_batch if kind == "write" else a.read_batch
                print("%-18s per statement %6.1f + %5.1f, per row %5.1f + %5.1f -> %6.1f at %.1f, "
                      "%6.1f at 32" % (what, pg_fixed, cl_fixed, pg_row, cl_row,
                                       per_enrolment(pg_fixed + cl_fixed, pg_row + cl_row, batch),
                                       batch, per_enrolment(pg_fixed + cl_fixed, pg_row + cl_row,
                                                            32)))
    finally:
        psql(a.pg, "SET client_min_messages TO warning; DROP SCHEMA IF EXISTS %s CASCADE" % schema)
    return 0


if __name__ == "__main__":
    sys.exit(main())
