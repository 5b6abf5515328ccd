/* test_routing_policy.c: policy members checked (422 locs), canonical form, parsing, agents. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "oi/phone_region.h"
#include "oi/routing_policy.h"

#define A "11111111-1111-4111-8111-111111111111"
#define B "22222222-2222-4222-8222-222222222222"

TestSuite(routing_policy);

/* Checks member m of the JSON object text; returns the canonical JSON text (heap) or NULL, and
 * the rendered errors in *errors (heap, "" when none). */
static char *check(const char *obj_text, oi_policy_member_t m, char **errors)
{
    json_t *obj = json_loads(obj_text, 0, NULL);
    cr_assert_not_null(obj, "test JSON: %s", obj_text);
    oi_validation_t *v = oi_validation_new();
    oi_loc_t loc = oi_loc_root("body");
    loc = oi_loc_key(&loc, "inbound_routing");
    json_t *canon = oi_policy_check_member(v, &loc, obj, m, NULL, NULL);
    char *text = canon ? json_dumps(canon, JSON_COMPACT) : NULL;
    *errors = oi_validation_count(v) ? oi_validation_render(v) : strdup("");
    json_decref(canon);
    json_decref(obj);
    oi_validation_destroy(&v);
    return text;
}

static void expect_error(const char *obj_text, oi_policy_member_t m, const char *loc_json)
{
    char *errors = NULL;
    char *text = check(obj_text, m, &errors);
    cr_expect_null(text, "accepted %s", obj_text);
    cr_expect(strstr(errors, loc_json) != NULL, "%s: no %s in %s", obj_text, loc_json, errors);
    free(text);
    free(errors);
}

static void expect_canonical(const char *obj_text, oi_policy_member_t m, const char *want)
{
    char *errors = NULL;
    char *text = check(obj_text, m, &errors);
    cr_assert_not_null(text, "%s refused: %s", obj_text, errors);
    cr_expect_str_eq(text, want);
    free(text);
    free(errors);
}

Test(routing_policy, fallbacks_default_triggers_and_canonical_ids)
{
    expect_canonical("{\"fallbacks\":[{\"agent_id\":\"" A "\"},{\"agent_id\":\"22222222-2222-4222-8222-222222222222\","
                     "\"on\":[\"no_answer\",\"busy\",\"busy\"]}]}",
                     OI_POLICY_FALLBACKS,
                     "[{\"agent_id\":\"" A "\",\"on\":[\"paused\",\"deleted\",\"error\",\"busy\",\"no_answer\"]},"
                     "{\"agent_id\":\"" B "\",\"on\":[\"busy\",\"no_answer\"]}]");
}

Test(routing_policy, fallbacks_errors_have_their_locs)
{
    expect_error("{\"fallbacks\":[{},{},{},{},{},{}]}", OI_POLICY_FALLBACKS,
                 "\"loc\":[\"body\",\"inbound_routing\",\"fallbacks\"]");
    expect_error("{\"fallbacks\":[{\"agent_id\":\"" A "\",\"on\":[\"busy\",\"x\"]}]}", OI_POLICY_FALLBACKS,
                 "\"loc\":[\"body\",\"inbound_routing\",\"fallbacks\",0,\"on\",1]");
    expect_error("{\"fallbacks\":[{\"agent_id\":\"" A "\",\"on\":[]}]}", OI_POLICY_FALLBACKS, "\"on\"]");
    expect_error("{\"fallbacks\":[{\"agent\":\"" A "\"}]}", OI_POLICY_FALLBACKS, "extra_forbidden");
    expect_error("{\"fallbacks\":\"" A "\"}", OI_POLICY_FALLBACKS, "list_type");
}

Test(routing_policy, schedule_canonical_with_defaults)
{
    expect_canonical("{\"schedule\":{\"time_zone\":\"Europe/London\",\"open\":[{\"days\":[\"sun\",\"mon\"],"
                     "\"from\":\"00:00\",\"to\":\"24:00\"}],\"closed_dates\":[\"2028-02-29\",\"2026-12-25\"]}}",
                     OI_POLICY_SCHEDULE,
                     "{\"time_zone\":\"Europe/London\",\"open\":[{\"days\":[\"mon\",\"sun\"],\"from\":\"00:00\","
                     "\"to\":\"24:00\"}],\"closed_dates\":[\"2026-12-25\",\"2028-02-29\"],"
                     "\"after_hours\":{\"voicemail\":true}}");
}

Test(routing_policy, schedule_errors_have_their_locs)
{
    const char *zone_bad = "{\"schedule\":{\"time_zone\":\"Nowhere/Town\",\"open\":[]}}";
    expect_error(zone_bad, OI_POLICY_SCHEDULE, "\"schedule\",\"time_zone\"]");
    expect_error("{\"schedule\":{\"time_zone\":\"UTC\",\"open\":[{\"days\":[\"mon\"],\"from\":\"10:00\",\"to\":\"10:00\"}]}}",
                 OI_POLICY_SCHEDULE, "\"open\",0,\"to\"]");
    expect_error("{\"schedule\":{\"time_zone\":\"UTC\",\"open\":[{\"days\":[\"mon\"],\"from\":\"24:00\",\"to\":\"24:00\"}]}}",
                 OI_POLICY_SCHEDULE, "\"open\",0,\"from\"]");
    expect_error("{\"schedule\":{\"time_zone\":\"UTC\",\"open\":[],\"closed_dates\":[\"2027-02-29\"]}}",
                 OI_POLICY_SCHEDULE, "\"closed_dates\",0]");
    expect_error("{\"schedule\":{\"time_zone\":\"UTC\",\"open\":[],\"after_hours\":{}}}", OI_POLICY_SCHEDULE,
                 "\"after_hours\"]");
    expect_error("{\"schedule\":{\"time_zone\":\"UTC\",\"open\":[],\"after_hours\":{\"voicemail\":false}}}",
                 OI_POLICY_SCHEDULE, "\"after_hours\",\"voicemail\"]");
    expect_error("{\"schedule\":{\"open\":[]}}", OI_POLICY_SCHEDULE, "\"missing\"");
}

Test(routing_policy, caller_rules_canonical_numbers_are_normalised)
{
    expect_canonical("{\"caller_rules\":[{\"match\":{\"numbers\":[\"+44 (0)\"]},\"action\":\"reject\"}]}",
                     OI_POLICY_CALLER_RULES, "[{\"match\":{\"numbers\":[\"+440\"]},\"action\":\"reject\"}]");
    expect_canonical("{\"caller_rules\":[{\"match\":{\"country\":\"GB\"},\"action\":\"route\",\"agent_id\":\"" A "\"}]}",
                     OI_POLICY_CALLER_RULES,
                     "[{\"match\":{\"country\":\"GB\"},\"action\":\"route\",\"agent_id\":\"" A "\"}]");
}

Test(routing_policy, caller_rules_errors_have_their_locs)
{
    expect_error("{\"caller_rules\":[{\"match\":{\"country\":\"gb\"},\"action\":\"reject\"}]}", OI_POLICY_CALLER_RULES,
                 "\"match\",\"country\"]");
    expect_error("{\"caller_rules\":[{\"match\":{\"prefix\":\"+0\"},\"action\":\"reject\"}]}", OI_POLICY_CALLER_RULES,
                 "\"match\",\"prefix\"]");
    expect_error("{\"caller_rules\":[{\"match\":{},\"action\":\"reject\"}]}", OI_POLICY_CALLER_RULES, "\"match\"]");
    expect_error("{\"caller_rules\":[{\"match\":{\"anonymous\":false},\"action\":\"reject\"}]}", OI_POLICY_CALLER_RULES,
                 "\"anonymous\"]");
    expect_error("{\"caller_rules\":[{\"match\":{\"anonymous\":true},\"action\":\"route\"}]}", OI_POLICY_CALLER_RULES,
                 "\"caller_rules\",0,\"agent_id\"]");
    expect_error("{\"caller_rules\":[{\"match\":{\"anonymous\":true},\"action\":\"voicemail\",\"agent_id\":\"" A "\"}]}",
                 OI_POLICY_CALLER_RULES, "only for the route action");
    expect_error("{\"caller_rules\":[{\"match\":{\"numbers\":[]},\"action\":\"reject\"}]}", OI_POLICY_CALLER_RULES,
                 "\"numbers\"]");
}

Test(routing_policy, null_and_absent_members_give_nothing_and_no_error)
{
    char *errors = NULL;
    char *text = check("{\"fallbacks\":null}", OI_POLICY_FALLBACKS, &errors);
    cr_expect_null(text);
    cr_expect_str_eq(errors, "");
    free(errors);
    text = check("{}", OI_POLICY_SCHEDULE, &errors);
    cr_expect_null(text);
    cr_expect_str_eq(errors, "");
    free(errors);
}

Test(routing_policy, parse_reads_the_canonical_form_and_lists_agents)
{
    const char *doc = "{\"fallbacks\":[{\"agent_id\":\"" A "\",\"on\":[\"busy\"]}],"
                      "\"schedule\":{\"time_zone\":\"UTC\",\"open\":[{\"days\":[\"tue\"],\"from\":\"09:30\",\"to\":\"24:00\"}],"
                      "\"closed_dates\":[\"2026-12-25\"],\"after_hours\":{\"agent_id\":\"" B "\"}},"
                      "\"caller_rules\":[{\"match\":{\"numbers\":[\"+14155550100\",\"+14155550101\"]},\"action\":\"route\","
                      "\"agent_id\":\"" B "\"},{\"match\":{\"anonymous\":true},\"action\":\"reject\"}]}";
    oi_policy_t *p = NULL;
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(oi_policy_parse(doc, &p, &err), OI_OK, "%s", err.message);
    cr_expect_eq(p->n_fallbacks, 1);
    cr_expect_eq(p->fallbacks[0].on, OI_TRIGGER_BUSY);
    cr_expect(p->has_schedule);
    cr_expect_eq(p->schedule.open[0].days, 1u << 1);
    cr_expect_eq(p->schedule.open[0].from, 570);
    cr_expect_eq(p->schedule.open[0].to, 1440);
    cr_expect_eq(p->schedule.closed[0], 20261225);
    cr_expect_str_eq(p->schedule.after_hours_agent, B);
    cr_expect_eq(p->n_rules, 2);
    cr_expect_eq(p->rules[0].n_numbers, 2);
    cr_expect_str_eq(p->rules[0].numbers[1], "+14155550101");
    cr_expect_eq(p->rules[1].kind, OI_MATCH_ANONYMOUS);
    const char *ids[8];
    char fields[8][64];
    cr_expect_eq(oi_policy_agents(p, ids, fields, 8), 3);
    cr_expect_str_eq(fields[0], "inbound_routing.fallbacks[0].agent_id");
    cr_expect_str_eq(fields[1], "inbound_routing.caller_rules[0].agent_id");
    cr_expect_str_eq(fields[2], "inbound_routing.schedule.after_hours.agent_id");
    cr_expect_str_eq(ids[2], B);
    oi_policy_free(&p);
    cr_expect_null(p);
}

Test(routing_policy, parse_refuses_what_the_checks_refuse)
{
    oi_policy_t *p = NULL;
    oi_error_t err;
    oi_error_init(&err);
    cr_expect_eq(oi_policy_parse("{\"fallbacks\":[{\"agent_id\":\"x\"}]}", &p, &err), OI_BAD_REQUEST);
    cr_expect_null(p);
    cr_expect_eq(oi_policy_parse("[1,2]", &p, &err), OI_BAD_REQUEST);
    cr_expect_eq(oi_policy_parse("{\"fallbacks\":", &p, &err), OI_BAD_REQUEST);
    cr_expect_eq(oi_policy_parse("", &p, &err), OI_OK);
    cr_expect(oi_policy_empty(p));
    oi_policy_free(&p);
}

/* --- the index against the rules tried one by one ---------------------------------------------- */

static const char *region_of_caller(void *ud)
{
    static char region[3];
    if (!oi_phone_region(ud, region))
        region[0] = '\0';
    return region;
}

/* What the rules say in order, by their own text (the explain path's way). */
static int first_rule_in_order(const oi_policy_t *p, const char *e164)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        const oi_policy_rule_t *r = &p->rules[i];
        bool m = false;
        if (r->kind == OI_MATCH_NUMBERS)
            for (size_t j = 0; e164 && j < r->n_numbers; j++)
                m = m || strcmp(r->numbers[j], e164) == 0;
        else if (r->kind == OI_MATCH_PREFIX)
            m = e164 && strncmp(e164, r->prefix, strlen(r->prefix)) == 0;
        else if (r->kind == OI_MATCH_COUNTRY)
            m = e164 && strcmp(region_of_caller((void *)e164), r->country) == 0;
        else
            m = !e164;
        if (m)
            return (int)i;
    }
    return -1;
}

/* Numbers near the callers below, so lists, prefixes and countries hit and miss alike. */
static const char *const pool[] = {"+14155550100", "+14155550101", "+12125550100", "+16135550100",
                                   "+442079460123", "+447911123456", "+447400123456", "+33612345678",
                                   "+4915112345678", "+819012345678", "+5511912345678", "+61412345678"};
static const char *const prefixes[] = {"+1", "+1415", "+44", "+4479", "+3", "+49", "+8", "+55"};
static const char *const countries[] = {"US", "CA", "GB", "GG", "FR", "DE", "JP", "BR", "AU", "IT"};

static void append_rule(char *doc, size_t cap, unsigned *seed, size_t k)
{
    char rule[512];
    switch (rand_r(seed) % 4) {
    case 0: {
        char list[400] = "";
        for (int j = 0, n = 1 + rand_r(seed) % 4; j < n; j++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"", j ? "," : "",
                     pool[rand_r(seed) % (sizeof pool / sizeof pool[0])]);
        snprintf(rule, sizeof rule, "{\"match\":{\"numbers\":[%s]},\"action\":\"reject\"}", list);
        break;
    }
    case 1:
        snprintf(rule, sizeof rule, "{\"match\":{\"prefix\":\"%s\"},\"action\":\"voicemail\"}",
                 prefixes[rand_r(seed) % (sizeof prefixes / sizeof prefixes[0])]);
        break;
    case 2:
        snprintf(rule, sizeof rule, "{\"match\":{\"country\":\"%s\"},\"action\":\"reject\"}",
                 countries[rand_r(seed) % (sizeof countries / sizeof countries[0])]);
        break;
    default:
        snprintf(rule, sizeof rule, "{\"match\":{\"anonymous\":true},\"action\":\"voicemail\"}");
    }
    snprintf(doc + strlen(doc), cap - strlen(doc), "%s%s", k ? "," : "", rule);
}

/* The sieves (a caller listed nowhere, a first digit no prefix or calling code has) never hide
 * a rule: 300 random policies, each asked about every number of the pool, others and a
 * withheld caller, answer what the rules say in order. */
Test(routing_policy, first_rule_agrees_with_the_rules_in_order)
{
    unsigned seed = 20261204;
    const char *others[] = {"+19995550100", "+999123", "+7912345678", "+2125550100", NULL};
    for (int round = 0; round < 300; round++) {
        char doc[16384] = "{\"caller_rules\":[";
        for (size_t k = 0, n = 1 + (size_t)(rand_r(&seed) % 12); k < n; k++)
            append_rule(doc, sizeof doc, &seed, k);
        snprintf(doc + strlen(doc), sizeof doc - strlen(doc), "]}");
        oi_policy_t *p = NULL;
        oi_error_t err;
        oi_error_init(&err);
        cr_assert_eq(oi_policy_parse(doc, &p, &err), OI_OK, "%s: %s", doc, err.message);
        for (size_t i = 0; i < sizeof pool / sizeof pool[0] + sizeof others / sizeof others[0]; i++) {
            const char *caller = i < sizeof pool / sizeof pool[0] ? pool[i] : others[i - sizeof pool / sizeof pool[0]];
            int want = first_rule_in_order(p, caller);
            int got = oi_policy_first_rule(p, caller, region_of_caller, (void *)caller);
            cr_assert_eq(got, want, "caller %s, policy %s: %d, in order %d", caller ? caller : "withheld", doc, got,
                         want);
        }
        oi_policy_free(&p);
    }
}
