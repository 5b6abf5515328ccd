/* test_rate_limit.c: the Redis token buckets (rate_limit.h) against a real redis-server on a
 * private port: bursts, refusals with their wait, one bucket for two replicas, and no bucket
 * emptied by a crowd of concurrent first requests. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "oi/clock.h"
#include "oi/hash.h"
#include "oi/redis.h"
#include "rate_limit.h"
#include "redis_server.h"

static test_redis_t server;

static void setup(void)
{
    unsetenv("OI_REDIS_PASSWORD");
    if (!test_redis_start(&server, 24000))
        cr_skip_test("redis-server is not installed");
}

static void teardown(void) { test_redis_stop(&server); }

TestSuite(rate_limit, .init = setup, .fini = teardown, .timeout = 30);

typedef struct {
    int answered, allowed, refused, max_retry;
} tally_t;

static void on_verdict(const gw_rate_verdict_t *v, void *ud)
{
    tally_t *t = ud;
    t->answered++;
    if (v->allowed) {
        t->allowed++;
    } else {
        t->refused++;
        if (v->retry_after_s > t->max_retry)
            t->max_retry = v->retry_after_s;
        cr_assert_not_null(v->rule);
    }
}

static oi_redis_t *connected(uv_loop_t *loop)
{
    oi_redis_t *r = oi_redis_new(loop, "127.0.0.1", server.port, 2000);
    for (int i = 0; i < 300 && !oi_redis_connected(r); i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(10 * 1000);
    }
    cr_assert(oi_redis_connected(r));
    return r;
}

static void run_until(uv_loop_t *loop, const tally_t *t, int want)
{
    for (int i = 0; i < 500 && t->answered < want; i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(2000);
    }
    cr_assert_eq(t->answered, want);
}

static void take(gw_rate_t *rl, const char *name, const gw_rate_rule_t *rule, tally_t *t)
{
    gw_rate_want_t w = {name, rule};
    gw_rate_take(rl, &w, 1, on_verdict, t);
}

static void finish(uv_loop_t *loop, oi_redis_t **r, gw_rate_t **rl)
{
    gw_rate_destroy(rl);
    oi_redis_close(r);
    uv_run(loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(loop), 0);
}

Test(rate_limit, a_burst_then_refusals_that_say_how_long)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_redis_t *r = connected(&loop);
    gw_rate_t *rl = gw_rate_new(r);
    gw_rate_rule_t rule = {.rps = 1, .burst = 10};
    tally_t t = {0};
    for (int i = 0; i < 15; i++) {
        take(rl, "key:burst", &rule, &t);
        run_until(&loop, &t, i + 1);
    }
    cr_assert_eq(t.allowed, 10);
    cr_assert_eq(t.refused, 5);
    cr_assert_geq(t.max_retry, 1);
    finish(&loop, &r, &rl);
}

Test(rate_limit, two_replicas_spend_one_bucket)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_redis_t *r1 = connected(&loop), *r2 = connected(&loop);
    gw_rate_t *a = gw_rate_new(r1), *b = gw_rate_new(r2);
    gw_rate_rule_t rule = {.rps = 1, .burst = 20};
    tally_t t = {0};
    for (int i = 0; i < 60; i++) {
        take(i % 2 ? a : b, "ws:shared", &rule, &t);
        run_until(&loop, &t, i + 1);
    }
    cr_assert_leq(t.allowed, 21, "one bucket, whatever the replica: %d allowed", t.allowed);
    cr_assert_geq(t.allowed, 19);
    gw_rate_destroy(&b);
    oi_redis_close(&r2);
    finish(&loop, &r1, &a);
}

Test(rate_limit, a_crowd_of_first_requests_never_empties_a_big_bucket)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_redis_t *r = connected(&loop);
    gw_rate_t *rl = gw_rate_new(r);
    gw_rate_rule_t rule = {.rps = 100000, .burst = 1000};
    tally_t t = {0};
    for (int i = 0; i < 400; i++) /* all sent before the first answer */
        take(rl, "key:crowd", &rule, &t);
    run_until(&loop, &t, 400);
    cr_assert_eq(t.allowed, 400, "%d refused", t.refused);
    finish(&loop, &r, &rl);
}

/* Two buckets whose names share a lease slot, both taken by every request (an API key and its
 * workspace can): neither may lose a lease's worth of tokens per request. */
Test(rate_limit, two_buckets_sharing_a_lease_slot_empty_neither)
{
    char a[32] = "key:k0", b[32] = "";
    size_t slot = oi_fnv1a_str(OI_FNV1A_SEED, a) % GW_RATE_LEASE_SLOTS;
    for (int i = 0; i < 1000000 && !b[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "ws:w%d", i);
        if (oi_fnv1a_str(OI_FNV1A_SEED, name) % GW_RATE_LEASE_SLOTS == slot)
            snprintf(b, sizeof b, "%s", name);
    }
    cr_assert(b[0], "no name shares a slot with %s", a);
    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_redis_t *r = connected(&loop);
    gw_rate_t *rl = gw_rate_new(r);
    gw_rate_rule_t rule = {.rps = 1000, .burst = 1000}; /* leases of 100: ten taken whole empty it */
    gw_rate_want_t w[2] = {{a, &rule}, {b, &rule}};
    tally_t t = {0};
    for (int i = 0; i < 40; i++) { /* one after another */
        gw_rate_take(rl, w, 2, on_verdict, &t);
        run_until(&loop, &t, i + 1);
    }
    for (int round = 0; round < 5; round++) { /* then three at once: a drained bucket refuses */
        for (int k = 0; k < 3; k++)
            gw_rate_take(rl, w, 2, on_verdict, &t);
        run_until(&loop, &t, 40 + 3 * (round + 1));
    }
    cr_assert_eq(t.allowed, 55, "%d refused", t.refused);
    finish(&loop, &r, &rl);
}

Test(rate_limit, local_buckets_refill_at_their_rate)
{
    gw_local_bucket_t b = {0};
    gw_rate_rule_t rule = {.rps = 2, .burst = 3};
    int64_t now = 1000;
    for (int i = 0; i < 3; i++)
        cr_assert(gw_local_bucket_take(&b, &rule, now));
    cr_assert_not(gw_local_bucket_take(&b, &rule, now));
    cr_assert_not(gw_local_bucket_ready(&b, &rule, now + 400));
    cr_assert(gw_local_bucket_ready(&b, &rule, now + 500), "one token back after 1/rps");
    gw_rate_rule_t off = {.rps = 0, .burst = 1};
    cr_assert(gw_local_bucket_take(&b, &off, now), "rps 0: no limit");
}
