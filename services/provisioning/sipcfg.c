/* sipcfg.c: provider_config resolution order. */
#include "sipcfg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *given(const char *s) { return s && s[0] ? s : NULL; }

static bool any_credential(const prov_sip_fields_t *f) { return given(f->auth_username) || given(f->auth_password); }

static bool anything(const prov_sip_fields_t *f) { return given(f->trunk_address) || any_credential(f); }

/* 400 naming the fields out lacks (never a value). */
/* "trunk_address, auth_password": the fields of f not given. */
static void missing_of(const prov_sip_fields_t *f, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    const char *names[] = {"trunk_address", "auth_username", "auth_password"};
    const char *vals[] = {f->trunk_address, f->auth_username, f->auth_password};
    for (int k = 0; k < 3; k++) {
        if (vals[k])
            continue;
        int w = snprintf(out + n, cap - n, "%s%s", n ? ", " : "", names[k]);
        if (w > 0 && (size_t)w < cap - n)
            n += (size_t)w;
    }
}

static oi_status_t incomplete(const prov_sip_fields_t *out, bool tenant, oi_error_t *err)
{
    char missing[96];
    missing_of(out, missing, sizeof missing);
    if (tenant)
        return oi_error_set(err, OI_SIP_TRUNK_PROVISION_FAILED,
                            "SIP trunk configuration is incomplete: %s missing from provider_config and the "
                            "integration (the platform's trunk is used only when neither gives any of it)",
                            missing);
    return oi_error_set(err, OI_SIP_TRUNK_PROVISION_FAILED,
                        "SIP trunk configuration is incomplete: %s missing from the platform's environment trunk",
                        missing);
}

oi_status_t prov_sip_resolve(const prov_sip_fields_t *req, const prov_sip_fields_t *integration,
                             const prov_sip_fields_t *env, prov_sip_fields_t *out, oi_error_t *err)
{
    static const prov_sip_fields_t none = {0};
    const prov_sip_fields_t *r = req ? req : &none;
    const prov_sip_fields_t *i = integration ? integration : &none;
    const prov_sip_fields_t *e = env ? env : &none;
    bool tenant = anything(r) || anything(i);
    if (!tenant) { /* the platform's own trunk, whole */
        *out = (prov_sip_fields_t){given(e->trunk_address), given(e->auth_username), given(e->auth_password)};
    } else { /* the tenant's: the address from either source, the credentials as a pair from one */
        const prov_sip_fields_t *c = any_credential(r) ? r : i;
        *out = (prov_sip_fields_t){given(r->trunk_address) ? r->trunk_address : given(i->trunk_address),
                                   given(c->auth_username), given(c->auth_password)};
    }
    if (out->trunk_address && out->auth_username && out->auth_password)
        return OI_OK;
    return incomplete(out, tenant, err);
}

bool prov_sip_tenants(const prov_sip_fields_t *req, const prov_sip_fields_t *integration)
{
    return (req && anything(req)) || (integration && anything(integration));
}

oi_status_t prov_sip_rotate(const char *origin, const prov_sip_fields_t *stored, const prov_sip_fields_t *patch,
                            prov_sip_fields_t *out, oi_error_t *err)
{
    if (!origin || strcmp(origin, "registered") != 0)
        return oi_error_set(err, OI_SIP_TRUNK_PROVISION_FAILED,
                            "provider_config applies to numbers registered over your own SIP trunk; this number's "
                            "trunk is managed by the platform");
    *out = (prov_sip_fields_t){
        given(patch->trunk_address) ? patch->trunk_address : given(stored->trunk_address),
        given(patch->auth_username) ? patch->auth_username : given(stored->auth_username),
        given(patch->auth_password),
    };
    prov_sip_fields_t known = *out;
    if (!known.auth_password)
        known.auth_password = given(stored->auth_password);
    if (known.trunk_address && known.auth_username && known.auth_password)
        return OI_OK;
    char missing[96];
    missing_of(&known, missing, sizeof missing);
    return oi_error_set(err, OI_SIP_TRUNK_PROVISION_FAILED,
                        "SIP trunk configuration is incomplete: %s missing from provider_config, and this number "
                        "keeps none of yours (it was registered over the platform's trunk, or before settings "
                        "were kept)",
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
