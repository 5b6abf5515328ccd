/* test_jobs_db.c: the job statements that update several jobs at once (heartbeats, batched
 * successes) against a real PostgreSQL (OI_TEST_PG_CONNINFO; deploy/local/test.sh sets it) and
 * the provisioning schema, migrated here if a migration is missing. Two replicas' worth of such
 * statements run at the same time over the same jobs listed in opposite orders: none may end in
 * a deadlock (PostgreSQL breaks one only after deadlock_timeout, a second of stalled writes). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "jobs_db.h"
#include "pgtest.h"
#include "oi/buf.h"
#include "oi/ids.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "oi/pg_pipeline.h"
#include "prov.h"
#include "provisioning.h"

#define JOBS 40

static uv_loop_t loop;
static PGconn *admin;
static const char *conninfo;
static prov_t a, b; /* two handles on the same owner's jobs, each with its own connection */
static char ids[JOBS][OI_UUID_STR_LEN + 1];

static void exec_ok(const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(admin, sql, n, NULL, params, NULL, NULL, 0);
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql,
              PQresultErrorMessage(r));
    PQclear(r);
}

static void handle_init(prov_t *p, const char *owner)
{
    memset(p, 0, sizeof *p);
    p->loop = &loop;
    p->lease_ms = 15000;
    snprintf(p->owner, sizeof p->owner, "%s", owner);
    p->pg = oi_pg_pipeline_new(&loop, &(oi_pg_pipeline_config_t){.conninfo = conninfo, .connections = 1,
                                                                 .statement_timeout_ms = 10000,
                                                                 .queue_timeout_ms = 5000});
}

static void setup(void)
{
    conninfo = pgtest_conninfo();
    admin = pgtest_connect(conninfo);
    pgtest_migrate_schema(admin, conninfo, "provisioning", PROV_MIGRATIONS_DEFAULT);
    uv_loop_init(&loop);
    char owner[64], ws[OI_UUID_STR_LEN + 1];
    oi_uuid_new(ws);
    snprintf(owner, sizeof owner, "pgtest/%.8s", ws);
    handle_init(&a, owner);
    handle_init(&b, owner);
    for (int i = 0; i < JOBS; i++) {
        oi_uuid_new(ids[i]);
        const char *params[] = {ids[i], ws, owner};
        exec_ok("INSERT INTO provisioning.jobs (id, workspace_id, kind, state, lane, request_sealed, request_hash, "
                "lease_owner, lease_until) VALUES ($1, $2, 'update_routing', 'running', 'local', '', '', $3, "
                "clock_timestamp() + interval '1 minute')",
                3, params);
    }
}

static void closed(void *ud) { (*(int *)ud)++; }

static void teardown(void)
{
    int n = 0;
    oi_pg_pipeline_close(&a.pg, closed, &n);
    oi_pg_pipeline_close(&b.pg, closed, &n);
    while (n < 2)
        uv_run(&loop, UV_RUN_ONCE);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    PQfinish(admin);
}

TestSuite(jobs_db, .init = setup, .fini = teardown, .timeout = 120);

typedef struct {
    int done, failed;
    char why[256];
} tally_t;

static void on_done(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)res;
    (void)n;
    tally_t *t = ud;
    t->done++;
    if (st) {
        t->failed++;
        snprintf(t->why, sizeof t->why, "%s: %s", oi_status_name(st), err ? err->message : "");
    }
}

/* "{id,id,…}" of jobs [from, to) in order, or reversed. */
static char *id_array(int from, int to, bool reversed)
{
    oi_buf_t buf;
    oi_buf_init(&buf, 1 << 20);
    oi_buf_appends(&buf, "{");
    for (int k = 0; k < to - from; k++) {
        int i = reversed ? to - 1 - k : from + k;
        oi_buf_printf(&buf, "%s%s", k ? "," : "", ids[i]);
    }
    oi_buf_appends(&buf, "}");
    size_t len = 0;
    return oi_buf_steal(&buf, &len);
}

static void run_until(const tally_t *t, int want)
{
    while (t->done < want)
        uv_run(&loop, UV_RUN_ONCE);
}

Test(jobs_db, heartbeats_over_the_same_jobs_in_opposite_orders_never_deadlock)
{
    char *up = id_array(0, JOBS, false), *down = id_array(0, JOBS, true);
    tally_t t = {0};
    for (int round = 0; round < 60; round++) {
        prov_job_heartbeat(&a, up, on_done, &t);
        prov_job_heartbeat(&b, down, on_done, &t);
    }
    run_until(&t, 120);
    cr_assert_eq(t.failed, 0, "%d of 120 failed, e.g. %s", t.failed, t.why);
    free(up);
    free(down);
}

Test(jobs_db, successes_and_heartbeats_at_once_never_deadlock_and_each_job_succeeds_once)
{
    char *all_down = id_array(0, JOBS, true);
    tally_t t = {0};
    for (int i = 0; i < JOBS; i += 4) { /* batches of successes while the heartbeat renews them all */
        char *batch = id_array(i, i + 4, false);
        prov_job_succeed_many(&a, batch, on_done, &t);
        prov_job_heartbeat(&b, all_down, on_done, &t);
        free(batch);
    }
    run_until(&t, 2 * JOBS / 4);
    cr_assert_eq(t.failed, 0, "%d failed, e.g. %s", t.failed, t.why);
    for (int i = 0; i < JOBS; i++) {
        const char *params[] = {ids[i]};
        PGresult *r = PQexecParams(admin, "SELECT state, lease_owner IS NULL FROM provisioning.jobs WHERE id = $1", 1,
                                   NULL, params, NULL, NULL, 0);
        cr_assert_eq(PQntuples(r), 1);
        cr_assert_str_eq(PQgetvalue(r, 0, 0), "succeeded");
        cr_assert_str_eq(PQgetvalue(r, 0, 1), "t");
        PQclear(r);
    }
    free(all_down);
}
