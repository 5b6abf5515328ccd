/* oi/clock.h: wall and monotonic time, RFC 3339 formatting. */
#ifndef OI_CLOCK_H
#define OI_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int64_t oi_clock_now_ms(void);       /* wall clock, unix ms */
int64_t oi_clock_mono_ms(void);      /* monotonic ms */
uint64_t oi_clock_mono_ns(void);
/* "2026-11-22T10:00:00Z" (UTC, seconds). out needs >= 21 bytes. */
void oi_clock_rfc3339(int64_t unix_ms, char *out, size_t n);
/* Parses "YYYY-MM-DD HH:MM:SS[.ffffff][+00]" (PostgreSQL timestamptz text in UTC) into
 * RFC 3339 "YYYY-MM-DDTHH:MM:SSZ". false if unparseable. */
bool oi_clock_pg_to_rfc3339(const char *pg, char *out, size_t n);

#endif
