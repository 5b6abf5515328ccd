/* oi/ids.h: UUIDs and opaque random tokens. */
#ifndef OI_IDS_H
#define OI_IDS_H

#include <stdbool.h>
#include <stddef.h>

#define OI_UUID_STR_LEN 36
/* n bytes of kernel randomness (getrandom through libsodium), from a per-thread pool: ids on
 * hot paths cost no system call. Any thread. */
void oi_random_bytes(void *out, size_t n);
/* Random (v4) UUID, lowercase, into out (>= 37 bytes). */
void oi_uuid_new(char out[OI_UUID_STR_LEN + 1]);
/* Time-ordered (v7, RFC 9562) UUID: Unix milliseconds, then 74 random bits. For rows written in
 * time order (jobs, numbers), so their primary-key btree grows at its right edge instead of
 * touching a random leaf per insert. Reveals when it was made; nothing else. */
void oi_uuid7_new(char out[OI_UUID_STR_LEN + 1]);
/* true for the canonical 8-4-4-4-12 hex form (either case), as pydantic's UUID accepts;
 * also accepts the 32-hex form without dashes. */
bool oi_uuid_valid(const char *s);
/* Normalises a valid UUID into lowercase 8-4-4-4-12; false if invalid. */
bool oi_uuid_normalize(const char *s, char out[OI_UUID_STR_LEN + 1]);
/* Random request id ("req_" + 24 hex), out >= 29 bytes. */
void oi_request_id_new(char out[32]);

#endif
