/* test_pattern.c: Twilio Contains wildcard semantics. */
#include <criterion/criterion.h>

#include "pattern.h"

TestSuite(pattern);

static bool m(const char *pattern, const char *digits)
{
    sim_pattern_t p;
    cr_assert(sim_pattern_compile(pattern, &p), "pattern %s should compile", pattern);
    return sim_pattern_match(&p, digits);
}

Test(pattern, literal_digits_match_anywhere)
{
    cr_expect(m("555", "14155550142"));
    cr_expect(m("0142", "14155550142"));
    cr_expect_not(m("999", "14155550142"));
}

Test(pattern, star_matches_exactly_one_digit)
{
    cr_expect(m("415***0142", "14155550142"));
    cr_expect(m("55*0", "14155550142"));
    cr_expect_not(m("415****0142", "14155550142"));
    cr_expect(m("510555****", "15105551234"));
}

Test(pattern, percent_matches_a_run)
{
    cr_expect(m("41%42", "14155550142"));
    cr_expect(m("41%5550142", "14155550142"), "empty-or-longer run");
    cr_expect_not(m("41%99", "14155550142"));
}

Test(pattern, anchors)
{
    cr_expect(m("+1415", "14155550142"));
    cr_expect_not(m("+415", "14155550142"), "'+' anchors at the start of the E.164 digits");
    cr_expect(m("0142$", "14155550142"));
    cr_expect_not(m("555$", "14155550142"));
    cr_expect(m("+14155550142$", "14155550142"));
    cr_expect(m("+1415*******$", "14155550142"));
    cr_expect_not(m("+1415******$", "14155550142"));
}

Test(pattern, letters_are_keypad_digits)
{
    cr_expect(m("STORM", "14157867600"));
    cr_expect(m("storm", "14157867600"));
    cr_expect_eq(sim_pattern_keypad('Q'), '7');
    cr_expect_eq(sim_pattern_keypad('z'), '9');
    cr_expect_eq(sim_pattern_keypad('1'), 0);
}

Test(pattern, refuses_bad_patterns)
{
    sim_pattern_t p;
    static const char *bad[] = {"",    "5",    "+5",   "5$",  "**",   "*5*",         "%5",
                                "5-5", "5 5",  "+$",   "12345678901234567", "ab!", NULL};
    for (size_t i = 0; bad[i]; i++)
        cr_expect_not(sim_pattern_compile(bad[i], &p), "'%s' should be refused", bad[i]);
    cr_expect_not(sim_pattern_compile(NULL, &p));
    cr_expect(sim_pattern_compile("55", &p));
    cr_expect(sim_pattern_compile("5*5", &p));
}

Test(pattern, never_matches_non_digits_or_empty)
{
    sim_pattern_t p;
    cr_assert(sim_pattern_compile("5*5", &p));
    cr_expect_not(sim_pattern_match(&p, ""));
    cr_expect_not(sim_pattern_match(&p, "5x5"));
    cr_expect_not(sim_pattern_match(NULL, "555"));
}
