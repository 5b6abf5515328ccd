#include <criterion/criterion.h>
#include <string.h>

#include "auth.h"

TestSuite(auth);

Test(auth, bearer_token_is_taken_after_the_scheme)
{
    cr_assert_str_eq(gw_auth_bearer("Bearer abc"), "abc");
    cr_assert_str_eq(gw_auth_bearer("bearer   abc"), "abc");
    cr_assert_null(gw_auth_bearer("Bearer "));
    cr_assert_null(gw_auth_bearer("Basic abc"));
    cr_assert_null(gw_auth_bearer(NULL));
}

Test(auth, basic_password_is_decoded)
{
    char out[64];
    /* "sip-edge:oi_internal_123" */
    cr_assert(gw_auth_basic_password("Basic c2lwLWVkZ2U6b2lfaW50ZXJuYWxfMTIz", out, sizeof out));
    cr_assert_str_eq(out, "oi_internal_123");
    cr_assert(gw_auth_basic_password("basic  c2lwLWVkZ2U6b2lfaW50ZXJuYWxfMTIz", out, sizeof out));
    /* ":pw" (no user) */
    cr_assert(gw_auth_basic_password("Basic OnB3", out, sizeof out));
    cr_assert_str_eq(out, "pw");
}

Test(auth, basic_refuses_what_is_not_user_colon_password)
{
    char out[8];
    cr_assert_not(gw_auth_basic_password(NULL, out, sizeof out));
    cr_assert_not(gw_auth_basic_password("Bearer c2lwOnB3", out, sizeof out));
    cr_assert_not(gw_auth_basic_password("Basic !!!notbase64", out, sizeof out));
    cr_assert_not(gw_auth_basic_password("Basic c2lwLWVkZ2U=", out, sizeof out));               /* "sip-edge": no colon */
    cr_assert_not(gw_auth_basic_password("Basic c2lwOg==", out, sizeof out));                   /* "sip:": empty */
    cr_assert_not(gw_auth_basic_password("Basic c2lwOjAxMjM0NTY3ODk=", out, sizeof out));       /* too long for out */
    cr_assert_not(gw_auth_basic_password("Basic c2lwOnAAcQ==", out, sizeof out));               /* "sip:p\0q" */
}
