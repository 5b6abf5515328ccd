/* Dashboard JWTs: tokens signed here with libjwt and OpenSSL keys made for the test. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dashboard_jwt.h"

#define NOW 1800000000L

static EVP_PKEY *rsa, *ec, *rsa2;
static char pub_file[64], jwks_file[64];

static char *pem(EVP_PKEY *k, bool private_key)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (private_key)
        PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    else
        PEM_write_bio_PUBKEY(b, k);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = strndup(data, (size_t)n);
    BIO_free(b);
    return out;
}

static json_t *b64(const unsigned char *p, size_t n)
{
    char out[1024];
    sodium_bin2base64(out, sizeof out, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return json_string(out);
}

static json_t *bn_b64(EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    EVP_PKEY_get_bn_param(k, name, &bn);
    unsigned char buf[512];
    int n = BN_bn2bin(bn, buf);
    BN_free(bn);
    return b64(buf, (size_t)n);
}

static json_t *jwk_rsa(EVP_PKEY *k, const char *kid)
{
    return json_pack("{ss ss ss so so}", "kty", "RSA", "kid", kid, "use", "sig", "n", bn_b64(k, OSSL_PKEY_PARAM_RSA_N),
                     "e", bn_b64(k, OSSL_PKEY_PARAM_RSA_E));
}

static json_t *jwk_ec(EVP_PKEY *k, const char *kid)
{
    unsigned char point[65];
    size_t n = 0;
    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &n);
    return json_pack("{ss ss ss so so}", "kty", "EC", "kid", kid, "crv", "P-256", "x", b64(point + 1, 32), "y",
                     b64(point + 33, 32));
}

static void setup(void)
{
    rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    snprintf(pub_file, sizeof pub_file, "/tmp/oi-jwt-pub-%d.pem", getpid());
    snprintf(jwks_file, sizeof jwks_file, "/tmp/oi-jwt-jwks-%d.json", getpid());
    FILE *f = fopen(pub_file, "w");
    char *p = pem(rsa, false);
    fputs(p, f);
    fclose(f);
    free(p);
    json_t *set = json_pack("{s[ooo{ssss}]}", "keys", jwk_rsa(rsa, "r1"), jwk_ec(ec, "e1"), jwk_rsa(rsa2, "r2"),
                            "kty", "OKP", "kid", "ed");
    json_dump_file(set, jwks_file, 0);
    json_decref(set);
}

static void teardown(void)
{
    unlink(pub_file);
    unlink(jwks_file);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(rsa2);
    EVP_PKEY_free(ec);
}

TestSuite(dashboard_jwt, .init = setup, .fini = teardown);

/* A token signed by key (NULL: alg none; secret: HMAC with those bytes) with claims over the
 * valid defaults (a JSON object text merged in; "null" removes a claim). */
static char *token(jwt_alg_t alg, EVP_PKEY *key, const char *secret, const char *kid, const char *over)
{
    json_t *c = json_pack("{ss ss ss ss sI sI}", "iss", "https://dash.example", "aud", "oneinbox-api",
                          "sub", "user-7", "workspace_id", "ws-42", "exp", (json_int_t)NOW + 600,
                          "iat", (json_int_t)NOW - 10);
    json_t *o = over ? json_loads(over, 0, NULL) : NULL;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (json_is_null(v))
            json_object_del(c, k);
        else
            json_object_set(c, k, v);
    }
    json_decref(o);
    char *claims = json_dumps(c, 0);
    json_decref(c);
    jwt_t *t = NULL;
    jwt_new(&t);
    jwt_add_grants_json(t, claims);
    free(claims);
    if (kid)
        jwt_add_header(t, "kid", kid);
    char *priv = key ? pem(key, true) : NULL;
    if (key)
        jwt_set_alg(t, alg, (const unsigned char *)priv, (int)strlen(priv));
    else if (secret)
        jwt_set_alg(t, alg, (const unsigned char *)secret, (int)strlen(secret));
    else
        jwt_set_alg(t, JWT_ALG_NONE, NULL, 0);
    char *out = jwt_encode_str(t);
    jwt_free(t);
    free(priv);
    return out;
}

static gw_jwt_t *verifier(bool jwks)
{
    gw_jwt_config_t cfg = {.public_key_file = jwks ? NULL : pub_file, .jwks_file = jwks ? jwks_file : NULL,
                           .issuer = "https://dash.example", .audience = "oneinbox-api", .leeway_s = 30};
    oi_error_t err;
    oi_error_init(&err);
    gw_jwt_t *j = gw_jwt_new(&cfg, &err);
    cr_assert_not_null(j, "%s", err.message);
    return j;
}

static oi_status_t check(gw_jwt_t *j, char *tok, gw_jwt_claims_t *out, char *why, size_t n)
{
    oi_error_t err;
    oi_error_init(&err);
    gw_jwt_claims_t tmp;
    oi_status_t rc = gw_jwt_verify(j, tok, NOW, out ? out : &tmp, &err);
    snprintf(why, n, "%s", err.message);
    free(tok);
    return rc;
}

Test(dashboard_jwt, a_valid_token_names_workspace_and_subject)
{
    gw_jwt_t *j = verifier(false);
    gw_jwt_claims_t c;
    char why[256];
    cr_assert_eq(check(j, token(JWT_ALG_RS256, rsa, NULL, NULL, NULL), &c, why, sizeof why), OI_OK, "%s", why);
    cr_assert_str_eq(c.workspace, "ws-42");
    cr_assert_str_eq(c.sub, "user-7");
    cr_assert_eq(check(j, token(JWT_ALG_RS256, rsa, NULL, NULL, "{\"aud\":[\"other\",\"oneinbox-api\"]}"), NULL, why,
                       sizeof why),
                 OI_OK, "%s", why);
    gw_jwt_destroy(&j);
}

Test(dashboard_jwt, refused_tokens)
{
    gw_jwt_t *j = verifier(false);
    char *pub = pem(rsa, false);
    struct {
        char *tok;
        const char *why;
    } cases[] = {
        {token(JWT_ALG_NONE, NULL, NULL, NULL, NULL), "alg"},
        {token(JWT_ALG_HS256, NULL, pub, NULL, NULL), "alg"}, /* the public key as an HMAC secret */
        {token(JWT_ALG_ES256, ec, NULL, NULL, NULL), "alg"},
        {token(JWT_ALG_RS256, rsa2, NULL, NULL, NULL), "signature"},
        {token(JWT_ALG_RS256, rsa, NULL, NULL, "{\"exp\":1799999000}"), "expired"},
        {token(JWT_ALG_RS256, rsa, NULL, NULL, "{\"exp\":null}"), "exp"},
        {token(JWT_ALG_RS256, rsa, NULL, NULL, "{\"nbf\":1800000100}"), "not valid yet"},
        {token(JWT_ALG_RS256, rsa, NULL, NULL, "{\"iss\":\"https://evil.example\"}"), "issuer"},
        {token(JWT_ALG_RS256, rsa, NULL, NULL, "{\"aud\":\"someone-else\"}"), "audience"},
        {token(JWT_ALG_RS256, rsa, NULL, NULL, "{\"workspace_id\":null}"), "workspace"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[256];
        cr_expect_eq(check(j, cases[i].tok, NULL, why, sizeof why), OI_UNAUTHORIZED, "case %zu", i);
        cr_expect(strstr(why, cases[i].why) != NULL, "case %zu: %s", i, why);
    }
    /* within the leeway */
    char why[256];
    cr_expect_eq(check(j, token(JWT_ALG_RS256, rsa, NULL, NULL, "{\"exp\":1799999980}"), NULL, why, sizeof why), OI_OK);
    /* a payload changed after signing */
    char *t = token(JWT_ALG_RS256, rsa, NULL, NULL, NULL);
    char *dot = strchr(t, '.') + 1;
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    cr_expect_eq(check(j, t, NULL, why, sizeof why), OI_UNAUTHORIZED);
    free(pub);
    gw_jwt_destroy(&j);
}

Test(dashboard_jwt, jwks_keys_by_kid)
{
    gw_jwt_t *j = verifier(true);
    char why[256];
    cr_expect_eq(check(j, token(JWT_ALG_RS256, rsa, NULL, "r1", NULL), NULL, why, sizeof why), OI_OK, "%s", why);
    cr_expect_eq(check(j, token(JWT_ALG_ES256, ec, NULL, "e1", NULL), NULL, why, sizeof why), OI_OK, "%s", why);
    cr_expect_eq(check(j, token(JWT_ALG_RS256, rsa2, NULL, "r2", NULL), NULL, why, sizeof why), OI_OK, "%s", why);
    cr_expect_eq(check(j, token(JWT_ALG_RS256, rsa, NULL, "r2", NULL), NULL, why, sizeof why), OI_UNAUTHORIZED);
    cr_expect_eq(check(j, token(JWT_ALG_RS256, rsa, NULL, "nope", NULL), NULL, why, sizeof why), OI_UNAUTHORIZED);
    cr_expect_eq(check(j, token(JWT_ALG_RS256, rsa, NULL, NULL, NULL), NULL, why, sizeof why), OI_UNAUTHORIZED,
                 "several keys: a kid is required");
    cr_expect_eq(check(j, token(JWT_ALG_ES256, ec, NULL, "r1", NULL), NULL, why, sizeof why), OI_UNAUTHORIZED);
    gw_jwt_destroy(&j);
}

Test(dashboard_jwt, configuration_errors)
{
    oi_error_t err;
    oi_error_init(&err);
    gw_jwt_config_t no_iss = {.public_key_file = pub_file, .audience = "a"};
    cr_assert_null(gw_jwt_new(&no_iss, &err));
    gw_jwt_config_t missing = {.public_key_file = "/nonexistent.pem", .issuer = "i", .audience = "a"};
    oi_error_init(&err);
    cr_assert_null(gw_jwt_new(&missing, &err));
    cr_assert(gw_jwt_looks_like("eyJhbGciOi.eyJzdWIi.c2ln"));
    cr_assert_not(gw_jwt_looks_like("oi_sk_0123"));
    cr_assert_not(gw_jwt_looks_like("eyJ.a.b.c"));
}
