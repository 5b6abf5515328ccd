/* test_faults.c: fault parsing, route coverage and consumption. */
#include <criterion/criterion.h>

#include "faults.h"

TestSuite(faults);

static bool parse(const char *text, sim_fault_t *f)
{
    json_t *j = json_loads(text, 0, NULL);
    char why[160];
    bool ok = sim_fault_parse(j, f, why, sizeof why);
    json_decref(j);
    return ok;
}

Test(faults, parses_every_field)
{
    sim_fault_t f;
    cr_assert(parse("{\"route\":\"twilio.buy\",\"status\":429,\"count\":3,\"latency_ms\":50,\"retry_after\":2,"
                    "\"body\":\"slow down\"}",
                    &f));
    cr_expect_str_eq(f.route, "twilio.buy");
    cr_expect_eq(f.status, 429);
    cr_expect_eq(f.count, 3);
    cr_expect_eq(f.latency_ms, 50);
    cr_expect_eq(f.retry_after, 2);
    cr_expect_str_eq(json_string_value(f.body), "slow down");
    sim_fault_cleanup(&f);
    cr_assert(parse("{\"route\":\"telnyx.order\",\"pending_seconds\":3}", &f));
    cr_expect_eq(f.count, 1, "count defaults to one call");
    sim_fault_cleanup(&f);
}

Test(faults, refuses_bad_faults)
{
    static const char *bad[] = {
        "[]",
        "{}",
        "{\"route\":\"\",\"status\":503}",
        "{\"route\":\"twilio.buy\"}",
        "{\"route\":\"twilio.buy\",\"status\":200}",
        "{\"route\":\"twilio.buy\",\"status\":\"503\"}",
        "{\"route\":\"twilio.buy\",\"status\":503,\"count\":0}",
        "{\"route\":\"twilio.buy\",\"status\":503,\"count\":-2}",
        "{\"route\":\"twilio.buy\",\"latency_ms\":-1}",
        "{\"route\":\"twilio.buy\",\"timeout\":\"yes\"}",
        "{\"route\":\"twilio.buy\",\"status\":503,\"body\":5}",
        NULL,
    };
    for (size_t i = 0; bad[i]; i++) {
        sim_fault_t f;
        cr_expect_not(parse(bad[i], &f), "should refuse %s", bad[i]);
        cr_expect_null(f.body);
    }
    sim_fault_t f;
    char why[8];
    cr_expect_not(sim_fault_parse(NULL, &f, why, sizeof why), "NULL body; tiny why buffer");
}

Test(faults, route_patterns_cover_routes)
{
    cr_expect(sim_fault_route_covers("*", "telnyx.order"));
    cr_expect(sim_fault_route_covers("twilio.*", "twilio.buy"));
    cr_expect_not(sim_fault_route_covers("twilio.*", "telnyx.order"));
    cr_expect(sim_fault_route_covers("twilio.buy", "twilio.buy"));
    cr_expect_not(sim_fault_route_covers("twilio.buy", "twilio.buyer"));
    cr_expect_not(sim_fault_route_covers(".*", "twilio.buy"));
}

Test(faults, count_is_consumed_then_the_fault_is_gone)
{
    sim_faults_t fs = {0};
    sim_fault_t f, got;
    cr_assert(parse("{\"route\":\"twilio.buy\",\"status\":503,\"count\":2,\"body\":{\"x\":1}}", &f));
    cr_assert(sim_faults_add(&fs, &f));
    cr_expect_null(f.body, "moved into the table");
    cr_expect_not(sim_faults_take(&fs, "twilio.search", &got));
    for (int i = 0; i < 2; i++) {
        cr_assert(sim_faults_take(&fs, "twilio.buy", &got));
        cr_expect_eq(got.status, 503);
        cr_expect(json_is_object(got.body));
        sim_fault_cleanup(&got);
    }
    cr_expect_not(sim_faults_take(&fs, "twilio.buy", &got));
    cr_expect_eq(fs.n, 0);
}

Test(faults, minus_one_lasts_until_cleared_and_first_match_wins)
{
    sim_faults_t fs = {0};
    sim_fault_t f, got;
    cr_assert(parse("{\"route\":\"telnyx.*\",\"status\":500,\"count\":-1}", &f));
    sim_faults_add(&fs, &f);
    cr_assert(parse("{\"route\":\"telnyx.order\",\"status\":429}", &f));
    sim_faults_add(&fs, &f);
    for (int i = 0; i < 5; i++) {
        cr_assert(sim_faults_take(&fs, "telnyx.order", &got));
        cr_expect_eq(got.status, 500);
        sim_fault_cleanup(&got);
    }
    json_t *list = sim_faults_json(&fs);
    cr_expect_eq(json_array_size(list), 2);
    json_decref(list);
    sim_faults_clear(&fs);
    cr_expect_not(sim_faults_take(&fs, "telnyx.order", &got));
}

Test(faults, table_has_a_ceiling)
{
    sim_faults_t fs = {0};
    for (int i = 0; i < SIM_FAULTS_MAX; i++) {
        sim_fault_t f;
        cr_assert(parse("{\"route\":\"*\",\"latency_ms\":1,\"body\":\"b\"}", &f));
        cr_assert(sim_faults_add(&fs, &f));
    }
    sim_fault_t f;
    cr_assert(parse("{\"route\":\"*\",\"latency_ms\":1,\"body\":\"b\"}", &f));
    cr_expect_not(sim_faults_add(&fs, &f));
    cr_expect_null(f.body, "refused fault is cleaned");
    sim_faults_clear(&fs);
}
