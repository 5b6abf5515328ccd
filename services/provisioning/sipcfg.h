/* sipcfg.h: resolving a registered number's SIP trunk settings (pure).
 *
 * Platform credentials are never paired with a tenant's address, nor a tenant's credentials
 * completed from the platform's. When the request's provider_config and the integration named by
 * credential_id (metadata.sip_trunk is the trunk address; its username and sealed password if
 * present) give any field, they are the only sources: the trunk address from the request, else
 * the integration; the username and password as a pair from the request when it gives either,
 * else from the integration. Only when neither gives anything is the platform's trunk used,
 * whole: env {PROVIDER}_TRUNK_ADDRESS / _SIP_USERNAME / _SIP_PASSWORD (PROVIDER upper-cased).
 * Still incomplete → OI_SIP_TRUNK_PROVISION_FAILED naming what is missing (never a value). */
#ifndef PROV_SIPCFG_H
#define PROV_SIPCFG_H

#include <stdbool.h>

#include "oi/status.h"

/* All strings borrowed; NULL or "" = not given. */
typedef struct {
    const char *trunk_address;
    const char *auth_username;
    const char *auth_password;
} prov_sip_fields_t;

/* Resolves into out (pointers borrowed from the three sources). Any source may be NULL. */
oi_status_t prov_sip_resolve(const prov_sip_fields_t *req, const prov_sip_fields_t *integration,
                             const prov_sip_fields_t *env, prov_sip_fields_t *out, oi_error_t *err);
/* true when the request or the integration gives any field: the tenant's trunk (the settings a
 * number keeps and a PATCH may rotate), else the platform's. */
bool prov_sip_tenants(const prov_sip_fields_t *req, const prov_sip_fields_t *integration);

/* PATCH provider_config: the settings of a number registered over the tenant's own trunk after
 * the fields given replace the stored ones (stored: the tenant's as kept, NULL fields when the
 * number was registered over the platform's trunk or before settings were kept; its password is
 * the sealed one). out->auth_password is the given one, or NULL when the stored (sealed) one is
 * kept. A purchased number's trunk is the platform's to manage, and every field must be known
 * after the merge: else OI_SIP_TRUNK_PROVISION_FAILED naming what is missing. */
oi_status_t prov_sip_rotate(const char *origin, const prov_sip_fields_t *stored, const prov_sip_fields_t *patch,
                            prov_sip_fields_t *out, oi_error_t *err);

/* Reads the env fallbacks of provider ("twilio" → TWILIO_*). Pointers borrowed from environ.
 * Unknown or over-long provider → all NULL. */
void prov_sip_env(const char *provider, prov_sip_fields_t *out);

#endif
