/* test_cursor.c: keyset cursor encode/decode. */
#include <criterion/criterion.h>
#include <string.h>

#include "cursor.h"

TestSuite(cursor);

#define ID "0f8fad5b-d9cb-469f-a165-70867728950e"

Test(cursor, round_trips)
{
    char c[DSP_CURSOR_MAX];
    cr_assert(dsp_cursor_encode(1795000000123456, ID, c, sizeof c));
    cr_expect_null(strpbrk(c, "+/="), "URL-safe, no padding: %s", c);
    int64_t us = 0;
    char id[37];
    cr_assert_eq(dsp_cursor_decode(c, &us, id, NULL), OI_OK);
    cr_expect_eq(us, 1795000000123456);
    cr_expect_str_eq(id, ID);
}

Test(cursor, encode_normalises_and_refuses_bad_input)
{
    char c[DSP_CURSOR_MAX];
    cr_expect(dsp_cursor_encode(0, "0F8FAD5B-D9CB-469F-A165-70867728950E", c, sizeof c));
    cr_expect_not(dsp_cursor_encode(1, "not-a-uuid", c, sizeof c));
    cr_expect_not(dsp_cursor_encode(-1, ID, c, sizeof c));
    cr_expect_not(dsp_cursor_encode(1, ID, c, 10));
}

Test(cursor, decode_rejects_garbage_with_loc_cursor)
{
    const char *bad[] = {"", "!!!", "abc", "MTIzOm5vdC1hLXV1aWQ", /* 123:not-a-uuid */
                         "eDoxMjM", /* x:123 */
                         "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OjBmOGZhZDViLWQ5Y2ItNDY5Zi1hMTY1LTcwODY3NzI4OTUwZQ", NULL};
    for (int i = 0; bad[i]; i++) {
        oi_error_t err;
        oi_error_init(&err);
        int64_t us;
        char id[37];
        cr_expect_eq(dsp_cursor_decode(bad[i], &us, id, &err), OI_INVALID, "%s", bad[i]);
        cr_expect_str_eq(err.loc, "cursor");
    }
    char longc[300];
    memset(longc, 'A', sizeof longc - 1);
    longc[sizeof longc - 1] = '\0';
    int64_t us;
    char id[37];
    cr_expect_eq(dsp_cursor_decode(longc, &us, id, NULL), OI_INVALID);
    cr_expect_eq(dsp_cursor_decode(NULL, &us, id, NULL), OI_INVALID);
}
