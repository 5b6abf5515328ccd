/* periodic.c: rounds of background work on a loop timer (oi/periodic.h). */
#include "oi/periodic.h"

#include <stdlib.h>

#include "oi/mem.h"

struct oi_periodic {
    uv_timer_t timer;
    uint64_t interval_ms;
    oi_periodic_round_fn round;
    void *ud;
    void (*on_closed)(void *ud);
    bool busy, closing;
};

static void on_timer_closed(uv_handle_t *h)
{
    oi_periodic_t *p = h->data;
    if (p->on_closed)
        p->on_closed(p->ud);
    free(p);
}

static void maybe_close(oi_periodic_t *p)
{
    if (p->closing && !p->busy)
        uv_close((uv_handle_t *)&p->timer, on_timer_closed);
}

static void on_tick(uv_timer_t *t)
{
    oi_periodic_t *p = t->data;
    if (p->busy || p->closing)
        return;
    p->busy = true;
    p->round(p, p->ud);
}

oi_periodic_t *oi_periodic_new(uv_loop_t *loop, uint64_t interval_ms, oi_periodic_round_fn round, void *ud)
{
    oi_periodic_t *p = oi_xcalloc(1, sizeof *p);
    p->interval_ms = interval_ms;
    p->round = round;
    p->ud = ud;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, on_tick, interval_ms, interval_ms);
    return p;
}

void oi_periodic_done(oi_periodic_t *p, bool again)
{
    p->busy = false;
    if (p->closing) {
        maybe_close(p);
        return;
    }
    if (again)
        uv_timer_start(&p->timer, on_tick, 0, p->interval_ms);
}

void oi_periodic_close(oi_periodic_t **self_p, void (*on_closed)(void *ud))
{
    if (!self_p || !*self_p)
        return;
    oi_periodic_t *p = *self_p;
    *self_p = NULL;
    uv_timer_stop(&p->timer);
    p->on_closed = on_closed;
    p->closing = true;
    maybe_close(p);
}
