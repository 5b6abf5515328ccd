/* test_route.c: route matching, auth checks and query/form decoding. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "auth.h"
#include "params.h"
#include "route.h"

TestSuite(route);

Test(route, captures_twilio_path_segments)
{
    char cap[SIM_CAPS][SIM_CAP_LEN];
    const sim_route_t *r;
    cr_assert_eq(sim_route_match("GET", "/2010-04-01/Accounts/ACx/AvailablePhoneNumbers/US/Local.json", cap, &r),
                 SIM_MATCH_OK);
    cr_expect_str_eq(r->name, "twilio.search");
    cr_expect_str_eq(cap[0], "ACx");
    cr_expect_str_eq(cap[1], "US");
    cr_expect_str_eq(cap[2], "Local");
    cr_assert_eq(sim_route_match("DELETE", "/2010-04-01/Accounts/ACx/IncomingPhoneNumbers/PN1.json", cap, &r),
                 SIM_MATCH_OK);
    cr_expect_str_eq(r->name, "twilio.release");
    cr_expect_str_eq(cap[1], "PN1");
    cr_assert_eq(sim_route_match("POST", "/2010-04-01/Accounts/ACx/IncomingPhoneNumbers.json", cap, &r), SIM_MATCH_OK);
    cr_expect_str_eq(r->name, "twilio.buy");
    cr_assert_eq(sim_route_match("DELETE", "/v1/Trunks/TK1/PhoneNumbers/PN2", cap, &r), SIM_MATCH_OK);
    cr_expect_str_eq(r->name, "twilio.trunk_number_detach");
    cr_expect_str_eq(cap[0], "TK1");
    cr_expect_str_eq(cap[1], "PN2");
}

Test(route, telnyx_admin_and_misses)
{
    char cap[SIM_CAPS][SIM_CAP_LEN];
    const sim_route_t *r;
    cr_assert_eq(sim_route_match("PATCH", "/v2/phone_numbers/123", cap, &r), SIM_MATCH_OK);
    cr_expect_str_eq(r->name, "telnyx.number_update");
    cr_expect_eq(r->carrier, SIM_CARRIER_TELNYX);
    cr_assert_eq(sim_route_match("POST", "/sim/faults", cap, &r), SIM_MATCH_OK);
    cr_expect_eq(r->carrier, SIM_CARRIER_ADMIN);
    cr_expect_eq(sim_route_match("PUT", "/v2/phone_numbers/123", cap, &r), SIM_MATCH_BAD_METHOD);
    cr_expect_eq(sim_route_match("GET", "/v2/phone_numbers/123/extra", cap, &r), SIM_MATCH_NO_PATH);
    cr_expect_eq(sim_route_match("GET", "/2010-04-01/Accounts/ACx/IncomingPhoneNumbers/PN1", cap, &r),
                 SIM_MATCH_NO_PATH, "the .json suffix is required");
    cr_expect_eq(sim_route_match("GET", "/v2/phone_numbers/", cap, &r), SIM_MATCH_NO_PATH);
    cr_expect_eq(sim_route_match("GET", "", cap, &r), SIM_MATCH_NO_PATH);
    char longseg[300] = "/v2/phone_numbers/";
    memset(longseg + strlen(longseg), '1', 200);
    cr_expect_eq(sim_route_match("GET", longseg, cap, &r), SIM_MATCH_NO_PATH, "over-long capture refused");
    cr_expect_eq(sim_route_carrier_of("/2010-04-01/x"), SIM_CARRIER_TWILIO);
    cr_expect_eq(sim_route_carrier_of("/v1/Nope"), SIM_CARRIER_TWILIO);
    cr_expect_eq(sim_route_carrier_of("/v2/nope"), SIM_CARRIER_TELNYX);
    cr_expect_eq(sim_route_carrier_of("/nope"), SIM_CARRIER_ADMIN);
}

Test(route, fault_route_names)
{
    cr_expect(sim_route_name_valid("twilio.buy"));
    cr_expect(sim_route_name_valid("telnyx.order_get"));
    cr_expect(sim_route_name_valid("*"));
    cr_expect(sim_route_name_valid("telnyx.*"));
    cr_expect_not(sim_route_name_valid("sim.reset"), "admin routes are never faulted");
    cr_expect_not(sim_route_name_valid("twilio.bogus"));
}

static sim_config_t cfg = {
    .twilio_account_sid = "AC5f2c9e0d1b7a48e6a3c4d5e6f7a8b9c0",
    .twilio_auth_token = "tok",
    .telnyx_api_key = "KEY123",
};

static void basic(const char *user_pass, char *out, size_t n)
{
    char b64[256];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)user_pass, strlen(user_pass),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, n, "Basic %s", b64);
}

Test(route, twilio_basic_auth)
{
    cr_assert_geq(sodium_init(), 0);
    char h[300];
    basic("AC5f2c9e0d1b7a48e6a3c4d5e6f7a8b9c0:tok", h, sizeof h);
    cr_expect(sim_auth_twilio(&cfg, h));
    basic("AC5f2c9e0d1b7a48e6a3c4d5e6f7a8b9c0:tok2", h, sizeof h);
    cr_expect_not(sim_auth_twilio(&cfg, h));
    basic("AC5f2c9e0d1b7a48e6a3c4d5e6f7a8b9c1:tok", h, sizeof h);
    cr_expect_not(sim_auth_twilio(&cfg, h));
    basic("no-colon", h, sizeof h);
    cr_expect_not(sim_auth_twilio(&cfg, h));
    cr_expect_not(sim_auth_twilio(&cfg, NULL));
    cr_expect_not(sim_auth_twilio(&cfg, "Basic !!!notbase64"));
    cr_expect_not(sim_auth_twilio(&cfg, "Bearer tok"));
}

Test(route, telnyx_bearer_auth)
{
    cr_expect(sim_auth_telnyx(&cfg, "Bearer KEY123"));
    cr_expect(sim_auth_telnyx(&cfg, "bearer KEY123"));
    cr_expect_not(sim_auth_telnyx(&cfg, "Bearer KEY1234"));
    cr_expect_not(sim_auth_telnyx(&cfg, "Bearer "));
    cr_expect_not(sim_auth_telnyx(&cfg, "KEY123"));
    cr_expect_not(sim_auth_telnyx(&cfg, NULL));
}

Test(route, params_decode_form_bodies)
{
    sim_params_t p = {0};
    char why[160];
    const char *body = "PhoneNumber=%2B14155550142&FriendlyName=support+line&&Empty=&filter%5Bcountry_code%5D=US";
    cr_assert(sim_params_parse(&p, body, strlen(body), why, sizeof why), "%s", why);
    cr_expect_str_eq(sim_params_get(&p, "PhoneNumber"), "+14155550142");
    cr_expect_str_eq(sim_params_get(&p, "FriendlyName"), "support line");
    cr_expect_str_eq(sim_params_get(&p, "Empty"), "");
    cr_expect_str_eq(sim_params_get(&p, "filter[country_code]"), "US");
    cr_expect_null(sim_params_get(&p, "Missing"));
    sim_params_cleanup(&p);
    cr_expect_eq(p.n, 0);
}

Test(route, params_refuse_bad_encodings)
{
    static const char *bad[] = {"a=%zz", "a=%2", "=x", "a=%00b", "a=%ff%fe", NULL};
    for (size_t i = 0; bad[i]; i++) {
        sim_params_t p = {0};
        char why[160];
        cr_expect_not(sim_params_parse(&p, bad[i], strlen(bad[i]), why, sizeof why), "should refuse %s", bad[i]);
        cr_expect_eq(p.n, 0);
    }
    sim_params_t p = {0};
    char why[160], many[1024] = "";
    for (int i = 0; i < SIM_PARAMS_MAX + 1; i++)
        memcpy(many + 4 * i, "a=1&", 5);
    cr_expect_not(sim_params_parse(&p, many, strlen(many), why, sizeof why), "too many pairs");
}
