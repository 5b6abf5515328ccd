/* hash.c: FNV-1a (oi/hash.h). */
#include "oi/hash.h"

#define FNV_PRIME 1099511628211ULL

uint64_t oi_fnv1a(uint64_t seed, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        seed = (seed ^ p[i]) * FNV_PRIME;
    return seed;
}

uint64_t oi_fnv1a_str(uint64_t seed, const char *s)
{
    for (; *s; s++)
        seed = (seed ^ (unsigned char)*s) * FNV_PRIME;
    return seed;
}
