/* test_linger.c: when the rows of a busy moment wait for others (oi/linger.h). */
#include <criterion/criterion.h>

#include "oi/linger.h"

Test(linger, a_quiet_moment_never_waits)
{
    oi_linger_t l = {.ms = 2, .rows = 20};
    cr_assert_not(oi_linger_hold(&l, 1), "nothing was sent yet");
    oi_linger_sent(&l, 9);
    cr_assert_not(oi_linger_hold(&l, 3), "9 rows of 20 is no busy moment");
    oi_linger_t off = {.ms = 0, .rows = 20, .last = 20};
    cr_assert_not(oi_linger_hold(&off, 3));
}

Test(linger, after_a_big_batch_rows_wait_until_enough_came)
{
    oi_linger_t l = {.ms = 2, .rows = 20};
    oi_linger_sent(&l, 10);
    cr_assert(oi_linger_hold(&l, 4));
    cr_assert_eq(l.held, 4);
    cr_assert(oi_linger_hold(&l, 12), "still fewer than rows");
    cr_assert_eq(l.held, 4, "the wait began with 4");
    cr_assert_not(oi_linger_hold(&l, 20), "rows end the wait");
    oi_linger_sent(&l, 20);
    cr_assert_eq(l.held, 0);
    cr_assert_not(oi_linger_hold(&l, 25), "more than rows go at once");
    cr_assert_not(oi_linger_hold(&l, 0), "nothing to hold");
    oi_linger_sent(&l, 3); /* a wait ran out with 3: the moment is quiet again */
    cr_assert_not(oi_linger_hold(&l, 2));
}
