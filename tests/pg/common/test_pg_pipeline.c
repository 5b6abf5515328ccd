/* test_pg_pipeline.c: the pipelined PostgreSQL client and LISTEN against a real server (the test
 * stack's, OI_TEST_PG_CONNINFO; deploy/local/test.sh sets it). Each test works in a schema of
 * its own. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "oi/clock.h"
#include "oi/pg.h"
#include "oi/pg_listen.h"
#include "oi/pg_pipeline.h"
#include "pgtest.h"

static uv_loop_t loop;
static oi_pg_pipeline_t *pg;
static char schema[64];
static const char *conninfo;

static void setup(void)
{
    conninfo = pgtest_conninfo();
    uv_loop_init(&loop);
    snprintf(schema, sizeof schema, "pgtest_%d", (int)getpid());
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s; CREATE TABLE %s.t (k int PRIMARY "
             "KEY, v text)", schema, schema, schema);
    pgtest_admin_sql(sql);
    oi_pg_pipeline_config_t cfg = {.conninfo = conninfo, .connections = 2, .statement_timeout_ms = 5000,
                                   .queue_timeout_ms = 3000, .max_queued = 100000};
    pg = oi_pg_pipeline_new(&loop, &cfg);
}

static void run_until(const bool *flag, int timeout_ms) { pgtest_run_until(&loop, flag, timeout_ms); }

static void teardown(void)
{
    bool closed = pg == NULL;
    if (pg)
        oi_pg_pipeline_close(&pg, pgtest_set_flag, &closed);
    run_until(&closed, 5000);
    uv_run(&loop, UV_RUN_NOWAIT);
    cr_assert_eq(uv_loop_close(&loop), 0, "handles left open");
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    pgtest_admin_sql(sql);
}

TestSuite(pg_pipeline, .init = setup, .fini = teardown, .timeout = 60);

/* statements name the schema through search_path-free SQL built at run time */
static char sql_insert[160], sql_select[160], sql_count[160], sql_sleep[96];
static const oi_pg_stmt_t INSERT = {"t_insert", sql_insert, 2};
static const oi_pg_stmt_t SELECT = {"t_select", sql_select, 1};
static const oi_pg_stmt_t COUNT = {"t_count", sql_count, 0};
static const oi_pg_stmt_t SLEEP = {"t_sleep", sql_sleep, 0};
static const oi_pg_stmt_t BAD = {"t_bad", "SELEC nothing", 0};

static void prepare_sql(void)
{
    snprintf(sql_insert, sizeof sql_insert, "INSERT INTO %s.t (k, v) VALUES ($1::int, $2)", schema);
    snprintf(sql_select, sizeof sql_select, "SELECT v FROM %s.t WHERE k = $1::int", schema);
    snprintf(sql_count, sizeof sql_count, "SELECT count(*) AS n FROM %s.t", schema);
    /* named by the test process, so parallel tests never kill each other's sleeps */
    snprintf(sql_sleep, sizeof sql_sleep, "SELECT pg_sleep(30) AS %s", schema);
}

typedef struct {
    bool done;
    oi_status_t st;
    char value[64];
    int order;
} answer_t;

static int answered;

static void on_answer(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    answer_t *a = ud;
    (void)err;
    a->done = true;
    a->st = st;
    a->order = answered++;
    if (st == OI_OK && n > 0 && PQntuples(res[n - 1]) == 1)
        snprintf(a->value, sizeof a->value, "%s", PQgetvalue(res[n - 1], 0, 0));
}

Test(pg_pipeline, runs_a_statement_with_parameters)
{
    prepare_sql();
    answer_t ins = {0}, sel = {0};
    oi_pg_pipeline_exec(pg, &INSERT, (const char *[]){"1", "one"}, on_answer, &ins);
    cr_assert_not(ins.done, "the callback must never run inside the submitting call");
    oi_pg_pipeline_exec(pg, &SELECT, (const char *[]){"1"}, on_answer, &sel);
    run_until(&sel.done, 5000);
    cr_assert_eq(ins.st, OI_OK);
    cr_assert_eq(sel.st, OI_OK);
    cr_assert_str_eq(sel.value, "one");
}

Test(pg_pipeline, a_failing_statement_rolls_back_its_whole_batch_and_nothing_else)
{
    prepare_sql();
    answer_t first = {0}, bad = {0}, after = {0}, count = {0};
    oi_pg_pipeline_exec(pg, &INSERT, (const char *[]){"7", "seven"}, on_answer, &first);
    oi_pg_query_t q[] = {{&INSERT, (const char *[]){"8", "eight"}}, {&INSERT, (const char *[]){"7", "again"}},
                         {&INSERT, (const char *[]){"9", "nine"}}};
    oi_pg_pipeline_batch(pg, q, 3, on_answer, &bad);
    oi_pg_pipeline_exec(pg, &INSERT, (const char *[]){"10", "ten"}, on_answer, &after);
    oi_pg_pipeline_exec(pg, &COUNT, NULL, on_answer, &count);
    run_until(&count.done, 5000);
    cr_assert_eq(first.st, OI_OK);
    cr_assert_eq(bad.st, OI_CONFLICT, "a duplicate key is a conflict, got %d", bad.st);
    cr_assert_eq(after.st, OI_OK, "the next caller's batch is its own transaction");
    cr_assert_str_eq(count.value, "2", "rows 8 and 9 were rolled back with 7's duplicate");
}

Test(pg_pipeline, answers_a_thousand_batches_in_submission_order)
{
    prepare_sql();
    enum { N = 1000 };
    answer_t *a = calloc(N, sizeof *a);
    answered = 0;
    for (int i = 0; i < N; i++) {
        char k[16], v[16];
        snprintf(k, sizeof k, "%d", i);
        snprintf(v, sizeof v, "v%d", i);
        oi_pg_query_t q[] = {{&INSERT, (const char *[]){k, v}}, {&SELECT, (const char *[]){k}}};
        oi_pg_pipeline_batch(pg, q, 2, on_answer, &a[i]);
    }
    cr_assert_eq(oi_pg_pipeline_pending(pg), N);
    int64_t until = oi_clock_mono_ms() + 20000; /* two connections: each answers in its own order */
    while (oi_pg_pipeline_pending(pg) > 0 && oi_clock_mono_ms() < until)
        uv_run(&loop, UV_RUN_ONCE);
    for (int i = 0; i < N; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        cr_assert(a[i].done && a[i].st == OI_OK, "batch %d: %d", i, a[i].st);
        cr_assert_str_eq(a[i].value, v);
    }
    cr_assert_eq(oi_pg_pipeline_pending(pg), 0);
    free(a);
}

/* What every session runs with (oi/pg.h): UTC, the statement timeout, and no JIT. */
static const oi_pg_stmt_t SETTINGS = {
    "t_settings",
    "SELECT current_setting('jit') || ' ' || current_setting('TimeZone') || ' ' || "
    "current_setting('statement_timeout') AS s",
    0};

Test(pg_pipeline, sessions_run_in_utc_with_the_timeout_and_without_jit)
{
    answer_t a = {0};
    oi_pg_pipeline_exec(pg, &SETTINGS, NULL, on_answer, &a);
    run_until(&a.done, 5000);
    cr_assert_eq(a.st, OI_OK);
    cr_assert_str_eq(a.value, "off UTC 5s");
}

static const oi_pg_stmt_t PLAN_MODE = {"t_plan_mode", "SELECT current_setting('plan_cache_mode') AS m", 0};

static void on_one_result(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    cr_assert(st != OI_OK || n == 1, "the caller sees its own statement's result only, got %zu", n);
    on_answer(st, err, res, n, ud);
}

Test(pg_pipeline, a_planned_statement_gets_a_custom_plan_and_the_session_keeps_generic_ones)
{
    answer_t before = {0}, planned = {0}, after = {0};
    oi_pg_pipeline_exec(pg, &PLAN_MODE, NULL, on_one_result, &before);
    oi_pg_pipeline_exec_planned(pg, &PLAN_MODE, NULL, on_one_result, &planned);
    oi_pg_pipeline_exec(pg, &PLAN_MODE, NULL, on_one_result, &after);
    run_until(&after.done, 5000);
    cr_assert_eq(planned.st, OI_OK);
    cr_assert_str_eq(before.value, "force_generic_plan");
    cr_assert_str_eq(planned.value, "force_custom_plan");
    cr_assert_str_eq(after.value, "force_generic_plan", "the setting is the planned statement's transaction's own");
}

Test(pg_pipeline, a_planned_statement_that_fails_answers_its_error)
{
    answer_t bad = {0};
    oi_pg_pipeline_exec_planned(pg, &BAD, NULL, on_one_result, &bad);
    run_until(&bad.done, 5000);
    cr_assert(bad.st != OI_OK);
}

Test(pg_pipeline, pool_sessions_run_in_utc_with_the_timeout_and_without_jit)
{
    oi_pg_pool_t *pool = oi_pg_pool_new(conninfo, 1, 7000);
    oi_error_t err;
    oi_error_init(&err);
    PGconn *c = NULL;
    cr_assert_eq(oi_pg_pool_acquire(pool, 5000, &c, &err), OI_OK, "%s", err.message);
    PGresult *r = PQexec(c, SETTINGS.sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    cr_assert_str_eq(PQgetvalue(r, 0, 0), "off UTC 7s");
    PQclear(r);
    oi_pg_pool_release(pool, &c);
    oi_pg_pool_destroy(&pool);
}

Test(pg_pipeline, a_statement_that_does_not_prepare_fails_its_batch_only)
{
    prepare_sql();
    answer_t bad = {0}, good = {0};
    oi_pg_pipeline_exec(pg, &BAD, NULL, on_answer, &bad);
    oi_pg_pipeline_exec(pg, &INSERT, (const char *[]){"1", "x"}, on_answer, &good);
    run_until(&good.done, 5000);
    cr_assert(bad.done && bad.st != OI_OK);
    cr_assert_eq(good.st, OI_OK);
}

static char sql_locked[128];
static const oi_pg_stmt_t LOCKED = {"t_locked", sql_locked, 0};

/* A Parse the server refuses (here: a lock held past the statement timeout) fails its batch for
 * that reason, not as an unknown statement, and leaves the statement unprepared: the next use,
 * on the same connection, prepares it again and runs. */
Test(pg_pipeline, a_statement_whose_prepare_failed_is_prepared_again)
{
    snprintf(sql_locked, sizeof sql_locked, "SELECT count(*) AS n FROM %s.t", schema);
    oi_pg_pipeline_config_t cfg = {.conninfo = conninfo, .connections = 1, .statement_timeout_ms = 300,
                                   .queue_timeout_ms = 3000};
    oi_pg_pipeline_t *one = oi_pg_pipeline_new(&loop, &cfg);
    PGconn *holder = pgtest_connect(conninfo);
    char lock[160];
    snprintf(lock, sizeof lock, "BEGIN; LOCK TABLE %s.t IN ACCESS EXCLUSIVE MODE", schema);
    PQclear(PQexec(holder, lock));
    answer_t held = {0}, after = {0};
    oi_pg_pipeline_exec(one, &LOCKED, NULL, on_answer, &held);
    run_until(&held.done, 5000);
    PQclear(PQexec(holder, "COMMIT"));
    PQfinish(holder);
    cr_assert_eq(held.st, OI_TIMEOUT, "the Parse timed out, got %s", oi_status_name(held.st));
    oi_pg_pipeline_exec(one, &LOCKED, NULL, on_answer, &after);
    run_until(&after.done, 5000);
    cr_assert_eq(after.st, OI_OK, "prepared again, got %s", oi_status_name(after.st));
    cr_assert_str_eq(after.value, "0");
    bool closed = false;
    oi_pg_pipeline_close(&one, pgtest_set_flag, &closed);
    run_until(&closed, 5000);
}

static void on_terminated(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)err;
    (void)res;
    (void)n;
    answer_t *a = ud;
    a->done = true;
    a->st = st;
}

Test(pg_pipeline, a_killed_connection_fails_its_batches_then_reconnects)
{
    prepare_sql();
    answer_t warm = {0};
    oi_pg_pipeline_exec(pg, &COUNT, NULL, on_answer, &warm);
    run_until(&warm.done, 5000);
    answer_t slow[2] = {{0}, {0}};
    oi_pg_pipeline_exec(pg, &SLEEP, NULL, on_terminated, &slow[0]);
    oi_pg_pipeline_exec(pg, &SLEEP, NULL, on_terminated, &slow[1]);
    for (int i = 0; i < 20; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    usleep(200 * 1000);
    char kill[256];
    snprintf(kill, sizeof kill, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
             "'oneinbox' AND query = '%s' AND pid <> pg_backend_pid()", sql_sleep);
    pgtest_admin_sql(kill);
    run_until(&slow[1].done, 5000);
    run_until(&slow[0].done, 5000); /* on two connections they break one after the other */
    cr_assert_eq(slow[0].st, OI_DB_UNAVAILABLE, "got %s", oi_status_name(slow[0].st));
    cr_assert_eq(slow[1].st, OI_DB_UNAVAILABLE);
    int64_t until = oi_clock_mono_ms() + 5000;
    answer_t again = {0};
    while (oi_clock_mono_ms() < until) {
        again = (answer_t){0};
        oi_pg_pipeline_exec(pg, &COUNT, NULL, on_answer, &again);
        run_until(&again.done, 5000);
        if (again.st == OI_OK)
            break;
        usleep(50 * 1000);
    }
    cr_assert_eq(again.st, OI_OK, "the pool reconnected");
}

Test(pg_pipeline, an_unreachable_server_fails_fast)
{
    prepare_sql();
    oi_pg_pipeline_t *dead = oi_pg_pipeline_new(&loop, &(oi_pg_pipeline_config_t){
        .conninfo = "host=127.0.0.1 port=9 dbname=x user=x connect_timeout=2", .connections = 1,
        .statement_timeout_ms = 1000, .queue_timeout_ms = 1000});
    answer_t a = {0};
    int64_t t0 = oi_clock_mono_ms();
    oi_pg_pipeline_exec(dead, &COUNT, NULL, on_answer, &a);
    run_until(&a.done, 5000);
    cr_assert_eq(a.st, OI_DB_UNAVAILABLE);
    cr_assert_lt(oi_clock_mono_ms() - t0, 2500);
    cr_assert_not(oi_pg_pipeline_healthy(dead));
    answer_t b = {0};
    t0 = oi_clock_mono_ms();
    oi_pg_pipeline_exec(dead, &COUNT, NULL, on_answer, &b);
    run_until(&b.done, 5000);
    cr_assert_eq(b.st, OI_DB_UNAVAILABLE);
    cr_assert_lt(oi_clock_mono_ms() - t0, 200, "once known down, nothing waits");
    bool closed = false;
    oi_pg_pipeline_close(&dead, pgtest_set_flag, &closed);
    run_until(&closed, 5000);
}

Test(pg_pipeline, close_answers_what_is_pending)
{
    prepare_sql();
    answer_t a = {0};
    oi_pg_pipeline_exec(pg, &SLEEP, NULL, on_terminated, &a);
    for (int i = 0; i < 10; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    bool closed = false;
    oi_pg_pipeline_close(&pg, pgtest_set_flag, &closed);
    cr_assert(a.done, "close answers every pending batch");
    cr_assert_neq(a.st, OI_OK);
    run_until(&closed, 5000);
}

/* --- LISTEN ------------------------------------------------------------------------------------ */

typedef struct {
    int resyncs;
    int notes;
    char last[64];
} listen_seen_t;

static void on_note(const char *payload, void *ud)
{
    listen_seen_t *s = ud;
    s->notes++;
    snprintf(s->last, sizeof s->last, "%s", payload);
}

static void on_resync(void *ud) { ((listen_seen_t *)ud)->resyncs++; }

static void run_until_int(const int *v, int want, int timeout_ms)
{
    int64_t until = oi_clock_mono_ms() + timeout_ms;
    while (*v < want && oi_clock_mono_ms() < until)
        uv_run(&loop, UV_RUN_ONCE);
    cr_assert_geq(*v, want, "timed out after %d ms (%d < %d)", timeout_ms, *v, want);
}

Test(pg_pipeline, listener_delivers_notifications_and_resyncs_after_a_lost_connection)
{
    prepare_sql();
    char channel[64];
    snprintf(channel, sizeof channel, "pgtest_%d", (int)getpid());
    listen_seen_t seen = {0};
    oi_pg_listener_t *l = oi_pg_listener_new(&loop, conninfo, channel, on_note, on_resync, &seen);
    run_until_int(&seen.resyncs, 1, 5000);
    cr_assert(oi_pg_listener_listening(l));
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT pg_notify('%s', 'hello')", channel);
    pgtest_admin_sql(sql);
    run_until_int(&seen.notes, 1, 5000);
    cr_assert_str_eq(seen.last, "hello");
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN %s'",
             channel);
    pgtest_admin_sql(sql);
    run_until_int(&seen.resyncs, 2, 8000);
    snprintf(sql, sizeof sql, "SELECT pg_notify('%s', 'again')", channel);
    pgtest_admin_sql(sql);
    run_until_int(&seen.notes, 2, 5000);
    cr_assert_str_eq(seen.last, "again");
    oi_pg_listener_close(&l);
}
