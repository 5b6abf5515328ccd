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

#endif
