#include <criterion/criterion.h>

#include "oi/phone_region.h"

TestSuite(phone_region);

Test(phone_region, regions_of_valid_numbers)
{
    static const struct {
        const char *number, *region;
    } cases[] = {
        {"+447400123456", "GB"},
        {"+442079460123", "GB"},
        /* 07911 1xxxxx is allocated to Guernsey (libphonenumber's GG ranges), not GB */
        {"+447911123456", "GG"},
        {"+14155550100", "US"},
        {"+16135550100", "CA"}, /* +1 shared: told apart by area code 613 */
        {"+33612345678", "FR"},
        {"+4930123456", "DE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[3] = "??";
        cr_assert(oi_phone_region(cases[i].number, out), "%s", cases[i].number);
        cr_assert_str_eq(out, cases[i].region, "%s", cases[i].number);
    }
}

Test(phone_region, no_region_for_bad_or_non_geographic_numbers)
{
    static const char *bad[] = {
        "",
        "+",
        "4155550100",
        "+999123",       /* no such country code */
        "+80012345678",  /* freephone, non-geographic */
        "+882123456789", /* international networks */
        "+4155550100",   /* a US number missing its 1: not a valid Swiss one */
        "+1415555",      /* too short for NANP */
        "+1 4155550100",
        "tel:+14155550100",
        "+1415555010a",
        "+14155550100\n",
        "++14155550100",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[3] = "??";
        cr_assert_not(oi_phone_region(bad[i], out), "%s", bad[i]);
        cr_assert_str_eq(out, "", "%s", bad[i]);
    }
    char out[3] = "??";
    cr_assert_not(oi_phone_region(NULL, out));
    cr_assert_not(oi_phone_region("+14155550100", NULL));
}

Test(phone_region, known_regions_are_upper_case_iso2_with_metadata)
{
    cr_assert(oi_phone_region_known("GB"));
    cr_assert(oi_phone_region_known("US"));
    cr_assert(oi_phone_region_known("GG"));
    static const char *bad[] = {"gb", "Gb", "ZZ", "XX", "", "G", "GBR", "001", "G1", " GB"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(oi_phone_region_known(bad[i]), "%s", bad[i]);
    cr_assert_not(oi_phone_region_known(NULL));
}
