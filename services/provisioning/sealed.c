/* sealed.c: oi-provisioning's sealed values and their bindings (sealed.h). */
#include "sealed.h"

#include <stdlib.h>

#include "oi/crypto.h"
#include "oi/ids.h"
#include "oi/mem.h"

typedef char *(*crypt_fn)(const oi_crypto_t *, oi_seal_purpose_t, const char *, const char *);

/* An id as its column prints it (uuid::text: lower case), so a re-seal's SQL names the same row. */
static const char *canonical(const char *id, char out[OI_UUID_STR_LEN + 1])
{
    return id && oi_uuid_normalize(id, out) ? out : id ? id : "";
}

static char *with_binding(crypt_fn fn, const prov_t *p, oi_seal_purpose_t purpose, const char *id, const char *name,
                          const char *text)
{
    char norm[OI_UUID_STR_LEN + 1];
    char *binding = name ? oi_xasprintf("%s/%s", canonical(id, norm), name) : oi_xstrdup(canonical(id, norm));
    char *out = fn(p->crypto, purpose, binding, text);
    free(binding);
    return out;
}

char *prov_integration_seal(const prov_t *p, const char *id, const char *column, const char *plain)
{
    return with_binding(oi_crypto_seal, p, OI_SEAL_INTEGRATION, id, column, plain);
}

char *prov_integration_open(const prov_t *p, const char *id, const char *column, const char *sealed)
{
    return with_binding(oi_crypto_open, p, OI_SEAL_INTEGRATION, id, column, sealed);
}

char *prov_job_seal_value(const prov_t *p, const char *job_id, const char *name, const char *plain)
{
    return with_binding(oi_crypto_seal, p, OI_SEAL_JOB, job_id, name, plain);
}

char *prov_job_open_value(const prov_t *p, const char *job_id, const char *name, const char *sealed)
{
    return with_binding(oi_crypto_open, p, OI_SEAL_JOB, job_id, name, sealed);
}

char *prov_number_trunk_seal(const prov_t *p, const char *number_id, const char *plain)
{
    return with_binding(oi_crypto_seal, p, OI_SEAL_NUMBER_TRUNK, number_id, NULL, plain);
}

char *prov_number_trunk_open(const prov_t *p, const char *number_id, const char *sealed)
{
    return with_binding(oi_crypto_open, p, OI_SEAL_NUMBER_TRUNK, number_id, NULL, sealed);
}

#define INTEGRATION_COLUMN(c) \
    {"integrations." c, "provisioning.integrations", c, "id::text || '/" c "'", c " = $3", OI_SEAL_INTEGRATION}

const oi_reseal_column_t PROV_SEALED_COLUMNS[] = {
    INTEGRATION_COLUMN("api_key_sealed"),
    INTEGRATION_COLUMN("sip_password_sealed"),
    INTEGRATION_COLUMN("metadata_secrets_sealed"),
    {"jobs.request_sealed", "provisioning.jobs", "request_sealed", "id::text || '/request'", "request_sealed = $3",
     OI_SEAL_JOB},
    {"jobs.payload.sip_password_sealed", "provisioning.jobs", "(payload->>'sip_password_sealed')",
     "id::text || '/sip_password_sealed'", "payload = jsonb_set(payload, '{sip_password_sealed}', to_jsonb($3::text))",
     OI_SEAL_JOB},
    {"phone_numbers.trunk_password_sealed", "provisioning.phone_numbers", "trunk_password_sealed", "id::text",
     "trunk_password_sealed = $3", OI_SEAL_NUMBER_TRUNK},
};
const size_t PROV_SEALED_COLUMNS_N = sizeof PROV_SEALED_COLUMNS / sizeof PROV_SEALED_COLUMNS[0];
