/* test_linger.c: when the rows of a busy moment wait for others (oi/linger.h). */
#include <criterion/criterion.h>

#include "oi/linger.h"

Test(linger, a_quiet_moment_never_waits)
{
    oi_linger_t l = {.ms = 2, .rows = 20};
    cr_assert_not(oi_linger_hold(&l, 1, 0), "nothing was sent yet");
    oi_linger_sent(&l, 9, false, 0);
    cr_assert_not(oi_linger_hold(&l, 3, 0), "9 rows of 20 is no busy moment");
    oi_linger_t off = {.ms = 0, .rows = 20, .last = 20};
    cr_assert_not(oi_linger_hold(&off, 3, 0));
}

Test(linger, after_a_big_batch_rows_wait_until_enough_came)
{
    oi_linger_t l = {.ms = 2, .rows = 20};
    oi_linger_sent(&l, 10, false, 0);
    cr_assert(oi_linger_hold(&l, 4, 0));
    cr_assert_eq(l.held, 4);
    cr_assert(oi_linger_hold(&l, 12, 1), "still fewer than rows");
    cr_assert_eq(l.held, 4, "the wait began with 4");
    cr_assert_not(oi_linger_hold(&l, 20, 1), "rows end the wait");
    oi_linger_sent(&l, 20, false, 1);
    cr_assert_eq(l.held, 0);
    cr_assert_not(oi_linger_hold(&l, 25, 2), "more than rows go at once");
}

Test(linger, a_wait_that_gained_little_is_not_tried_again_for_a_while)
{
    oi_linger_t l = {.ms = 2, .rows = 20, .last = 16};
    cr_assert(oi_linger_hold(&l, 14, 100));
    oi_linger_sent(&l, 16, true, 102); /* ran out: 14 -> 16 of the 6 waited for */
    cr_assert_not(oi_linger_hold(&l, 14, 103));
    cr_assert_not(oi_linger_hold(&l, 14, 102 + OI_LINGER_QUIET_MS - 1));
    cr_assert(oi_linger_hold(&l, 14, 102 + OI_LINGER_QUIET_MS), "tried again after the quiet time");
    oi_linger_sent(&l, 17, true, 400); /* 14 -> 17: half of what it waited for */
    cr_assert(oi_linger_hold(&l, 12, 401));
}
