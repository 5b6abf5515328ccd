"""OI_MIGRATE_ONLY (the Kubernetes migration Job): each service that owns a schema applies its
migrations and exits without listening on anything; a bad database or a malformed flag ends
with a clear non-zero status."""
import os
import subprocess
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("OI_BUILD_DIR", os.path.join(ROOT, "build"))
SCHEMAS = ("gateway", "provisioning", "dispatch")


def conninfo(port, db="oneinbox"):
    return "host=127.0.0.1 port=%s dbname=%s user=oneinbox connect_timeout=5" % (port, db)


def migrate(svc, **env):
    e = dict(os.environ, OI_MIGRATE_ONLY="true", OI_MIGRATIONS_DIR=os.path.join(ROOT, "services", svc, "migrations"))
    e.update(env)
    return subprocess.run([os.path.join(BUILD, "oi-" + svc)], env=e, capture_output=True, text=True, timeout=60)


def psql(port, sql, db="oneinbox", user="oneinbox"):
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", db, "-Atc", sql],
                          capture_output=True, text=True, timeout=30)


@pytest.fixture
def fresh_db(stack):
    port = stack["OI_PG_PORT"]
    name = "oi_migrate_" + uuid.uuid4().hex[:8]
    r = psql(port, "CREATE DATABASE %s OWNER oneinbox" % name, user="postgres")
    if r.returncode != 0:
        pytest.skip("cannot create a database: " + r.stderr)
    yield name
    psql(port, "DROP DATABASE IF EXISTS %s" % name, user="postgres")


@pytest.mark.parametrize("svc", SCHEMAS)
def test_migrate_only_on_the_running_database_is_a_no_op(stack, svc):
    # the stack's own replicas are listening on the ports this binary would use: it must not
    r = migrate(svc, OI_PG_CONNINFO=conninfo(stack["OI_PG_PORT"]))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "up to date" in r.stderr + r.stdout


def test_migrate_only_builds_every_schema_in_an_empty_database(stack, fresh_db):
    for svc in SCHEMAS:
        r = migrate(svc, OI_PG_CONNINFO=conninfo(stack["OI_PG_PORT"], fresh_db))
        assert r.returncode == 0, (svc, r.stderr[-2000:])
    r = psql(stack["OI_PG_PORT"], "SELECT string_agg(DISTINCT table_schema, ',' ORDER BY table_schema) "
                                  "FROM information_schema.tables WHERE table_schema IN "
                                  "('gateway','provisioning','dispatch')", db=fresh_db)
    assert r.stdout.strip() == "dispatch,gateway,provisioning", r
    again = migrate("dispatch", OI_PG_CONNINFO=conninfo(stack["OI_PG_PORT"], fresh_db))
    assert again.returncode == 0, again.stderr[-2000:]


def test_migrate_only_fails_clearly(stack):
    down = migrate("gateway", OI_PG_CONNINFO="host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2")
    assert down.returncode == 1 and "gateway" in down.stderr + down.stdout, down
    nodir = migrate("gateway", OI_PG_CONNINFO=conninfo(stack["OI_PG_PORT"]), OI_MIGRATIONS_DIR="/nonexistent")
    assert nodir.returncode == 1, nodir
    bad = migrate("dispatch", OI_MIGRATE_ONLY="perhaps")
    assert bad.returncode == 2 and "OI_MIGRATE_ONLY" in bad.stderr + bad.stdout, bad
    unset = migrate("provisioning", OI_PG_CONNINFO="")
    assert unset.returncode == 2 and "OI_PG_CONNINFO" in unset.stderr + unset.stdout, unset
