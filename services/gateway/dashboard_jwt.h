/* dashboard_jwt.h: dashboard JWTs on the API-key header (the seeds' security scheme), verified with
 * libjwt against the public keys of one PEM file (OI_JWT_PUBLIC_KEY_FILE) or one JWKS file
 * (OI_JWT_JWKS_FILE).
 *
 * Accepted: RS256 with an RSA key, ES256 with a P-256 key (the token's alg must be the key's;
 * none, HS*, a mismatch or an alg Debian 12's libjwt does not verify, EdDSA among them, are
 * refused before any signature is checked). A JWKS key is chosen by the token's kid (or is the
 * only one). Then: iss = OI_JWT_ISSUER, aud = or contains OI_JWT_AUDIENCE, exp required and
 * nbf honoured with OI_JWT_LEEWAY_S (30) of leeway, and the workspace claim
 * (OI_JWT_WORKSPACE_CLAIM, default workspace_id) a non-empty string. */
#ifndef GW_DASHBOARD_JWT_H
#define GW_DASHBOARD_JWT_H

#include <stdbool.h>
#include <stdint.h>

#include "oi/status.h"

typedef struct gw_jwt gw_jwt_t;

typedef struct {
    const char *public_key_file; /* at most one of the two; neither: JWTs are not accepted */
    const char *jwks_file;
    const char *issuer;
    const char *audience;
    const char *workspace_claim;
    int leeway_s;
} gw_jwt_config_t;

typedef struct {
    char workspace[256]; /* the workspace claim: a workspace's name or id */
    char sub[256];       /* the token's subject ("" when none) */
} gw_jwt_claims_t;

/* NULL and err on a file that cannot be read or holds no usable key, or a missing issuer or
 * audience. */
gw_jwt_t *gw_jwt_new(const gw_jwt_config_t *cfg, oi_error_t *err);
void gw_jwt_destroy(gw_jwt_t **self_p);
/* true when token has the shape of a JWT (three base64url parts, the first a JSON object). */
bool gw_jwt_looks_like(const char *token);
/* OI_OK and out filled, or OI_UNAUTHORIZED with why in err (never the token). now: unix seconds. */
oi_status_t gw_jwt_verify(const gw_jwt_t *j, const char *token, int64_t now, gw_jwt_claims_t *out, oi_error_t *err);

#endif
