/* test_wire.c: request building and answer parsing of both drivers, with the documented
 * examples of spec/carriers.md; backoff and the circuit breaker. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "policy.h"
#include "wire.h"

static json_t *parse(const char *s)
{
    json_t *j = json_loads(s, 0, NULL);
    cr_assert_not_null(j);
    return j;
}

Test(twilio, search_url_and_parse)
{
    char *url = tw_search_url("https://api.twilio.com", "AC5f2c9e0d1b7a48e6a3c4d5e6f7a8b9c0", "US", "415", "55+", 2);
    cr_assert_str_eq(url, "https://api.twilio.com/2010-04-01/Accounts/AC5f2c9e0d1b7a48e6a3c4d5e6f7a8b9c0/"
                          "AvailablePhoneNumbers/US/Local.json?PageSize=2&AreaCode=415&Contains=55%2B");
    free(url);
    json_t *root = parse("{\"available_phone_numbers\": [{\"friendly_name\": \"(415) 555-0142\", \"phone_number\": "
                         "\"+14155550142\", \"locality\": \"San Francisco\", \"region\": \"CA\", \"iso_country\": "
                         "\"US\", \"capabilities\": {\"voice\": true, \"SMS\": true, \"MMS\": true, \"fax\": false}}]}");
    Oneinbox__V1__CarrierSearchReply *r = tw_parse_search(root);
    cr_assert_eq(r->n_numbers, 1);
    cr_assert_str_eq(r->numbers[0]->phone_number, "+14155550142");
    cr_assert_str_eq(r->numbers[0]->locality, "San Francisco");
    cr_assert(r->numbers[0]->sms && r->numbers[0]->voice && r->numbers[0]->mms);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    json_decref(root);
    cr_assert_null(tw_parse_search(NULL));
}

Test(twilio, purchase_answer)
{
    json_t *root = parse("{\"sid\": \"PN3e8d1f0a6b2c47d9a1e5f3b7c9d2e4f6\", \"phone_number\": \"+14155550142\", "
                         "\"capabilities\": {\"voice\": true, \"sms\": false}}");
    Oneinbox__V1__CarrierNumber *n = tw_parse_number(root);
    cr_assert_str_eq(n->carrier_number_id, "PN3e8d1f0a6b2c47d9a1e5f3b7c9d2e4f6");
    cr_assert_str_eq(n->state, "active");
    cr_assert(n->voice && !n->sms);
    protobuf_c_message_free_unpacked(&n->base, NULL);
    json_decref(root);
}

Test(twilio, errors_map_to_our_codes)
{
    char msg[256];
    cr_assert_eq(tw_error_map(400, "{\"code\": 21422, \"message\": \"PhoneNumber is not available\"}", msg,
                              sizeof msg), OI_NUMBER_NOT_AVAILABLE);
    cr_assert_str_eq(msg, "code 21422: PhoneNumber is not available");
    cr_assert_eq(tw_error_map(400, "{\"code\": 21421}", msg, sizeof msg), OI_NUMBER_NOT_AVAILABLE);
    cr_assert_eq(tw_error_map(400, "{\"code\": 21452}", msg, sizeof msg), OI_NO_NUMBERS_FOUND);
    cr_assert_eq(tw_error_map(401, "{\"code\": 20003, \"message\": \"Authenticate\"}", msg, sizeof msg),
                 OI_CARRIER_AUTH_FAILED);
    cr_assert_eq(tw_error_map(429, "{\"code\": 20429}", msg, sizeof msg), OI_CARRIER_RATE_LIMITED);
    cr_assert_eq(tw_error_map(503, "not json", msg, sizeof msg), OI_CARRIER_UNAVAILABLE);
    cr_assert_eq(tw_error_map(400, NULL, msg, sizeof msg), OI_CARRIER_ERROR);
}

Test(telnyx, search_url_and_parse)
{
    char *url = tx_search_url("https://api.telnyx.com/v2", "US", "312", "99", 5);
    cr_assert_str_eq(url, "https://api.telnyx.com/v2/available_phone_numbers?filter%5Bcountry_code%5D=US"
                          "&filter%5Blimit%5D=5&filter%5Bnational_destination_code%5D=312"
                          "&filter%5Bphone_number%5D%5Bcontains%5D=99");
    free(url);
    json_t *root = parse("{\"data\": [{\"record_type\": \"available_phone_number\", \"phone_number\": "
                         "\"+13125550199\", \"region_information\": [{\"region_type\": \"country_code\", "
                         "\"region_name\": \"US\"}, {\"region_type\": \"state\", \"region_name\": \"IL\"}, "
                         "{\"region_type\": \"rate_center\", \"region_name\": \"CHICAGO ZONE 01\"}], "
                         "\"features\": [{\"name\": \"voice\"}, {\"name\": \"sms\"}]}], \"meta\": {}}");
    Oneinbox__V1__CarrierSearchReply *r = tx_parse_search(root);
    cr_assert_eq(r->n_numbers, 1);
    cr_assert_str_eq(r->numbers[0]->region, "IL");
    cr_assert_str_eq(r->numbers[0]->country, "US");
    cr_assert_str_eq(r->numbers[0]->locality, "CHICAGO ZONE 01");
    cr_assert(r->numbers[0]->sms && r->numbers[0]->voice && !r->numbers[0]->mms);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    json_decref(root);
}

Test(telnyx, orders_and_owned_numbers)
{
    char *body = tx_order_body("+13125550199", "job-1");
    cr_assert_str_eq(body, "{\"phone_numbers\":[{\"phone_number\":\"+13125550199\"}],\"customer_reference\":\"job-1\"}");
    free(body);
    json_t *order = parse("{\"data\": {\"id\": \"7c3f2a9e-1b4d-4e8a-9f60-2d5c8b1a7e34\", \"record_type\": "
                          "\"number_order\", \"status\": \"pending\"}}");
    char id[64], st[16];
    cr_assert(tx_parse_order(order, id, sizeof id, st, sizeof st));
    cr_assert_str_eq(id, "7c3f2a9e-1b4d-4e8a-9f60-2d5c8b1a7e34");
    cr_assert_str_eq(st, "pending");
    json_decref(order);
    json_t *list = parse("{\"data\": [{\"id\": \"1\", \"phone_number\": \"+13125550199\", \"status\": \"deleted\"}, "
                         "{\"id\": \"2245117386529027011\", \"phone_number\": \"+13125550199\", \"status\": "
                         "\"active\"}]}");
    cr_assert_str_eq(tx_find_number_id(list, "+13125550199"), "2245117386529027011");
    cr_assert_null(tx_find_number_id(list, "+13125550100"));
    json_decref(list);
    char msg[256];
    cr_assert_eq(tx_error_map(401, "{\"errors\": [{\"code\": \"10009\", \"title\": \"Authentication failed\"}]}", msg,
                              sizeof msg), OI_CARRIER_AUTH_FAILED);
    cr_assert_str_eq(msg, "code 10009: Authentication failed");
    cr_assert_eq(tx_error_map(429, "{\"errors\": [{\"code\": \"10011\"}]}", msg, sizeof msg), OI_CARRIER_RATE_LIMITED);
}

Test(policy, backoff_grows_caps_and_honours_retry_after)
{
    cr_assert_eq(car_backoff_ms(1, 200, 5000, -1, 0), 100);
    cr_assert_eq(car_backoff_ms(2, 200, 5000, -1, 0), 200);
    cr_assert_eq(car_backoff_ms(10, 200, 5000, -1, 0), 2500);
    int64_t d = car_backoff_ms(3, 200, 5000, -1, 12345);
    cr_assert(d >= 400 && d <= 800, "%lld", (long long)d);
    cr_assert_eq(car_backoff_ms(1, 200, 5000, 3, 0), 3000);
    cr_assert(car_http_transient(0) && car_http_transient(429) && car_http_transient(503));
    cr_assert(!car_http_transient(400) && !car_http_transient(404));
}

Test(policy, breaker_opens_half_opens_and_closes)
{
    car_breaker_t b;
    car_breaker_init(&b, 3, 1000);
    for (int i = 0; i < 3; i++) {
        cr_assert(car_breaker_allow(&b, 0));
        car_breaker_record(&b, true, 0);
    }
    cr_assert_eq(b.state, CAR_BREAKER_OPEN);
    cr_assert_not(car_breaker_allow(&b, 500));
    cr_assert(car_breaker_allow(&b, 1000)); /* one probe */
    cr_assert_not(car_breaker_allow(&b, 1001));
    car_breaker_record(&b, true, 1002); /* probe failed: open again */
    cr_assert_eq(b.state, CAR_BREAKER_OPEN);
    cr_assert(car_breaker_allow(&b, 2100));
    car_breaker_record(&b, false, 2101);
    cr_assert_eq(b.state, CAR_BREAKER_CLOSED);
    cr_assert(car_breaker_allow(&b, 2102));
}

Test(ingress, parse)
{
    char host[64];
    int port;
    cr_assert(car_ingress_parse("sip:voice.oneinbox.ai:5080", host, sizeof host, &port));
    cr_assert_str_eq(host, "voice.oneinbox.ai");
    cr_assert_eq(port, 5080);
    cr_assert(car_ingress_parse("sip:sip.example.net;transport=tcp", host, sizeof host, &port));
    cr_assert_eq(port, 5060);
    cr_assert_not(car_ingress_parse("sip::5060", host, sizeof host, &port));
    cr_assert_not(car_ingress_parse("sip:h:99999", host, sizeof host, &port));
}
