#include <criterion/criterion.h>

#include "oi/rfc3339.h"

TestSuite(rfc3339);

typedef struct {
    const char *text;
    int64_t unix_ms;
} good_t;

/* expected values from Python's datetime (timestamp() * 1000) */
static const good_t good[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"2026-03-08T06:59:00Z", 1772953140000},
    {"2026-03-08T01:59:00-05:00", 1772953140000},
    {"2026-03-08T12:29:00+05:30", 1772953140000},
    {"2026-03-08T06:59:00-00:00", 1772953140000}, /* unknown offset: same instant as Z */
    {"2026-03-08T06:59:00.5Z", 1772953140500},
    {"2026-03-08T06:59:00.123Z", 1772953140123},
    {"2026-03-08T06:59:00.123999999Z", 1772953140123}, /* past the millisecond: dropped */
    {"2026-03-08t06:59:00z", 1772953140000},           /* RFC 3339 §5.6 allows lower case */
    {"2028-02-29T00:00:00Z", 1835395200000},           /* 2028 is a leap year */
    {"2000-02-29T00:00:00Z", 951782400000},            /* so is 2000 (400) */
    {"1969-12-31T23:59:59.999Z", -1},
    {"2026-01-01T00:00:00+14:00", 1767175200000}, /* Kiribati, the easternmost */
    {"2026-01-01T00:00:00-12:00", 1767268800000},
    {"2026-01-01T00:00:00+23:59", 1767139260000}, /* the grammar's widest offset */
    {"0000-01-01T00:00:00Z", -62167219200000},
    {"9999-12-31T23:59:59Z", 253402300799000},
};

Test(rfc3339, accepts_valid_date_times)
{
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t ms = 42;
        cr_assert(oi_rfc3339_parse(good[i].text, &ms), "%s", good[i].text);
        cr_assert_eq(ms, good[i].unix_ms, "%s: %lld", good[i].text, (long long)ms);
    }
}

Test(rfc3339, rejects_everything_else)
{
    static const char *bad[] = {
        "",
        "2026-13-01T00:00:00Z", /* month 13 */
        "2026-00-01T00:00:00Z", /* month 0 */
        "2026-02-30T00:00:00Z", /* Feb 30 */
        "2027-02-29T00:00:00Z", /* 2027 is not a leap year */
        "1900-02-29T00:00:00Z", /* nor is 1900 (100, not 400) */
        "2026-04-31T00:00:00Z", /* April has 30 days */
        "2026-01-00T00:00:00Z", /* day 0 */
        "2026-01-32T00:00:00Z",
        "2026-01-01T24:00:00Z", /* hour 24 */
        "2026-01-01T00:60:00Z",
        "2026-12-31T23:59:60Z",     /* leap second: not in unix time */
        "2026-03-08T06:59:00",      /* no offset */
        "2026-03-08",               /* date only */
        "2026-03-08T06:59Z",        /* no seconds */
        "2026-03-08 06:59:00Z",     /* space for T */
        "2026-03-08T06:59:00Zjunk", /* trailing garbage */
        "2026-03-08T06:59:00Z ",    /* trailing space */
        "2026-03-08T06:59:00Z\n",
        " 2026-03-08T06:59:00Z",     /* leading space */
        "2026-03-08T06:59:00+24:00", /* offset hour 24 */
        "2026-03-08T06:59:00+05:60", /* offset minute 60 */
        "2026-03-08T06:59:00+0500",  /* offset without colon */
        "2026-03-08T06:59:00+05",
        "2026-03-08T06:59:00.Z",           /* no fraction digits */
        "2026-03-08T06:59:00.1234567890Z", /* more than 9 */
        "2026-03-08T06:59:00,5Z",          /* comma fraction (ISO 8601, not RFC 3339) */
        "26-03-08T06:59:00Z",              /* two-digit year */
        "+2026-03-08T06:59:00Z",
        "20260308T065900Z",  /* ISO 8601 basic format */
        "2026-3-8T6:59:00Z", /* unpadded */
        "2026-03-08T06:59:00UTC",
        "2026-03-08T06:59:00x",
        "2026-03-08T06:59:0\x01Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        cr_assert_not(oi_rfc3339_parse(bad[i], &ms), "accepted %s", bad[i]);
        cr_assert_eq(ms, 42, "%s changed the output", bad[i]);
    }
}

Test(rfc3339, rejects_null)
{
    int64_t ms = 0;
    cr_assert_not(oi_rfc3339_parse(NULL, &ms));
    cr_assert_not(oi_rfc3339_parse("2026-03-08T06:59:00Z", NULL));
}
