/* test_redis.c: the libuv hiredis wrapper against a real redis-server on a private port. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "oi/redis.h"

static pid_t server_pid;
static int server_port;

static void server_start(void)
{
    char port[16];
    snprintf(port, sizeof port, "%d", server_port);
    server_pid = fork();
    if (server_pid == 0) {
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--loglevel", "warning", "--enable-debug-command", "yes", (char *)NULL);
        _exit(127);
    }
    usleep(300 * 1000);
}

static void server_stop(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
    }
    server_pid = 0;
}

static void setup(void)
{
    if (system("command -v redis-server >/dev/null 2>&1") != 0)
        cr_skip_test("redis-server is not installed");
    server_port = 20000 + (int)(getpid() % 4000); /* below the ephemeral range (32768+) */
    server_start();
}

TestSuite(redis, .init = setup, .fini = server_stop, .timeout = 30);

typedef struct {
    int calls;
    oi_status_t st;
    char value[64];
    int ups, downs;
} seen_t;

static void on_reply(oi_status_t st, const redisReply *reply, void *ud)
{
    seen_t *s = ud;
    s->calls++;
    s->st = st;
    s->value[0] = 0;
    if (reply && reply->type == REDIS_REPLY_STRING)
        snprintf(s->value, sizeof s->value, "%.*s", (int)reply->len, reply->str);
}

static void on_state(bool up, void *ud)
{
    seen_t *s = ud;
    if (up)
        s->ups++;
    else
        s->downs++;
}

static void run_until(uv_loop_t *loop, const int *counter, int want, int max_ms)
{
    for (int waited = 0; *counter < want && waited < max_ms; waited += 10) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(10 * 1000);
    }
}

static void cmd(oi_redis_t *r, seen_t *s, int argc, const char **argv)
{
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    oi_redis_command(r, argc, argv, lens, on_reply, s);
}

Test(redis, round_trip_timeout_reconnect_close)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    seen_t state = {0}, s = {0};
    oi_redis_t *r = oi_redis_new(&loop, "127.0.0.1", server_port, 200);
    oi_redis_on_state(r, on_state, &state);
    run_until(&loop, &state.ups, 1, 3000);
    cr_assert(oi_redis_connected(r));

    cmd(r, &s, 3, (const char *[]){"SET", "k", "v1"});
    run_until(&loop, &s.calls, 1, 2000);
    cmd(r, &s, 2, (const char *[]){"GET", "k"});
    run_until(&loop, &s.calls, 2, 2000);
    cr_assert_eq(s.st, OI_OK);
    cr_assert_str_eq(s.value, "v1");

    cmd(r, &s, 3, (const char *[]){"DEBUG", "SLEEP", "0.6"});
    run_until(&loop, &s.calls, 3, 2000);
    cr_assert_eq(s.st, OI_TIMEOUT);
    run_until(&loop, &s.calls, 99, 700); /* the late reply arrives: no second callback */
    cr_assert_eq(s.calls, 3);

    server_stop();
    run_until(&loop, &state.downs, 1, 3000);
    cr_assert_not(oi_redis_connected(r));
    cmd(r, &s, 2, (const char *[]){"GET", "k"});
    cr_assert_eq(s.calls, 4);
    cr_assert_eq(s.st, OI_UNAVAILABLE);

    server_start();
    run_until(&loop, &state.ups, 2, 5000);
    cr_assert(oi_redis_connected(r));

    cmd(r, &s, 3, (const char *[]){"DEBUG", "SLEEP", "0.3"});
    oi_redis_close(&r);
    cr_assert_eq(s.calls, 5);
    cr_assert_eq(s.st, OI_UNAVAILABLE);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
}
