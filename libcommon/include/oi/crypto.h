/* oi/crypto.h: secrets at rest (libsodium secretbox), API key hashing, random tokens.
 *
 * OI_SECRET_KEY is 64 hex chars (32 bytes). Ciphertext is text: "v1:" + base64(nonce||box),
 * so it can sit in a TEXT column. Plaintext secrets live in oi_secret_t, which is wiped on
 * destroy and never has a printable accessor for logs. */
#ifndef OI_CRYPTO_H
#define OI_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include "oi/status.h"

typedef struct oi_crypto oi_crypto_t;

/* key_hex: 64 hex chars. NULL + err on a bad key, or a weak one (oi_crypto_key_weak: all zeros,
 * a repeated pattern such as the dev overlay's) unless OI_ALLOW_WEAK_SECRET_KEY is true (dev). */
oi_crypto_t *oi_crypto_new(const char *key_hex, oi_error_t *err);
/* true for a key no random generator makes: fewer than n/2 distinct bytes, or a repetition of
 * its first k bytes for some k <= n/2. */
bool oi_crypto_key_weak(const unsigned char *key, size_t n);
void oi_crypto_destroy(oi_crypto_t **self_p);
/* Returns a new "v1:…" string (caller frees). */
char *oi_crypto_seal(const oi_crypto_t *c, const char *plaintext);
/* Returns new plaintext (caller frees with oi_crypto_free_secret) or NULL if tampered/invalid. */
char *oi_crypto_open(const oi_crypto_t *c, const char *sealed);
/* Wipes and frees a plaintext returned by oi_crypto_open. NULL-safe. */
void oi_crypto_free_secret(char *plaintext);

/* SHA-256 of s as 64 lowercase hex chars into out (>= 65 bytes). */
void oi_sha256_hex(const void *data, size_t len, char out[65]);
/* Random token: prefix + n random bytes as lowercase hex. Returns new string. */
char *oi_random_token(const char *prefix, size_t nbytes);
/* Random password of n (>= 3) characters of [A-Za-z0-9] with at least one upper-case letter,
 * one lower-case letter and one digit (what carriers require of SIP credentials). Free with
 * oi_crypto_free_secret. */
char *oi_random_password(size_t n);
/* Constant-time string equality (for tokens). */
bool oi_secure_streq(const char *a, const char *b);
/* Must run once before threads start (sodium_init). false on failure. */
bool oi_crypto_global_init(void);

#endif
