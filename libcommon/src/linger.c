/* linger.c: the waiting rule of oi/linger.h. */
#include "oi/linger.h"

bool oi_linger_hold(oi_linger_t *l, size_t pending)
{
    if (l->held)
        return pending < l->rows;
    if (l->ms == 0 || pending == 0 || pending >= l->rows || l->last * 2 < l->rows)
        return false;
    l->held = pending;
    return true;
}

void oi_linger_sent(oi_linger_t *l, size_t n)
{
    l->held = 0;
    l->last = n;
}
