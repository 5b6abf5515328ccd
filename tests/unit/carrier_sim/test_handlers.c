/* test_handlers.c: Twilio and Telnyx handlers against the in-memory state (no HTTP). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"

#define ACCOUNT "AC5f2c9e0d1b7a48e6a3c4d5e6f7a8b9c0"

static sim_state_t *st;
static sim_params_t params;
static json_t *body;

static void setup(void)
{
    sim_config_t c = {.host = "127.0.0.1",
                      .port = 8901,
                      .seed = 42,
                      .twilio_account_sid = ACCOUNT,
                      .twilio_auth_token = "tok",
                      .telnyx_api_key = "KEY",
                      .twilio_caps_upper = true,
                      .base_url = "http://127.0.0.1:8901"};
    st = sim_state_new(&c);
}

static void teardown(void)
{
    sim_state_destroy(&st);
    sim_params_cleanup(&params);
    json_decref(body);
    body = NULL;
}

TestSuite(handlers, .init = setup, .fini = teardown);

/* Runs a handler; query/form text in `form`, JSON text in `json` (either may be NULL). */
static sim_reply_t call(sim_handler_fn fn, const char *c0, const char *c1, const char *form, const char *json)
{
    sim_req_t rq = {.method = "X", .now_ms = 1700000000000, .params = &params};
    snprintf(rq.cap[0], SIM_CAP_LEN, "%s", c0 ? c0 : "");
    snprintf(rq.cap[1], SIM_CAP_LEN, "%s", c1 ? c1 : "");
    snprintf(rq.cap[2], SIM_CAP_LEN, "%s", "Local");
    sim_params_cleanup(&params);
    char why[160];
    cr_assert(sim_params_parse(&params, form ? form : "", form ? strlen(form) : 0, why, sizeof why), "%s", why);
    json_decref(body);
    body = json ? json_loads(json, 0, NULL) : NULL;
    rq.json = body;
    sim_reply_t r = {0};
    fn(st, &rq, &r);
    cr_assert_neq(r.status, 0, "every handler answers");
    return r;
}

static json_int_t code_of(const sim_reply_t *r) { return json_integer_value(json_object_get(r->body, "code")); }

static const char *tx_code(const sim_reply_t *r)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(r->body, "errors"), 0), "code"));
}

static const char *str(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

Test(handlers, twilio_search_returns_numbers_of_the_area)
{
    sim_reply_t r = call(sim_tw_search, ACCOUNT, "US", "AreaCode=415&PageSize=5&SmsEnabled=true", NULL);
    cr_assert_eq(r.status, 200);
    json_t *arr = json_object_get(r.body, "available_phone_numbers");
    cr_assert_eq(json_array_size(arr), 5);
    json_t *first = json_array_get(arr, 0);
    cr_expect_eq(strncmp(str(first, "phone_number"), "+1415", 5), 0);
    cr_expect_str_eq(str(first, "locality"), "San Francisco");
    cr_expect(json_is_true(json_object_get(json_object_get(first, "capabilities"), "SMS")));
    cr_expect_not_null(str(r.body, "uri"));
    sim_reply_cleanup(&r);

    r = call(sim_tw_search, ACCOUNT, "US", "Contains=415555*", NULL);
    cr_expect_eq(r.status, 200);
    sim_reply_cleanup(&r);
    r = call(sim_tw_search, ACCOUNT, "US", "Contains=*", NULL);
    cr_expect_eq(r.status, 400);
    sim_reply_cleanup(&r);
    r = call(sim_tw_search, ACCOUNT, "US", "AreaCode=41", NULL);
    cr_expect_eq(code_of(&r), 21451);
    sim_reply_cleanup(&r);
    r = call(sim_tw_search, ACCOUNT, "GB", "AreaCode=415", NULL);
    cr_expect_eq(code_of(&r), 21457);
    sim_reply_cleanup(&r);
    r = call(sim_tw_search, ACCOUNT, "ZZ", NULL, NULL);
    cr_expect_eq(r.status, 404);
    cr_expect_eq(code_of(&r), 20404);
    sim_reply_cleanup(&r);
}

static char *first_available(const char *area)
{
    sim_number_t *n = sim_inventory_first_in_area(st->inv, "US", area);
    cr_assert_not_null(n);
    return n->e164;
}

Test(handlers, twilio_buy_rebuy_release_cycle)
{
    char pn[20], form[80], sid[40];
    snprintf(pn, sizeof pn, "%s", first_available("212"));
    snprintf(form, sizeof form, "PhoneNumber=%%2B%s&FriendlyName=support", pn + 1);
    sim_reply_t r = call(sim_tw_buy, ACCOUNT, NULL, form, NULL);
    cr_assert_eq(r.status, 201);
    cr_expect_str_eq(str(r.body, "phone_number"), pn);
    cr_expect_str_eq(str(r.body, "status"), "in-use");
    cr_expect_str_eq(str(r.body, "friendly_name"), "support");
    cr_expect_eq(strncmp(str(r.body, "sid"), "PN", 2), 0);
    snprintf(sid, sizeof sid, "%s", str(r.body, "sid"));
    sim_reply_cleanup(&r);
    cr_expect_neq(strcmp(first_available("212"), pn), 0, "bought number left the inventory");

    r = call(sim_tw_buy, ACCOUNT, NULL, form, NULL);
    cr_expect_eq(r.status, 201, "re-POST of an owned number: 201 again");
    cr_expect_str_eq(str(r.body, "sid"), sid);
    sim_reply_cleanup(&r);
    cr_expect_eq(json_integer_value(json_object_get(st->purchases, pn)), 1, "one purchase only");

    r = call(sim_tw_number_list, ACCOUNT, NULL, form, NULL);
    cr_expect_eq(json_array_size(json_object_get(r.body, "incoming_phone_numbers")), 1);
    sim_reply_cleanup(&r);

    r = call(sim_tw_release, ACCOUNT, sid, NULL, NULL);
    cr_expect_eq(r.status, 204);
    cr_expect_null(r.body);
    sim_reply_cleanup(&r);
    cr_expect_str_eq(first_available("212"), pn, "released number is back");
    cr_expect_eq(json_integer_value(json_object_get(st->releases, pn)), 1);
    r = call(sim_tw_release, ACCOUNT, sid, NULL, NULL);
    cr_expect_eq(code_of(&r), 20404);
    sim_reply_cleanup(&r);
}

Test(handlers, twilio_magic_numbers_and_bad_input)
{
    static const struct {
        const char *form;
        int status;
        json_int_t code;
    } cases[] = {
        {"PhoneNumber=%2B15005550000", 400, 21422}, {"PhoneNumber=%2B15005550001", 400, 21421},
        {"AreaCode=533", 400, 21452},               {"PhoneNumber=12345", 400, 21421},
        {"", 400, SIM_TW_INVALID},                  {"PhoneNumber=%2B14155550142&AreaCode=415", 400, SIM_TW_INVALID},
        {"AreaCode=4x5", 400, 21451},               {"PhoneNumber=%2B19995550142", 400, 21422},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_reply_t r = call(sim_tw_buy, ACCOUNT, NULL, cases[i].form, NULL);
        cr_expect_eq(r.status, cases[i].status, "%s", cases[i].form);
        cr_expect_eq(code_of(&r), cases[i].code, "%s", cases[i].form);
        sim_reply_cleanup(&r);
    }
    sim_reply_t r = call(sim_tw_buy, ACCOUNT, NULL, "AreaCode=500", NULL);
    cr_expect_eq(r.status, 201);
    cr_expect_str_eq(str(r.body, "phone_number"), "+15005550006");
    sim_reply_cleanup(&r);
    r = call(sim_tw_buy, ACCOUNT, NULL, "PhoneNumber=%2B15005550006", NULL);
    cr_expect_eq(r.status, 201);
    sim_reply_cleanup(&r);
    cr_expect_eq(json_integer_value(json_object_get(st->purchases, "+15005550006")), 1);
}

Test(handlers, twilio_taken_number_fails_with_21422)
{
    sim_number_t *n = sim_inventory_first_in_area(st->inv, "US", "312");
    n->state = SIM_NUM_TAKEN;
    char form[80];
    snprintf(form, sizeof form, "PhoneNumber=%%2B%s", n->e164 + 1);
    sim_reply_t r = call(sim_tw_buy, ACCOUNT, NULL, form, NULL);
    cr_expect_eq(code_of(&r), 21422);
    sim_reply_cleanup(&r);
    r = call(sim_tw_buy, ACCOUNT, NULL, "AreaCode=312", NULL);
    cr_expect_eq(r.status, 201, "buy by area code picks another number");
    cr_expect_neq(strcmp(str(r.body, "phone_number"), n->e164), 0);
    sim_reply_cleanup(&r);
}

Test(handlers, twilio_trunk_wiring)
{
    sim_reply_t r = call(sim_tw_trunk_create, NULL, NULL, "FriendlyName=ws-42&DomainName=ws-42.pstn.twilio.com", NULL);
    cr_assert_eq(r.status, 201);
    char tk[40], pn_sid[40], cl[40];
    snprintf(tk, sizeof tk, "%s", str(r.body, "sid"));
    cr_expect_str_eq(str(r.body, "domain_name"), "ws-42.pstn.twilio.com");
    sim_reply_cleanup(&r);
    r = call(sim_tw_trunk_create, NULL, NULL, "DomainName=ws-42.pstn.twilio.com", NULL);
    cr_expect_eq(r.status, 400, "domain names are unique");
    sim_reply_cleanup(&r);

    r = call(sim_tw_ou_create, tk, NULL, "FriendlyName=pbx&SipUrl=sip%3Avoice.example%3A5060&Priority=10&Weight=10&Enabled=true",
             NULL);
    cr_expect_eq(r.status, 201);
    cr_expect_eq(json_integer_value(json_object_get(r.body, "priority")), 10);
    sim_reply_cleanup(&r);
    r = call(sim_tw_ou_create, tk, NULL, "FriendlyName=pbx&SipUrl=http%3A%2F%2Fx&Priority=10&Weight=10&Enabled=true", NULL);
    cr_expect_eq(r.status, 400);
    sim_reply_cleanup(&r);

    r = call(sim_tw_cl_create, ACCOUNT, NULL, "FriendlyName=creds", NULL);
    snprintf(cl, sizeof cl, "%s", str(r.body, "sid"));
    sim_reply_cleanup(&r);
    r = call(sim_tw_cred_create, ACCOUNT, cl, "Username=agent&Password=weak", NULL);
    cr_expect_eq(r.status, 400);
    sim_reply_cleanup(&r);
    r = call(sim_tw_cred_create, ACCOUNT, cl, "Username=agent&Password=Str0ngPassword1", NULL);
    cr_expect_eq(r.status, 201);
    cr_expect_null(json_object_get(r.body, "password"), "password never echoed");
    sim_reply_cleanup(&r);
    char form[80];
    snprintf(form, sizeof form, "CredentialListSid=%s", cl);
    r = call(sim_tw_tcl_attach, tk, NULL, form, NULL);
    cr_expect_eq(r.status, 201);
    sim_reply_cleanup(&r);

    r = call(sim_tw_buy, ACCOUNT, NULL, "AreaCode=206", NULL);
    snprintf(pn_sid, sizeof pn_sid, "%s", str(r.body, "sid"));
    sim_reply_cleanup(&r);
    snprintf(form, sizeof form, "PhoneNumberSid=%s", pn_sid);
    r = call(sim_tw_tpn_attach, tk, NULL, form, NULL);
    cr_expect_eq(r.status, 201);
    cr_expect_str_eq(str(r.body, "trunk_sid"), tk);
    sim_reply_cleanup(&r);
    r = call(sim_tw_tpn_list, tk, NULL, NULL, NULL);
    cr_expect_eq(json_array_size(json_object_get(r.body, "phone_numbers")), 1);
    cr_expect_str_eq(str(json_object_get(r.body, "meta"), "key"), "phone_numbers");
    sim_reply_cleanup(&r);

    r = call(sim_tw_trunk_delete, tk, NULL, NULL, NULL);
    cr_expect_eq(r.status, 204);
    sim_reply_cleanup(&r);
    cr_expect(json_is_null(json_object_get(json_object_get(st->tw_numbers, pn_sid), "trunk_sid")));
    cr_expect_eq(json_object_size(st->tw_origs), 0);
    cr_expect_eq(json_object_size(st->tw_trunk_cls), 0);
}

Test(handlers, twilio_list_pagination)
{
    for (int i = 0; i < 3; i++) {
        sim_reply_t r = call(sim_tw_buy, ACCOUNT, NULL, "AreaCode=617", NULL);
        cr_assert_eq(r.status, 201);
        sim_reply_cleanup(&r);
    }
    sim_reply_t r = call(sim_tw_number_list, ACCOUNT, NULL, "PageSize=2", NULL);
    cr_expect_eq(json_array_size(json_object_get(r.body, "incoming_phone_numbers")), 2);
    const char *next = str(r.body, "next_page_uri");
    cr_assert_not_null(next);
    cr_expect_not_null(strstr(next, "Page=1"));
    cr_expect_not_null(strstr(next, "PageToken=PT1"));
    sim_reply_cleanup(&r);
    r = call(sim_tw_number_list, ACCOUNT, NULL, "PageSize=2&Page=1&PageToken=PT1", NULL);
    cr_expect_eq(json_array_size(json_object_get(r.body, "incoming_phone_numbers")), 1);
    cr_expect(json_is_null(json_object_get(r.body, "next_page_uri")));
    sim_reply_cleanup(&r);
    r = call(sim_tw_number_list, ACCOUNT, NULL, "PageSize=2&Page=1&PageToken=bogus", NULL);
    cr_expect_eq(code_of(&r), 21481);
    sim_reply_cleanup(&r);
    r = call(sim_tw_number_list, ACCOUNT, NULL, "PageSize=0", NULL);
    cr_expect_eq(r.status, 400);
    sim_reply_cleanup(&r);
}

Test(handlers, telnyx_search_and_errors)
{
    sim_reply_t r = call(sim_tx_search, NULL, NULL,
                         "filter[country_code]=US&filter[national_destination_code]=312&filter[limit]=3&"
                         "filter[features][]=sms",
                         NULL);
    cr_assert_eq(r.status, 200);
    json_t *data = json_object_get(r.body, "data");
    cr_expect_eq(json_array_size(data), 3);
    cr_expect_str_eq(str(json_array_get(data, 0), "record_type"), "available_phone_number");
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(r.body, "meta"), "total_results")), 3);
    sim_reply_cleanup(&r);
    r = call(sim_tx_search, NULL, NULL, "filter[limit]=3", NULL);
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(tx_code(&r), "10004");
    sim_reply_cleanup(&r);
    r = call(sim_tx_search, NULL, NULL, "filter[country_code]=US&filter[limit]=x", NULL);
    cr_expect_str_eq(tx_code(&r), "10015");
    sim_reply_cleanup(&r);
    r = call(sim_tx_search, NULL, NULL, "filter[country_code]=US&filter[features][]=teleport", NULL);
    cr_expect_eq(r.status, 400);
    sim_reply_cleanup(&r);
}

static char order_body[256];

static const char *order_for(const char *e164)
{
    snprintf(order_body, sizeof order_body, "{\"phone_numbers\":[{\"phone_number\":\"%s\"}],\"customer_reference\":\"ws\"}",
             e164);
    return order_body;
}

Test(handlers, telnyx_order_pending_for_polls_then_success)
{
    st->cfg.telnyx_pending_polls = 2;
    char pn[20], oid[40], nid[24];
    snprintf(pn, sizeof pn, "%s", first_available("512"));
    sim_reply_t r = call(sim_tx_order_create, NULL, NULL, NULL, order_for(pn));
    cr_assert_eq(r.status, 200);
    json_t *d = json_object_get(r.body, "data");
    cr_expect_str_eq(str(d, "status"), "pending");
    cr_expect_null(json_object_get(d, "_polls_left"), "internal fields stay inside");
    snprintf(oid, sizeof oid, "%s", str(d, "id"));
    sim_reply_cleanup(&r);
    for (int i = 0; i < 2; i++) {
        r = call(sim_tx_order_get, oid, NULL, NULL, NULL);
        cr_expect_str_eq(str(json_object_get(r.body, "data"), "status"), "pending", "poll %d", i);
        sim_reply_cleanup(&r);
    }
    r = call(sim_tx_order_get, oid, NULL, NULL, NULL);
    d = json_object_get(r.body, "data");
    cr_expect_str_eq(str(d, "status"), "success");
    cr_expect_str_eq(str(json_array_get(json_object_get(d, "phone_numbers"), 0), "status"), "success");
    sim_reply_cleanup(&r);

    r = call(sim_tx_number_list, NULL, NULL, "filter[phone_number]=", NULL);
    sim_reply_cleanup(&r);
    char q[64];
    snprintf(q, sizeof q, "filter[phone_number]=%s", pn + 1);
    r = call(sim_tx_number_list, NULL, NULL, q, NULL);
    json_t *nums = json_object_get(r.body, "data");
    cr_assert_eq(json_array_size(nums), 1);
    cr_expect_str_eq(str(json_array_get(nums, 0), "status"), "active");
    snprintf(nid, sizeof nid, "%s", str(json_array_get(nums, 0), "id"));
    sim_reply_cleanup(&r);
    snprintf(q, sizeof q, "filter[phone_number]=%%2B%s", pn + 1);
    r = call(sim_tx_number_list, NULL, NULL, q, NULL);
    cr_expect_eq(json_array_size(json_object_get(r.body, "data")), 0, "non-digits match nothing");
    sim_reply_cleanup(&r);

    r = call(sim_tx_release, nid, NULL, NULL, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(str(json_object_get(r.body, "data"), "status"), "deleted");
    sim_reply_cleanup(&r);
    cr_expect_str_eq(first_available("512"), pn);
    cr_expect_eq(json_integer_value(json_object_get(st->purchases, pn)), 1);
    cr_expect_eq(json_integer_value(json_object_get(st->releases, pn)), 1);
}

Test(handlers, telnyx_order_of_taken_number_fails_and_bad_bodies_are_refused)
{
    sim_number_t *n = sim_inventory_first_in_area(st->inv, "US", "303");
    n->state = SIM_NUM_TAKEN;
    sim_reply_t r = call(sim_tx_order_create, NULL, NULL, NULL, order_for(n->e164));
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(str(json_object_get(r.body, "data"), "status"), "failure");
    sim_reply_cleanup(&r);
    cr_expect_null(json_object_get(st->purchases, n->e164));

    r = call(sim_tx_order_create, NULL, NULL, NULL, order_for("13035550000"));
    cr_expect_eq(r.status, 422);
    cr_expect_str_eq(tx_code(&r), "10016");
    sim_reply_cleanup(&r);
    r = call(sim_tx_order_create, NULL, NULL, NULL, "{\"phone_numbers\":[]}");
    cr_expect_eq(r.status, 422);
    sim_reply_cleanup(&r);
    r = call(sim_tx_order_create, NULL, NULL, NULL, NULL);
    cr_expect_eq(r.status, 400);
    sim_reply_cleanup(&r);
    r = call(sim_tx_order_get, "nope", NULL, NULL, NULL);
    cr_expect_eq(r.status, 404);
    cr_expect_str_eq(tx_code(&r), "10005");
    sim_reply_cleanup(&r);
}

Test(handlers, telnyx_connections_and_patch)
{
    sim_reply_t r = call(sim_tx_fqdn_conn_create, NULL, NULL, NULL,
                         "{\"connection_name\":\"ws-42-inbound\",\"transport_protocol\":\"UDP\"}");
    cr_assert_eq(r.status, 201);
    char cid[24], nid[24], body_text[256];
    snprintf(cid, sizeof cid, "%s", str(json_object_get(r.body, "data"), "id"));
    sim_reply_cleanup(&r);
    snprintf(body_text, sizeof body_text, "{\"connection_id\":\"%s\",\"fqdn\":\"sip.example.net\",\"port\":5060,"
                                          "\"dns_record_type\":\"a\"}", cid);
    r = call(sim_tx_fqdn_create, NULL, NULL, NULL, body_text);
    cr_expect_eq(r.status, 201);
    sim_reply_cleanup(&r);
    /* the lists a retried EnsureTrunk reads: by connection name, then the connection's FQDNs */
    r = call(sim_tx_fqdn_conn_list, NULL, NULL, "filter%5Bconnection_name%5D%5Bcontains%5D=42-in&page%5Bsize%5D=5",
             NULL);
    cr_expect_eq(r.status, 200);
    cr_expect_eq(json_array_size(json_object_get(r.body, "data")), 1);
    cr_expect_str_eq(str(json_array_get(json_object_get(r.body, "data"), 0), "id"), cid);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(r.body, "meta"), "total_results")), 1);
    sim_reply_cleanup(&r);
    r = call(sim_tx_fqdn_conn_list, NULL, NULL, "filter%5Bconnection_name%5D%5Bcontains%5D=nobody", NULL);
    cr_expect_eq(json_array_size(json_object_get(r.body, "data")), 0);
    sim_reply_cleanup(&r);
    r = call(sim_tx_fqdn_conn_list, NULL, NULL, "page%5Bsize%5D=0", NULL);
    cr_expect_eq(r.status, 400);
    sim_reply_cleanup(&r);
    snprintf(body_text, sizeof body_text, "filter%%5Bconnection_id%%5D=%s", cid);
    r = call(sim_tx_fqdn_list, NULL, NULL, body_text, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(str(json_array_get(json_object_get(r.body, "data"), 0), "fqdn"), "sip.example.net");
    sim_reply_cleanup(&r);
    r = call(sim_tx_fqdn_list, NULL, NULL, "filter%5Bconnection_id%5D=0", NULL);
    cr_expect_eq(json_array_size(json_object_get(r.body, "data")), 0);
    sim_reply_cleanup(&r);
    r = call(sim_tx_cred_conn_create, NULL, NULL, NULL,
             "{\"connection_name\":\"out\",\"user_name\":\"1234\",\"password\":\"secret123\"}");
    cr_expect_eq(r.status, 422, "user_name needs a letter in its first five characters");
    sim_reply_cleanup(&r);

    r = call(sim_tx_order_create, NULL, NULL, NULL, order_for(first_available("404")));
    sim_reply_cleanup(&r);
    nid[0] = '\0';
    const char *k;
    json_t *v;
    json_object_foreach(st->tx_numbers, k, v) snprintf(nid, sizeof nid, "%s", k);
    r = call(sim_tx_number_update, nid, NULL, NULL, "{\"connection_id\":\"999\"}");
    cr_expect_eq(r.status, 422);
    sim_reply_cleanup(&r);
    snprintf(body_text, sizeof body_text, "{\"connection_id\":\"%s\",\"tags\":[\"a\"]}", cid);
    r = call(sim_tx_number_update, nid, NULL, NULL, body_text);
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(str(json_object_get(r.body, "data"), "connection_name"), "ws-42-inbound");
    sim_reply_cleanup(&r);
    r = call(sim_tx_fqdn_conn_delete, cid, NULL, NULL, NULL);
    cr_expect_eq(r.status, 200);
    sim_reply_cleanup(&r);
    cr_expect(json_is_null(json_object_get(json_object_get(st->tx_numbers, nid), "connection_id")));
    cr_expect_eq(json_object_size(st->tx_fqdns), 0);
}

Test(handlers, admin_take_counters_and_reset)
{
    char pn[20], take[64];
    snprintf(pn, sizeof pn, "%s", first_available("305"));
    snprintf(take, sizeof take, "{\"phone_number\":\"%s\"}", pn);
    sim_reply_t r = call(sim_admin_take, NULL, NULL, NULL, take);
    cr_expect_eq(r.status, 200);
    sim_reply_cleanup(&r);
    cr_expect_neq(strcmp(first_available("305"), pn), 0);
    r = call(sim_admin_take, NULL, NULL, NULL, "{\"phone_number\":\"+19999999999\"}");
    cr_expect_eq(r.status, 404);
    sim_reply_cleanup(&r);
    r = call(sim_admin_faults_add, NULL, NULL, NULL, "{\"route\":\"twilio.nope\",\"status\":503}");
    cr_expect_eq(r.status, 400);
    sim_reply_cleanup(&r);
    r = call(sim_admin_faults_add, NULL, NULL, NULL, "{\"route\":\"twilio.buy\",\"status\":503,\"count\":-1}");
    cr_expect_eq(r.status, 201);
    sim_reply_cleanup(&r);
    r = call(sim_tw_buy, ACCOUNT, NULL, "AreaCode=305", NULL);
    sim_reply_cleanup(&r);
    r = call(sim_admin_counters, NULL, NULL, NULL, NULL);
    cr_expect_eq(json_array_size(json_object_get(r.body, "owned")), 1);
    cr_expect_eq(json_object_size(json_object_get(r.body, "purchases")), 1);
    sim_reply_cleanup(&r);
    r = call(sim_admin_reset, NULL, NULL, NULL, NULL);
    sim_reply_cleanup(&r);
    cr_expect_str_eq(first_available("305"), pn, "reset restores the seed's inventory");
    cr_expect_eq(st->faults.n, 0);
    cr_expect_eq(json_object_size(st->tw_numbers), 0);
}
