/* test_routing.c: a number's routing and its JSON forms (routing.h): policy members are kept as
 * canonical JSON and copied into the stored and dispatch forms, never parsed again there. */
#include <criterion/criterion.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "routing.h"

#define A1 "11111111-1111-4111-8111-111111111111"
#define A2 "22222222-2222-4222-8222-222222222222"
#define A3 "33333333-3333-4333-8333-333333333333"

#define FALLBACKS "[{\"agent_id\":\"" A3 "\",\"on\":[\"busy\"]}]"
#define RULES "[{\"match\":{\"prefix\":\"+44\"},\"action\":\"voicemail\"}]"

/* What the JSON forms were before they copied members: everything parsed and written again. */
static char *reparsed(const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(j, "not JSON: %s", text);
    char *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return out;
}

Test(routing, the_stored_form_copies_the_members_after_the_seed_fields)
{
    prov_routing_t r = {.present = true, .agent_id = A1, .fallback_agent_id = A2, .voicemail_message = "say \"hi\"\n"};
    r.policy[OI_POLICY_FALLBACKS] = FALLBACKS;
    r.policy[OI_POLICY_CALLER_RULES] = RULES;
    char *text = prov_routing_to_json_text(&r);
    cr_assert_str_eq(text, "{\"agent_id\":\"" A1 "\",\"fallback\":{\"agent_id\":\"" A2 "\"},"
                           "\"voicemail_message\":\"say \\\"hi\\\"\\n\",\"fallbacks\":" FALLBACKS
                           ",\"caller_rules\":" RULES "}");
    char *again = reparsed(text);
    cr_expect_str_eq(text, again, "the same bytes as parsing and writing it whole");
    free(again);
    free(text);
}

Test(routing, the_stored_form_without_policy_or_fallback)
{
    prov_routing_t r = {.present = true, .agent_id = A1};
    char *text = prov_routing_to_json_text(&r);
    cr_expect_str_eq(text, "{\"agent_id\":\"" A1 "\",\"fallback\":null,\"voicemail_message\":null}");
    free(text);
    r.present = false;
    cr_expect_null(prov_routing_to_json_text(&r), "an outbound-only number stores no routing");
}

Test(routing, the_policy_form_names_only_the_members_set)
{
    prov_routing_t r = {.present = true, .agent_id = A1};
    cr_expect_null(prov_routing_policy_json(&r), "no member: no policy");
    r.policy[OI_POLICY_CALLER_RULES] = RULES;
    char *text = prov_routing_policy_json(&r);
    cr_expect_str_eq(text, "{\"caller_rules\":" RULES "}");
    free(text);
    r.policy[OI_POLICY_FALLBACKS] = FALLBACKS;
    r.policy[OI_POLICY_SCHEDULE] = "{\"time_zone\":\"Europe/London\"}";
    text = prov_routing_policy_json(&r);
    cr_expect_str_eq(text, "{\"fallbacks\":" FALLBACKS ",\"schedule\":{\"time_zone\":\"Europe/London\"},"
                           "\"caller_rules\":" RULES "}");
    free(text);
}

Test(routing, members_enter_canonical_and_what_is_not_json_never_does)
{
    char *c = prov_routing_member_canonical("[ { \"agent_id\" : \"" A3 "\", \"on\": [ \"busy\" ] } ]");
    cr_expect_str_eq(c, FALLBACKS);
    free(c);
    cr_expect_null(prov_routing_member_canonical("[1]],\"caller_rules\":[2"));
    cr_expect_null(prov_routing_member_canonical(NULL));

    Oneinbox__V1__InboundRouting in = ONEINBOX__V1__INBOUND_ROUTING__INIT;
    Oneinbox__V1__OptString fb = ONEINBOX__V1__OPT_STRING__INIT, rules = ONEINBOX__V1__OPT_STRING__INIT;
    in.agent_id = A1;
    fb.value = "[ {\"agent_id\": \"" A3 "\", \"on\": [\"busy\"]} ]";
    rules.value = "[1]],\"schedule\":{}";
    in.fallbacks = &fb;
    in.caller_rules = &rules;
    prov_routing_t r;
    prov_routing_from_proto(&r, &in);
    cr_expect_str_eq(r.policy[OI_POLICY_FALLBACKS], FALLBACKS);
    cr_expect_null(r.policy[OI_POLICY_CALLER_RULES], "a member that is not JSON is left unset");
    prov_routing_cleanup(&r);
}

Test(routing, a_patch_stores_its_members_canonical_and_refuses_one_that_is_not_json)
{
    prov_routing_t cur = {.present = true, .agent_id = A1};
    Oneinbox__V1__UpdateNumberRequest req = ONEINBOX__V1__UPDATE_NUMBER_REQUEST__INIT;
    Oneinbox__V1__InboundRoutingUpdate upd = ONEINBOX__V1__INBOUND_ROUTING_UPDATE__INIT;
    Oneinbox__V1__OptString rules = ONEINBOX__V1__OPT_STRING__INIT;
    req.id = "n";
    req.set_inbound_routing = true;
    req.inbound_routing = &upd;
    upd.set_caller_rules = true;
    upd.caller_rules = &rules;
    rules.value = "[ {\"match\": {\"prefix\": \"+44\"}, \"action\": \"voicemail\"} ]";
    prov_merge_t m;
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(prov_merge_apply(A1, &cur, &req, &m, &err), OI_OK, "%s", err.message);
    cr_expect_str_eq(m.routing.policy[OI_POLICY_CALLER_RULES], RULES);
    prov_merge_cleanup(&m);

    rules.value = "[]],\"fallbacks\":[{\"agent_id\":\"" A3 "\"}";
    cr_expect_eq(prov_merge_apply(A1, &cur, &req, &m, &err), OI_INVALID, "a member must be JSON on its own");
    cr_expect_str_eq(err.loc, "body.inbound_routing");
    prov_merge_cleanup(&m);
}
