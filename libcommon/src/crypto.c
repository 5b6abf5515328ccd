/* crypto.c: key checks, SHA-256 key hashes, random tokens (libsodium); sealing is seal.c. */
#include "oi/crypto.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"

bool oi_crypto_global_init(void) { return sodium_init() >= 0; }

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
