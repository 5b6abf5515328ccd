/* crypto.c: secretbox at rest, SHA-256 key hashes, random tokens (libsodium). */
#include "oi/crypto.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"

struct oi_crypto {
    unsigned char key[crypto_secretbox_KEYBYTES];
};

bool oi_crypto_global_init(void) { return sodium_init() >= 0; }

oi_crypto_t *oi_crypto_new(const char *key_hex, oi_error_t *err)
{
    if (!key_hex || strlen(key_hex) != 2 * crypto_secretbox_KEYBYTES) {
        oi_error_set(err, OI_INVALID, "secret key must be %d hex characters", 2 * crypto_secretbox_KEYBYTES);
        return NULL;
    }
    oi_crypto_t *c = sodium_malloc(sizeof *c);
    if (!c)
        abort();
    size_t bin_len = 0;
    if (sodium_hex2bin(c->key, sizeof c->key, key_hex, strlen(key_hex), NULL, &bin_len, NULL) != 0 ||
        bin_len != sizeof c->key) {
        sodium_free(c);
        oi_error_set(err, OI_INVALID, "secret key is not valid hex");
        return NULL;
    }
    const char *allow = getenv("OI_ALLOW_WEAK_SECRET_KEY");
    bool weak_ok = allow && (strcmp(allow, "true") == 0 || strcmp(allow, "1") == 0);
    if (!weak_ok && oi_crypto_key_weak(c->key, sizeof c->key)) {
        sodium_free(c);
        oi_error_set(err, OI_INVALID, "secret key is weak (a repeated pattern or too few distinct bytes): make one "
                                      "with `openssl rand -hex 32` (OI_ALLOW_WEAK_SECRET_KEY=true only for dev)");
        return NULL;
    }
    return c;
}

bool oi_crypto_key_weak(const unsigned char *key, size_t n)
{
    bool seen[256] = {false};
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (!seen[key[i]]) {
            seen[key[i]] = true;
            distinct++;
        }
    /* 32 random bytes have ~30 distinct values; fewer than 16 is a pattern, not a key */
    if (distinct < n / 2)
        return true;
    for (size_t period = 1; period <= n / 2; period++) { /* abcabc…, however long the period */
        size_t i = period;
        while (i < n && key[i] == key[i - period])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

void oi_crypto_destroy(oi_crypto_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sodium_free(*self_p); /* sodium_free wipes before freeing */
    *self_p = NULL;
}

#define SEAL_PREFIX "v1:"

char *oi_crypto_seal(const oi_crypto_t *c, const char *plaintext)
{
    size_t mlen = strlen(plaintext);
    size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + mlen;
    unsigned char *box = oi_xmalloc(blen);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plaintext, mlen, box, c->key);
    size_t b64_len = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
    char *out = oi_xmalloc(strlen(SEAL_PREFIX) + b64_len);
    memcpy(out, SEAL_PREFIX, strlen(SEAL_PREFIX));
    sodium_bin2base64(out + strlen(SEAL_PREFIX), b64_len, box, blen, sodium_base64_VARIANT_ORIGINAL);
    free(box);
    return out;
}

char *oi_crypto_open(const oi_crypto_t *c, const char *sealed)
{
    if (!sealed || strncmp(sealed, SEAL_PREFIX, strlen(SEAL_PREFIX)) != 0)
        return NULL;
    const char *b64 = sealed + strlen(SEAL_PREFIX);
    size_t cap = strlen(b64);
    unsigned char *box = oi_xmalloc(cap + 1);
    size_t blen = 0;
    if (sodium_base642bin(box, cap, b64, strlen(b64), NULL, &blen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        free(box);
        return NULL;
    }
    size_t mlen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    char *out = oi_xmalloc(mlen + 1);
    if (crypto_secretbox_open_easy((unsigned char *)out, box + crypto_secretbox_NONCEBYTES,
                                   blen - crypto_secretbox_NONCEBYTES, box, c->key) != 0) {
        free(box);
        free(out);
        return NULL;
    }
    out[mlen] = '\0';
    free(box);
    return out;
}

void oi_crypto_free_secret(char *plaintext)
{
    if (!plaintext)
        return;
    sodium_memzero(plaintext, strlen(plaintext));
    free(plaintext);
}

void oi_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, 65, h, sizeof h);
}

char *oi_random_token(const char *prefix, size_t nbytes)
{
    unsigned char *raw = oi_xmalloc(nbytes);
    randombytes_buf(raw, nbytes);
    size_t plen = strlen(prefix);
    char *out = oi_xmalloc(plen + 2 * nbytes + 1);
    memcpy(out, prefix, plen);
    sodium_bin2hex(out + plen, 2 * nbytes + 1, raw, nbytes);
    free(raw);
    return out;
}

char *oi_random_password(size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    if (n < 3)
        n = 3;
    char *out = oi_xmalloc(n + 1);
    for (;;) {
        bool upper = false, lower = false, digit = false;
        for (size_t i = 0; i < n; i++) {
            char c = alphabet[randombytes_uniform(sizeof alphabet - 1)];
            upper |= c >= 'A' && c <= 'Z';
            lower |= c >= 'a' && c <= 'z';
            digit |= c >= '0' && c <= '9';
            out[i] = c;
        }
        out[n] = '\0';
        if (upper && lower && digit) /* uniform over the passwords that satisfy the rule */
            return out;
    }
}

bool oi_secure_streq(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    return sodium_memcmp(a, b, la) == 0;
}
