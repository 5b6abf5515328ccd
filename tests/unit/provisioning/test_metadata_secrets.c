#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "metadata_secrets.h"
#include "oi/crypto.h"

Test(metadata_secrets, any_depth_by_pointer)
{
    char *pub, *sec, *pw;
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(prov_metadata_split("{\"sip_trunk\":\"t.example\",\"password\":\"pw1\",\"auth\":{\"user\":\"u\","
                                     "\"token\":\"tk\"},\"keys\":[{\"id\":1,\"private_key\":\"pk\"}],\"a/b\":"
                                     "{\"secret\":\"s\"}}",
                                     &pub, &sec, &pw, &err),
                 OI_OK);
    cr_assert_str_eq(pw, "pw1");
    json_t *p = json_loads(pub, 0, NULL), *s = json_loads(sec, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(p, "sip_trunk")), "t.example");
    cr_assert_null(json_object_get(p, "password"));
    cr_assert_null(json_object_get(p, "auth"), "the whole 'auth' member is a secret");
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(json_object_get(p, "keys"), 0), "id")), 1);
    cr_assert_null(json_object_get(json_array_get(json_object_get(p, "keys"), 0), "private_key"));
    cr_assert_str_eq(json_string_value(json_object_get(s, "/keys/0/private_key")), "pk");
    cr_assert_str_eq(json_string_value(json_object_get(s, "/a~1b/secret")), "s");
    cr_assert_str_eq(json_string_value(json_object_get(s, "/password")), "pw1");
    cr_assert_null(strstr(pub, "tk"));
    cr_assert_null(strstr(pub, "pk"));
    json_decref(p);
    json_decref(s);
    free(pub);
    oi_crypto_free_secret(sec);
    oi_crypto_free_secret(pw);
}

Test(metadata_secrets, none_and_invalid)
{
    char *pub, *sec, *pw;
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(prov_metadata_split(NULL, &pub, &sec, &pw, &err), OI_OK);
    cr_assert_str_eq(pub, "{}");
    cr_assert_null(sec);
    cr_assert_null(pw);
    free(pub);
    oi_error_init(&err);
    cr_assert_eq(prov_metadata_split("[1]", &pub, &sec, &pw, &err), OI_INVALID);
    cr_assert_str_eq(err.loc, "body.metadata");
}
