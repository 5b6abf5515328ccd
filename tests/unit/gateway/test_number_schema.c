#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "number_schema.h"

TestSuite(number_schema);

#define AGENT "3c90c3cc-0d44-4b50-8888-8dd25736052a"
#define AGENT2 "9f1c2b3a-0d44-4b50-8888-8dd25736052b"

static json_t *first_error(oi_validation_t *v)
{
    char *s = oi_validation_render(v);
    json_t *j = json_loads(s, 0, NULL);
    free(s);
    return j;
}

static char *loc_str(json_t *err)
{
    json_t *loc = json_object_get(err, "loc");
    return json_dumps(loc, JSON_COMPACT);
}

Test(number_schema, register_seed_example_is_valid)
{
    json_t *body = json_loads("{\"phone_number\":\"+15739693824\",\"friendly_name\":\"Sales Line\",\"provider\":\"twilio\","
                              "\"agent_id\":\"" AGENT "\",\"provider_config\":{\"trunk_address\":\"yourtrunk.pstn.twilio.com\","
                              "\"auth_username\":\"oneinbox\",\"auth_password\":\"pw\",\"messaging_service_sid\":\"MG1\"},"
                              "\"inbound_routing\":{\"agent_id\":\"" AGENT2 "\",\"fallback\":{\"agent_id\":\"" AGENT "\"},"
                              "\"voicemail_message\":\"Sorry\"}}",
                              0, NULL);
    oi_validation_t *v = oi_validation_new();
    gw_register_msg_t m;
    cr_assert(gw_register_parse(v, body, &m));
    cr_assert_str_eq(m.req.phone_number, "+15739693824");
    cr_assert_str_eq(m.req.friendly_name->value, "Sales Line");
    cr_assert_str_eq(m.req.provider_config->auth_password->value, "pw");
    cr_assert_not_null(strstr(m.req.provider_config->extra_json, "messaging_service_sid"));
    cr_assert_null(strstr(m.req.provider_config->extra_json, "auth_password"));
    cr_assert_str_eq(m.req.inbound_routing->agent_id, AGENT2);
    cr_assert_str_eq(m.req.inbound_routing->fallback_agent_id->value, AGENT);
    cr_assert_null(m.req.credential_id);
    gw_register_msg_cleanup(&m);
    oi_validation_destroy(&v);
    json_decref(body);
}

Test(number_schema, register_reports_nested_locs)
{
    json_t *body = json_loads("{\"phone_number\":\"15739693824\",\"provider\":\"vonage\",\"agent_id\":\"x\","
                              "\"provider_config\":{\"trunk_address\":5},"
                              "\"inbound_routing\":{\"fallback\":{\"agent_id\":\"bad\"}},\"credential_id\":\"nope\"}",
                              0, NULL);
    oi_validation_t *v = oi_validation_new();
    gw_register_msg_t m;
    cr_assert_not(gw_register_parse(v, body, &m));
    json_t *d = first_error(v);
    json_t *arr = json_object_get(d, "detail");
    const char *expected[] = {"[\"body\",\"phone_number\"]",
                              "[\"body\",\"provider\"]",
                              "[\"body\",\"agent_id\"]",
                              "[\"body\",\"provider_config\",\"trunk_address\"]",
                              "[\"body\",\"inbound_routing\",\"agent_id\"]",
                              "[\"body\",\"inbound_routing\",\"fallback\",\"agent_id\"]",
                              "[\"body\",\"credential_id\"]"};
    cr_assert_eq(json_array_size(arr), 7);
    for (size_t i = 0; i < 7; i++) {
        char *l = loc_str(json_array_get(arr, i));
        cr_assert_str_eq(l, expected[i]);
        free(l);
    }
    json_decref(d);
    gw_register_msg_cleanup(&m);
    oi_validation_destroy(&v);
    json_decref(body);
}

Test(number_schema, register_body_must_be_an_object)
{
    json_t *body = json_loads("[1,2]", 0, NULL);
    oi_validation_t *v = oi_validation_new();
    gw_register_msg_t m;
    cr_assert_not(gw_register_parse(v, body, &m));
    json_t *d = first_error(v);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(d, "detail"), 0), "type")),
                     "model_attributes_type");
    json_decref(d);
    oi_validation_destroy(&v);
    json_decref(body);
}

Test(number_schema, register_provider_config_fields_are_capped_at_255)
{
    char big[300];
    memset(big, 'p', 256);
    big[256] = '\0';
    json_t *body = json_pack("{ss ss ss s{ss}}", "phone_number", "+15551234567", "provider", "telnyx", "agent_id",
                             AGENT, "provider_config", "auth_password", big);
    oi_validation_t *v = oi_validation_new();
    gw_register_msg_t m;
    cr_assert_not(gw_register_parse(v, body, &m));
    json_t *d = first_error(v);
    json_t *e = json_array_get(json_object_get(d, "detail"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "type")), "string_too_long");
    json_decref(d);
    gw_register_msg_cleanup(&m);
    oi_validation_destroy(&v);
    json_decref(body);
}

Test(number_schema, patch_presence_and_nulls_are_kept_apart)
{
    json_t *body = json_loads("{\"friendly_name\":null,\"inbound_routing\":{\"fallback\":null,\"voicemail_message\":\"x\"}}", 0,
                              NULL);
    oi_validation_t *v = oi_validation_new();
    gw_update_msg_t m;
    cr_assert(gw_update_parse(v, body, &m));
    cr_assert(m.req.set_friendly_name);
    cr_assert_null(m.req.friendly_name);
    cr_assert_null(m.req.agent_id);
    cr_assert(m.req.set_inbound_routing);
    cr_assert_not(m.req.clear_inbound_routing);
    cr_assert_null(m.iru.agent_id);
    cr_assert(m.iru.set_fallback);
    cr_assert_null(m.iru.fallback_agent_id);
    cr_assert(m.iru.set_voicemail_message);
    cr_assert_str_eq(m.iru.voicemail_message->value, "x");
    oi_validation_destroy(&v);
    json_decref(body);
}

Test(number_schema, patch_routing_null_means_outbound_only)
{
    json_t *body = json_loads("{\"inbound_routing\":null}", 0, NULL);
    oi_validation_t *v = oi_validation_new();
    gw_update_msg_t m;
    cr_assert(gw_update_parse(v, body, &m));
    cr_assert(m.req.set_inbound_routing);
    cr_assert(m.req.clear_inbound_routing);
    cr_assert_not(m.req.set_friendly_name);
    oi_validation_destroy(&v);
    json_decref(body);
}

Test(number_schema, purchase_area_code_only_for_us_and_ca)
{
    json_t *body = json_pack("{ss ss ss}", "agent_id", AGENT, "country", "GB", "area_code", "020");
    oi_validation_t *v = oi_validation_new();
    gw_purchase_msg_t m;
    cr_assert_not(gw_purchase_parse(v, body, &m));
    json_decref(body);
    body = json_pack("{ss ss ss}", "agent_id", AGENT, "country", "ca", "area_code", "416");
    oi_validation_destroy(&v);
    v = oi_validation_new();
    cr_assert(gw_purchase_parse(v, body, &m));
    cr_assert_str_eq(m.req.country, "CA");
    json_decref(body);
    body = json_pack("{ss}", "agent_id", AGENT);
    cr_assert(gw_purchase_parse(v, body, &m));
    cr_assert_str_eq(m.req.country, "US");
    cr_assert_null(m.req.phone_number);
    oi_validation_destroy(&v);
    json_decref(body);
}

Test(number_schema, search_query_defaults_and_limits)
{
    oi_validation_t *v = oi_validation_new();
    gw_search_query_t q;
    cr_assert(gw_search_parse(v, "country=US&area_code=415&limit=10", &q));
    cr_assert_str_eq(q.area_code, "415");
    cr_assert_eq(q.limit, 10);
    cr_assert(gw_search_parse(v, "", &q));
    cr_assert_str_eq(q.country, "US");
    cr_assert_eq(q.limit, 20);
    cr_assert_not(gw_search_parse(v, "country=DE&area_code=30", &q));
    cr_assert_not(gw_search_parse(v, "limit=0", &q));
    cr_assert_not(gw_search_parse(v, "country=USA", &q));
    oi_validation_destroy(&v);
}
