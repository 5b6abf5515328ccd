#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "oi/secret_names.h"

Test(secret_names, names)
{
    const char *secret[] = {"password", "SIP_PASSWORD", "auth_token", "apiKey", "api_key", "client_secret",
                            "private_key", "privateKey", "credentials", "key", "Authorization", "pin",
                            "signing-key", "webhook_key", "passphrase"};
    const char *plain[] = {"sip_trunk", "account_sid", "auth_username", "region", "keys_count", "monkey",
                           "author", "pinned", "keyword"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        cr_expect(oi_secret_name(secret[i]), "%s", secret[i]);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        cr_expect_not(oi_secret_name(plain[i]), "%s", plain[i]);
    /* past the length lowered in a copy: the same rule */
    char name[300];
    memset(name, 'x', 200);
    strcpy(name + 200, "_Sip_PassWord_x");
    cr_expect(oi_secret_name(name));
    strcpy(name + 200, "-KEY");
    cr_expect(oi_secret_name(name));
    strcpy(name + 200, "_keys");
    cr_expect_not(oi_secret_name(name));
    memset(name, 'x', 128);
    strcpy(name + 128, "");
    cr_expect_not(oi_secret_name(name));
    strcpy(name + 120, "_api_key");
    cr_expect(oi_secret_name(name), "exactly as long as the copy holds");
}

Test(secret_names, strip_at_any_depth)
{
    json_t *j = json_loads("{\"a\":1,\"token\":\"t\",\"o\":{\"secret\":\"s\",\"k\":[{\"pin\":\"1\",\"x\":2}]}}",
                           0, NULL);
    oi_json_strip_secrets(j);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(s, "{\"a\":1,\"o\":{\"k\":[{\"x\":2}]}}");
    free(s);
    json_decref(j);
}
