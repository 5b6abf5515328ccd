/* idem.h: idempotency of job submissions.
 *
 * A submission is identified by (workspace, Idempotency-Key). Its request hash is a keyed
 * SHA-256 over the job kind and the packed request with its idempotency_key cleared, keyed with
 * the service secret so that a hash of a request carrying a SIP password reveals nothing. */
#ifndef PROV_IDEM_H
#define PROV_IDEM_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

#define PROV_HASH_HEX_LEN 64

/* Hash of kind + packed bytes under key into out (65 bytes). */
void prov_idem_hash(const char *key, const char *kind, const void *packed, size_t len,
                    char out[PROV_HASH_HEX_LEN + 1]);
/* Packs msg with its top-level "idempotency_key" and "wait_ms" cleared (if it has them); returns a
 * new buffer (caller frees) and its length. The message itself is not modified. */
unsigned char *prov_idem_pack_without_key(const ProtobufCMessage *msg, size_t *len);
/* Same submission? Constant-time comparison of two hex hashes. */
bool prov_idem_same(const char *stored_hash, const char *hash);
/* Was stored_hash made from kind + packed under key, or under previous (NULL/"": none)? A retry
 * that spans a rotation of OI_SECRET_KEY is still the same submission. */
bool prov_idem_matches(const char *stored_hash, const char *key, const char *previous, const char *kind,
                       const void *packed, size_t len);

#endif
