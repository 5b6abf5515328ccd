"""Statistics for tables that grew fast (oi/pg_analyze.h): each service's analyze_grown(min_rows)
analyzes a table of its schema once it holds min_rows rows and twice as many as at its last
analysis, and the services run it by themselves every few seconds while they have work, so
plans prepared while a table was empty are made again. A probe table owned by the services'
role stands for a table that grew."""
import random
import subprocess
import time

import pytest


def as_role(ctl, sql):
    return ctl.psql("SET ROLE oneinbox; " + sql).splitlines()[-1]


def live_rows_seen(ctl, table, rows, timeout=10):
    """The statistics collector counts the rows (it reports a second or so after a commit)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if ctl.psql("SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = '%s'::regclass" % table) == str(rows):
            return
        time.sleep(0.2)
    pytest.fail("%s: the statistics never counted %d rows" % (table, rows))


@pytest.fixture(params=["provisioning", "dispatch"])
def probe(request, ctl):
    table = "%s.zz_analyze_probe" % request.param
    ctl.psql("DROP TABLE IF EXISTS %s; CREATE TABLE %s (id int PRIMARY KEY); ALTER TABLE %s OWNER TO oneinbox"
             % (table, table, table))
    yield request.param, table
    ctl.psql("DROP TABLE IF EXISTS %s" % table)


def last_analyze(ctl, table):
    return ctl.psql("SELECT last_analyze FROM pg_stat_user_tables WHERE relid = '%s'::regclass" % table)


def reltuples(ctl, table):
    return float(ctl.psql("SELECT reltuples FROM pg_class WHERE oid = '%s'::regclass" % table))


def test_a_table_is_analyzed_when_it_doubles_and_not_before(ctl, probe):
    schema, table = probe
    ctl.psql("INSERT INTO %s SELECT generate_series(1, 400)" % table)
    live_rows_seen(ctl, table, 400)
    # (the services run it too, every few seconds: whoever runs it, the outcome is the same)
    as_role(ctl, "SELECT %s.analyze_grown(500)" % schema)
    assert reltuples(ctl, table) == -1  # under min_rows: never analyzed
    ctl.psql("INSERT INTO %s SELECT generate_series(401, 600)" % table)
    live_rows_seen(ctl, table, 600)
    as_role(ctl, "SELECT %s.analyze_grown(500)" % schema)
    assert reltuples(ctl, table) == 600
    first = last_analyze(ctl, table)
    as_role(ctl, "SELECT %s.analyze_grown(500)" % schema)  # not grown since: left alone
    assert last_analyze(ctl, table) == first
    ctl.psql("INSERT INTO %s SELECT generate_series(601, 1100)" % table)  # 1,100 < 2 x 600: left alone
    live_rows_seen(ctl, table, 1100)
    as_role(ctl, "SELECT %s.analyze_grown(500)" % schema)
    assert reltuples(ctl, table) == 600
    ctl.psql("INSERT INTO %s SELECT generate_series(1101, 1300)" % table)
    live_rows_seen(ctl, table, 1300)
    as_role(ctl, "SELECT %s.analyze_grown(500)" % schema)
    assert reltuples(ctl, table) == 1300


def test_the_services_analyze_a_grown_table_by_themselves(ctl, probe, client, internal):
    schema, table = probe
    ctl.psql("INSERT INTO %s SELECT generate_series(1, 800)" % table)
    live_rows_seen(ctl, table, 800)
    deadline = time.time() + 20
    while time.time() < deadline:
        # work on both services' pipelines (a round runs only after some): a number read, and a
        # resolve of a number nobody holds (a cache miss reads the database)
        client.get("/v1/phone-numbers?limit=1")
        internal.get("/v1/routing/resolve?to=%%2B1646%07d&from=%%2B14155550100" % random.randrange(10 ** 7))
        if ctl.psql("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relid = '%s'::regclass"
                    % table) == "t":
            break
        time.sleep(0.5)
    assert reltuples(ctl, table) == 800, "%s was not analyzed by the %s service" % (table, schema)


def test_a_table_someone_holds_is_left_for_the_next_round(ctl, probe):
    """A VACUUM (here: a lock of the same kind) on the table: the call does not wait for it."""
    schema, table = probe
    env = ctl.env
    holder = subprocess.Popen(["psql", "-h", "127.0.0.1", "-p", str(env["OI_PG_PORT"]), "-U", "postgres", "-d",
                               "oneinbox", "-Atc", "BEGIN; LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE; "
                               "SELECT pg_sleep(6); COMMIT" % table], stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 5
        while ctl.psql("SELECT count(*) FROM pg_locks WHERE relation = '%s'::regclass AND granted" % table) == "0":
            assert time.time() < deadline, "the lock was never taken"
            time.sleep(0.05)
        ctl.psql("INSERT INTO %s SELECT generate_series(1, 700)" % table)  # inserts pass that lock
        live_rows_seen(ctl, table, 700)
        t0 = time.time()
        as_role(ctl, "SELECT %s.analyze_grown(500)" % schema)
        assert time.time() - t0 < 2, "analyze_grown waited for the lock"
        assert reltuples(ctl, table) == -1
    finally:
        holder.wait(timeout=20)
    as_role(ctl, "SELECT %s.analyze_grown(500)" % schema)
    assert reltuples(ctl, table) == 700
