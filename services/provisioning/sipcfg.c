/* sipcfg.c: provider_config resolution order. */
#include "sipcfg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *given(const char *s) { return s && s[0] ? s : NULL; }

static const char *pick(const char *a, const char *b, const char *c)
{
    if (given(a))
        return a;
    if (given(b))
        return b;
    return given(c);
}

oi_status_t prov_sip_resolve(const prov_sip_fields_t *req, const prov_sip_fields_t *integration,
                             const prov_sip_fields_t *env, prov_sip_fields_t *out, oi_error_t *err)
{
    static const prov_sip_fields_t none = {0};
    const prov_sip_fields_t *r = req ? req : &none;
    const prov_sip_fields_t *i = integration ? integration : &none;
    const prov_sip_fields_t *e = env ? env : &none;
    out->trunk_address = pick(r->trunk_address, i->trunk_address, e->trunk_address);
    out->auth_username = pick(r->auth_username, i->auth_username, e->auth_username);
    out->auth_password = pick(r->auth_password, i->auth_password, e->auth_password);
    if (out->trunk_address && out->auth_username && out->auth_password)
        return OI_OK;
    char missing[96] = "";
    size_t n = 0;
    const char *names[] = {"trunk_address", "auth_username", "auth_password"};
    const char *vals[] = {out->trunk_address, out->auth_username, out->auth_password};
    for (int k = 0; k < 3; k++) {
        if (vals[k])
            continue;
        int w = snprintf(missing + n, sizeof missing - n, "%s%s", n ? ", " : "", names[k]);
        if (w > 0 && (size_t)w < sizeof missing - n)
            n += (size_t)w;
    }
    return oi_error_set(err, OI_SIP_TRUNK_PROVISION_FAILED,
                        "SIP trunk configuration is incomplete: %s missing from provider_config, the "
                        "integration and the environment",
                        missing);
}

void prov_sip_env(const char *provider, prov_sip_fields_t *out)
{
    memset(out, 0, sizeof *out);
    char up[32];
    size_t n = provider ? strlen(provider) : 0;
    if (n == 0 || n >= sizeof up)
        return;
    for (size_t k = 0; k < n; k++) {
        if (!isalnum((unsigned char)provider[k]))
            return;
        up[k] = (char)toupper((unsigned char)provider[k]);
    }
    up[n] = '\0';
    char name[64];
    snprintf(name, sizeof name, "%s_TRUNK_ADDRESS", up);
    out->trunk_address = getenv(name);
    snprintf(name, sizeof name, "%s_SIP_USERNAME", up);
    out->auth_username = getenv(name);
    snprintf(name, sizeof name, "%s_SIP_PASSWORD", up);
    out->auth_password = getenv(name);
}
