#include <criterion/criterion.h>

#include "oi/e164.h"

TestSuite(e164);

Test(e164, accepts_seed_examples)
{
    cr_assert(oi_e164_valid("+15739693824"));
    cr_assert(oi_e164_valid("+14155551234"));
    cr_assert(oi_e164_valid("+12"));
    cr_assert(oi_e164_valid("+123456789012345"));
}

Test(e164, rejects_bad_input)
{
    static const char *bad[] = {"",           "+",          "15739693824", "+05739693824", "+1234567890123456",
                                "+1573969382a", "+1 573969", "+1\n",       "++15739693824", "+1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(oi_e164_valid(bad[i]), "%s", bad[i]);
}

Test(e164, rejects_null) { cr_assert_not(oi_e164_valid(NULL)); }

Test(e164, country_of_nanp) { cr_assert_str_eq(oi_e164_country("+14155551234"), "US"); }
