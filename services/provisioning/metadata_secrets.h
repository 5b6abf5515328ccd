/* metadata_secrets.h: an integration's metadata split into what may be stored and shown, and
 * its secrets (pure).
 *
 * A member is a secret when its name says so (oi/secret_names.h), at any depth (in objects and
 * in arrays of objects). Secrets leave the public metadata and are gathered in one object keyed by
 * their JSON Pointer ("/auth/token"), which the caller seals; they are never returned. The SIP
 * password (top-level sip_password, auth_password or password, first found) is also handed out
 * for the integration's SIP settings. */
#ifndef PROV_METADATA_SECRETS_H
#define PROV_METADATA_SECRETS_H

#include "oi/status.h"

/* metadata: a JSON object text (NULL or "" = {}). On OI_OK: *public_json and *secrets_json are
 * new strings (*secrets_json NULL when there is none; wipe with oi_crypto_free_secret),
 * *sip_password new or NULL (likewise). OI_INVALID (loc body.metadata) when it is not an object. */
oi_status_t prov_metadata_split(const char *metadata, char **public_json, char **secrets_json, char **sip_password,
                                oi_error_t *err);

#endif
