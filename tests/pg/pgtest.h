/* pgtest.h: what the tests/pg runners share: the server they run against
 * (OI_TEST_PG_CONNINFO; deploy/local/test.sh sets it), connections to it, their schemas, and
 * running a libuv loop until something happened. */
#ifndef PGTEST_H
#define PGTEST_H

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdlib.h>
#include <uv.h>

#include "oi/clock.h"
#include "oi/mem.h"
#include "oi/pg.h"

/* The conninfo of the test server; fails the test when it is not set. */
static inline const char *pgtest_conninfo(void)
{
    const char *ci = getenv("OI_TEST_PG_CONNINFO");
    cr_assert(ci && *ci, "OI_TEST_PG_CONNINFO is not set (deploy/local/test.sh sets it)");
    return ci;
}

/* A blocking connection with notices above warnings silenced (the caller PQfinish-es it). */
static inline PGconn *pgtest_connect(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

/* Runs sql on c; fails the test unless it succeeded. */
static inline void pgtest_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
              PQresultErrorMessage(r));
    PQclear(r);
}

/* Runs sql on a connection of its own (schemas made and dropped around a test). */
static inline void pgtest_admin_sql(const char *sql)
{
    PGconn *c = pgtest_connect(pgtest_conninfo());
    pgtest_exec(c, sql);
    PQfinish(c);
}

/* For close callbacks and the like: sets the bool ud points to. */
static inline void pgtest_set_flag(void *ud) { *(bool *)ud = true; }

/* Runs loop until *flag is set; fails the test after timeout_ms. */
static inline void pgtest_run_until(uv_loop_t *loop, const bool *flag, int timeout_ms)
{
    int64_t until = oi_clock_mono_ms() + timeout_ms;
    while (!*flag && oi_clock_mono_ms() < until)
        uv_run(loop, UV_RUN_ONCE);
    cr_assert(*flag, "timed out after %d ms", timeout_ms);
}

/* Applies any missing migration of schema (from dir) as the schema's owner (the service's role,
 * so the service can still use what this creates), or as the connecting user when the schema
 * does not exist yet. admin: an open connection. */
static inline void pgtest_migrate_schema(PGconn *admin, const char *conninfo, const char *schema, const char *dir)
{
    const char *params[] = {schema};
    PGresult *r = PQexecParams(admin, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = $1", 1, NULL,
                               params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    char *owner = PQntuples(r) ? oi_xstrdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    char *ci = oi_xasprintf("%s options='-c client_min_messages=warning%s%s'", conninfo, owner ? " -c role=" : "",
                            owner ? owner : "");
    oi_pg_pool_t *pool = oi_pg_pool_new(ci, 1, 10000);
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(oi_pg_migrate(pool, schema, dir, &err), OI_OK, "migrating %s: %s", schema, err.message);
    oi_pg_pool_destroy(&pool);
    free(ci);
    free(owner);
}

#endif
