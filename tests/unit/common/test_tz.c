#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "oi/rfc3339.h"
#include "oi/tz.h"

static void shutdown_tz(void) { oi_tz_shutdown(); }

TestSuite(tz, .fini = shutdown_tz);

static int64_t at(const char *rfc3339)
{
    int64_t ms = 0;
    cr_assert(oi_rfc3339_parse(rfc3339, &ms), "%s", rfc3339);
    return ms;
}

static oi_tz_local_t local(const char *zone, const char *rfc3339)
{
    oi_tz_local_t t;
    cr_assert(oi_tz_local(zone, at(rfc3339), &t), "%s at %s", zone, rfc3339);
    return t;
}

static void expect(oi_tz_local_t t, int hh, int mm, int offset)
{
    cr_assert_eq(t.minute_of_day, hh * 60 + mm, "minute_of_day %d", t.minute_of_day);
    cr_assert_eq(t.utc_offset_minutes, offset, "offset %d", t.utc_offset_minutes);
}

Test(tz, knows_iana_zones)
{
    /* EST5EDT is an IANA zone (the northamerica file), so it is accepted */
    static const char *good[] = {"America/New_York", "Europe/London", "UTC",       "Etc/UTC",
                                 "Asia/Kolkata",     "US/Eastern",    "Etc/GMT+5", "EST5EDT"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_assert(oi_tz_valid(good[i]), "%s", good[i]);
}

Test(tz, accepts_icu_legacy_aliases_as_documented)
{
    /* not IANA ids, but ICU system ids mapped to IANA zones (oi/tz.h says so) */
    cr_assert(oi_tz_valid("PST"));
    expect(local("PST", "2026-01-01T12:00:00Z"), 4, 0, -480);
}

Test(tz, refuses_unknown_and_custom_ids)
{
    static const char *bad[] = {"",
                                "Mars/Base",
                                "GMT+05:00",
                                "GMT+5",
                                "Etc/Unknown",
                                "utc",
                                "america/new_york",
                                "America/New_York ",
                                " UTC",
                                "Europe/Lon don",
                                "Europe/London\n",
                                "../../etc/passwd",
                                "Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        oi_tz_local_t t = {.year = 7};
        cr_assert_not(oi_tz_valid(bad[i]), "%s", bad[i]);
        cr_assert_not(oi_tz_local(bad[i], 0, &t), "%s", bad[i]);
        cr_assert_eq(t.year, 7, "%s wrote the output", bad[i]);
    }
    cr_assert_not(oi_tz_valid(NULL));
    cr_assert_not(oi_tz_local(NULL, 0, &(oi_tz_local_t){0}));
    cr_assert_not(oi_tz_local("UTC", 0, NULL));
}

Test(tz, refuses_ids_longer_than_the_maximum)
{
    char id[OI_TZ_ZONE_MAX + 2];
    memset(id, 'A', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    cr_assert_not(oi_tz_valid(id));
    cr_assert_not(oi_tz_local(id, 0, &(oi_tz_local_t){0}));
}

Test(tz, new_york_springs_forward_at_seven_utc)
{
    oi_tz_local_t before = local("America/New_York", "2026-03-08T06:59:00Z");
    expect(before, 1, 59, -300); /* 01:59 EST */
    cr_assert_eq(before.day, 8);
    cr_assert_eq(before.weekday, 6);                                       /* Sunday */
    expect(local("America/New_York", "2026-03-08T07:00:00Z"), 3, 0, -240); /* 03:00 EDT */
}

Test(tz, new_york_falls_back_at_six_utc)
{
    expect(local("America/New_York", "2026-11-01T05:59:00Z"), 1, 59, -240); /* 01:59 EDT */
    expect(local("America/New_York", "2026-11-01T06:00:00Z"), 1, 0, -300);  /* 01:00 EST */
}

Test(tz, london_changes_at_one_utc)
{
    expect(local("Europe/London", "2026-03-29T00:59:00Z"), 0, 59, 0);
    expect(local("Europe/London", "2026-03-29T01:00:00Z"), 2, 0, 60);
    expect(local("Europe/London", "2026-10-25T00:59:00Z"), 1, 59, 60);
    expect(local("Europe/London", "2026-10-25T01:00:00Z"), 1, 0, 0);
}

Test(tz, date_and_weekday_follow_the_zone_not_utc)
{
    oi_tz_local_t utc = local("UTC", "2026-01-01T03:00:00Z");
    cr_assert_eq(utc.year, 2026);
    cr_assert_eq(utc.month, 1);
    cr_assert_eq(utc.day, 1);
    cr_assert_eq(utc.weekday, 3); /* Thursday */
    expect(utc, 3, 0, 0);

    oi_tz_local_t ny = local("America/New_York", "2026-01-01T03:00:00Z");
    cr_assert_eq(ny.year, 2025);
    cr_assert_eq(ny.month, 12);
    cr_assert_eq(ny.day, 31);
    cr_assert_eq(ny.weekday, 2); /* Wednesday */
    expect(ny, 22, 0, -300);

    oi_tz_local_t tokyo = local("Asia/Tokyo", "2025-12-31T16:30:00Z");
    cr_assert_eq(tokyo.year, 2026);
    cr_assert_eq(tokyo.day, 1);
    cr_assert_eq(tokyo.weekday, 3);
    expect(tokyo, 1, 30, 540);

    expect(local("Asia/Kolkata", "2026-01-01T00:00:00Z"), 5, 30, 330);
}

Test(tz, many_zones_outgrow_the_cache_and_still_answer)
{
    static const char *zones[] = {
        "America/New_York",
        "Europe/London",
        "Asia/Tokyo",
        "Australia/Sydney",
        "Europe/Paris",
        "Europe/Berlin",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Toronto",
        "Asia/Kolkata",
        "Asia/Shanghai",
        "Africa/Cairo",
        "Africa/Lagos",
        "Pacific/Auckland",
        "America/Sao_Paulo",
        "Europe/Madrid",
        "Asia/Dubai",
        "UTC",
        "Pacific/Kiritimati",
    };
    _Static_assert(sizeof zones / sizeof zones[0] > OI_TZ_CACHE_SLOTS, "must overflow");
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
            oi_tz_local_t t;
            cr_assert(oi_tz_local(zones[i], at("2026-06-01T12:00:00Z"), &t), "%s", zones[i]);
        }
    }
    expect(local("Pacific/Kiritimati", "2026-06-01T12:00:00Z"), 2, 0, 840);
    expect(local("Australia/Sydney", "2026-06-01T12:00:00Z"), 22, 0, 600);
    oi_tz_shutdown(); /* empties the table; the next call reopens */
    expect(local("Australia/Sydney", "2026-06-01T12:00:00Z"), 22, 0, 600);
}

static void *hammer(void *arg)
{
    const char *zone = arg;
    for (int i = 0; i < 2000; i++) {
        oi_tz_local_t t;
        if (!oi_tz_local(zone, 1772953140000 + (int64_t)i * 60000, &t))
            return (void *)1;
    }
    return NULL;
}

Test(tz, threads_share_the_cache)
{
    static const char *zones[] = {"America/New_York", "Europe/London", "Asia/Tokyo", "UTC"};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, hammer, (void *)zones[i]), 0);
    for (int i = 0; i < 4; i++) {
        void *rc;
        pthread_join(th[i], &rc);
        cr_assert_null(rc, "%s", zones[i]);
    }
}

Test(tz, refuses_instants_beyond_icu_range)
{
    oi_tz_local_t t = {.year = 7};
    cr_assert_not(oi_tz_local("UTC", INT64_MAX, &t));
    cr_assert_not(oi_tz_local("UTC", INT64_MIN, &t));
    cr_assert_eq(t.year, 7);
}
