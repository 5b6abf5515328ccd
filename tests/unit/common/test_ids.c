#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oi/ids.h"

TestSuite(ids);

Test(ids, new_uuid_is_valid_and_lowercase)
{
    char u[37];
    oi_uuid_new(u);
    cr_assert_eq(strlen(u), 36);
    cr_assert(oi_uuid_valid(u));
    for (int i = 0; u[i]; i++)
        cr_assert(!(u[i] >= 'A' && u[i] <= 'F'));
}

Test(ids, normalizes_upper_and_simple_forms)
{
    char out[37];
    cr_assert(oi_uuid_normalize("3C90C3CC-0D44-4B50-8888-8DD25736052A", out));
    cr_assert_str_eq(out, "3c90c3cc-0d44-4b50-8888-8dd25736052a");
    cr_assert(oi_uuid_normalize("3c90c3cc0d444b5088888dd25736052a", out));
    cr_assert_str_eq(out, "3c90c3cc-0d44-4b50-8888-8dd25736052a");
}

Test(ids, rejects_malformed)
{
    cr_assert_not(oi_uuid_valid("<string>"));
    cr_assert_not(oi_uuid_valid("agt_abc123"));
    cr_assert_not(oi_uuid_valid("3c90c3cc-0d44-4b50-8888-8dd25736052"));
    cr_assert_not(oi_uuid_valid("3c90c3cc-0d44-4b50-8888-8dd25736052g"));
    cr_assert_not(oi_uuid_valid("3c90c3cc0-d44-4b50-8888-8dd25736052a"));
    cr_assert_not(oi_uuid_valid(NULL));
}

Test(ids, request_ids_differ)
{
    char a[32], b[32];
    oi_request_id_new(a);
    oi_request_id_new(b);
    cr_assert_str_neq(a, b);
    cr_assert_eq(strncmp(a, "req_", 4), 0);
}

Test(ids, uuids_are_version_4_and_never_repeat_across_pool_refills)
{
    enum { N = 2000 }; /* several refills of the per-thread pool */
    static char seen[N][37];
    for (int i = 0; i < N; i++) {
        oi_uuid_new(seen[i]);
        cr_assert_eq(seen[i][14], '4', "%s", seen[i]);
        cr_assert(strchr("89ab", seen[i][19]) != NULL, "%s", seen[i]);
    }
    for (int i = 0; i < N; i++)
        for (int k = i + 1; k < N; k++)
            cr_assert_str_neq(seen[i], seen[k]);
}

Test(ids, time_ordered_uuids_carry_the_time_and_sort_by_it)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long before = (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
    char a[37], b[37];
    oi_uuid7_new(a);
    struct timespec pause = {0, 2 * 1000 * 1000};
    nanosleep(&pause, NULL);
    oi_uuid7_new(b);
    cr_assert(oi_uuid_valid(a) && oi_uuid_valid(b));
    cr_assert_eq(a[14], '7', "%s", a);
    cr_assert(strchr("89ab", a[19]) != NULL, "%s", a);
    char hex[13] = {0};
    memcpy(hex, a, 8);
    memcpy(hex + 8, a + 9, 4);
    unsigned long long ms = strtoull(hex, NULL, 16);
    cr_assert(ms >= before && ms < before + 1000, "%llu vs %llu", ms, before);
    cr_assert_lt(strcmp(a, b), 0, "%s then %s", a, b); /* a later millisecond sorts after */
    cr_assert_str_neq(a + 15, b + 15);
}

Test(ids, a_forked_child_draws_other_bytes_than_its_parent)
{
    unsigned char warm[8];
    oi_random_bytes(warm, sizeof warm); /* the parent's pool is filled */
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        unsigned char b[32];
        oi_random_bytes(b, sizeof b);
        ssize_t w = write(fds[1], b, sizeof b);
        _exit(w == (ssize_t)sizeof b ? 0 : 1);
    }
    unsigned char mine[32], child[32];
    oi_random_bytes(mine, sizeof mine);
    cr_assert_eq(read(fds[0], child, sizeof child), (ssize_t)sizeof child);
    int st = 0;
    waitpid(pid, &st, 0);
    cr_assert_neq(memcmp(mine, child, sizeof mine), 0, "parent and child handed out the same bytes");
}
