/* redis.c: one hiredis async connection on a libuv loop, with per-command timeouts,
 * reconnection with backoff, and a subscriber mode.
 *
 * Redis answers a connection's commands in order, so the commands in flight form a FIFO and
 * one timer, armed for the oldest one's deadline, enforces every timeout. A command's record
 * (cmd_t) is shared by hiredis and that list: the caller's callback runs once (reply, timeout
 * or disconnect) and the record is freed when hiredis has let go of it. */
#define OI_LOG_TAG "common.redis"
#include "oi/redis.h"

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <stdlib.h>
#include <string.h>

#include "oi/log.h"
#include "oi/mem.h"

#define REDIS_BACKOFF_MIN_MS 100
#define REDIS_BACKOFF_MAX_MS 2000

typedef struct cmd cmd_t;

struct oi_redis {
    uv_loop_t *loop;
    char *host;
    int port;
    uint32_t timeout_ms;
    redisAsyncContext *ac;
    bool connected, closing;
    uv_timer_t reconnect;
    uv_timer_t connect_watch;
    uv_timer_t deadlines;        /* armed for the oldest waiting command */
    uint32_t connect_timeout_ms;
    uint32_t backoff_ms;
    int timers_open;
    cmd_t *wait_head, *wait_tail; /* commands whose callback has not run, oldest first */
    oi_redis_state_cb state_cb;
    void *state_ud;
    /* subscriber mode */
    const char *const *channels;
    size_t n_channels, confirmed;
    oi_redis_msg_cb on_message;
    oi_redis_state_cb on_live;
    void *sub_ud;
    bool live;
};

struct cmd {
    cmd_t *prev, *next;          /* the waiting list */
    oi_redis_t *r;
    oi_redis_cb cb;
    void *ud;
    uint64_t deadline;           /* uv_now ms */
    bool done, hiredis_done;
};

static void redis_connect(oi_redis_t *r);
static void deadlines_fire(uv_timer_t *t);

static void wait_unlink(oi_redis_t *r, cmd_t *cmd)
{
    if (cmd->prev)
        cmd->prev->next = cmd->next;
    else
        r->wait_head = cmd->next;
    if (cmd->next)
        cmd->next->prev = cmd->prev;
    else
        r->wait_tail = cmd->prev;
    cmd->prev = cmd->next = NULL;
}

static void deadlines_arm(oi_redis_t *r)
{
    if (!r->wait_head || r->closing)
        return;
    uint64_t now = uv_now(r->loop), first = r->wait_head->deadline;
    uv_timer_start(&r->deadlines, deadlines_fire, first > now ? first - now : 0, 0);
}

static void cmd_finish(cmd_t *cmd, oi_status_t st, const redisReply *reply)
{
    if (cmd->done)
        return;
    cmd->done = true;
    oi_redis_t *r = cmd->r;
    bool was_head = r->wait_head == cmd;
    wait_unlink(r, cmd);
    if (was_head && !r->wait_head)
        uv_timer_stop(&r->deadlines);
    cmd->cb(st, reply, cmd->ud);
}

static void cmd_on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    cmd_t *cmd = privdata;
    cmd_finish(cmd, reply ? OI_OK : OI_UNAVAILABLE, reply);
    cmd->hiredis_done = true;
    free(cmd);
}

static void deadlines_fire(uv_timer_t *t)
{
    oi_redis_t *r = t->data;
    /* libuv runs timers before it polls: after a stall (the process descheduled on a busy
     * machine, one long loop iteration) the replies may already wait in the socket. They are
     * read first, so only a reply that really is late counts as a timeout. */
    if (r->ac && r->connected && !r->closing && !r->on_message)
        redisAsyncHandleRead(r->ac);
    uint64_t now = uv_now(r->loop);
    while (r->wait_head && r->wait_head->deadline <= now)
        cmd_finish(r->wait_head, OI_TIMEOUT, NULL); /* hiredis keeps the record until the late reply */
    deadlines_arm(r);
}

void oi_redis_command(oi_redis_t *r, int argc, const char **argv, const size_t *argvlen, oi_redis_cb cb, void *ud)
{
    if (!r->connected || !r->ac || r->closing || r->on_message) {
        cb(OI_UNAVAILABLE, NULL, ud);
        return;
    }
    cmd_t *cmd = oi_xcalloc(1, sizeof *cmd);
    cmd->r = r;
    cmd->cb = cb;
    cmd->ud = ud;
    if (redisAsyncCommandArgv(r->ac, cmd_on_reply, cmd, argc, argv, argvlen) != REDIS_OK) {
        free(cmd);
        cb(OI_UNAVAILABLE, NULL, ud);
        return;
    }
    cmd->deadline = uv_now(r->loop) + r->timeout_ms;
    cmd->prev = r->wait_tail;
    if (r->wait_tail)
        r->wait_tail->next = cmd;
    else
        r->wait_head = cmd;
    r->wait_tail = cmd;
    if (r->wait_head == cmd)
        deadlines_arm(r);
}

/* --- subscriber mode ---------------------------------------------------------------------- */

static void set_live(oi_redis_t *r, bool live)
{
    if (r->live == live)
        return;
    r->live = live;
    if (r->on_live)
        r->on_live(live, r->sub_ud);
}

static void sub_on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)privdata;
    oi_redis_t *r = ac->data;
    const redisReply *m = reply;
    if (!r || !m || m->type != REDIS_REPLY_ARRAY || m->elements < 3 || m->element[0]->type != REDIS_REPLY_STRING)
        return; /* a NULL reply: the connection is going; on_disconnect says so */
    const char *kind = m->element[0]->str;
    if (strcmp(kind, "subscribe") == 0) {
        if (++r->confirmed == r->n_channels)
            set_live(r, true);
    } else if (strcmp(kind, "message") == 0 && m->element[1]->type == REDIS_REPLY_STRING &&
               m->element[2]->type == REDIS_REPLY_STRING) {
        r->on_message(m->element[1]->str, m->element[2]->str, m->element[2]->len, r->sub_ud);
    }
}

static void sub_start(oi_redis_t *r)
{
    r->confirmed = 0;
    for (size_t i = 0; i < r->n_channels; i++) {
        const char *argv[] = {"SUBSCRIBE", r->channels[i]};
        size_t lens[] = {9, strlen(r->channels[i])};
        redisAsyncCommandArgv(r->ac, sub_on_reply, NULL, 2, argv, lens);
    }
}

void oi_redis_subscribe(oi_redis_t *r, const char *const *channels, size_t n, oi_redis_msg_cb on_message,
                        oi_redis_state_cb on_live, void *ud)
{
    r->channels = channels;
    r->n_channels = n;
    r->on_message = on_message;
    r->on_live = on_live;
    r->sub_ud = ud;
    if (r->connected && r->ac)
        sub_start(r);
}

bool oi_redis_live(const oi_redis_t *r) { return r && r->live; }

void oi_redis_poll(oi_redis_t *r)
{
    if (r && r->ac && r->connected)
        redisAsyncHandleRead(r->ac); /* reads what is there (EAGAIN is no error) and delivers it */
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

static void ready(oi_redis_t *r)
{
    r->backoff_ms = REDIS_BACKOFF_MIN_MS;
    set_connected(r, true);
    if (r->on_message && r->ac)
        sub_start(r);
}

/* OI_REDIS_PASSWORD's AUTH: refused, the connection is dropped and tried again later (a
 * password that changes on the server is taken at the next try). */
static void on_auth(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)privdata;
    oi_redis_t *r = ac->data;
    const redisReply *rep = reply;
    if (!r || !r->ac)
        return;
    if (rep && rep->type == REDIS_REPLY_STATUS) {
        ready(r);
        return;
    }
    oi_log_error(NULL, "redis %s:%d: AUTH refused (OI_REDIS_PASSWORD): %s", r->host, r->port,
                 rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no answer");
    redisAsyncDisconnect(ac);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    oi_redis_t *r = ac->data;
    if (!r)
        return; /* oi_redis_close let go of it */
    uv_timer_stop(&r->connect_watch);
    if (status != REDIS_OK) {
        oi_log_info(NULL, "redis %s:%d: %s", r->host, r->port, ac->errstr);
        r->ac = NULL; /* hiredis frees a context whose connect failed */
        schedule_reconnect(r);
        return;
    }
    const char *password = getenv("OI_REDIS_PASSWORD");
    if (password && password[0]) { /* usable once AUTH is answered OK */
        redisAsyncCommand(r->ac, on_auth, NULL, "AUTH %s", password);
        return;
    }
    ready(r);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    oi_redis_t *r = ac->data;
    if (!r)
        return; /* oi_redis_close let go of it */
    r->ac = NULL;
    set_live(r, false);
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
    uv_timer_init(loop, &r->deadlines);
    r->deadlines.data = r;
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
    r->on_live = NULL;
    r->connected = false;
    if (r->ac) {
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        ac->data = NULL;   /* the subscriber's callbacks see NULL from now on */
        redisAsyncFree(ac); /* pending commands are answered (NULL reply → OI_UNAVAILABLE) */
    }
    r->timers_open = 3;
    uv_close((uv_handle_t *)&r->reconnect, on_timer_closed);
    uv_close((uv_handle_t *)&r->connect_watch, on_timer_closed);
    uv_close((uv_handle_t *)&r->deadlines, on_timer_closed);
}
