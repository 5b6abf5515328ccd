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

Test(e164, normalize_drops_separators_and_reads_00)
{
    char out[OI_E164_MAX + 1];
    cr_expect(oi_e164_normalize("+1 (415) 555-0100", out));
    cr_expect_str_eq(out, "+14155550100");
    cr_expect(oi_e164_normalize("0044 20.7946.0123", out));
    cr_expect_str_eq(out, "+442079460123");
    cr_expect(oi_e164_normalize("+14155550100", out));
    cr_expect_str_eq(out, "+14155550100");
    const char *bad[] = {NULL, "", "+", "4155550100", "+0123", "+1415555010x", "+1234567890123456", "tel:+1415"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_not(oi_e164_normalize(bad[i], out), "%s", bad[i] ? bad[i] : "(null)");
        cr_expect_str_eq(out, "");
    }
}
