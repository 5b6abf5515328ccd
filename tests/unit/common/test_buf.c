#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "oi/buf.h"
#include "oi/clock.h"

TestSuite(buf);

Test(buf, appends_until_the_ceiling_and_then_refuses)
{
    oi_buf_t b;
    oi_buf_init(&b, 10);
    cr_assert_eq(oi_buf_appends(&b, "hello"), OI_OK);
    cr_assert_eq(oi_buf_printf(&b, "%d", 1234), OI_OK);
    cr_assert_str_eq(b.data, "hello1234");
    cr_assert_eq(oi_buf_appends(&b, "xx"), OI_PAYLOAD_TOO_LARGE);
    cr_assert_str_eq(b.data, "hello1234");
    size_t len;
    char *s = oi_buf_steal(&b, &len);
    cr_assert_eq(len, 9);
    free(s);
    cr_assert_null(b.data);
    oi_buf_cleanup(&b);
}

Test(clock, formats_rfc3339_utc_seconds)
{
    char out[32];
    oi_clock_rfc3339(1795341600000LL, out, sizeof out);
    cr_assert_str_eq(out, "2026-11-22T10:00:00Z");
    cr_assert(oi_clock_pg_to_rfc3339("2026-11-22 10:00:00.123456+00", out, sizeof out));
    cr_assert_str_eq(out, "2026-11-22T10:00:00Z");
    cr_assert_not(oi_clock_pg_to_rfc3339("garbage", out, sizeof out));
    cr_assert(oi_clock_pg_to_rfc3339("0999-01-02T03:04:05+00", out, sizeof out));
    cr_assert_str_eq(out, "0999-01-02T03:04:05Z");
    const char *bad[] = {"2026-11-22 10:00:0", "2026-11-22 10:00", "2026/11/22 10:00:00", "2026-11-22_10:00:00",
                         "12026-11-22 10:00:00", "2026-1a-22 10:00:00", "", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(oi_clock_pg_to_rfc3339(bad[i], out, sizeof out), "%s", bad[i] ? bad[i] : "NULL");
    cr_expect_not(oi_clock_pg_to_rfc3339("2026-11-22 10:00:00+00", out, 20), "no room for the answer");
}
