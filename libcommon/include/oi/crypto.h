/* oi/crypto.h: secrets at rest, API key hashing, random tokens.
 *
 * OI_SECRET_KEY is 64 hex chars (32 bytes): a master key no value is sealed with directly. Each
 * purpose gets its own subkey (libsodium crypto_kdf), and a sealed value is an AEAD
 * (XChaCha20-Poly1305) bound to its purpose and its row: the same ciphertext copied into another
 * row, column or table does not open. It is text, so it sits in a TEXT column:
 * "v2:<key id>:" + base64(nonce || ciphertext+tag); the key id (8 hex chars, derived from the
 * key) says which key sealed it. Rotation: run with the new OI_SECRET_KEY and the old one as
 * OI_SECRET_KEY_PREVIOUS; both open, new values use the new key, and each service re-seals what
 * it keeps under the previous key (oi/reseal.h); once none is left the previous key can go.
 * Values of the first format ("v1:", secretbox under the master key, bound to nothing) still
 * open and are re-sealed the same way. Plaintext is wiped when freed and never logged. */
#ifndef OI_CRYPTO_H
#define OI_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include "oi/status.h"

typedef struct oi_crypto oi_crypto_t;

/* What a sealed value is for (its subkey), and what it is bound to. Never renumbered. */
typedef enum {
    OI_SEAL_IDEMPOTENCY = 1,    /* gateway.idempotency_keys headers and body: "<workspace>/<key>/<column>" */
    OI_SEAL_OUTBOUND_TRUNK = 2, /* dispatch.outbound_trunks.auth_password_sealed: the trunk's id */
    OI_SEAL_INTEGRATION = 3,    /* provisioning.integrations' sealed columns: "<id>/<column>" */
    OI_SEAL_JOB = 4,            /* provisioning.jobs: the sealed request, payload secrets: "<id>/<name>" */
    OI_SEAL_NUMBER_TRUNK = 5,   /* provisioning.phone_numbers.trunk_password_sealed: the number's id */
    OI_SEAL__PURPOSES
} oi_seal_purpose_t;

/* key_hex: 64 hex chars; previous_hex: NULL/"" or the key before it (still opens, never seals).
 * NULL + err on a bad key, or a weak one (oi_crypto_key_weak: all zeros, a repeated pattern such
 * as the dev overlay's) unless OI_ALLOW_WEAK_SECRET_KEY is true (dev). */
oi_crypto_t *oi_crypto_new(const char *key_hex, const char *previous_hex, oi_error_t *err);
/* true for a key no random generator makes: fewer than n/2 distinct bytes, or a repetition of
 * its first k bytes for some k <= n/2. */
bool oi_crypto_key_weak(const unsigned char *key, size_t n);
void oi_crypto_destroy(oi_crypto_t **self_p);
/* The current key's id (8 hex chars), as sealed values carry it. */
const char *oi_crypto_key_id(const oi_crypto_t *c);
/* Returns a new "v2:…" string (caller frees) bound to purpose and binding. */
char *oi_crypto_seal(const oi_crypto_t *c, oi_seal_purpose_t purpose, const char *binding, const char *plaintext);
/* Returns new plaintext (caller frees with oi_crypto_free_secret), or NULL if sealed is tampered,
 * invalid, bound elsewhere or sealed with a key this service does not hold. */
char *oi_crypto_open(const oi_crypto_t *c, oi_seal_purpose_t purpose, const char *binding, const char *sealed);
/* true when sealed is under the current key and format: nothing for a re-seal to do. */
bool oi_crypto_sealed_current(const oi_crypto_t *c, const char *sealed);
/* sealed opened and sealed again under the current key (new string), or NULL when it does not open. */
char *oi_crypto_reseal(const oi_crypto_t *c, oi_seal_purpose_t purpose, const char *binding, const char *sealed);
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
