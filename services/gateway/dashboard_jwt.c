/* dashboard_jwt.c: verifying dashboard JWTs (dashboard_jwt.h). libjwt parses and checks signatures; OpenSSL only
 * turns JWKS members into the PEM keys libjwt takes. */
#define OI_LOG_TAG "gw.jwt"
#include "dashboard_jwt.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/log.h"
#include "oi/mem.h"

#define KEYS_MAX 16

typedef struct {
    char kid[128];    /* "" when none */
    jwt_alg_t alg;    /* what this key verifies: RS256 or ES256 */
    char *pem;        /* owned */
} jwt_key_t;

struct gw_jwt {
    jwt_key_t keys[KEYS_MAX];
    int n_keys;
    char *issuer, *audience, *workspace_claim; /* owned */
    int leeway_s;
};

/* --- keys ---------------------------------------------------------------------------------- */

static char *pem_of(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (b && PEM_write_bio_PUBKEY(b, k) == 1) {
        char *data = NULL;
        long n = BIO_get_mem_data(b, &data);
        out = oi_xstrndup(data, (size_t)n);
    }
    BIO_free(b);
    return out;
}

/* The alg a public key verifies (RSA → RS256, P-256 → ES256), JWT_ALG_INVAL for others. */
static jwt_alg_t alg_of_key(EVP_PKEY *k)
{
    if (EVP_PKEY_is_a(k, "RSA"))
        return JWT_ALG_RS256;
    char group[32] = "";
    if (EVP_PKEY_is_a(k, "EC") && EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) &&
        strcmp(group, "prime256v1") == 0)
        return JWT_ALG_ES256;
    return JWT_ALG_INVAL;
}

/* base64url member of a JWK into a new buffer (*n bytes); NULL when absent or malformed. */
static unsigned char *b64url(const json_t *jwk, const char *name, size_t *n)
{
    const char *s = json_string_value(json_object_get(jwk, name));
    if (!s || !*s)
        return NULL;
    size_t cap = strlen(s);
    unsigned char *out = oi_xmalloc(cap + 1);
    if (sodium_base642bin(out, cap, s, strlen(s), NULL, n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *k = NULL;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
        k = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return k;
}

static EVP_PKEY *rsa_from_jwk(const json_t *jwk)
{
    size_t nn = 0, ne = 0;
    unsigned char *n = b64url(jwk, "n", &nn), *e = b64url(jwk, "e", &ne);
    BIGNUM *bn = n ? BN_bin2bn(n, (int)nn, NULL) : NULL, *be = e ? BN_bin2bn(e, (int)ne, NULL) : NULL;
    EVP_PKEY *k = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
        k = from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    free(n);
    free(e);
    return k;
}

static EVP_PKEY *ec_from_jwk(const json_t *jwk)
{
    if (strcmp(json_string_value(json_object_get(jwk, "crv")) ?: "", "P-256") != 0)
        return NULL;
    size_t nx = 0, ny = 0;
    unsigned char *x = b64url(jwk, "x", &nx), *y = b64url(jwk, "y", &ny);
    EVP_PKEY *k = NULL;
    if (x && y && nx == 32 && ny == 32) {
        unsigned char point[65] = {0x04};
        memcpy(point + 1, x, 32);
        memcpy(point + 33, y, 32);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point))
            k = from_params("EC", bld);
        OSSL_PARAM_BLD_free(bld);
    }
    free(x);
    free(y);
    return k;
}

static bool add_key(gw_jwt_t *j, EVP_PKEY *k, const char *kid)
{
    jwt_alg_t alg = k ? alg_of_key(k) : JWT_ALG_INVAL;
    char *pem = alg != JWT_ALG_INVAL ? pem_of(k) : NULL;
    EVP_PKEY_free(k);
    if (!pem || j->n_keys >= KEYS_MAX) {
        free(pem);
        return false;
    }
    jwt_key_t *slot = &j->keys[j->n_keys++];
    snprintf(slot->kid, sizeof slot->kid, "%s", kid ? kid : "");
    slot->alg = alg;
    slot->pem = pem;
    return true;
}

static bool load_pem(gw_jwt_t *j, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    EVP_PKEY *k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    return add_key(j, k, NULL);
}

static void load_jwks(gw_jwt_t *j, const char *path)
{
    json_t *doc = json_load_file(path, 0, NULL);
    size_t i;
    json_t *jwk;
    json_array_foreach(json_object_get(doc, "keys"), i, jwk)
    {
        const char *kty = json_string_value(json_object_get(jwk, "kty")) ?: "";
        const char *use = json_string_value(json_object_get(jwk, "use"));
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        if (use && strcmp(use, "sig") != 0)
            continue;
        EVP_PKEY *k = strcmp(kty, "RSA") == 0 ? rsa_from_jwk(jwk) : strcmp(kty, "EC") == 0 ? ec_from_jwk(jwk) : NULL;
        if (!add_key(j, k, kid))
            oi_log_warn(&(oi_log_ctx_t){.action = "loading the JWKS"}, "key %zu (kty %s, kid %s) skipped: only RSA "
                        "(RS256) and EC P-256 (ES256) keys are used", i, kty, kid ? kid : "-");
    }
    json_decref(doc);
}

gw_jwt_t *gw_jwt_new(const gw_jwt_config_t *cfg, oi_error_t *err)
{
    if (!cfg->issuer || !cfg->issuer[0] || !cfg->audience || !cfg->audience[0]) {
        oi_error_set(err, OI_INVALID, "OI_JWT_ISSUER and OI_JWT_AUDIENCE are required with a JWT key file");
        return NULL;
    }
    gw_jwt_t *j = oi_xcalloc(1, sizeof *j);
    if (cfg->jwks_file && cfg->jwks_file[0])
        load_jwks(j, cfg->jwks_file);
    else
        load_pem(j, cfg->public_key_file);
    if (j->n_keys == 0) {
        oi_error_set(err, OI_INVALID, "%s holds no RSA or EC P-256 public key",
                     cfg->jwks_file && cfg->jwks_file[0] ? cfg->jwks_file : cfg->public_key_file);
        gw_jwt_destroy(&j);
        return NULL;
    }
    j->issuer = oi_xstrdup(cfg->issuer);
    j->audience = oi_xstrdup(cfg->audience);
    j->workspace_claim = oi_xstrdup(cfg->workspace_claim && cfg->workspace_claim[0] ? cfg->workspace_claim
                                                                                  : "workspace_id");
    j->leeway_s = cfg->leeway_s;
    return j;
}

void gw_jwt_destroy(gw_jwt_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_jwt_t *j = *self_p;
    for (int i = 0; i < j->n_keys; i++)
        free(j->keys[i].pem);
    free(j->issuer);
    free(j->audience);
    free(j->workspace_claim);
    free(j);
    *self_p = NULL;
}

/* --- tokens -------------------------------------------------------------------------------- */

bool gw_jwt_looks_like(const char *token)
{
    if (strncmp(token, "eyJ", 3) != 0)
        return false;
    int dots = 0;
    for (const char *c = token; *c; c++) {
        if (*c == '.')
            dots++;
        else if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
                   *c == '_'))
            return false;
    }
    return dots == 2;
}

static oi_status_t refuse(oi_error_t *err, const char *why)
{
    return oi_error_set(err, OI_UNAUTHORIZED, "invalid token: %s", why);
}

/* The key for the token's header (alg and kid), before any signature is checked. */
static const jwt_key_t *key_for(const gw_jwt_t *j, const char *token, oi_error_t *err)
{
    jwt_t *unverified = NULL;
    if (jwt_decode(&unverified, token, NULL, 0) != 0 || !unverified) {
        refuse(err, "not a JWT");
        return NULL;
    }
    /* unverified, libjwt leaves the alg "none": the header says which it is */
    const char *alg_name = jwt_get_header(unverified, "alg");
    jwt_alg_t alg = alg_name ? jwt_str_alg(alg_name) : JWT_ALG_INVAL;
    const char *kid = jwt_get_header(unverified, "kid");
    const jwt_key_t *found = NULL;
    for (int i = 0; i < j->n_keys && !found; i++)
        if (kid ? strcmp(j->keys[i].kid, kid) == 0 : j->n_keys == 1)
            found = &j->keys[i];
    jwt_free(unverified);
    if (alg != JWT_ALG_RS256 && alg != JWT_ALG_ES256)
        refuse(err, "alg must be RS256 or ES256");
    else if (!found)
        refuse(err, "no key for its kid");
    else if (found->alg != alg)
        refuse(err, "its alg is not its key's");
    else
        return found;
    return NULL;
}

static bool audience_ok(jwt_t *t, const char *want)
{
    char *aud = jwt_get_grants_json(t, "aud");
    json_t *a = aud ? json_loads(aud, JSON_DECODE_ANY, NULL) : NULL;
    free(aud);
    bool ok = json_is_string(a) && strcmp(json_string_value(a), want) == 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) ok = ok || (json_is_string(v) && strcmp(json_string_value(v), want) == 0);
    json_decref(a);
    return ok;
}

static oi_status_t claims_check(const gw_jwt_t *j, jwt_t *t, int64_t now, gw_jwt_claims_t *out, oi_error_t *err)
{
    const char *iss = jwt_get_grant(t, "iss");
    if (!iss || strcmp(iss, j->issuer) != 0)
        return refuse(err, "wrong issuer");
    if (!audience_ok(t, j->audience))
        return refuse(err, "wrong audience");
    errno = 0;
    long exp = jwt_get_grant_int(t, "exp");
    if (errno || exp <= 0)
        return refuse(err, "no exp");
    if (now > exp + j->leeway_s)
        return refuse(err, "expired");
    errno = 0;
    long nbf = jwt_get_grant_int(t, "nbf");
    if (!errno && nbf > 0 && now + j->leeway_s < nbf)
        return refuse(err, "not valid yet");
    const char *ws = jwt_get_grant(t, j->workspace_claim);
    if (!ws || !ws[0] || strlen(ws) >= sizeof out->workspace)
        return refuse(err, "no workspace claim");
    const char *sub = jwt_get_grant(t, "sub");
    snprintf(out->workspace, sizeof out->workspace, "%s", ws);
    snprintf(out->sub, sizeof out->sub, "%s", sub ? sub : "");
    return OI_OK;
}

oi_status_t gw_jwt_verify(const gw_jwt_t *j, const char *token, int64_t now, gw_jwt_claims_t *out, oi_error_t *err)
{
    const jwt_key_t *k = key_for(j, token, err);
    if (!k)
        return OI_UNAUTHORIZED;
    jwt_t *t = NULL;
    if (jwt_decode(&t, token, (const unsigned char *)k->pem, (int)strlen(k->pem)) != 0 || !t) {
        jwt_free(t);
        return refuse(err, "bad signature");
    }
    oi_status_t rc = jwt_get_alg(t) == k->alg ? claims_check(j, t, now, out, err) : refuse(err, "alg changed");
    jwt_free(t);
    return rc;
}
