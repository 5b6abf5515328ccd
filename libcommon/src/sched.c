/* sched.c: the service threads' scheduling policy (oi/sched.h). */
#include "oi/sched.h"

#include <errno.h>
#include <sched.h>

int oi_sched_batch(void)
{
    struct sched_param none = {.sched_priority = 0};
    return sched_setscheduler(0, SCHED_BATCH, &none) == 0 ? 0 : errno;
}

int oi_sched_is_batch(void)
{
    int policy = sched_getscheduler(0);
    return policy < 0 ? -1 : policy == SCHED_BATCH;
}
