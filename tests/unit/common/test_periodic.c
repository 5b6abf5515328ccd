#include <criterion/criterion.h>
#include <stdlib.h>
#include <uv.h>

#include "oi/periodic.h"

typedef struct {
    int rounds, closed, again_left;
    oi_periodic_t *p;
    bool close_while_busy;
} state_t;

static void on_closed(void *ud) { ((state_t *)ud)->closed++; }

static oi_periodic_t *busy_one;

static void round_fn(oi_periodic_t *p, void *ud)
{
    state_t *s = ud;
    s->rounds++;
    if (s->close_while_busy) {
        busy_one = p;
        oi_periodic_close(&s->p, on_closed); /* closing during the round: freed only after done */
        cr_assert_eq(s->closed, 0);
        oi_periodic_done(busy_one, true);
        return;
    }
    bool again = s->again_left-- > 0;
    oi_periodic_done(p, again);
    if (!again && s->rounds >= 4)
        oi_periodic_close(&s->p, on_closed);
}

Test(periodic, rounds_again_and_close)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    state_t s = {.again_left = 2};
    s.p = oi_periodic_new(&loop, 5, round_fn, &s);
    uv_run(&loop, UV_RUN_DEFAULT); /* ends once closed: 3 rounds back to back, then on the timer */
    cr_assert_eq(s.rounds, 4);
    cr_assert_eq(s.closed, 1);
    uv_loop_close(&loop);
}

Test(periodic, close_during_a_round_waits_for_it)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    state_t s = {.close_while_busy = true};
    s.p = oi_periodic_new(&loop, 5, round_fn, &s);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(s.rounds, 1);
    cr_assert_eq(s.closed, 1);
    cr_assert_null(s.p);
    uv_loop_close(&loop);
}
