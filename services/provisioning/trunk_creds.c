/* trunk_creds.c: a purchased number's carrier trunk name and SIP credentials (trunk_creds.h). */
#include "trunk_creds.h"
#include "sealed.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "oi/crypto.h"
#include "prov.h"

#define PASSWORD_LEN 24

void prov_trunk_name(const char *number_id, char out[PROV_TRUNK_NAME_MAX])
{
    snprintf(out, PROV_TRUNK_NAME_MAX, "oi-%s", number_id ? number_id : "");
}

void prov_trunk_username(const char *number_id, char out[PROV_SIP_USERNAME_LEN + 1])
{
    size_t n = 0;
    out[n++] = 'o';
    out[n++] = 'i';
    for (const char *c = number_id ? number_id : ""; *c && n < PROV_SIP_USERNAME_LEN; c++)
        if (isxdigit((unsigned char)*c))
            out[n++] = (char)tolower((unsigned char)*c);
    out[n] = '\0';
}

bool prov_trunk_creds_ensure(prov_run_t *r)
{
    if (prov_run_get(r, "sip_username") && prov_run_get(r, "sip_password_sealed"))
        return false;
    char user[PROV_SIP_USERNAME_LEN + 1];
    prov_trunk_username(prov_run_get(r, "number_id"), user);
    char *password = oi_random_password(PASSWORD_LEN);
    char *sealed = prov_job_seal_value(r->p, r->job->id, "sip_password_sealed", password);
    oi_crypto_free_secret(password);
    prov_run_set(r, "sip_username", user);
    prov_run_set(r, "sip_password_sealed", sealed);
    free(sealed);
    return true;
}

char *prov_trunk_password(prov_run_t *r)
{
    const char *sealed = prov_run_get(r, "sip_password_sealed");
    return sealed ? prov_job_open_value(r->p, r->job->id, "sip_password_sealed", sealed) : NULL;
}
