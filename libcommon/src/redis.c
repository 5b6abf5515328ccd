/* redis.c: one hiredis async connection on a libuv loop, with per-command timeouts and
 * reconnection with backoff.
 *
 * A command owns a small record (cmd_t) shared by hiredis and its timeout timer: the caller's
 * callback runs once (reply, timeout, or disconnect), and the record is freed only when hiredis
 * has let go of it and the timer is closed. */
#define OI_LOG_TAG "common.redis"
#include "oi/redis.h"

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <stdlib.h>

#include "oi/log.h"
#include "oi/mem.h"

#define REDIS_BACKOFF_MIN_MS 100
#define REDIS_BACKOFF_MAX_MS 2000

struct oi_redis {
    uv_loop_t *loop;
    char *host;
    int port;
    uint32_t timeout_ms;
    redisAsyncContext *ac;
    bool connected, closing;
    uv_timer_t reconnect;
    uv_timer_t connect_watch;
    uint32_t connect_timeout_ms;
    uint32_t backoff_ms;
    int timers_open;
    oi_redis_state_cb state_cb;
    void *state_ud;
};

typedef struct {
    oi_redis_cb cb;
    void *ud;
    uv_timer_t timer;
    bool done, hiredis_done, timer_closed;
} cmd_t;

static void redis_connect(oi_redis_t *r);

static void cmd_maybe_free(cmd_t *cmd)
{
    if (cmd->hiredis_done && cmd->timer_closed)
        free(cmd);
}

static void cmd_timer_closed(uv_handle_t *h)
{
    cmd_t *cmd = h->data;
    cmd->timer_closed = true;
    cmd_maybe_free(cmd);
}

static void cmd_finish(cmd_t *cmd, oi_status_t st, const redisReply *reply)
{
    if (cmd->done)
        return;
    cmd->done = true;
    uv_timer_stop(&cmd->timer);
    uv_close((uv_handle_t *)&cmd->timer, cmd_timer_closed);
    cmd->cb(st, reply, cmd->ud);
}

static void cmd_on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    cmd_t *cmd = privdata;
    cmd_finish(cmd, reply ? OI_OK : OI_UNAVAILABLE, reply);
    cmd->hiredis_done = true;
    cmd_maybe_free(cmd);
}

static void cmd_on_timeout(uv_timer_t *t)
{
    cmd_finish(t->data, OI_TIMEOUT, NULL);
}

void oi_redis_command(oi_redis_t *r, int argc, const char **argv, const size_t *argvlen, oi_redis_cb cb, void *ud)
{
    if (!r->connected || !r->ac || r->closing) {
        cb(OI_UNAVAILABLE, NULL, ud);
        return;
    }
    cmd_t *cmd = oi_xcalloc(1, sizeof *cmd);
    cmd->cb = cb;
    cmd->ud = ud;
    if (redisAsyncCommandArgv(r->ac, cmd_on_reply, cmd, argc, argv, argvlen) != REDIS_OK) {
        free(cmd);
        cb(OI_UNAVAILABLE, NULL, ud);
        return;
    }
    uv_timer_init(r->loop, &cmd->timer);
    cmd->timer.data = cmd;
    uv_timer_start(&cmd->timer, cmd_on_timeout, r->timeout_ms, 0);
}

/* --- connection ---------------------------------------------------------------------------- */

static void set_connected(oi_redis_t *r, bool up)
{
    if (r->connected == up)
        return;
    r->connected = up;
    if (up)
        oi_log_info(&(oi_log_ctx_t){.action = "connecting to redis"}, "connected to %s:%d", r->host, r->port);
    else
        oi_log_warn(&(oi_log_ctx_t){.action = "connecting to redis"}, "lost %s:%d", r->host, r->port);
    if (r->state_cb)
        r->state_cb(up, r->state_ud);
}

static void on_reconnect_timer(uv_timer_t *t)
{
    redis_connect(t->data);
}

static void schedule_reconnect(oi_redis_t *r)
{
    if (r->closing)
        return;
    uv_timer_start(&r->reconnect, on_reconnect_timer, r->backoff_ms, 0);
    r->backoff_ms = r->backoff_ms * 2 > REDIS_BACKOFF_MAX_MS ? REDIS_BACKOFF_MAX_MS : r->backoff_ms * 2;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    oi_redis_t *r = ac->data;
    uv_timer_stop(&r->connect_watch);
    if (status != REDIS_OK) {
        oi_log_info(NULL, "redis %s:%d: %s", r->host, r->port, ac->errstr);
        r->ac = NULL; /* hiredis frees a context whose connect failed */
        schedule_reconnect(r);
        return;
    }
    r->backoff_ms = REDIS_BACKOFF_MIN_MS;
    set_connected(r, true);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    oi_redis_t *r = ac->data;
    r->ac = NULL;
    set_connected(r, false);
    schedule_reconnect(r);
}

/* A connection attempt that neither succeeds nor fails in time is abandoned and retried. */
static void on_connect_timeout(uv_timer_t *t)
{
    oi_redis_t *r = t->data;
    if (r->connected || !r->ac)
        return;
    oi_log_warn(NULL, "redis %s:%d: connect timed out", r->host, r->port);
    redisAsyncContext *ac = r->ac;
    r->ac = NULL;
    redisAsyncFree(ac);
    schedule_reconnect(r);
}

static void redis_connect(oi_redis_t *r)
{
    if (r->closing || r->ac)
        return;
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (!ac || ac->err) {
        oi_log_debug(NULL, "redis %s:%d: %s", r->host, r->port, ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        schedule_reconnect(r);
        return;
    }
    ac->data = r;
    if (redisLibuvAttach(ac, r->loop) != REDIS_OK) {
        oi_log_warn(NULL, "redis %s:%d: cannot watch the socket", r->host, r->port);
        redisAsyncFree(ac);
        schedule_reconnect(r);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    uv_timer_start(&r->connect_watch, on_connect_timeout, r->connect_timeout_ms, 0);
}

oi_redis_t *oi_redis_new(uv_loop_t *loop, const char *host, int port, uint32_t timeout_ms)
{
    oi_redis_t *r = oi_xcalloc(1, sizeof *r);
    r->loop = loop;
    r->host = oi_xstrdup(host);
    r->port = port;
    r->timeout_ms = timeout_ms ? timeout_ms : 100;
    r->backoff_ms = REDIS_BACKOFF_MIN_MS;
    uv_timer_init(loop, &r->reconnect);
    r->reconnect.data = r;
    uv_timer_init(loop, &r->connect_watch);
    r->connect_watch.data = r;
    r->connect_timeout_ms = 1000;
    redis_connect(r);
    return r;
}

void oi_redis_on_state(oi_redis_t *r, oi_redis_state_cb cb, void *ud)
{
    r->state_cb = cb;
    r->state_ud = ud;
}

bool oi_redis_connected(const oi_redis_t *r)
{
    return r && r->connected;
}

static void on_timer_closed(uv_handle_t *h)
{
    oi_redis_t *r = h->data;
    if (--r->timers_open > 0)
        return;
    free(r->host);
    free(r);
}

void oi_redis_close(oi_redis_t **self_p)
{
    oi_redis_t *r = *self_p;
    *self_p = NULL;
    if (!r)
        return;
    r->closing = true;
    r->state_cb = NULL;
    r->connected = false;
    if (r->ac) {
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        redisAsyncFree(ac); /* pending commands are answered (NULL reply → OI_UNAVAILABLE) */
    }
    r->timers_open = 2;
    uv_close((uv_handle_t *)&r->reconnect, on_timer_closed);
    uv_close((uv_handle_t *)&r->connect_watch, on_timer_closed);
}
