/* test_reply.c: the carriers' error bodies and reply helpers. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"

TestSuite(reply);

Test(reply, twilio_error_shape)
{
    sim_reply_t r = {0};
    sim_reply_twilio_error(&r, 400, 21422, "PhoneNumber %s is not available", "+14155550142");
    cr_expect_eq(r.status, 400);
    cr_expect_eq(json_integer_value(json_object_get(r.body, "code")), 21422);
    cr_expect_eq(json_integer_value(json_object_get(r.body, "status")), 400);
    cr_expect_str_eq(json_string_value(json_object_get(r.body, "message")), "PhoneNumber +14155550142 is not available");
    cr_expect_str_eq(json_string_value(json_object_get(r.body, "more_info")), "https://www.twilio.com/docs/errors/21422");
    sim_reply_cleanup(&r);
    cr_expect_null(r.body);
}

Test(reply, telnyx_error_shape_with_string_code_and_source)
{
    sim_reply_t r = {0};
    sim_reply_telnyx_error(&r, 422, "10016", "Phone number must be in +E.164 format", "bad", "/phone_numbers/0/phone_number",
                           NULL);
    json_t *e = json_array_get(json_object_get(r.body, "errors"), 0);
    cr_assert_not_null(e);
    cr_expect_str_eq(json_string_value(json_object_get(e, "code")), "10016");
    cr_expect_str_eq(json_string_value(json_object_get(e, "detail")), "bad");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(e, "source"), "pointer")),
                     "/phone_numbers/0/phone_number");
    cr_expect_not_null(json_object_get(json_object_get(e, "meta"), "url"));
    sim_reply_telnyx_error(&r, 400, "10004", "Missing required parameter", "x", NULL, "filter[country_code]");
    e = json_array_get(json_object_get(r.body, "errors"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(e, "source"), "parameter")),
                     "filter[country_code]");
    sim_reply_cleanup(&r);
}

Test(reply, messages_quoting_bad_bytes_stay_valid_json)
{
    sim_reply_t r = {0};
    sim_reply_twilio_error(&r, 400, 21421, "bad %s", "\xff\xfe\n");
    cr_assert_not_null(r.body, "invalid UTF-8 in input must not lose the body");
    size_t len;
    char *s = sim_reply_render(&r, &len);
    cr_expect_gt(len, 0);
    free(s);
    sim_reply_cleanup(&r);
}

Test(reply, status_code_mapping)
{
    const char *title;
    cr_expect_eq(sim_twilio_code_for(400), 20001);
    cr_expect_eq(sim_twilio_code_for(401), 20003);
    cr_expect_eq(sim_twilio_code_for(404), 20404);
    cr_expect_eq(sim_twilio_code_for(429), 20429);
    cr_expect_eq(sim_twilio_code_for(503), 20503);
    cr_expect_str_eq(sim_telnyx_code_for(429, &title), "10011");
    cr_expect_str_eq(title, "Too many requests");
    cr_expect_str_eq(sim_telnyx_code_for(401, &title), "10009");
    cr_expect_str_eq(sim_telnyx_code_for(503, &title), "10007");
}

Test(reply, headers_refuse_injection_and_overflow)
{
    sim_reply_t r = {0};
    sim_reply_header(&r, "Retry-After", "2");
    sim_reply_header(&r, "X-Bad", "a\r\nSet-Cookie: x");
    cr_expect_str_eq(r.headers, "Retry-After: 2\r\n");
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sim_reply_header(&r, "X-Big", big);
    cr_expect_str_eq(r.headers, "Retry-After: 2\r\n", "a line that does not fit is dropped whole");
}

Test(reply, public_copy_drops_internal_keys_and_empty_renders_empty)
{
    json_t *o = json_pack("{s:s, s:i}", "id", "1", "_polls_left", 3);
    json_t *p = sim_public(o);
    cr_expect_null(json_object_get(p, "_polls_left"));
    cr_expect_not_null(json_object_get(o, "_polls_left"), "the stored object is untouched");
    json_decref(o);
    json_decref(p);
    sim_reply_t r = {0};
    sim_reply_empty(&r, 204);
    size_t len = 9;
    char *s = sim_reply_render(&r, &len);
    cr_expect_eq(len, 0);
    free(s);
}
