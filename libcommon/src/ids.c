/* ids.c: UUIDs and request ids from a per-thread pool of kernel randomness.
 *
 * libuuid's uuid_generate_random costs seven system calls per id (it reseeds random(3) from
 * getpid, getuid, the time… on every call before reading getrandom); ids are made on every
 * request, so each thread keeps OI_RANDOM_POOL bytes of getrandom output (libsodium's
 * randombytes_buf) and refills it when spent: one system call per 256 UUIDs. A forked child
 * drops the pool it inherited, so parent and child never hand out the same bytes. */
#include "oi/ids.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define OI_RANDOM_POOL 4096

static _Thread_local struct {
    uint8_t bytes[OI_RANDOM_POOL];
    size_t used; /* bytes already handed out; OI_RANDOM_POOL = empty */
    bool ready;
} pool;

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void pool_forget(void)
{
    sodium_memzero(pool.bytes, sizeof pool.bytes);
    pool.used = OI_RANDOM_POOL;
}

static void atfork_register(void) { pthread_atfork(NULL, NULL, pool_forget); }

void oi_random_bytes(void *out, size_t n)
{
    if (!pool.ready) {
        pthread_once(&atfork_once, atfork_register);
        pool.used = OI_RANDOM_POOL;
        pool.ready = true;
    }
    uint8_t *o = out;
    while (n > 0) {
        if (pool.used == OI_RANDOM_POOL) {
            randombytes_buf(pool.bytes, sizeof pool.bytes);
            pool.used = 0;
        }
        size_t take = OI_RANDOM_POOL - pool.used < n ? OI_RANDOM_POOL - pool.used : n;
        memcpy(o, pool.bytes + pool.used, take);
        sodium_memzero(pool.bytes + pool.used, take); /* handed out once */
        pool.used += take;
        o += take;
        n -= take;
    }
}

static const char hexd[] = "0123456789abcdef";

static void uuid_format(uint8_t u[16], char out[OI_UUID_STR_LEN + 1])
{
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 9562 variant */
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hexd[u[i] >> 4];
        *o++ = hexd[u[i] & 15];
    }
    *o = '\0';
}

void oi_uuid_new(char out[OI_UUID_STR_LEN + 1])
{
    uint8_t u[16];
    oi_random_bytes(u, sizeof u);
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
    uuid_format(u, out);
}

void oi_uuid7_new(char out[OI_UUID_STR_LEN + 1])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    uint8_t u[16];
    oi_random_bytes(u + 6, 10);
    for (int i = 0; i < 6; i++)
        u[i] = (uint8_t)(ms >> (40 - 8 * i)); /* 48-bit big-endian Unix milliseconds */
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x70); /* version 7 */
    uuid_format(u, out);
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool oi_uuid_normalize(const char *s, char out[OI_UUID_STR_LEN + 1])
{
    if (!s)
        return false;
    size_t len = strlen(s);
    char hex[33];
    if (len == 36) {
        if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
            return false;
        size_t k = 0;
        for (size_t i = 0; i < 36; i++)
            if (s[i] != '-')
                hex[k++] = s[i];
        if (k != 32)
            return false;
    } else if (len == 32) {
        memcpy(hex, s, 32);
    } else {
        return false;
    }
    hex[32] = '\0';
    if (!all_hex(hex, 32))
        return false;
    for (int i = 0; i < 32; i++)
        hex[i] = (char)tolower((unsigned char)hex[i]);
    snprintf(out, OI_UUID_STR_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    return true;
}

bool oi_uuid_valid(const char *s)
{
    char tmp[OI_UUID_STR_LEN + 1];
    return oi_uuid_normalize(s, tmp);
}

void oi_request_id_new(char out[32])
{
    uint8_t u[12];
    oi_random_bytes(u, sizeof u);
    memcpy(out, "req_", 4);
    for (int i = 0; i < 12; i++) {
        out[4 + 2 * i] = hexd[u[i] >> 4];
        out[5 + 2 * i] = hexd[u[i] & 15];
    }
    out[28] = '\0';
}
