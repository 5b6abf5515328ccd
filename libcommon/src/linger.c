/* linger.c: the waiting rule of oi/linger.h. */
#include "oi/linger.h"

bool oi_linger_hold(oi_linger_t *l, size_t pending, uint64_t now_ms)
{
    if (l->held)
        return pending < l->rows;
    if (l->ms == 0 || pending == 0 || pending >= l->rows || l->last * 2 < l->rows || now_ms < l->quiet_until)
        return false;
    l->held = pending;
    return true;
}

void oi_linger_sent(oi_linger_t *l, size_t n, bool timed_out, uint64_t now_ms)
{
    /* worth it: it gained half of what it waited for (rows - held) */
    if (timed_out && l->held && l->held < l->rows && n - l->held < (l->rows - l->held + 1) / 2)
        l->quiet_until = now_ms + OI_LINGER_QUIET_MS;
    l->held = 0;
    l->last = n;
}
