/* auth.h: API key cache (SHA-256 of the key → workspace), loop thread only. */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "gw.h"

/* ttl_ms: how long a positive lookup is trusted before PostgreSQL is asked again. */
gw_auth_cache_t *gw_auth_cache_new(uint32_t ttl_ms);
void gw_auth_cache_destroy(gw_auth_cache_t **self_p);
/* Drops every entry of a revoked key id (local replica; others expire within ttl). */
void gw_auth_cache_forget_key(gw_auth_cache_t *c, const char *key_id);
/* Parses "Bearer <token>" (case-insensitive scheme); returns the token or NULL. Borrowed from header. */
const char *gw_auth_bearer(const char *header);
/* Parses "Basic base64(user:password)" (case-insensitive scheme) and copies the password into
 * out (cap bytes, NUL-terminated). false when the header is not that, or the password does not
 * fit. Only the internal token is taken this way: for internal callers whose HTTP client keeps
 * its connections but can only send Basic credentials (the SIP edge's Kamailio). */
bool gw_auth_basic_password(const char *header, char *out, size_t cap);

#endif
