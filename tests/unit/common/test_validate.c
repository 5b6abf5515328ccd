#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "oi/validate.h"

TestSuite(validate);

static json_t *detail_of(oi_validation_t *v)
{
    char *s = oi_validation_render(v);
    json_t *j = json_loads(s, 0, NULL);
    free(s);
    return j;
}

Test(validate, missing_required_field_reports_fastapi_shape)
{
    oi_validation_t *v = oi_validation_new();
    json_t *body = json_pack("{ss}", "provider", "twilio");
    oi_loc_t loc = oi_loc_root("body");
    cr_assert_null(oi_v_e164(v, &loc, body, "phone_number", OI_V_REQUIRED, NULL));
    json_t *d = detail_of(v);
    json_t *e = json_array_get(json_object_get(d, "detail"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "type")), "missing");
    cr_assert_str_eq(json_string_value(json_object_get(e, "msg")), "Field required");
    json_t *l = json_object_get(e, "loc");
    cr_assert_str_eq(json_string_value(json_array_get(l, 0)), "body");
    cr_assert_str_eq(json_string_value(json_array_get(l, 1)), "phone_number");
    json_decref(d);
    json_decref(body);
    oi_validation_destroy(&v);
    cr_assert_null(v);
}

Test(validate, pattern_mismatch_carries_the_seed_pattern)
{
    oi_validation_t *v = oi_validation_new();
    json_t *body = json_pack("{ss}", "phone_number", "+0123");
    oi_loc_t loc = oi_loc_root("body");
    oi_v_e164(v, &loc, body, "phone_number", OI_V_REQUIRED, NULL);
    json_t *d = detail_of(v);
    json_t *e = json_array_get(json_object_get(d, "detail"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "type")), "string_pattern_mismatch");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "ctx"), "pattern")), "^\\+[1-9]\\d{1,14}$");
    json_decref(d);
    json_decref(body);
    oi_validation_destroy(&v);
}

Test(validate, collects_every_problem_not_just_the_first)
{
    oi_validation_t *v = oi_validation_new();
    json_t *body = json_pack("{sisssi}", "phone_number", 5, "provider", "vonage", "agent_id", 7);
    oi_loc_t loc = oi_loc_root("body");
    static const char *const providers[] = {"twilio", "telnyx", NULL};
    char uuid[37];
    oi_v_e164(v, &loc, body, "phone_number", OI_V_REQUIRED, NULL);
    oi_v_enum(v, &loc, body, "provider", OI_V_REQUIRED, providers, NULL);
    oi_v_uuid(v, &loc, body, "agent_id", OI_V_REQUIRED, NULL, uuid);
    cr_assert_eq(oi_validation_count(v), 3);
    json_t *d = detail_of(v);
    json_t *arr = json_object_get(d, "detail");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0), "type")), "string_type");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 1), "type")), "enum");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 1), "msg")),
                     "Input should be 'twilio' or 'telnyx'");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 2), "type")), "uuid_type");
    json_decref(d);
    json_decref(body);
    oi_validation_destroy(&v);
}

Test(validate, max_length_counts_characters)
{
    oi_validation_t *v = oi_validation_new();
    char long_s[300];
    memset(long_s, 'a', 256);
    long_s[256] = '\0';
    json_t *body = json_pack("{ssss}", "ok", "\xc3\xa9\xc3\xa9", "long", long_s);
    oi_loc_t loc = oi_loc_root("body");
    cr_assert_not_null(oi_v_string(v, &loc, body, "ok", 0, 0, 2, NULL));
    cr_assert_null(oi_v_string(v, &loc, body, "long", 0, 0, 255, NULL));
    cr_assert_eq(oi_validation_count(v), 1);
    json_decref(body);
    oi_validation_destroy(&v);
}

Test(validate, nullable_accepts_null_and_reports_presence)
{
    oi_validation_t *v = oi_validation_new();
    json_t *body = json_pack("{sn}", "friendly_name");
    oi_loc_t loc = oi_loc_root("body");
    bool present = false;
    cr_assert_null(oi_v_string(v, &loc, body, "friendly_name", OI_V_NULLABLE, 0, 0, &present));
    cr_assert(present);
    cr_assert_eq(oi_validation_count(v), 0);
    cr_assert_null(oi_v_string(v, &loc, body, "friendly_name", 0, 0, 0, &present));
    cr_assert_eq(oi_validation_count(v), 1);
    json_decref(body);
    oi_validation_destroy(&v);
}

Test(validate, malformed_json_is_json_invalid_with_position)
{
    oi_validation_t *v = oi_validation_new();
    cr_assert_null(oi_v_parse_body(v, "{\"a\": ", 6));
    json_t *d = detail_of(v);
    json_t *e = json_array_get(json_object_get(d, "detail"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "type")), "json_invalid");
    cr_assert(json_is_integer(json_array_get(json_object_get(e, "loc"), 1)));
    json_decref(d);
    oi_validation_destroy(&v);
}

Test(validate, query_int_bounds)
{
    oi_validation_t *v = oi_validation_new();
    long n = 0;
    cr_assert(oi_v_query_int(v, "limit", "20", 1, 100, &n));
    cr_assert_eq(n, 20);
    cr_assert_not(oi_v_query_int(v, "limit", "0", 1, 100, &n));
    cr_assert_not(oi_v_query_int(v, "limit", "101", 1, 100, &n));
    cr_assert_not(oi_v_query_int(v, "limit", "abc", 1, 100, &n));
    cr_assert_not(oi_v_query_int(v, "limit", "", 1, 100, &n));
    cr_assert_eq(oi_validation_count(v), 4);
    oi_validation_destroy(&v);
}

Test(validate, secrets_never_echoed_in_input)
{
    oi_validation_t *v = oi_validation_new();
    json_t *body = json_pack("{s:s, s:{s:s, s:s}}", "api_key", "sk-very-secret", "provider_config", "auth_password",
                             "pw-123456789", "trunk_address", "sip.example.com");
    oi_loc_t root = oi_loc_root("body");
    oi_validation_add(v, &root, "missing", "Field required", body, NULL);
    oi_loc_t pc = oi_loc_key(&root, "provider_config");
    oi_loc_t pw = oi_loc_key(&pc, "auth_password");
    json_t *pwv = json_string("pw-123456789");
    oi_validation_add(v, &pw, "string_too_short", "too short", pwv, NULL);
    json_decref(pwv);
    char *out = oi_validation_render(v);
    cr_assert_null(strstr(out, "sk-very-secret"), "%s", out);
    cr_assert_null(strstr(out, "pw-123456789"), "%s", out);
    cr_assert_not_null(strstr(out, "sip.example.com"));
    free(out);
    json_decref(body);
    oi_validation_destroy(&v);
}
