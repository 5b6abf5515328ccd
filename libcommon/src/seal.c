/* seal.c: secrets at rest (oi/crypto.h): per-purpose subkeys, AEAD bound to the row, key ids. */
#include "oi/crypto.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"

#define KEY_BYTES 32
#define KID_BYTES 4                     /* shown as 8 hex characters */
#define KDF_CONTEXT "oisealv2"          /* crypto_kdf_CONTEXTBYTES (8) */
#define KID_CONTEXT "oikeyid_"
#define V1 "v1:"
#define V2 "v2:"
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

typedef struct {
    unsigned char master[KEY_BYTES];
    unsigned char sub[OI_SEAL__PURPOSES][KEY_BYTES]; /* [purpose]: crypto_kdf of master */
    char kid[2 * KID_BYTES + 1];
    bool set;
} seal_key_t;

struct oi_crypto {
    seal_key_t current, previous; /* previous.set: OI_SECRET_KEY_PREVIOUS still opens what it sealed */
};

static bool key_parse(seal_key_t *k, const char *hex, const char *name, oi_error_t *err)
{
    size_t len = 0;
    if (!hex || strlen(hex) != 2 * KEY_BYTES ||
        sodium_hex2bin(k->master, KEY_BYTES, hex, strlen(hex), NULL, &len, NULL) != 0 || len != KEY_BYTES) {
        oi_error_set(err, OI_INVALID, "%s must be %d hex characters", name, 2 * KEY_BYTES);
        return false;
    }
    const char *allow = getenv("OI_ALLOW_WEAK_SECRET_KEY");
    bool weak_ok = allow && (strcmp(allow, "true") == 0 || strcmp(allow, "1") == 0);
    if (!weak_ok && oi_crypto_key_weak(k->master, KEY_BYTES)) {
        oi_error_set(err, OI_INVALID, "%s is weak (a repeated pattern or too few distinct bytes): make one with "
                                      "`openssl rand -hex 32` (OI_ALLOW_WEAK_SECRET_KEY=true only for dev)", name);
        return false;
    }
    for (int p = 1; p < OI_SEAL__PURPOSES; p++)
        crypto_kdf_derive_from_key(k->sub[p], KEY_BYTES, (uint64_t)p, KDF_CONTEXT, k->master);
    unsigned char id[crypto_kdf_BYTES_MIN];
    crypto_kdf_derive_from_key(id, sizeof id, 0, KID_CONTEXT, k->master);
    sodium_bin2hex(k->kid, sizeof k->kid, id, KID_BYTES);
    k->set = true;
    return true;
}

oi_crypto_t *oi_crypto_new(const char *key_hex, const char *previous_hex, oi_error_t *err)
{
    oi_crypto_t *c = sodium_malloc(sizeof *c);
    if (!c)
        abort();
    memset(c, 0, sizeof *c);
    if (!key_parse(&c->current, key_hex, "OI_SECRET_KEY", err) ||
        (previous_hex && *previous_hex && !key_parse(&c->previous, previous_hex, "OI_SECRET_KEY_PREVIOUS", err))) {
        sodium_free(c);
        return NULL;
    }
    if (c->previous.set && sodium_memcmp(c->previous.master, c->current.master, KEY_BYTES) == 0)
        c->previous.set = false; /* the same key twice: nothing to rotate from */
    return c;
}

void oi_crypto_destroy(oi_crypto_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sodium_free(*self_p); /* sodium_free wipes before freeing */
    *self_p = NULL;
}

const char *oi_crypto_key_id(const oi_crypto_t *c) { return c->current.kid; }

/* What the AEAD authenticates besides the ciphertext: the purpose and the row ("4:<job id>"). */
static char *bound_to(oi_seal_purpose_t purpose, const char *binding, size_t *len)
{
    char *ad = oi_xasprintf("%d:%s", (int)purpose, binding ? binding : "");
    *len = strlen(ad);
    return ad;
}

static bool purpose_ok(oi_seal_purpose_t p) { return p > 0 && p < OI_SEAL__PURPOSES; }

char *oi_crypto_seal(const oi_crypto_t *c, oi_seal_purpose_t purpose, const char *binding, const char *plaintext)
{
    if (!purpose_ok(purpose) || !plaintext)
        return NULL;
    size_t mlen = strlen(plaintext), adlen = 0;
    size_t blen = NONCE_BYTES + mlen + TAG_BYTES;
    unsigned char *box = oi_xmalloc(blen);
    randombytes_buf(box, NONCE_BYTES);
    char *ad = bound_to(purpose, binding, &adlen);
    crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE_BYTES, NULL, (const unsigned char *)plaintext, mlen,
                                               (const unsigned char *)ad, adlen, NULL, box, c->current.sub[purpose]);
    free(ad);
    size_t b64_len = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
    char *out = oi_xmalloc(strlen(V2) + sizeof c->current.kid + b64_len);
    int head = snprintf(out, strlen(V2) + sizeof c->current.kid + 1, V2 "%s:", c->current.kid);
    sodium_bin2base64(out + head, b64_len, box, blen, sodium_base64_VARIANT_ORIGINAL);
    free(box);
    return out;
}

/* base64 text → bytes (new, *len), NULL when it is not base64 or shorter than min. */
static unsigned char *unbase64(const char *b64, size_t min, size_t *len)
{
    size_t cap = strlen(b64);
    unsigned char *bin = oi_xmalloc(cap + 1);
    if (sodium_base642bin(bin, cap, b64, strlen(b64), NULL, len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        *len < min) {
        free(bin);
        return NULL;
    }
    return bin;
}

static char *open_v2(const seal_key_t *k, oi_seal_purpose_t purpose, const char *binding, const char *b64)
{
    size_t blen = 0, adlen = 0;
    unsigned char *box = unbase64(b64, NONCE_BYTES + TAG_BYTES, &blen);
    if (!box)
        return NULL;
    size_t mlen = blen - NONCE_BYTES - TAG_BYTES;
    char *out = oi_xmalloc(mlen + 1);
    char *ad = bound_to(purpose, binding, &adlen);
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out, NULL, NULL, box + NONCE_BYTES,
                                                        blen - NONCE_BYTES, (const unsigned char *)ad, adlen, box,
                                                        k->sub[purpose]);
    free(ad);
    free(box);
    if (rc != 0) {
        free(out);
        return NULL;
    }
    out[mlen] = '\0';
    return out;
}

/* v1: secretbox under the master key itself, bound to nothing (values sealed before v2). */
static char *open_v1(const seal_key_t *k, const char *b64)
{
    size_t blen = 0;
    unsigned char *box = unbase64(b64, crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES, &blen);
    if (!box)
        return NULL;
    size_t mlen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    char *out = oi_xmalloc(mlen + 1);
    if (crypto_secretbox_open_easy((unsigned char *)out, box + crypto_secretbox_NONCEBYTES,
                                   blen - crypto_secretbox_NONCEBYTES, box, k->master) != 0) {
        free(box);
        free(out);
        return NULL;
    }
    free(box);
    out[mlen] = '\0';
    return out;
}

char *oi_crypto_open(const oi_crypto_t *c, oi_seal_purpose_t purpose, const char *binding, const char *sealed)
{
    if (!sealed || !purpose_ok(purpose))
        return NULL;
    if (strncmp(sealed, V1, strlen(V1)) == 0) {
        char *p = open_v1(&c->current, sealed + strlen(V1));
        return p || !c->previous.set ? p : open_v1(&c->previous, sealed + strlen(V1));
    }
    size_t kidlen = 2 * KID_BYTES;
    if (strncmp(sealed, V2, strlen(V2)) != 0 || strlen(sealed) < strlen(V2) + kidlen + 1 ||
        sealed[strlen(V2) + kidlen] != ':')
        return NULL;
    const char *kid = sealed + strlen(V2), *b64 = kid + kidlen + 1;
    if (strncmp(kid, c->current.kid, kidlen) == 0)
        return open_v2(&c->current, purpose, binding, b64);
    if (c->previous.set && strncmp(kid, c->previous.kid, kidlen) == 0)
        return open_v2(&c->previous, purpose, binding, b64);
    return NULL; /* a key this service was not given */
}

bool oi_crypto_sealed_current(const oi_crypto_t *c, const char *sealed)
{
    size_t kidlen = 2 * KID_BYTES;
    return sealed && strncmp(sealed, V2, strlen(V2)) == 0 &&
           strncmp(sealed + strlen(V2), c->current.kid, kidlen) == 0 && sealed[strlen(V2) + kidlen] == ':';
}

char *oi_crypto_reseal(const oi_crypto_t *c, oi_seal_purpose_t purpose, const char *binding, const char *sealed)
{
    char *plain = oi_crypto_open(c, purpose, binding, sealed);
    if (!plain)
        return NULL;
    char *out = oi_crypto_seal(c, purpose, binding, plain);
    oi_crypto_free_secret(plain);
    return out;
}
