/* clock.c: wall/monotonic time and RFC 3339 text. */
#include "oi/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t oi_clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t oi_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t oi_clock_mono_ms(void) { return (int64_t)(oi_clock_mono_ns() / 1000000ull); }

void oi_clock_rfc3339(int64_t unix_ms, char *out, size_t n)
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool oi_clock_pg_to_rfc3339(const char *pg, char *out, size_t n)
{
    int y, mo, d, h, mi, s;
    if (!pg || n < 21)
        return false;
    if (sscanf(pg, "%4d-%2d-%2d%*[ T]%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
        return false;
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
    return true;
}
