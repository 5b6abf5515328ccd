/* oi/rfc3339.h: strict RFC 3339 date-time text to unix milliseconds (pure C, no locale, no TZ).
 *
 * Accepted, exactly RFC 3339 §5.6 `date-time` and nothing around it:
 *   YYYY-MM-DD "T" hh:mm:ss [ "." 1-9 digits ] ( "Z" | ("+"/"-") hh:mm )
 * - Every field is range-checked: month 01-12, day within its month (Feb 29 only in Gregorian
 *   leap years, proleptic before 1582), hour 00-23, minute 00-59, second 00-59, offset hour
 *   00-23 and minute 00-59 (the grammar's range: +14:00 and +23:59 pass, +24:00 does not).
 * - "t" and "z" in lower case are accepted: RFC 3339 §5.6 allows them (ABNF is
 *   case-insensitive). A space instead of "T" is not (only an application-chosen variant).
 * - Second 60 is rejected: unix time has no leap seconds, so no instant would be right.
 * - More than 9 fraction digits is rejected; digits past the millisecond are dropped (floor).
 * - "-00:00" (offset unknown, §4.3) is the same instant as "Z".
 * - Nothing else: no leading or trailing space, no missing offset, no year outside 0000-9999. */
#ifndef OI_RFC3339_H
#define OI_RFC3339_H

#include <stdbool.h>
#include <stdint.h>

/* Parses s into *unix_ms (ms since 1970-01-01T00:00:00Z). false, with *unix_ms untouched, when s
 * or unix_ms is NULL or s is not a date-time as above. Thread-safe; allocates nothing. */
bool oi_rfc3339_parse(const char *s, int64_t *unix_ms);

#endif
