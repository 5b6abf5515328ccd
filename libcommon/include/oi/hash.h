/* oi/hash.h: FNV-1a, the one non-cryptographic hash of in-memory tables (near caches, metrics,
 * memos). Chainable: pass a previous result as seed, or OI_FNV1A_SEED to start. */
#ifndef OI_HASH_H
#define OI_HASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OI_FNV1A_SEED 14695981039346656037ULL

uint64_t oi_fnv1a(uint64_t seed, const void *data, size_t len);
uint64_t oi_fnv1a_str(uint64_t seed, const char *s);

#ifdef __cplusplus
}
#endif

#endif
