/* test_sched.c: a service's threads under SCHED_BATCH (oi/sched.h). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>

#include "oi/sched.h"

static void *policy_of_new_thread(void *out)
{
    *(int *)out = oi_sched_is_batch();
    return NULL;
}

static int new_thread_is_batch(void)
{
    int seen = -2;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, policy_of_new_thread, &seen), 0);
    pthread_join(t, NULL);
    return seen;
}

Test(sched, threads_started_afterwards_inherit_the_batch_policy)
{
    struct sched_param none = {.sched_priority = 0};
    cr_assert_eq(sched_setscheduler(0, SCHED_OTHER, &none), 0, "the test starts from the default policy");
    cr_assert_eq(oi_sched_is_batch(), 0);
    cr_assert_eq(new_thread_is_batch(), 0);

    cr_assert_eq(oi_sched_batch(), 0, "no privilege is needed");
    cr_assert_eq(oi_sched_is_batch(), 1);
    cr_assert_eq(new_thread_is_batch(), 1, "a thread started later (ZeroMQ's, libuv's) runs under it too");
    cr_assert_eq(oi_sched_batch(), 0, "asking again changes nothing");
}
