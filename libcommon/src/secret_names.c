/* secret_names.c: the one rule for secret member names (oi/secret_names.h). */
#include "oi/secret_names.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"

#define DEPTH_MAX 32

static const char *const INSIDE[] = {"password", "passwd", "passphrase", "secret", "token",
                                     "api_key", "apikey", "private_key", "privatekey", "credential"};
static const char *const WHOLE[] = {"key", "auth", "authorization", "pin"};

/* Names up to this long are lowered into a copy on the stack (longer ones, rare, on the heap),
 * then searched plainly: ten case-blind searches of every member name were a tenth of the audit
 * trail's cost. */
#define LOWERED_MAX 128

static bool lowered_is_secret(const char *low, size_t n)
{
    for (size_t i = 0; i < sizeof INSIDE / sizeof INSIDE[0]; i++)
        if (strstr(low, INSIDE[i]))
            return true;
    for (size_t i = 0; i < sizeof WHOLE / sizeof WHOLE[0]; i++)
        if (strcmp(low, WHOLE[i]) == 0)
            return true;
    return n > 4 && (strcmp(low + n - 4, "_key") == 0 || strcmp(low + n - 4, "-key") == 0);
}

bool oi_secret_name(const char *name)
{
    size_t n = strlen(name);
    if (n > 4 && strcmp(name + n - 3, "Key") == 0)
        return true;
    char stack[LOWERED_MAX + 1];
    char *low = n > LOWERED_MAX ? oi_xmalloc(n + 1) : stack;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    bool secret = lowered_is_secret(low, n);
    if (low != stack)
        free(low);
    return secret;
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
