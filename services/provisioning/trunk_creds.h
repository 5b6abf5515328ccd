/* trunk_creds.h: the carrier trunk of a purchased number: its name and the SIP credentials the
 * suite makes for it.
 *
 * The credentials are made once per job, before the first carrier call, and kept in the job's
 * payload (the password sealed with OI_SECRET_KEY): a retried or resumed call gives the carrier
 * the same ones, so what a cut-off call left behind still matches. The username is derived from
 * the number's id (32 characters of [a-z0-9], a letter first: Twilio's and Telnyx's rules), the
 * password is 24 random characters with a digit and both cases. */
#ifndef PROV_TRUNK_CREDS_H
#define PROV_TRUNK_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#include "jobs.h"

#define PROV_TRUNK_NAME_MAX 64
#define PROV_SIP_USERNAME_LEN 32

/* "oi-<number id>" into out. */
void prov_trunk_name(const char *number_id, char out[PROV_TRUNK_NAME_MAX]);
/* The SIP username of number_id into out (PROV_SIP_USERNAME_LEN + 1 bytes). */
void prov_trunk_username(const char *number_id, char out[PROV_SIP_USERNAME_LEN + 1]);
/* Makes the run's credentials ("sip_username", "sip_password_sealed") unless it has them; true
 * when it made them (the caller saves the run before using them). */
bool prov_trunk_creds_ensure(prov_run_t *r);
/* The run's password opened (free with oi_crypto_free_secret), or NULL. */
char *prov_trunk_password(prov_run_t *r);

#endif
