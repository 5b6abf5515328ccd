/* test_decide.c: the decision with a policy: caller rules, schedule, fallbacks, steps, trace. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/route_decide.h"
#include "oi/mem.h"

#define P "11111111-1111-4111-8111-111111111111"
#define A "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define B "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define MON_0930_NY 1773063000000LL  /* 2026-03-09T13:30:00Z: Monday 09:30 EDT */
#define FRI_0830_NY 1772803800000LL  /* 2026-03-06T13:30:00Z: Friday 08:30 EST */
#define XMAS_1000_NY 1798210800000LL /* 2026-12-25T15:00:00Z: Friday 10:00 EST */

TestSuite(decide);

static oi_agent_state_t active(void) { return (oi_agent_state_t){.present = true, .active = true}; }

static oi_route_t route(const char *policy)
{
    oi_route_t r = {0};
    r.rule_id = oi_xstrdup("rule_1");
    r.workspace_id = oi_xstrdup("33333333-3333-4333-8333-333333333333");
    r.number_id = oi_xstrdup("num_1");
    r.inbound_trunk_id = oi_xstrdup("itr_1");
    r.provider = oi_xstrdup("twilio");
    r.agent_id = oi_xstrdup(P);
    r.voicemail = oi_xstrdup("leave a message");
    r.primary = active();
    r.version = 7;
    r.policy_json = policy ? oi_xstrdup(policy) : NULL;
    r.n_policy_agents = 2;
    r.policy_agents = oi_xcalloc(2, sizeof *r.policy_agents);
    strcpy(r.policy_agents[0].id, A);
    r.policy_agents[0].state = active();
    strcpy(r.policy_agents[1].id, B);
    r.policy_agents[1].state = active();
    return r;
}

typedef struct {
    oi_route_t r;
    oi_policy_t *p;
    Oneinbox__V1__ResolveReply *rep;
} run_t;

static void decide(run_t *x, const char *from, int64_t at, const char *failed)
{
    oi_error_t err;
    oi_error_init(&err);
    if (!x->p && x->r.policy_json)
        cr_assert_eq(oi_policy_parse(x->r.policy_json, &x->p, &err), OI_OK, "%s", err.message);
    if (x->rep)
        protobuf_c_message_free_unpacked(&x->rep->base, NULL);
    const char *f[] = {failed};
    oi_route_call_t in = {.failed = f, .n_failed = failed ? 1 : 0, .policy = x->p, .from = from, .at_ms = at,
                          .explain = true};
    x->rep = oi_route_decide(&x->r, &in);
}

static void done(run_t *x)
{
    protobuf_c_message_free_unpacked(&x->rep->base, NULL);
    oi_policy_free(&x->p);
    oi_route_cleanup(&x->r);
}

Test(decide, no_policy_is_todays_decision_with_steps)
{
    run_t x = {.r = route(NULL)};
    decide(&x, "+14155550100", MON_0930_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "primary");
    cr_expect_str_eq(x.rep->agent_id->value, P);
    cr_expect_eq(x.rep->version, 7);
    cr_expect_not(x.rep->per_call);
    cr_assert_eq(x.rep->n_steps, 2);
    cr_expect_str_eq(x.rep->steps[0]->role, "primary");
    cr_expect_eq(x.rep->steps[1]->kind, ONEINBOX__V1__STEP_KIND__STEP_KIND_VOICEMAIL);
    cr_expect_str_eq(x.rep->steps[1]->voicemail_message->value, "leave a message");
    done(&x);
}

#define RULES                                                                                          \
    "{\"caller_rules\":[{\"match\":{\"numbers\":[\"+14155550123\"]},\"action\":\"reject\"},"            \
    "{\"match\":{\"country\":\"GB\"},\"action\":\"route\",\"agent_id\":\"" A "\"},"                     \
    "{\"match\":{\"anonymous\":true},\"action\":\"voicemail\"}]}"

Test(decide, caller_rules_reject_route_voicemail)
{
    run_t x = {.r = route(RULES)};
    decide(&x, "+1 415 555 0123", MON_0930_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "rejected");
    cr_expect_null(x.rep->agent_id);
    cr_expect_null(x.rep->voicemail_message);
    cr_expect_eq(x.rep->n_steps, 0);
    cr_expect(x.rep->per_call);
    decide(&x, "+442079460123", MON_0930_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "caller_rule");
    cr_expect_str_eq(x.rep->agent_id->value, A);
    cr_expect_str_eq(x.rep->trace[1]->detail, "caller +442079460123 is from GB, rule wants GB");
    decide(&x, "", MON_0930_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "caller_rule");
    cr_expect_null(x.rep->agent_id);
    cr_expect_str_eq(x.rep->voicemail_message->value, "leave a message");
    decide(&x, "+12125550100", MON_0930_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "primary");
    cr_expect_eq(x.rep->n_trace, 4); /* three rules, then the primary */
    done(&x);
}

#define SCHEDULE                                                                                       \
    "{\"schedule\":{\"time_zone\":\"America/New_York\",\"open\":[{\"days\":[\"mon\",\"tue\",\"wed\","  \
    "\"thu\",\"fri\"],\"from\":\"09:00\",\"to\":\"17:00\"}],\"closed_dates\":[\"2026-12-25\"],"           \
    "\"after_hours\":{\"agent_id\":\"" B "\"}}}"

Test(decide, schedule_open_after_hours_and_closed_date)
{
    run_t x = {.r = route(SCHEDULE)};
    decide(&x, NULL, MON_0930_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "primary");
    cr_expect_str_eq(x.rep->trace[0]->detail, "Mon 2026-03-09 09:30 America/New_York (UTC-04:00): open (window 0)");
    decide(&x, NULL, FRI_0830_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "after_hours");
    cr_expect_str_eq(x.rep->agent_id->value, B);
    cr_expect_str_eq(x.rep->steps[0]->role, "after_hours");
    decide(&x, NULL, XMAS_1000_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "closed_date");
    done(&x);
}

#define FALLBACKS                                                                                      \
    "{\"fallbacks\":[{\"agent_id\":\"" A "\",\"on\":[\"busy\"]},{\"agent_id\":\"" B "\"}]}"

Test(decide, fallbacks_follow_triggers)
{
    run_t x = {.r = route(FALLBACKS)};
    decide(&x, NULL, MON_0930_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "primary");
    cr_expect_not(x.rep->per_call);
    cr_assert_eq(x.rep->n_steps, 4);
    cr_expect_str_eq(x.rep->steps[1]->role, "fallbacks[0]");
    cr_expect_eq(x.rep->steps[1]->kind, ONEINBOX__V1__STEP_KIND__STEP_KIND_AGENT);
    cr_expect_eq(x.rep->steps[1]->on, OI_TRIGGER_BUSY);
    decide(&x, NULL, MON_0930_NY, P); /* failed in this call: busy matches */
    cr_expect_str_eq(x.rep->reason, "fallback_primary_failed");
    cr_expect_str_eq(x.rep->agent_id->value, A);
    x.r.primary.active = false; /* paused: fallbacks[0] only takes busy */
    decide(&x, NULL, MON_0930_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "fallback_primary_paused");
    cr_expect_str_eq(x.rep->agent_id->value, B);
    x.r.policy_agents[1].state.deleted = true;
    decide(&x, NULL, MON_0930_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "voicemail_no_agent");
    cr_expect_null(x.rep->agent_id);
    cr_assert_eq(x.rep->n_steps, 1);
    done(&x);
}

Test(decide, unknown_policy_agent_counts_as_deleted)
{
    run_t x = {.r = route("{\"fallbacks\":[{\"agent_id\":\"cccccccc-cccc-4ccc-8ccc-cccccccccccc\"}]}")};
    x.r.primary.present = false;
    decide(&x, NULL, MON_0930_NY, NULL);
    cr_expect_str_eq(x.rep->reason, "voicemail_no_agent");
    done(&x);
}

/* The index answers what trying the rules in order answers (the explain path does the latter). */
Test(decide, indexed_rules_agree_with_rules_in_order)
{
    run_t x = {.r = route("{\"caller_rules\":[{\"match\":{\"prefix\":\"+1212\"},\"action\":\"voicemail\"},"
                          "{\"match\":{\"numbers\":[\"+12125550100\",\"+442079460123\"]},\"action\":\"reject\"},"
                          "{\"match\":{\"country\":\"GB\"},\"action\":\"route\",\"agent_id\":\"" A "\"},"
                          "{\"match\":{\"prefix\":\"+44\"},\"action\":\"reject\"},"
                          "{\"match\":{\"numbers\":[\"+442079460123\",\"+16135550100\"]},\"action\":\"voicemail\"},"
                          "{\"match\":{\"country\":\"CA\"},\"action\":\"reject\"},"
                          "{\"match\":{\"anonymous\":true},\"action\":\"route\",\"agent_id\":\"" B "\"}]}")};
    const char *callers[] = {"+12125550100", "+12125550199", "+442079460123", "+447400123456", "+16135550100",
                             "+16135550199", "+33612345678", "", "garbage", "+14155550100"};
    for (size_t i = 0; i < sizeof callers / sizeof callers[0]; i++) {
        decide(&x, callers[i], MON_0930_NY, NULL); /* explain: rule by rule */
        char want[64];
        snprintf(want, sizeof want, "%s|%s", x.rep->reason, x.rep->agent_id ? x.rep->agent_id->value : "-");
        oi_route_call_t in = {.policy = x.p, .from = callers[i], .at_ms = MON_0930_NY};
        Oneinbox__V1__ResolveReply *fast = oi_route_decide(&x.r, &in); /* the index */
        char got[64];
        snprintf(got, sizeof got, "%s|%s", fast->reason, fast->agent_id ? fast->agent_id->value : "-");
        cr_expect_str_eq(got, want, "caller %s", callers[i]);
        cr_expect_eq(oi_route_decide_key(&x.r, &in) != OI_ROUTE_KEY_NONE, true);
        protobuf_c_message_free_unpacked(&fast->base, NULL);
    }
    done(&x);
}

/* A schedule's answer is kept for the UTC minute it was found in: the next minute is asked again
 * (17:00 closes the window), a caller rule still comes first, and a moment ICU does not take is
 * never kept. */
Test(decide, schedule_key_kept_for_its_minute)
{
    run_t x = {.r = route("{\"caller_rules\":[{\"match\":{\"prefix\":\"+44\"},\"action\":\"reject\"}],"
                          "\"schedule\":{\"time_zone\":\"America/New_York\",\"open\":[{\"days\":[\"mon\"],"
                          "\"from\":\"09:00\",\"to\":\"17:00\"}]}}")};
    decide(&x, NULL, MON_0930_NY, NULL);
    int64_t last_open = MON_0930_NY + (7 * 60 + 29) * 60000LL + 59999; /* Monday 16:59:59.999 */
    oi_route_schedule_memo_t memo = {0};
    oi_route_call_t in = {.policy = x.p, .from = "+14155550100", .at_ms = last_open - 59999, .schedule_memo = &memo};
    cr_expect_eq(oi_route_decide_key(&x.r, &in), 0u);
    cr_expect_eq(memo.minute, (last_open - 59999) / 60000 + 1);
    in.at_ms = last_open; /* same minute: the kept answer */
    cr_expect_eq(oi_route_decide_key(&x.r, &in), 0u);
    in.at_ms = last_open + 1; /* 17:00: closed, found again */
    cr_expect_eq(oi_route_decide_key(&x.r, &in), OI_ROUTE_KEY_AFTER_HOURS);
    cr_expect_eq(memo.key, OI_ROUTE_KEY_AFTER_HOURS);
    in.from = "+442079460123"; /* the caller rule, whatever the schedule kept */
    cr_expect_eq(oi_route_decide_key(&x.r, &in), 1u);
    in.from = "+14155550100";
    memo = (oi_route_schedule_memo_t){.minute = 1, .key = OI_ROUTE_KEY_CLOSED_DATE};
    in.at_ms = INT64_C(1) << 60; /* not an instant ICU takes: not read from, nor kept */
    cr_expect_eq(oi_route_decide_key(&x.r, &in), 0u);
    cr_expect_eq(memo.minute, 1);
    done(&x);
}
