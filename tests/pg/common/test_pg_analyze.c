/* test_pg_analyze.c: when analyze rounds run (oi/pg_analyze.h), against a real server: only after
 * other work, on the pipeline they run on or on the one they watch. The round's statement here
 * records each run in a table of the test's own schema. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <unistd.h>
#include <uv.h>

#include "oi/pg_analyze.h"
#include "oi/pg_pipeline.h"
#include "pgtest.h"

static uv_loop_t loop;
static oi_pg_pipeline_t *runs, *busy;
static char schema[64], sql_round[256], sql_count[128];
static const oi_pg_stmt_t ROUND = {"t_analyze_round", sql_round, 1};
static const oi_pg_stmt_t WORK = {"t_analyze_work", "SELECT 1", 0};

static oi_pg_pipeline_t *pipeline(void)
{
    oi_pg_pipeline_config_t cfg = {.conninfo = pgtest_conninfo(), .connections = 1, .statement_timeout_ms = 5000};
    return oi_pg_pipeline_new(&loop, &cfg);
}

static void setup(void)
{
    uv_loop_init(&loop);
    snprintf(schema, sizeof schema, "pgtest_analyze_%d", (int)getpid());
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s; CREATE TABLE %s.rounds (n int)",
             schema, schema, schema);
    pgtest_admin_sql(sql);
    snprintf(sql_round, sizeof sql_round,
             "WITH r AS (INSERT INTO %s.rounds (n) VALUES ($1::int) RETURNING 0) SELECT count(*) FROM r", schema);
    snprintf(sql_count, sizeof sql_count, "SELECT count(*) FROM %s.rounds", schema);
    runs = pipeline();
    busy = pipeline();
}

static void teardown(void)
{
    bool a = false, b = false;
    oi_pg_pipeline_close(&runs, pgtest_set_flag, &a);
    oi_pg_pipeline_close(&busy, pgtest_set_flag, &b);
    pgtest_run_until(&loop, &a, 5000);
    pgtest_run_until(&loop, &b, 5000);
    uv_run(&loop, UV_RUN_NOWAIT);
    cr_assert_eq(uv_loop_close(&loop), 0, "handles left open");
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    pgtest_admin_sql(sql);
}

TestSuite(pg_analyze, .init = setup, .fini = teardown, .timeout = 60);

static void run_for(int ms)
{
    int64_t until = oi_clock_mono_ms() + ms;
    while (oi_clock_mono_ms() < until)
        uv_run(&loop, UV_RUN_NOWAIT), usleep(2000);
}

static int rounds(void)
{
    PGconn *c = pgtest_connect(pgtest_conninfo());
    PGresult *r = PQexec(c, sql_count);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    int n = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return n;
}

static void on_work(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)err, (void)res, (void)n;
    cr_assert_eq(st, OI_OK);
    *(bool *)ud = true;
}

static void work_on(oi_pg_pipeline_t *p)
{
    bool done = false;
    oi_pg_pipeline_exec(p, &WORK, NULL, on_work, &done);
    pgtest_run_until(&loop, &done, 5000);
}

static void close_analyze(oi_pg_analyze_t **a)
{
    oi_pg_analyze_close(a);
    run_for(50); /* its timer handle closes */
}

Test(pg_analyze, a_round_runs_once_after_work_on_its_pipeline_and_never_when_idle)
{
    oi_pg_analyze_t *a = oi_pg_analyze_new(&loop, runs, &ROUND, 40);
    run_for(500);
    cr_assert_eq(rounds(), 0, "an idle service sends nothing");
    work_on(runs);
    run_for(500);
    cr_assert_eq(rounds(), 1, "one round after the work, its own batch not counted as work");
    close_analyze(&a);
}

Test(pg_analyze, a_round_on_its_own_connection_follows_the_work_of_the_one_it_watches)
{
    oi_pg_analyze_t *a = oi_pg_analyze_new(&loop, runs, &ROUND, 40);
    oi_pg_analyze_watch(a, busy);
    work_on(runs); /* not the watched pipeline: no round */
    run_for(500);
    cr_assert_eq(rounds(), 0);
    work_on(busy);
    run_for(500);
    cr_assert_eq(rounds(), 1);
    work_on(busy);
    run_for(500);
    cr_assert_eq(rounds(), 2);
    close_analyze(&a);
}
