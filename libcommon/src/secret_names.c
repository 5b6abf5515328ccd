/* secret_names.c: the one rule for secret member names (oi/secret_names.h). */
#include "oi/secret_names.h"

#include <string.h>
#include <strings.h>

#define DEPTH_MAX 32

bool oi_secret_name(const char *name)
{
    static const char *const inside[] = {"password", "passwd", "passphrase", "secret", "token",
                                         "api_key", "apikey", "private_key", "privatekey", "credential"};
    static const char *const whole[] = {"key", "auth", "authorization", "pin"};
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++)
        if (strcasestr(name, inside[i]))
            return true;
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
        if (strcasecmp(name, whole[i]) == 0)
            return true;
    size_t n = strlen(name);
    return n > 4 && (strcasecmp(name + n - 4, "_key") == 0 || strcasecmp(name + n - 4, "-key") == 0 ||
                     strcmp(name + n - 3, "Key") == 0);
}

static void strip(json_t *v, int depth)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, m)
        {
            if (depth >= DEPTH_MAX || oi_secret_name(k))
                json_object_del(v, k);
            else
                strip(m, depth + 1);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            strip(json_array_get(v, i), depth + 1);
    }
}

void oi_json_strip_secrets(json_t *v) { strip(v, 0); }
