/* rfc3339.c: RFC 3339 date-time → unix ms, by hand rather than strptime/timegm: those follow the
 * locale and TZ, accept spaces and out-of-range fields (timegm normalises Feb 30 to Mar 2), and
 * know no offsets; a routing rule with a typo must be refused, not moved to another day. */
#include "oi/rfc3339.h"

#include <stddef.h>

#define FRACTION_DIGITS_MAX 9

typedef struct {
    int year, month, day, hour, minute, second, millis;
    int offset_minutes; /* east of UTC */
} stamp_t;

/* n decimal digits at *p into *out; advances *p past them. */
static bool take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* upper or lower case of one letter, or exactly c for punctuation */
static bool take_char(const char **p, char c)
{
    char got = **p;
    bool lower_ok = c >= 'A' && c <= 'Z' && got == c - 'A' + 'a';
    if (got != c && !lower_ok)
        return false;
    (*p)++;
    return true;
}

static bool is_leap(int y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* full-date "YYYY-MM-DD" */
static bool take_date(const char **p, stamp_t *t)
{
    if (!take_digits(p, 4, &t->year) || !take_char(p, '-') || !take_digits(p, 2, &t->month) ||
        !take_char(p, '-') || !take_digits(p, 2, &t->day))
        return false;
    return t->month >= 1 && t->month <= 12 && t->day >= 1 &&
           t->day <= days_in_month(t->year, t->month);
}

/* ".d…" (optional): keeps milliseconds, drops the rest */
static bool take_fraction(const char **p, stamp_t *t)
{
    t->millis = 0;
    if (**p != '.')
        return true;
    (*p)++;
    int n = 0;
    for (; (*p)[0] >= '0' && (*p)[0] <= '9'; (*p)++, n++) {
        if (n < 3)
            t->millis = t->millis * 10 + ((*p)[0] - '0');
    }
    for (int i = n; i < 3; i++)
        t->millis *= 10;
    return n >= 1 && n <= FRACTION_DIGITS_MAX;
}

/* partial-time "hh:mm:ss[.f]" */
static bool take_time(const char **p, stamp_t *t)
{
    if (!take_digits(p, 2, &t->hour) || !take_char(p, ':') || !take_digits(p, 2, &t->minute) ||
        !take_char(p, ':') || !take_digits(p, 2, &t->second) || !take_fraction(p, t))
        return false;
    return t->hour <= 23 && t->minute <= 59 && t->second <= 59;
}

/* time-offset "Z" | ("+"/"-") hh:mm */
static bool take_offset(const char **p, stamp_t *t)
{
    if (take_char(p, 'Z')) {
        t->offset_minutes = 0;
        return true;
    }
    char sign = **p;
    if (sign != '+' && sign != '-')
        return false;
    (*p)++;
    int h, m;
    if (!take_digits(p, 2, &h) || !take_char(p, ':') || !take_digits(p, 2, &m))
        return false;
    if (h > 23 || m > 59)
        return false;
    t->offset_minutes = (sign == '-' ? -1 : 1) * (h * 60 + m);
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool oi_rfc3339_parse(const char *s, int64_t *unix_ms)
{
    if (!s || !unix_ms)
        return false;
    stamp_t t;
    const char *p = s;
    if (!take_date(&p, &t) || !take_char(&p, 'T') || !take_time(&p, &t) || !take_offset(&p, &t))
        return false;
    if (*p != '\0')
        return false; /* trailing garbage */
    int64_t secs = days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 +
                   t.second - (int64_t)t.offset_minutes * 60;
    *unix_ms = secs * 1000 + t.millis;
    return true;
}
