/* redis_server.h: a private redis-server for a unit test (started in the test's process, killed
 * at its end), on a port below the ephemeral range. */
#ifndef TEST_REDIS_SERVER_H
#define TEST_REDIS_SERVER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    pid_t pid;
    int port;
} test_redis_t;

/* false when redis-server is not installed. base: the first port of the test's range. */
static inline bool test_redis_start(test_redis_t *r, int base)
{
    if (system("command -v redis-server >/dev/null 2>&1") != 0)
        return false;
    if (!r->port)
        r->port = base + (int)(getpid() % 4000);
    char port[16];
    snprintf(port, sizeof port, "%d", r->port);
    r->pid = fork();
    if (r->pid == 0) {
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly",
               "no", "--loglevel", "warning", "--enable-debug-command", "yes", (char *)NULL);
        _exit(127);
    }
    usleep(300 * 1000);
    return true;
}

static inline void test_redis_stop(test_redis_t *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
    }
    r->pid = 0;
}

#endif
