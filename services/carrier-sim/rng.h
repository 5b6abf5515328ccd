/* rng.h: the simulator's deterministic pseudo-random source (splitmix64).
 *
 * Everything the simulator makes up (inventory, SIDs, ids, UUIDs) comes from a sim_rng_t seeded
 * from OI_SIM_SEED, so two runs with the same seed and the same calls give the same answers.
 * Not cryptographic: it only has to be reproducible. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

#define SIM_SID_LEN 34  /* 2-letter prefix + 32 hex */
#define SIM_UUID_LEN 36
#define SIM_NUMID_LEN 19 /* Telnyx int64 ids, sent as strings */

typedef struct {
    uint64_t s;
} sim_rng_t;

void sim_rng_seed(sim_rng_t *r, uint64_t seed);
uint64_t sim_rng_next(sim_rng_t *r);
/* Uniform in [0, n); n > 0. */
uint64_t sim_rng_below(sim_rng_t *r, uint64_t n);
/* prefix ("PN") + 32 lowercase hex into out (size >= SIM_SID_LEN + 1). */
void sim_rng_sid(sim_rng_t *r, const char *prefix, char *out, size_t n);
/* RFC 4122 version-4 shaped UUID into out (size >= SIM_UUID_LEN + 1). */
void sim_rng_uuid(sim_rng_t *r, char *out, size_t n);
/* 19 decimal digits, no leading zero, into out (size >= SIM_NUMID_LEN + 1). */
void sim_rng_numid(sim_rng_t *r, char *out, size_t n);

#endif
