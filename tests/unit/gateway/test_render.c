#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

TestSuite(render);

static const char *const required[] = {"id",           "phone_number",     "friendly_name",     "provider",
                                       "agent_id",     "status",           "inbound_trunk_id",  "outbound_trunk_id",
                                       "dispatch_rule_id", "created_at",   "updated_at",        NULL};

Test(render, number_has_every_required_field_with_nulls_where_empty)
{
    Oneinbox__V1__PhoneNumber n = ONEINBOX__V1__PHONE_NUMBER__INIT;
    n.id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    n.phone_number = "+15739693824";
    n.provider = ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO;
    n.agent_id = "9f1c2b3a-0d44-4b50-8888-8dd25736052b";
    n.status = "active";
    n.created_at = n.updated_at = "2026-11-22T10:00:00Z";
    json_t *j = gw_render_number(&n);
    for (int i = 0; required[i]; i++)
        cr_assert_not_null(json_object_get(j, required[i]), "%s", required[i]);
    cr_assert_str_eq(json_string_value(json_object_get(j, "provider")), "twilio");
    cr_assert(json_is_null(json_object_get(j, "friendly_name")));
    cr_assert(json_is_null(json_object_get(j, "inbound_trunk_id")));
    cr_assert(json_is_null(json_object_get(j, "inbound_routing")));
    cr_assert(json_is_null(json_object_get(j, "sms_capable")));
    json_decref(j);
}

Test(render, routing_fallback_and_voicemail)
{
    Oneinbox__V1__PhoneNumber n = ONEINBOX__V1__PHONE_NUMBER__INIT;
    Oneinbox__V1__InboundRouting ir = ONEINBOX__V1__INBOUND_ROUTING__INIT;
    Oneinbox__V1__OptString fb = ONEINBOX__V1__OPT_STRING__INIT;
    Oneinbox__V1__OptBool sms = ONEINBOX__V1__OPT_BOOL__INIT;
    ir.agent_id = "a";
    fb.value = "b";
    ir.fallback_agent_id = &fb;
    n.inbound_routing = &ir;
    sms.value = 1;
    n.sms_capable = &sms;
    json_t *j = gw_render_number(&n);
    json_t *r = json_object_get(j, "inbound_routing");
    cr_assert_str_eq(json_string_value(json_object_get(r, "agent_id")), "a");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "fallback"), "agent_id")), "b");
    cr_assert(json_is_null(json_object_get(r, "voicemail_message")));
    cr_assert(json_is_true(json_object_get(j, "sms_capable")));
    json_decref(j);
}

/* A number's before and after rendered through one request's memo: a member both carry is
 * parsed once and shared; one that changed is parsed anew; the documents read as without it. */
Test(render, policy_members_a_request_renders_twice_are_parsed_once)
{
    Oneinbox__V1__PhoneNumber n = ONEINBOX__V1__PHONE_NUMBER__INIT;
    Oneinbox__V1__InboundRouting ir = ONEINBOX__V1__INBOUND_ROUTING__INIT;
    Oneinbox__V1__OptString rules = ONEINBOX__V1__OPT_STRING__INIT, fallbacks = ONEINBOX__V1__OPT_STRING__INIT;
    ir.agent_id = "a";
    rules.value = "[{\"match\":{\"prefix\":\"+44\"},\"action\":\"voicemail\"}]";
    fallbacks.value = "[{\"agent_id\":\"b\",\"on\":[\"busy\"]}]";
    ir.caller_rules = &rules;
    ir.fallbacks = &fallbacks;
    n.inbound_routing = &ir;
    gw_render_memo_t memo = {0};
    json_t *before = gw_render_number_in(&n, &memo);
    char other[] = "[{\"agent_id\":\"c\",\"on\":[\"busy\"]}]";
    fallbacks.value = other;
    json_t *after = gw_render_number_in(&n, &memo);
    json_t *plain = gw_render_number(&n);
    json_t *rb = json_object_get(before, "inbound_routing"), *ra = json_object_get(after, "inbound_routing");
    cr_expect_eq(json_object_get(rb, "caller_rules"), json_object_get(ra, "caller_rules"), "the same text: shared");
    cr_expect_neq(json_object_get(rb, "fallbacks"), json_object_get(ra, "fallbacks"), "another text: its own parse");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(ra, "fallbacks"), 0),
                                                       "agent_id")), "c");
    cr_expect(json_equal(after, plain), "the memo changes nothing a reader sees");
    json_decref(before);
    json_decref(after);
    json_decref(plain);
    gw_render_memo_cleanup(&memo);
    gw_render_memo_cleanup(&memo); /* twice is harmless */
}

Test(render, integration_never_shows_secret_looking_metadata)
{
    Oneinbox__V1__Integration i = ONEINBOX__V1__INTEGRATION__INIT;
    i.id = "x";
    i.name = "My Twilio Account";
    i.provider = ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO;
    i.metadata_json = "{\"account_sid\":\"AC1\",\"sip_trunk\":\"t\",\"auth_password\":\"p\",\"api_key\":\"k\","
                      "\"oauth\":{\"client_id\":\"c\",\"token\":\"deep\"}}";
    i.created_at = i.updated_at = "2026-11-22T10:00:00Z";
    json_t *j = gw_render_integration(&i);
    char *s = json_dumps(j, 0);
    cr_assert_null(strstr(s, "auth_password"));
    cr_assert_null(strstr(s, "api_key"));
    cr_assert_null(strstr(s, "deep"));
    cr_assert_not_null(strstr(s, "account_sid"));
    cr_assert_not_null(strstr(s, "client_id"));
    free(s);
    json_decref(j);
}

Test(render, resolve_form_encodes_every_value_and_leaves_nulls_out)
{
    Oneinbox__V1__ResolveReply r = ONEINBOX__V1__RESOLVE_REPLY__INIT;
    Oneinbox__V1__OptString vm = ONEINBOX__V1__OPT_STRING__INIT;
    vm.value = "Tsch\xc3\xbcss & bye = 100% + more~_.-";
    r.number_id = "n1";
    r.voicemail_message = &vm;
    r.dispatch_rule_id = "r1";
    r.inbound_trunk_id = "t1";
    r.reason = "voicemail_no_agent";
    r.provider = "";
    r.version = 42;
    size_t len = 0;
    char *body = (char *)gw_render_resolve_form(&r, &len);
    cr_assert_str_eq(body, "number_id=n1&voicemail_message=Tsch%C3%BCss%20%26%20bye%20%3D%20100%25%20%2B%20more~_.-"
                           "&dispatch_rule_id=r1&inbound_trunk_id=t1&reason=voicemail_no_agent&version=42");
    cr_assert_eq(len, strlen(body));
    free(body);
}

Test(render, resolve_form_carries_the_agents_in_the_jsons_order)
{
    Oneinbox__V1__ResolveReply r = ONEINBOX__V1__RESOLVE_REPLY__INIT;
    Oneinbox__V1__OptString agent = ONEINBOX__V1__OPT_STRING__INIT, fallback = ONEINBOX__V1__OPT_STRING__INIT;
    agent.value = "a1";
    fallback.value = "f1";
    r.number_id = "n1";
    r.agent_id = &agent;
    r.fallback_agent_id = &fallback;
    r.dispatch_rule_id = "r1";
    r.inbound_trunk_id = "t1";
    r.reason = "primary";
    r.provider = "telnyx";
    size_t len = 0;
    char *body = (char *)gw_render_resolve_form(&r, &len);
    cr_assert_str_eq(body, "number_id=n1&agent_id=a1&fallback_agent_id=f1&dispatch_rule_id=r1&inbound_trunk_id=t1"
                           "&reason=primary&provider=telnyx&version=0");
    free(body);
}
