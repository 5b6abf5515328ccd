#include <criterion/criterion.h>
#include <ctype.h>
#include <string.h>

#include "trunk_creds.h"

Test(trunk_creds, name_and_username_follow_the_number_id)
{
    char name[PROV_TRUNK_NAME_MAX], user[PROV_SIP_USERNAME_LEN + 1];
    prov_trunk_name("01a234af-d221-74d6-942e-ee762e0aeaff", name);
    cr_assert_str_eq(name, "oi-01a234af-d221-74d6-942e-ee762e0aeaff");
    prov_trunk_username("01A234AF-d221-74d6-942e-ee762e0aeaff", user);
    /* 32 characters of [a-z0-9], letters first: Twilio's (<= 32) and Telnyx's (4-32 alphanumerics,
     * a letter among the first five) rules */
    cr_assert_str_eq(user, "oi01a234afd22174d6942eee762e0aea");
    cr_assert_eq(strlen(user), PROV_SIP_USERNAME_LEN);
    for (const char *c = user; *c; c++)
        cr_assert(isdigit((unsigned char)*c) || islower((unsigned char)*c));
    prov_trunk_username(NULL, user);
    cr_assert_str_eq(user, "oi");
}
