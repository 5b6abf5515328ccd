/* oi/tz.h: wall-clock time in an IANA time zone, on ICU (its tzdata: DST and history).
 *
 * Zone ids are what ICU calls system ids: the IANA ids and their backward links
 * ("America/New_York", "Europe/London", "UTC", "US/Eastern", "EST5EDT", "Etc/GMT+5"), case as
 * IANA spells it. ICU also lists a few legacy aliases of its own among them ("PST", "IST",
 * "SystemV/AST4"); those pass too, as the zone ICU maps them to. Refused: ICU's custom ids
 * ("GMT+05:00", "GMT+5"), "Etc/Unknown", unknown ids, "" and ids over OI_TZ_ZONE_MAX bytes.
 *
 * Cost (measured, Release, one x86 core): the first oi_tz_local for a zone opens an ICU calendar,
 * about 30-40 µs (0.7 ms for the first zone of the process, which maps ICU's zone data); it is
 * then kept in a process-wide table of OI_TZ_CACHE_SLOTS zones, so later calls cost one mutex
 * and a field computation, about 0.7 µs. oi_tz_valid costs about 0.3 µs. An unknown zone is
 * looked up in ICU's data on every call (never cached): validate zones once, when a rule is
 * stored, with oi_tz_valid. */
#ifndef OI_TZ_H
#define OI_TZ_H

#include <stdbool.h>
#include <stdint.h>

#define OI_TZ_ZONE_MAX 64    /* longest zone id accepted, in bytes */
#define OI_TZ_CACHE_SLOTS 16 /* zones kept open; beyond that the oldest is reopened on demand */

typedef struct {
    int year;               /* proleptic Gregorian, astronomical (0 = 1 BC) */
    int month;              /* 1-12 */
    int day;                /* 1-31 */
    int weekday;            /* 0 = Monday … 6 = Sunday */
    int minute_of_day;      /* 0-1439: hour * 60 + minute, local */
    int utc_offset_minutes; /* local - UTC, DST included (truncated: old LMT offsets had seconds) */
} oi_tz_local_t;

/* true when zone is a zone id as above. Thread-safe; touches no cache. */
bool oi_tz_valid(const char *zone);

/* The wall-clock time in zone at unix_ms (ms since the epoch, UTC) into *out. false, with *out
 * untouched, when zone is not valid, out is NULL or unix_ms is outside ICU's range (about
 * ±180 million years). Thread-safe. */
bool oi_tz_local(const char *zone, int64_t unix_ms, oi_tz_local_t *out);

/* The UTC minute of unix_ms (floor of unix_ms / 60000) into *minute, when ICU takes the instant
 * (|unix_ms| < 2^53 ms); false otherwise. Every instant of one UTC minute has the same local
 * minute and date in every zone (offsets are whole minutes and change on minute boundaries), so
 * an answer that depends only on those can be kept for the minute. */
bool oi_tz_minute(int64_t unix_ms, int64_t *minute);

/* Closes the cached calendars. For a clean exit under leak checkers; only once no other thread
 * calls oi_tz_*; a later oi_tz_local reopens what it needs. */
void oi_tz_shutdown(void);

#endif
