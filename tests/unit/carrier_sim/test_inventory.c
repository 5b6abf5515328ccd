/* test_inventory.c: deterministic generation and search of the simulator's number stock. */
#include <criterion/criterion.h>
#include <string.h>

#include "inventory.h"

TestSuite(inventory);

Test(inventory, same_seed_gives_same_numbers)
{
    sim_inventory_t *a = sim_inventory_new(42), *b = sim_inventory_new(42);
    cr_assert_eq(sim_inventory_count(a), sim_inventory_count(b));
    for (size_t i = 0; i < sim_inventory_count(a); i++) {
        cr_assert_str_eq(sim_inventory_at(a, i)->e164, sim_inventory_at(b, i)->e164);
        cr_assert_eq(sim_inventory_at(a, i)->caps, sim_inventory_at(b, i)->caps);
    }
    sim_inventory_destroy(&a);
    sim_inventory_destroy(&b);
    cr_expect_null(a);
}

Test(inventory, other_seed_gives_other_numbers)
{
    sim_inventory_t *a = sim_inventory_new(42), *b = sim_inventory_new(43);
    size_t same = 0;
    for (size_t i = 0; i < sim_inventory_count(a); i++)
        same += !strcmp(sim_inventory_at(a, i)->e164, sim_inventory_at(b, i)->e164);
    cr_expect_lt(same, sim_inventory_count(a) / 10);
    sim_inventory_destroy(&a);
    sim_inventory_destroy(&b);
}

Test(inventory, covers_many_areas_and_countries)
{
    size_t n = 0, us = 0;
    const sim_area_t *areas = sim_areas(&n);
    for (size_t i = 0; i < n; i++)
        us += !strcmp(areas[i].iso, "US");
    cr_expect_geq(us, 20);
    sim_inventory_t *inv = sim_inventory_new(7);
    static const char *isos[] = {"US", "CA", "GB", "DE", "AU"};
    for (size_t i = 0; i < 5; i++)
        cr_expect(sim_inventory_has_area(inv, isos[i], NULL), "%s", isos[i]);
    cr_expect(sim_inventory_has_area(inv, "us", "415"));
    cr_expect(sim_inventory_has_area(inv, "CA", "416"));
    cr_expect_not(sim_inventory_has_area(inv, "FR", NULL));
    sim_inventory_destroy(&inv);
}

Test(inventory, areas_hold_hundreds_of_unique_sorted_valid_numbers)
{
    sim_inventory_t *inv = sim_inventory_new(42);
    size_t in415 = 0, no_sms = 0;
    for (size_t i = 0; i < sim_inventory_count(inv); i++) {
        const sim_number_t *n = sim_inventory_at(inv, i);
        cr_assert_eq(n->e164[0], '+');
        cr_assert(n->caps & SIM_CAP_VOICE);
        no_sms += !(n->caps & SIM_CAP_SMS);
        if (!strncmp(n->e164, "+1415", 5)) {
            in415++;
            cr_assert_eq(strlen(n->e164), 12, "%s", n->e164);
            cr_assert(n->e164[5] >= '2', "exchange must not start with 0/1: %s", n->e164);
        }
        if (i > 0 && sim_inventory_at(inv, i - 1)->area == n->area)
            cr_assert_lt(strcmp(sim_inventory_at(inv, i - 1)->e164, n->e164), 0, "sorted and unique");
    }
    cr_expect_geq(in415, 200);
    cr_expect_gt(no_sms, 0, "some numbers have no SMS");
    sim_inventory_destroy(&inv);
}

Test(inventory, search_filters_by_country_area_and_caps)
{
    sim_inventory_t *inv = sim_inventory_new(42);
    sim_number_t *out[50];
    sim_search_t q = {.iso = "US", .ndc = "312", .caps = SIM_CAP_SMS, .limit = 10};
    size_t n = sim_inventory_search(inv, &q, out, 50);
    cr_assert_eq(n, 10);
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(strncmp(out[i]->e164, "+1312", 5), 0);
        cr_expect(out[i]->caps & SIM_CAP_SMS);
        cr_expect_str_eq(out[i]->area->locality, "Chicago");
    }
    q = (sim_search_t){.iso = "GB"};
    n = sim_inventory_search(inv, &q, out, 50);
    cr_expect_eq(n, 50, "bounded by the out array");
    cr_expect_eq(strncmp(out[0]->e164, "+44", 3), 0);
    q = (sim_search_t){.iso = "US", .ndc = "999"};
    cr_expect_eq(sim_inventory_search(inv, &q, out, 50), 0);
    sim_inventory_destroy(&inv);
}

Test(inventory, bought_and_taken_numbers_leave_search_until_released)
{
    sim_inventory_t *inv = sim_inventory_new(42);
    sim_number_t *first = sim_inventory_first_in_area(inv, "US", "415");
    cr_assert_not_null(first);
    cr_assert_eq(sim_inventory_find(inv, first->e164), first);
    first->state = SIM_NUM_OWNED;
    sim_number_t *out[1];
    sim_search_t q = {.iso = "US", .ndc = "415", .limit = 1};
    cr_assert_eq(sim_inventory_search(inv, &q, out, 1), 1);
    cr_expect_neq(out[0], first);
    out[0]->state = SIM_NUM_TAKEN;
    cr_expect_neq(sim_inventory_first_in_area(inv, "US", "415"), out[0]);
    first->state = SIM_NUM_AVAILABLE;
    cr_expect_eq(sim_inventory_first_in_area(inv, "US", "415"), first);
    cr_expect_null(sim_inventory_find(inv, "+19999999999"));
    cr_expect_null(sim_inventory_find(inv, NULL));
    sim_inventory_destroy(&inv);
}

Test(inventory, telnyx_digit_filters_use_the_national_or_subscriber_part)
{
    sim_inventory_t *inv = sim_inventory_new(42);
    sim_number_t *n = sim_inventory_first_in_area(inv, "US", "206");
    const char *sub = n->e164 + 5; /* after +1206 */
    char last4[5];
    memcpy(last4, sub + 3, 5);
    sim_number_t *out[400];
    sim_search_t q = {.iso = "US", .ndc = "206", .digits_ends = last4};
    size_t k = sim_inventory_search(inv, &q, out, 400);
    bool found = false;
    for (size_t i = 0; i < k; i++) {
        found |= out[i] == n;
        cr_expect_str_eq(out[i]->e164 + 8, last4);
    }
    cr_expect(found);
    char start[4] = {sub[0], sub[1], sub[2], 0};
    q = (sim_search_t){.iso = "US", .ndc = "206", .digits_starts = start};
    cr_expect_geq(sim_inventory_search(inv, &q, out, 400), 1);
    q = (sim_search_t){.iso = "US", .digits_starts = "206"};
    cr_expect_geq(sim_inventory_search(inv, &q, out, 400), 300, "without NDC: on the national number");
    q = (sim_search_t){.iso = "US", .digits_contains = "2*6"};
    cr_expect_eq(sim_inventory_search(inv, &q, out, 400), 0, "wildcards give no results on Telnyx");
    sim_inventory_destroy(&inv);
}

Test(inventory, friendly_names)
{
    sim_number_t n = {.e164 = "+14155550142"};
    size_t na;
    n.area = &sim_areas(&na)[0];
    char buf[40];
    sim_number_friendly(&n, buf, sizeof buf);
    cr_expect_str_eq(buf, "(415) 555-0142");
}
