/* test_route_memo.c: parsed snapshots kept with their near-cache values: found with the value,
 * gone with it, counted against the cache's bytes, one rendered answer per branch. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"
#include "oi/route.h"
#include "oi/route_memo.h"
#include "oi/routing_policy.h"

#define P "11111111-1111-4111-8111-111111111111"
#define MON_0930_NY 1773063000000LL

static int renders;

static uint8_t *render_reason(const Oneinbox__V1__ResolveReply *rep, size_t *len)
{
    renders++;
    *len = strlen(rep->reason);
    return (uint8_t *)oi_xstrdup(rep->reason);
}

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    renders = 0;
}

TestSuite(route_memo, .init = setup);

static uint8_t *snapshot(const char *policy, size_t *len)
{
    oi_route_t r = {0};
    r.rule_id = oi_xstrdup("rule_1");
    r.workspace_id = oi_xstrdup("33333333-3333-4333-8333-333333333333");
    r.number_id = oi_xstrdup("num_1");
    r.inbound_trunk_id = oi_xstrdup("itr_1");
    r.provider = oi_xstrdup("twilio");
    r.agent_id = oi_xstrdup(P);
    r.primary = (oi_agent_state_t){.present = true, .active = true};
    r.policy_json = oi_xstrdup(policy);
    uint8_t *blob = oi_route_encode(&r, "", len);
    oi_route_cleanup(&r);
    return blob;
}

static oi_near_cache_t *cache(size_t max_bytes)
{
    oi_near_cache_t *c = oi_near_cache_new("routes", max_bytes, 0);
    oi_near_cache_set_usable(c, true);
    return c;
}

static void store(oi_near_cache_t *c, const char *to, const uint8_t *blob, size_t len)
{
    oi_near_ticket_t t = oi_near_cache_begin(c, to);
    oi_near_cache_end(c, &t, "", blob, len, 0);
}

/* The answer to a call to `to` from `from`, through the cache as a service asks it; NULL on a
 * miss or when the memo refuses. */
static const char *answer(oi_route_memo_t *m, oi_near_cache_t *c, const char *to, const char *from)
{
    static char out[64];
    oi_near_value_t v;
    if (!oi_near_cache_get(c, to, 0, &v) || !oi_route_memo_applies(&v))
        return NULL;
    size_t n = 0;
    const uint8_t *a = oi_route_memo_answer(m, &v, from, MON_0930_NY, &n);
    if (!a)
        return NULL;
    snprintf(out, sizeof out, "%.*s", (int)n, (const char *)a);
    return out;
}

static bool has_derived(oi_near_cache_t *c, const char *to)
{
    oi_near_value_t v;
    return oi_near_cache_get(c, to, 0, &v) && v.derived != NULL;
}

#define RULES "{\"caller_rules\":[{\"match\":{\"prefix\":\"+44\"},\"action\":\"reject\"}]}"
#define TO "+14155550100"

Test(route_memo, answers_per_branch_and_renders_each_once)
{
    oi_near_cache_t *c = cache(1 << 20);
    oi_route_memo_t *m = oi_route_memo_new(c, render_reason);
    size_t len;
    uint8_t *blob = snapshot(RULES, &len);
    store(c, TO, blob, len);
    cr_expect_str_eq(answer(m, c, TO, "+442079460123"), "rejected");
    cr_expect(has_derived(c, TO), "the parsed form lives with the value");
    cr_expect_str_eq(answer(m, c, TO, "+12125550100"), "primary");
    cr_expect_str_eq(answer(m, c, TO, "+447400123456"), "rejected");
    cr_expect_eq(renders, 2);
    free(blob);
    /* a new value: parsed and rendered again */
    blob = snapshot("{\"caller_rules\":[{\"match\":{\"prefix\":\"+1212\"},\"action\":\"reject\"}]}", &len);
    store(c, TO, blob, len);
    cr_expect_not(has_derived(c, TO), "a new value starts without the old one's parsed form");
    cr_expect_str_eq(answer(m, c, TO, "+12125550100"), "rejected");
    cr_expect_eq(renders, 3);
    free(blob);
    oi_route_memo_destroy(&m);
    oi_near_cache_destroy(&c);
}

/* A plain answer is not a snapshot; a snapshot that does not decode gets NULL and nothing kept. */
Test(route_memo, refuses_what_does_not_decode)
{
    oi_near_cache_t *c = cache(1 << 20);
    oi_route_memo_t *m = oi_route_memo_new(c, render_reason);
    store(c, "+14155550101", (const uint8_t *)"{\"agent_id\":null}", 17);
    cr_expect_null(answer(m, c, "+14155550101", NULL));
    store(c, TO, (const uint8_t *)"DR3garbage", 10);
    oi_near_value_t v;
    cr_assert(oi_near_cache_get(c, TO, 0, &v));
    cr_expect(oi_route_memo_applies(&v));
    size_t n = 0;
    cr_expect_null(oi_route_memo_answer(m, &v, NULL, MON_0930_NY, &n));
    cr_expect_not(has_derived(c, TO));
    oi_route_memo_destroy(&m);
    oi_near_cache_destroy(&c);
}

/* The parsed form and its replies count against the cache's bytes, and go with their value:
 * invalidated, or evicted to make room for others (never the value being answered). */
Test(route_memo, parsed_forms_count_against_the_cache_and_go_with_their_values)
{
    size_t len;
    uint8_t *blob = snapshot(RULES, &len);
    oi_near_cache_t *c = cache(1 << 20);
    oi_route_memo_t *m = oi_route_memo_new(c, render_reason);
    store(c, TO, blob, len);
    size_t stored = oi_near_cache_stats(c).bytes;
    cr_expect_str_eq(answer(m, c, TO, NULL), "primary");
    size_t parsed = oi_near_cache_stats(c).bytes;
    cr_expect_gt(parsed, stored + sizeof(oi_policy_t), "%zu bytes with the parsed form, %zu without", parsed, stored);
    cr_expect_str_eq(answer(m, c, TO, "+442079460123"), "rejected");
    cr_expect_gt(oi_near_cache_stats(c).bytes, parsed, "a new reply counts too");
    oi_near_cache_invalidate(c, TO, strlen(TO));
    cr_expect_eq(oi_near_cache_stats(c).bytes, 0);
    oi_route_memo_destroy(&m);
    oi_near_cache_destroy(&c);

    /* room for two values, not for two parsed forms: the older number's goes, the answered stays */
    c = cache(parsed + stored + stored / 2);
    m = oi_route_memo_new(c, render_reason);
    store(c, "+14155550101", blob, len);
    store(c, "+14155550102", blob, len);
    cr_expect_str_eq(answer(m, c, "+14155550101", NULL), "primary");
    cr_expect_str_eq(answer(m, c, "+14155550102", NULL), "primary");
    cr_expect(has_derived(c, "+14155550102"));
    oi_near_value_t v;
    cr_expect_not(oi_near_cache_get(c, "+14155550101", 0, &v), "evicted to make room");
    cr_expect_eq(oi_near_cache_stats(c).evicted, 1);
    cr_expect_leq(oi_near_cache_stats(c).bytes, parsed + stored + stored / 2);
    oi_route_memo_destroy(&m);
    oi_near_cache_destroy(&c); /* frees the parsed form still kept (ASan: no leak) */
    free(blob);
}

/* A value that is no live hit (its entry unknown) is answered all the same, and what was
 * parsed for it is the memo's until its next answer. */
Test(route_memo, answers_a_value_that_is_no_live_hit)
{
    oi_near_cache_t *c = cache(1 << 20);
    oi_route_memo_t *m = oi_route_memo_new(c, render_reason);
    size_t len;
    uint8_t *blob = snapshot(RULES, &len);
    oi_near_value_t v = {.tag = "", .data = blob, .len = len, .seq = 1};
    size_t n = 0;
    const uint8_t *a = oi_route_memo_answer(m, &v, "+442079460123", MON_0930_NY, &n);
    cr_assert_not_null(a);
    cr_expect_eq(n, strlen("rejected"));
    cr_expect_not_null(oi_route_memo_answer(m, &v, NULL, MON_0930_NY, &n));
    cr_expect_eq(renders, 2);
    free(blob);
    oi_route_memo_destroy(&m);
    oi_near_cache_destroy(&c);
}

/* The schedule's answer kept for the minute belongs to the policy it came from: a new value with
 * other hours is asked again within the same minute. */
Test(route_memo, new_schedule_is_asked_again_within_the_minute)
{
    oi_near_cache_t *c = cache(1 << 20);
    oi_route_memo_t *m = oi_route_memo_new(c, render_reason);
    size_t len;
    uint8_t *blob = snapshot("{\"schedule\":{\"time_zone\":\"America/New_York\",\"open\":[{\"days\":[\"mon\"],"
                             "\"from\":\"09:00\",\"to\":\"17:00\"}]}}", &len);
    store(c, TO, blob, len);
    cr_expect_str_eq(answer(m, c, TO, NULL), "primary");
    free(blob);
    blob = snapshot("{\"schedule\":{\"time_zone\":\"America/New_York\",\"open\":[{\"days\":[\"mon\"],"
                    "\"from\":\"10:00\",\"to\":\"17:00\"}]}}", &len);
    store(c, TO, blob, len);
    cr_expect_str_eq(answer(m, c, TO, NULL), "after_hours");
    free(blob);
    oi_route_memo_destroy(&m);
    oi_near_cache_destroy(&c);
}
