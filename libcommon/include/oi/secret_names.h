/* oi/secret_names.h: which JSON member names hold secrets, one rule for every service.
 *
 * A member is a secret when its name contains password, passwd, passphrase, secret, token,
 * api_key, apikey, private_key, privatekey or credential (any case); is key, auth,
 * authorization or pin; or ends in _key, -key or Key. */
#ifndef OI_SECRET_NAMES_H
#define OI_SECRET_NAMES_H

#include <jansson.h>
#include <stdbool.h>

bool oi_secret_name(const char *name);
/* Removes every secret member of v at any depth (objects, and objects inside arrays), in place;
 * deeper than 32 levels, whole subtrees are removed. */
void oi_json_strip_secrets(json_t *v);

#endif
