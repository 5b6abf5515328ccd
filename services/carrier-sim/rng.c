/* rng.c: splitmix64 and the id formats built on it. */
#include "rng.h"

#include <stdio.h>
#include <string.h>

void sim_rng_seed(sim_rng_t *r, uint64_t seed) { r->s = seed; }

uint64_t sim_rng_next(sim_rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t sim_rng_below(sim_rng_t *r, uint64_t n)
{
    /* rejection sampling keeps the distribution exact for any n */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v = sim_rng_next(r);
    while (v >= limit)
        v = sim_rng_next(r);
    return v % n;
}

void sim_rng_sid(sim_rng_t *r, const char *prefix, char *out, size_t n)
{
    uint64_t a = sim_rng_next(r), b = sim_rng_next(r);
    snprintf(out, n, "%.2s%016llx%016llx", prefix, (unsigned long long)a, (unsigned long long)b);
}

void sim_rng_uuid(sim_rng_t *r, char *out, size_t n)
{
    uint64_t a = sim_rng_next(r), b = sim_rng_next(r);
    a = (a & ~0xf000ULL) | 0x4000ULL;                         /* version 4 */
    b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* variant 10 */
    snprintf(out, n, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(a >> 32),
             (unsigned long long)((a >> 16) & 0xffff), (unsigned long long)(a & 0xffff),
             (unsigned long long)(b >> 48), (unsigned long long)(b & 0xffffffffffffULL));
}

void sim_rng_numid(sim_rng_t *r, char *out, size_t n)
{
    /* 1e18 .. 9.2e18 - 1: always 19 digits and inside int64 */
    uint64_t v = 1000000000000000000ULL + sim_rng_below(r, 8200000000000000000ULL);
    snprintf(out, n, "%llu", (unsigned long long)v);
}
