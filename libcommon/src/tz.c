/* tz.c: zone ids and local time through ICU's C calendar API.
 *
 * ucal_open parses the zone's rules out of ICU's data and allocates a calendar; routing asks
 * for local time on every call, so each opened calendar is kept in a small table keyed by the
 * id the caller gave. A UCalendar is not safe to share between threads (setMillis then get
 * mutates it), so the table and every use of its calendars sit behind one mutex: the critical
 * section is a setMillis and seven field reads (one field computation), so contention stays low.
 * When the table is full the slot after the last one filled is reused (round robin): the
 * policy uses a handful of zones, and a reopen is only a few tens of microseconds. */
#include "oi/tz.h"

#include <pthread.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#define ZONE_UCHARS (OI_TZ_ZONE_MAX + 1)

typedef struct {
    char zone[OI_TZ_ZONE_MAX + 1]; /* "" when the slot is free */
    UCalendar *cal;                /* owned; closed on eviction and in oi_tz_shutdown */
} slot_t;

static struct {
    pthread_mutex_t lock;
    slot_t slots[OI_TZ_CACHE_SLOTS];
    int next; /* the slot a miss fills when none is free */
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* IANA ids use letters, digits and "/_+-" only; anything else (":" of "GMT+05:00", spaces,
 * non-ASCII) is refused before ICU sees it, and ASCII converts to UChar one to one. */
static bool zone_text_ok(const char *zone, size_t *len)
{
    if (!zone)
        return false;
    size_t n = strnlen(zone, OI_TZ_ZONE_MAX + 1);
    if (n == 0 || n > OI_TZ_ZONE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = zone[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '/' || c == '_' || c == '+' || c == '-';
        if (!ok)
            return false;
    }
    *len = n;
    return true;
}

/* ICU answers for custom ids ("GMT+5") and "Etc/Unknown" too, but not as system ids. */
static bool zone_known(const UChar *id, int32_t len)
{
    UChar canonical[ZONE_UCHARS * 2];
    UBool system = false;
    UErrorCode st = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(id, len, canonical, ZONE_UCHARS * 2, &system, &st);
    return U_SUCCESS(st) && system;
}

bool oi_tz_valid(const char *zone)
{
    size_t len;
    if (!zone_text_ok(zone, &len))
        return false;
    UChar id[ZONE_UCHARS];
    u_charsToUChars(zone, id, (int32_t)len);
    return zone_known(id, (int32_t)len);
}

/* A Gregorian calendar for a valid zone, or NULL. Strict, so out-of-range instants fail
 * instead of being clamped; proleptic, to agree with oi_rfc3339_parse before 1582. */
static UCalendar *calendar_open(const char *zone, size_t len)
{
    UChar id[ZONE_UCHARS];
    u_charsToUChars(zone, id, (int32_t)len);
    if (!zone_known(id, (int32_t)len))
        return NULL;
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(id, (int32_t)len, "", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st))
        return NULL;
    ucal_setAttribute(cal, UCAL_LENIENT, 0);
    ucal_setGregorianChange(cal, U_DATE_MIN, &st);
    if (U_FAILURE(st)) {
        ucal_close(cal);
        return NULL;
    }
    return cal;
}

/* Under cache.lock: the cached calendar for zone, opening it on a miss; NULL if invalid. */
static UCalendar *cache_get(const char *zone, size_t len)
{
    int free_slot = -1;
    for (int i = 0; i < OI_TZ_CACHE_SLOTS; i++) {
        if (cache.slots[i].zone[0] == '\0') {
            if (free_slot < 0)
                free_slot = i;
        } else if (strcmp(cache.slots[i].zone, zone) == 0) {
            return cache.slots[i].cal;
        }
    }
    UCalendar *cal = calendar_open(zone, len);
    if (!cal)
        return NULL;
    int i = free_slot;
    if (i < 0) {
        i = cache.next;
        cache.next = (cache.next + 1) % OI_TZ_CACHE_SLOTS;
        ucal_close(cache.slots[i].cal);
    }
    memcpy(cache.slots[i].zone, zone, len + 1);
    cache.slots[i].cal = cal;
    return cal;
}

static bool local_fields(UCalendar *cal, int64_t unix_ms, oi_tz_local_t *out)
{
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)unix_ms, &st);
    int dow = ucal_get(cal, UCAL_DAY_OF_WEEK, &st); /* 1 = Sunday … 7 = Saturday */
    int minute = ucal_get(cal, UCAL_HOUR_OF_DAY, &st) * 60 + ucal_get(cal, UCAL_MINUTE, &st);
    oi_tz_local_t t = {
        .year = ucal_get(cal, UCAL_EXTENDED_YEAR, &st),
        .month = ucal_get(cal, UCAL_MONTH, &st) + 1,
        .day = ucal_get(cal, UCAL_DATE, &st),
        .weekday = (dow + 5) % 7,
        .minute_of_day = minute,
        .utc_offset_minutes =
            (ucal_get(cal, UCAL_ZONE_OFFSET, &st) + ucal_get(cal, UCAL_DST_OFFSET, &st)) / 60000,
    };
    if (U_FAILURE(st))
        return false;
    *out = t;
    return true;
}

/* The last answer per thread: every instant of one UTC minute has the same local minute (zones
 * have whole-minute offsets today, and change them on minute boundaries), and a routing hot
 * path asks for the same zone and minute over and over. It skips the lock and ICU. */
static _Thread_local struct {
    char zone[OI_TZ_ZONE_MAX + 1];
    int64_t minute;
    oi_tz_local_t local;
} last;

bool oi_tz_minute(int64_t unix_ms, int64_t *minute)
{
    if (unix_ms <= -(INT64_C(1) << 53) || unix_ms >= (INT64_C(1) << 53)) /* ICU refuses it */
        return false;
    *minute = unix_ms >= 0 ? unix_ms / 60000 : (unix_ms - 59999) / 60000;
    return true;
}

bool oi_tz_local(const char *zone, int64_t unix_ms, oi_tz_local_t *out)
{
    size_t len;
    if (!out || !zone_text_ok(zone, &len))
        return false;
    int64_t minute = 0;
    bool memo = oi_tz_minute(unix_ms, &minute);
    if (memo && last.zone[0] && last.minute == minute && strcmp(last.zone, zone) == 0) {
        *out = last.local;
        return true;
    }
    pthread_mutex_lock(&cache.lock);
    UCalendar *cal = cache_get(zone, len);
    bool ok = cal && local_fields(cal, memo ? minute * 60000 : unix_ms, out);
    pthread_mutex_unlock(&cache.lock);
    if (ok && memo) {
        memcpy(last.zone, zone, len + 1);
        last.minute = minute;
        last.local = *out;
    }
    return ok;
}

void oi_tz_shutdown(void)
{
    pthread_mutex_lock(&cache.lock);
    for (int i = 0; i < OI_TZ_CACHE_SLOTS; i++) {
        ucal_close(cache.slots[i].cal);
        cache.slots[i].cal = NULL;
        cache.slots[i].zone[0] = '\0';
    }
    cache.next = 0;
    pthread_mutex_unlock(&cache.lock);
}
