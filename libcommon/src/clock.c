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

/* PostgreSQL writes a timestamptz (session time zone UTC, ISO DateStyle) as
 * "YYYY-MM-DD HH:MM:SS[.ffffff]+00": the answer is its first 19 characters with a T and a Z, read
 * in place (every timestamp of every row rendered passes here; sscanf was a visible cost). */
bool oi_clock_pg_to_rfc3339(const char *pg, char *out, size_t n)
{
    static const char shape[] = "dddd-dd-dd?dd:dd:dd";
    if (!pg || n < 21)
        return false;
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        char c = pg[i], want = shape[i];
        bool ok = want == 'd' ? (c >= '0' && c <= '9') : want == '?' ? (c == ' ' || c == 'T') : c == want;
        if (!ok)
            return false;
    }
    memcpy(out, pg, 10);
    out[10] = 'T';
    memcpy(out + 11, pg + 11, 8);
    out[19] = 'Z';
    out[20] = '\0';
    return true;
}
