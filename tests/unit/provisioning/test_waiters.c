/* test_waiters.c: calls waiting for jobs, on one loop: each answered exactly once, by the job's
 * end, a poke, its timeout or a cancel; thousands of them cost a timer each, no thread. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "oi/proto_enum.h"
#include "waiters.h"

typedef struct {
    int calls;
    prov_wait_outcome_t outcome;
    char state[16];
} seen_t;

static void on_wait(prov_wait_outcome_t outcome, const Oneinbox__V1__Job *job, void *ud)
{
    seen_t *s = ud;
    s->calls++;
    s->outcome = outcome;
    if (job)
        snprintf(s->state, sizeof s->state, "%s", oi_enum_str(&oneinbox__v1__job_state__descriptor, (int)job->state));
}

static void run_loop(uv_loop_t *loop, int ms)
{
    uint64_t until = uv_now(loop) + (uint64_t)ms;
    while (uv_now(loop) < until) {
        uv_run(loop, UV_RUN_NOWAIT);
        uv_sleep(1);
        uv_update_time(loop);
    }
}

static void close_all(uv_loop_t *loop, prov_waiters_t **w)
{
    prov_waiters_close(w);
    uv_run(loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(loop), 0, "every timer closed");
}

TestSuite(waiters, .timeout = 20);

Test(waiters, an_ended_job_answers_all_its_waiters_once_with_the_job)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    prov_waiters_t *w = prov_waiters_new(&loop);
    seen_t a = {0}, b = {0}, other = {0};
    prov_waiters_add(w, "11111111-1111-4111-8111-111111111111", 10000, on_wait, &a);
    prov_waiters_add(w, "11111111-1111-4111-8111-111111111111", 10000, on_wait, &b);
    prov_waiters_add(w, "22222222-2222-4222-8222-222222222222", 10000, on_wait, &other);
    cr_assert(prov_waiters_has(w, "11111111-1111-4111-8111-111111111111"));
    Oneinbox__V1__Job job = ONEINBOX__V1__JOB__INIT;
    job.state = ONEINBOX__V1__JOB_STATE__JOB_STATE_SUCCEEDED;
    prov_waiters_finish(w, "11111111-1111-4111-8111-111111111111", &job);
    prov_waiters_finish(w, "11111111-1111-4111-8111-111111111111", &job); /* nobody left: nothing */
    cr_assert_eq(a.calls, 1);
    cr_assert_eq(b.calls, 1);
    cr_assert_eq(a.outcome, PROV_WAIT_ENDED);
    cr_assert_str_eq(b.state, "succeeded");
    cr_assert_eq(other.calls, 0);
    cr_assert_not(prov_waiters_has(w, "11111111-1111-4111-8111-111111111111"));
    cr_assert_eq(prov_waiters_count(w), 1);
    close_all(&loop, &w);
    cr_assert_eq(other.calls, 1, "close answers what is left");
    cr_assert_eq(other.outcome, PROV_WAIT_CANCELLED);
}

Test(waiters, five_thousand_waits_run_out_on_their_timers)
{
    enum { N = 5000 };
    uv_loop_t loop;
    uv_loop_init(&loop);
    prov_waiters_t *w = prov_waiters_new(&loop);
    static seen_t seen[N];
    char id[40];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
        prov_waiters_add(w, id, 20 + i % 30, on_wait, &seen[i]);
    }
    cr_assert_eq(prov_waiters_count(w), N);
    run_loop(&loop, 200);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(seen[i].calls, 1, "waiter %d", i);
        cr_assert_eq(seen[i].outcome, PROV_WAIT_TIMEOUT);
    }
    cr_assert_eq(prov_waiters_count(w), 0);
    close_all(&loop, &w);
}

static prov_waiters_t *again_w;

/* a poked waiter that waits on (as a wait does after reading a job still running) */
static void on_poke_wait_again(prov_wait_outcome_t outcome, const Oneinbox__V1__Job *job, void *ud)
{
    on_wait(outcome, job, ud);
    if (outcome == PROV_WAIT_POKED)
        prov_waiters_add(again_w, "33333333-3333-4333-8333-333333333333", 10000, on_wait, ud);
}

Test(waiters, a_poke_answers_and_the_waiter_may_wait_again)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    prov_waiters_t *w = prov_waiters_new(&loop);
    again_w = w;
    seen_t s = {0}, t = {0};
    prov_waiters_add(w, "33333333-3333-4333-8333-333333333333", 10000, on_poke_wait_again, &s);
    prov_waiters_add(w, "44444444-4444-4444-8444-444444444444", 10000, on_wait, &t);
    prov_waiters_poke_all(w);
    cr_assert_eq(s.calls, 1);
    cr_assert_eq(s.outcome, PROV_WAIT_POKED);
    cr_assert_eq(t.outcome, PROV_WAIT_POKED);
    cr_assert(prov_waiters_has(w, "33333333-3333-4333-8333-333333333333"), "it waits again");
    Oneinbox__V1__Job job = ONEINBOX__V1__JOB__INIT;
    job.state = ONEINBOX__V1__JOB_STATE__JOB_STATE_FAILED;
    prov_waiters_finish(w, "33333333-3333-4333-8333-333333333333", &job);
    cr_assert_eq(s.calls, 2);
    cr_assert_str_eq(s.state, "failed");
    prov_waiters_poke(w, "55555555-5555-4555-8555-555555555555"); /* nobody waits: nothing */
    close_all(&loop, &w);
    cr_assert_eq(t.calls, 1);
}
