#include <criterion/criterion.h>
#include <string.h>

#include "oi/ids.h"

TestSuite(ids);

Test(ids, new_uuid_is_valid_and_lowercase)
{
    char u[37];
    oi_uuid_new(u);
    cr_assert_eq(strlen(u), 36);
    cr_assert(oi_uuid_valid(u));
    for (int i = 0; u[i]; i++)
        cr_assert(!(u[i] >= 'A' && u[i] <= 'F'));
}

Test(ids, normalizes_upper_and_simple_forms)
{
    char out[37];
    cr_assert(oi_uuid_normalize("3C90C3CC-0D44-4B50-8888-8DD25736052A", out));
    cr_assert_str_eq(out, "3c90c3cc-0d44-4b50-8888-8dd25736052a");
    cr_assert(oi_uuid_normalize("3c90c3cc0d444b5088888dd25736052a", out));
    cr_assert_str_eq(out, "3c90c3cc-0d44-4b50-8888-8dd25736052a");
}

Test(ids, rejects_malformed)
{
    cr_assert_not(oi_uuid_valid("<string>"));
    cr_assert_not(oi_uuid_valid("agt_abc123"));
    cr_assert_not(oi_uuid_valid("3c90c3cc-0d44-4b50-8888-8dd25736052"));
    cr_assert_not(oi_uuid_valid("3c90c3cc-0d44-4b50-8888-8dd25736052g"));
    cr_assert_not(oi_uuid_valid("3c90c3cc0-d44-4b50-8888-8dd25736052a"));
    cr_assert_not(oi_uuid_valid(NULL));
}

Test(ids, request_ids_differ)
{
    char a[32], b[32];
    oi_request_id_new(a);
    oi_request_id_new(b);
    cr_assert_str_neq(a, b);
    cr_assert_eq(strncmp(a, "req_", 4), 0);
}
