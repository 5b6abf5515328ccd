/* test_route_memo.c: parsed snapshots beside a near cache: checked by value number, refreshed
 * without reparsing, one rendered answer per branch, bounded. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"
#include "oi/route.h"
#include "oi/route_memo.h"

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

static const char *answer(oi_route_memo_t *m, const char *to, uint8_t *blob, size_t len, uint64_t seq, const char *from)
{
    static char out[64];
    oi_near_value_t v = {.tag = "", .data = blob, .len = len, .seq = seq};
    size_t n = 0;
    const uint8_t *a = oi_route_memo_answer(m, to, &v, from, MON_0930_NY, &n);
    if (!a)
        return NULL;
    snprintf(out, sizeof out, "%.*s", (int)n, (const char *)a);
    return out;
}

#define RULES "{\"caller_rules\":[{\"match\":{\"prefix\":\"+44\"},\"action\":\"reject\"}]}"

Test(route_memo, answers_per_branch_and_renders_each_once)
{
    oi_route_memo_t *m = oi_route_memo_new(4, render_reason);
    size_t len;
    uint8_t *blob = snapshot(RULES, &len);
    cr_expect_str_eq(answer(m, "+14155550100", blob, len, 1, "+442079460123"), "rejected");
    cr_expect_str_eq(answer(m, "+14155550100", blob, len, 1, "+12125550100"), "primary");
    cr_expect_str_eq(answer(m, "+14155550100", blob, len, 1, "+447400123456"), "rejected");
    cr_expect_eq(renders, 2);
    /* the near cache refreshed the same bytes: nothing parsed or rendered again */
    cr_expect_str_eq(answer(m, "+14155550100", blob, len, 7, "+12125550100"), "primary");
    cr_expect_eq(renders, 2);
    free(blob);
    /* a new value with other bytes: parsed again */
    blob = snapshot("{\"caller_rules\":[{\"match\":{\"prefix\":\"+1212\"},\"action\":\"reject\"}]}", &len);
    cr_expect_str_eq(answer(m, "+14155550100", blob, len, 8, "+12125550100"), "rejected");
    cr_expect_eq(renders, 3);
    free(blob);
    oi_route_memo_destroy(&m);
}

Test(route_memo, refuses_what_does_not_decode_and_stays_bounded)
{
    oi_route_memo_t *m = oi_route_memo_new(2, render_reason);
    cr_expect_null(answer(m, "+14155550100", (uint8_t *)"DR3garbage", 10, 1, NULL));
    size_t len;
    uint8_t *blob = snapshot(RULES, &len);
    const char *to[] = {"+14155550101", "+14155550102", "+14155550103", "+14155550101"};
    for (size_t i = 0; i < 4; i++)
        cr_expect_str_eq(answer(m, to[i], blob, len, 10 + i, NULL), "primary");
    cr_expect_eq(oi_route_memo_count(m), 2);
    free(blob);
    oi_route_memo_destroy(&m);
}

/* The schedule's answer kept for the minute belongs to the policy it came from: a new value with
 * other hours is asked again within the same minute. */
Test(route_memo, new_schedule_is_asked_again_within_the_minute)
{
    oi_route_memo_t *m = oi_route_memo_new(4, render_reason);
    size_t len;
    uint8_t *blob = snapshot("{\"schedule\":{\"time_zone\":\"America/New_York\",\"open\":[{\"days\":[\"mon\"],"
                             "\"from\":\"09:00\",\"to\":\"17:00\"}]}}", &len);
    cr_expect_str_eq(answer(m, "+14155550100", blob, len, 1, NULL), "primary");
    free(blob);
    blob = snapshot("{\"schedule\":{\"time_zone\":\"America/New_York\",\"open\":[{\"days\":[\"mon\"],"
                    "\"from\":\"10:00\",\"to\":\"17:00\"}]}}", &len);
    cr_expect_str_eq(answer(m, "+14155550100", blob, len, 2, NULL), "after_hours");
    free(blob);
    oi_route_memo_destroy(&m);
}
