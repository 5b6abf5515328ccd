/* auth.c: Basic and Bearer checks. */
#include "auth.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#define CRED_MAX 512

static bool secret_equal(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    return alen == blen && sodium_memcmp(a, b, blen) == 0;
}

/* "<scheme> <rest>": pointer to rest when the scheme matches (case-insensitive), else NULL. */
static const char *after_scheme(const char *h, const char *scheme)
{
    size_t n = strlen(scheme);
    if (!h || strncasecmp(h, scheme, n) || h[n] != ' ')
        return NULL;
    h += n;
    while (*h == ' ')
        h++;
    return h;
}

bool sim_auth_twilio(const sim_config_t *cfg, const char *authorization)
{
    const char *b64 = after_scheme(authorization, "Basic");
    if (!b64 || strlen(b64) > CRED_MAX)
        return false;
    char plain[CRED_MAX + 1];
    size_t len = 0;
    if (sodium_base642bin((unsigned char *)plain, CRED_MAX, b64, strlen(b64), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return false;
    plain[len] = '\0';
    const char *colon = memchr(plain, ':', len);
    bool ok = colon && (size_t)(colon - plain) == strlen(cfg->twilio_account_sid) &&
              !memcmp(plain, cfg->twilio_account_sid, (size_t)(colon - plain)) &&
              secret_equal(colon + 1, len - (size_t)(colon - plain) - 1, cfg->twilio_auth_token);
    sodium_memzero(plain, sizeof plain);
    return ok;
}

bool sim_auth_telnyx(const sim_config_t *cfg, const char *authorization)
{
    const char *key = after_scheme(authorization, "Bearer");
    return key && secret_equal(key, strlen(key), cfg->telnyx_api_key);
}
