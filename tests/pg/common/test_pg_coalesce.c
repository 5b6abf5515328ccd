/* test_pg_coalesce.c: many callers' rows as one statement, against a real server (the test
 * stack's, OI_TEST_PG_CONNINFO; deploy/local/test.sh sets it). The statements touch no table. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "oi/pg_coalesce.h"
#include "oi/pg_pipeline.h"
#include "pgtest.h"

TestSuite(pg_coalesce, .timeout = 30);

typedef struct {
    int calls;
    oi_status_t st;
    int row;
    char value[64];
    long batch;
} answer_t;

static void on_row(oi_status_t st, const oi_error_t *err, const PGresult *res, int row, void *ud)
{
    answer_t *a = ud;
    a->calls++;
    a->st = st;
    a->row = row;
    cr_assert((st == OI_OK) == (err == NULL));
    if (row >= 0) {
        int x = PQfnumber(res, "x"), b = PQfnumber(res, "batch");
        snprintf(a->value, sizeof a->value, "%s", PQgetisnull(res, row, x) ? "(null)" : PQgetvalue(res, row, x));
        a->batch = b >= 0 ? strtol(PQgetvalue(res, row, b), NULL, 10) : 0;
    }
}

static int total(const answer_t *a, int n)
{
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += a[i].calls;
    return sum;
}

/* Blocking turns, as a service runs: rows added outside any callback must not leave the loop
 * asleep in poll (the suite's timeout fails the test if they do). */
static void run_until_answered(uv_loop_t *loop, const answer_t *a, int n)
{
    while (total(a, n) < n)
        uv_run(loop, UV_RUN_ONCE);
    uv_run(loop, UV_RUN_NOWAIT);
    cr_assert_eq(total(a, n), n, "every row is answered exactly once");
}

/* Each row's value back, the size of the execution it rode in; 'skip' answered by no row. */
static const oi_pg_stmt_t ECHO_ROWS = {
    "test_coalesce_echo",
    "SELECT v.ord, v.x, cardinality($1::int[]) AS batch FROM unnest($1::int[], $2::text[]) AS v(ord, x) "
    "WHERE v.x IS DISTINCT FROM 'skip'",
    2};

/* A row that is no integer breaks the whole execution. */
static const oi_pg_stmt_t AS_INT = {
    "test_coalesce_as_int",
    "SELECT v.ord, (v.x::int * 2)::text AS x, cardinality($1::int[]) AS batch "
    "FROM unnest($1::int[], $2::text[]) AS v(ord, x)",
    2};

/* A first statement in the same transaction: what it sets, the second sees. */
static const oi_pg_stmt_t SET_JOINED = {
    "test_coalesce_set_joined",
    "SELECT set_config('oi_test.joined', string_agg(v.x, '+' ORDER BY v.ord), true) "
    "FROM unnest($1::int[], $2::text[]) AS v(ord, x)",
    2};
static const oi_pg_stmt_t GET_JOINED = {
    "test_coalesce_get_joined",
    "SELECT v.ord, current_setting('oi_test.joined') AS x, cardinality($1::int[]) AS batch "
    "FROM unnest($1::int[], $2::text[]) AS v(ord, x)",
    2};

static oi_pg_coalesce_t *coalescer(uv_loop_t *loop, oi_pg_pipeline_t *pg, const oi_pg_stmt_t *stmt, size_t max_rows,
                                   int in_flight)
{
    oi_pg_coalesce_config_t cfg = {.stmt = stmt, .columns = 1, .max_rows = max_rows, .max_in_flight = in_flight};
    return oi_pg_coalesce_new(loop, pg, &cfg);
}

/* The lock statement sees one column (the second here); the statement after it, its setting. */
static const oi_pg_stmt_t LOCK_SEEN = {
    "test_coalesce_lock_seen",
    "SELECT set_config('oi_test.locked', array_to_string($1::text[], '/', '*'), true)", 1};
static const oi_pg_stmt_t GET_LOCKED = {
    "test_coalesce_get_locked",
    "SELECT v.ord, current_setting('oi_test.locked') || ':' || v.x AS x, cardinality($1::int[]) AS batch "
    "FROM unnest($1::int[], $2::text[], $3::text[]) AS v(ord, x, k)",
    3};

static void add(oi_pg_coalesce_t *c, const char *value, answer_t *a)
{
    const char *values[] = {value};
    oi_pg_coalesce_add(c, values, on_row, a);
    cr_assert_eq(a->calls, 0, "never answered from inside add");
}

static void one_turn_is_one_statement(uv_loop_t *loop, oi_pg_pipeline_t *pg)
{
    oi_pg_coalesce_t *c = coalescer(loop, pg, &ECHO_ROWS, 0, 0);
    const char *in[] = {"plain", "quote \" and \\ backslash", NULL, "", "skip", "{braces}, commas", "NULL"};
    enum { N = sizeof in / sizeof in[0] };
    answer_t a[N] = {0};
    for (int i = 0; i < N; i++)
        add(c, in[i], &a[i]);
    cr_assert_eq(oi_pg_coalesce_pending(c), N);
    run_until_answered(loop, a, N);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(a[i].st, OI_OK);
        if (in[i] && strcmp(in[i], "skip") == 0) {
            cr_assert_eq(a[i].row, -1, "a row the statement did not answer gets -1");
            continue;
        }
        cr_assert_geq(a[i].row, 0);
        cr_assert_str_eq(a[i].value, in[i] ? in[i] : "(null)");
        cr_assert_eq(a[i].batch, N, "all rows added in one turn went as one statement");
    }
    oi_pg_coalesce_close(&c);
    cr_assert_null(c);
}

static void max_rows_splits(uv_loop_t *loop, oi_pg_pipeline_t *pg)
{
    oi_pg_coalesce_t *c = coalescer(loop, pg, &ECHO_ROWS, 2, 1);
    answer_t a[5] = {0};
    const char *in[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++)
        add(c, in[i], &a[i]);
    run_until_answered(loop, a, 5);
    long want[] = {2, 2, 2, 2, 1};
    for (int i = 0; i < 5; i++) {
        cr_assert_str_eq(a[i].value, in[i]);
        cr_assert_eq(a[i].batch, want[i], "row %d rode in an execution of %ld", i, a[i].batch);
    }
    oi_pg_coalesce_close(&c);
}

static void a_bad_row_fails_alone(uv_loop_t *loop, oi_pg_pipeline_t *pg)
{
    oi_pg_coalesce_t *c = coalescer(loop, pg, &AS_INT, 0, 0);
    answer_t a[3] = {0};
    add(c, "20", &a[0]);
    add(c, "not a number", &a[1]);
    add(c, "21", &a[2]);
    run_until_answered(loop, a, 3);
    cr_assert_eq(a[0].st, OI_OK);
    cr_assert_str_eq(a[0].value, "40");
    cr_assert_eq(a[0].batch, 1, "run again alone after the shared statement failed");
    cr_assert_eq(a[1].st, OI_BAD_REQUEST);
    cr_assert_eq(a[1].row, -1);
    cr_assert_eq(a[2].st, OI_OK);
    cr_assert_str_eq(a[2].value, "42");
    oi_pg_coalesce_close(&c);
}

static void a_first_statement_shares_the_transaction(uv_loop_t *loop, oi_pg_pipeline_t *pg)
{
    oi_pg_coalesce_t *c = oi_pg_coalesce_new(
        loop, pg, &(oi_pg_coalesce_config_t){.stmt = &GET_JOINED, .first = &SET_JOINED, .columns = 1});
    answer_t a[3] = {0};
    add(c, "a", &a[0]);
    add(c, "b", &a[1]);
    add(c, "c", &a[2]);
    run_until_answered(loop, a, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(a[i].st, OI_OK);
        cr_assert_str_eq(a[i].value, "a+b+c");
    }
    oi_pg_coalesce_close(&c);
}

static void a_lock_statement_sees_its_column_first(uv_loop_t *loop, oi_pg_pipeline_t *pg)
{
    oi_pg_coalesce_t *c = oi_pg_coalesce_new(
        loop, pg, &(oi_pg_coalesce_config_t){.stmt = &GET_LOCKED, .lock = &LOCK_SEEN, .lock_column = 1, .columns = 2});
    answer_t a[2] = {0};
    oi_pg_coalesce_add(c, (const char *[]){"a", "k1"}, on_row, &a[0]);
    oi_pg_coalesce_add(c, (const char *[]){"b", "k2"}, on_row, &a[1]);
    run_until_answered(loop, a, 2);
    cr_assert_eq(a[0].st, OI_OK);
    cr_assert_str_eq(a[0].value, "k1/k2:a");
    cr_assert_eq(a[1].st, OI_OK);
    cr_assert_str_eq(a[1].value, "k1/k2:b");
    /* nothing to lock in any row: the lock statement stays home (the setting is the empty one a
     * finished transaction leaves, or unknown) */
    answer_t none = {0};
    oi_pg_coalesce_add(c, (const char *[]){"c", NULL}, on_row, &none);
    run_until_answered(loop, &none, 1);
    cr_assert(none.st == OI_BAD_REQUEST || (none.st == OI_OK && strcmp(none.value, ":c") == 0),
              "the lock statement ran: %d %s", none.st, none.value);
    oi_pg_coalesce_close(&c);
}

static void on_watchdog(uv_timer_t *t) { *(bool *)t->data = true; }

/* Rows added outside any loop callback, while every connection is idle: the next turn sends them
 * instead of sleeping in poll until something else happens. */
static void rows_added_between_turns_go_at_once(uv_loop_t *loop, oi_pg_pipeline_t *pg)
{
    oi_pg_coalesce_t *c = coalescer(loop, pg, &ECHO_ROWS, 0, 0);
    answer_t warm = {0};
    add(c, "warm", &warm);
    run_until_answered(loop, &warm, 1);
    answer_t a[2] = {0};
    add(c, "x", &a[0]);
    add(c, "y", &a[1]);
    bool slept = false;
    uv_timer_t watchdog;
    uv_timer_init(loop, &watchdog);
    watchdog.data = &slept;
    uv_timer_start(&watchdog, on_watchdog, 3000, 0);
    while (total(a, 2) < 2 && !slept)
        uv_run(loop, UV_RUN_ONCE);
    cr_assert_not(slept, "the rows waited for an unrelated wake-up");
    uv_close((uv_handle_t *)&watchdog, NULL);
    oi_pg_coalesce_close(&c);
}

/* Runs the loop until the n answers are in; false when the watchdog (ms) fired first. */
static bool answered_within(uv_loop_t *loop, const answer_t *a, int n, uint64_t ms)
{
    bool slept = false;
    uv_timer_t watchdog;
    uv_timer_init(loop, &watchdog);
    watchdog.data = &slept;
    uv_timer_start(&watchdog, on_watchdog, ms, 0);
    while (total(a, n) < n && !slept)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return !slept;
}

static oi_pg_coalesce_t *lingering(uv_loop_t *loop, oi_pg_pipeline_t *pg, uint32_t ms)
{
    oi_pg_coalesce_config_t cfg = {.stmt = &ECHO_ROWS, .columns = 1, .linger_ms = ms, .linger_rows = 8};
    return oi_pg_coalesce_new(loop, pg, &cfg);
}

/* A busy moment: eight rows in one turn (half of linger_rows or more makes it busy). */
static void busy(uv_loop_t *loop, oi_pg_coalesce_t *c)
{
    answer_t a[8] = {0};
    for (int i = 0; i < 8; i++)
        add(c, "busy", &a[i]);
    cr_assert(answered_within(loop, a, 8, 5000), "linger_rows rows go at once");
    cr_assert_eq(a[0].batch, 8);
}

/* A quiet row goes at once; after a busy moment rows wait for others, until linger_rows of them
 * are there or linger_ms has passed; closing answers the ones waiting. */
static void a_busy_moment_lingers(uv_loop_t *loop, oi_pg_pipeline_t *pg)
{
    oi_pg_coalesce_t *c = lingering(loop, pg, 60000);
    answer_t quiet = {0};
    add(c, "quiet", &quiet);
    cr_assert(answered_within(loop, &quiet, 1, 5000), "a quiet row does not linger");
    busy(loop, c);
    answer_t a[8] = {0};
    add(c, "early", &a[0]);
    add(c, "early", &a[1]);
    for (int turn = 0; turn < 20; turn++) {
        uv_run(loop, UV_RUN_NOWAIT);
        uv_sleep(2);
    }
    cr_assert_eq(total(a, 2), 0, "after a busy moment, two rows wait for more");
    for (int i = 2; i < 8; i++)
        add(c, "late", &a[i]);
    cr_assert(answered_within(loop, a, 8, 5000), "linger_rows rows end the wait");
    for (int i = 0; i < 8; i++)
        cr_assert_eq(a[i].batch, 8, "the early rows went with the late ones");
    answer_t b[2] = {0};
    add(c, "closing", &b[0]);
    add(c, "closing", &b[1]);
    oi_pg_coalesce_close(&c);
    run_until_answered(loop, b, 2);
    cr_assert_eq(b[0].st, OI_UNAVAILABLE);

    c = lingering(loop, pg, 50);
    busy(loop, c);
    answer_t t[2] = {0};
    add(c, "timer", &t[0]);
    add(c, "timer", &t[1]);
    cr_assert(answered_within(loop, t, 2, 5000), "linger_ms ends the wait");
    cr_assert_eq(t[0].batch, 2);
    oi_pg_coalesce_close(&c);
}

static void close_fails_what_waits(uv_loop_t *loop, oi_pg_pipeline_t *pg)
{
    oi_pg_coalesce_t *c = coalescer(loop, pg, &ECHO_ROWS, 0, 0);
    answer_t a[2] = {0};
    add(c, "x", &a[0]);
    add(c, "y", &a[1]);
    oi_pg_coalesce_close(&c);
    cr_assert_eq(total(a, 2), 0, "answered on a later turn, not inside close");
    run_until_answered(loop, a, 2);
    cr_assert_eq(a[0].st, OI_UNAVAILABLE);
    cr_assert_eq(a[1].st, OI_UNAVAILABLE);
}

static void on_closed(void *ud) { *(int *)ud = 1; }

static void close_all(uv_loop_t *loop, oi_pg_pipeline_t **pg)
{
    int closed = 0;
    oi_pg_pipeline_close(pg, on_closed, &closed);
    uv_run(loop, UV_RUN_DEFAULT);
    cr_assert(closed);
    cr_assert_eq(uv_loop_close(loop), 0, "every handle closed");
}

Test(pg_coalesce, rows_against_a_real_server)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_pg_pipeline_t *pg = oi_pg_pipeline_new(
        &loop, &(oi_pg_pipeline_config_t){.conninfo = pgtest_conninfo(), .connections = 2, .statement_timeout_ms = 5000,
                                          .queue_timeout_ms = 5000, .max_queued = 1000});
    one_turn_is_one_statement(&loop, pg);
    max_rows_splits(&loop, pg);
    a_bad_row_fails_alone(&loop, pg);
    a_first_statement_shares_the_transaction(&loop, pg);
    a_lock_statement_sees_its_column_first(&loop, pg);
    rows_added_between_turns_go_at_once(&loop, pg);
    a_busy_moment_lingers(&loop, pg);
    close_fails_what_waits(&loop, pg);
    close_all(&loop, &pg);
}

Test(pg_coalesce, an_unknown_outcome_is_never_run_twice)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_pg_pipeline_t *pg = oi_pg_pipeline_new(
        &loop, &(oi_pg_pipeline_config_t){.conninfo = "host=127.0.0.1 port=1 connect_timeout=1", .connections = 1,
                                          .statement_timeout_ms = 1000, .queue_timeout_ms = 300,
                                          .max_queued = 10});
    oi_pg_coalesce_t *c = coalescer(&loop, pg, &ECHO_ROWS, 0, 0);
    answer_t a[3] = {0};
    add(c, "a", &a[0]);
    add(c, "b", &a[1]);
    add(c, "c", &a[2]);
    run_until_answered(&loop, a, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(a[i].st, OI_DB_UNAVAILABLE, "row %d: %d", i, a[i].st);
    oi_pg_coalesce_close(&c);
    close_all(&loop, &pg);
}
