/* test_numbers.c: the touched-numbers list of a mutation (numbers.h). */
#include <criterion/criterion.h>

#include <stdio.h>

#include "numbers.h"

Test(numbers, keeps_each_number_once_in_the_order_first_added)
{
    dsp_numbers_t l = {0};
    dsp_numbers_add(&l, "+15550000002");
    dsp_numbers_add(&l, "+15550000001");
    dsp_numbers_add(&l, "+15550000002");
    dsp_numbers_add(&l, NULL);
    dsp_numbers_add(&l, "");
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0], "+15550000002");
    cr_assert_str_eq(l.items[1], "+15550000001");
    dsp_numbers_cleanup(&l);
    cr_assert_eq(l.n, 0);
    cr_assert_null(l.items);
}

/* An agent routed by every number of a large workspace touches all of them (each added twice:
 * as primary, then as fallback). */
Test(numbers, a_large_agent_touches_every_number_once)
{
    enum { N = 200000 };
    dsp_numbers_t l = {0};
    char number[24];
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N; i++) {
            snprintf(number, sizeof number, "+1555%07d", i);
            dsp_numbers_add(&l, number);
        }
    }
    cr_assert_eq(l.n, N);
    cr_assert_str_eq(l.items[N - 1], "+15550199999");
    dsp_numbers_cleanup(&l);
}
