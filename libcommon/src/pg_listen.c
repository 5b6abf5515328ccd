/* pg_listen.c: LISTEN on a connection of its own, with reconnection and resync. */
#define OI_LOG_TAG "common.pg"
#include "oi/pg_listen.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/assert.h"
#include "oi/log.h"
#include "oi/mem.h"

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000
#define CONNECT_TIMEOUT_MS 5000

typedef enum { L_DOWN = 0, L_CONNECTING, L_SUBSCRIBING, L_LISTENING } listen_state_t;

struct oi_pg_listener {
    uv_loop_t *loop;
    char *conninfo;            /* owned */
    char channel[64];
    oi_pg_notify_cb on_notify;
    oi_pg_resync_cb on_resync;
    void *ud;
    PGconn *pg;                /* owned while not DOWN */
    uv_poll_t *poll;           /* owned while not DOWN; freed in its close callback */
    int fd;
    int events;
    uv_timer_t timer;          /* reconnect backoff, connect timeout */
    listen_state_t state;
    int backoff_ms;
    int handles_open;
    bool closing;
};

static void listener_connect(oi_pg_listener_t *l);

static void maybe_free(oi_pg_listener_t *l)
{
    if (l->closing && l->handles_open == 0) {
        free(l->conninfo);
        free(l);
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    oi_pg_listener_t *l = h->data;
    if (h != (uv_handle_t *)&l->timer)
        free(h);
    l->handles_open--;
    maybe_free(l);
}

static void listener_drop(oi_pg_listener_t *l)
{
    if (l->poll) {
        uv_close((uv_handle_t *)l->poll, on_handle_closed);
        l->poll = NULL;
    }
    if (l->pg) {
        PQfinish(l->pg);
        l->pg = NULL;
    }
    l->fd = -1;
    l->events = 0;
}

static void on_timer(uv_timer_t *t);

static void listener_broken(oi_pg_listener_t *l, const char *why)
{
    bool was_listening = l->state == L_LISTENING;
    char msg[160];
    snprintf(msg, sizeof msg, "%s", why && *why ? why : "connection lost");
    msg[strcspn(msg, "\r\n")] = '\0';
    listener_drop(l);
    l->state = L_DOWN;
    if (was_listening || l->backoff_ms <= RETRY_MIN_MS)
        oi_log_warn(&(oi_log_ctx_t){.action = "listening for notifications"}, "%s: %s", l->channel, msg);
    if (l->closing)
        return;
    uv_timer_start(&l->timer, on_timer, (uint64_t)l->backoff_ms, 0);
    l->backoff_ms = l->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : l->backoff_ms * 2;
}

static void on_timer(uv_timer_t *t)
{
    oi_pg_listener_t *l = t->data;
    if (l->state == L_CONNECTING || l->state == L_SUBSCRIBING)
        listener_broken(l, "connection attempt timed out");
    else if (l->state == L_DOWN && !l->closing)
        listener_connect(l);
}

static void on_poll(uv_poll_t *h, int status, int events);

static void watch(oi_pg_listener_t *l, int fd, int events)
{
    if (l->poll && l->fd != fd) {
        uv_close((uv_handle_t *)l->poll, on_handle_closed);
        l->poll = NULL;
    }
    if (!l->poll) {
        l->poll = oi_xcalloc(1, sizeof *l->poll);
        uv_poll_init(l->loop, l->poll, fd);
        l->poll->data = l;
        l->handles_open++;
        l->fd = fd;
        l->events = 0;
    }
    if (l->events != events) {
        l->events = events;
        uv_poll_start(l->poll, events, on_poll);
    }
}

static void on_notice(void *arg, const char *message)
{
    (void)arg;
    oi_log_debug(&(oi_log_ctx_t){.action = "PostgreSQL notice"}, "%.*s", (int)strcspn(message, "\n"), message);
}

static void subscribe(oi_pg_listener_t *l)
{
    PQsetNoticeProcessor(l->pg, on_notice, NULL);
    char sql[96];
    snprintf(sql, sizeof sql, "LISTEN %s", l->channel);
    PQsetnonblocking(l->pg, 1);
    if (!PQsendQuery(l->pg, sql)) {
        listener_broken(l, PQerrorMessage(l->pg));
        return;
    }
    l->state = L_SUBSCRIBING;
    watch(l, PQsocket(l->pg), UV_READABLE | (PQflush(l->pg) == 1 ? UV_WRITABLE : 0));
}

static void deliver(oi_pg_listener_t *l)
{
    PGnotify *n;
    while (!l->closing && (n = PQnotifies(l->pg)) != NULL) {
        l->on_notify(n->extra ? n->extra : "", l->ud);
        PQfreemem(n);
    }
}

/* Reads the LISTEN's answer; true once it is in force. */
static bool subscribed(oi_pg_listener_t *l)
{
    bool ok = true;
    while (!PQisBusy(l->pg)) {
        PGresult *r = PQgetResult(l->pg);
        if (!r)
            break;
        ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
    }
    if (PQisBusy(l->pg))
        return false;
    if (!ok) {
        listener_broken(l, PQerrorMessage(l->pg));
        return false;
    }
    l->state = L_LISTENING;
    l->backoff_ms = RETRY_MIN_MS;
    uv_timer_stop(&l->timer);
    watch(l, l->fd, UV_READABLE);
    oi_log_info(&(oi_log_ctx_t){.action = "listening for notifications"}, "LISTEN %s", l->channel);
    return true;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status;
    oi_pg_listener_t *l = h->data;
    if (l->poll != h)
        return;
    if (l->state == L_CONNECTING) {
        PostgresPollingStatusType st = PQconnectPoll(l->pg);
        if (st == PGRES_POLLING_FAILED)
            listener_broken(l, PQerrorMessage(l->pg));
        else if (st == PGRES_POLLING_OK)
            subscribe(l);
        else
            watch(l, PQsocket(l->pg), st == PGRES_POLLING_READING ? UV_READABLE : UV_WRITABLE);
        return;
    }
    if ((events & UV_WRITABLE) && PQflush(l->pg) == 0 && l->state == L_LISTENING)
        watch(l, l->fd, UV_READABLE);
    if (!PQconsumeInput(l->pg) || PQstatus(l->pg) != CONNECTION_OK) {
        listener_broken(l, PQerrorMessage(l->pg));
        return;
    }
    if (l->state == L_SUBSCRIBING) {
        if (!subscribed(l))
            return;
        deliver(l);
        if (!l->closing)
            l->on_resync(l->ud); /* whatever was sent while we were away is lost: look again */
        return;
    }
    deliver(l);
}

static void listener_connect(oi_pg_listener_t *l)
{
    const char *keys[] = {"dbname", "fallback_application_name", NULL};
    const char *vals[] = {l->conninfo, "oneinbox-listen", NULL};
    l->pg = PQconnectStartParams(keys, vals, 1);
    l->state = L_CONNECTING;
    if (!l->pg || PQstatus(l->pg) == CONNECTION_BAD || PQsocket(l->pg) < 0) {
        listener_broken(l, l->pg ? PQerrorMessage(l->pg) : "out of memory");
        return;
    }
    uv_timer_start(&l->timer, on_timer, CONNECT_TIMEOUT_MS, 0);
    watch(l, PQsocket(l->pg), UV_WRITABLE);
}

static bool channel_valid(const char *c)
{
    size_t n = strlen(c);
    if (n == 0 || n > 63 || !((c[0] >= 'a' && c[0] <= 'z') || c[0] == '_'))
        return false;
    return strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

oi_pg_listener_t *oi_pg_listener_new(uv_loop_t *loop, const char *conninfo, const char *channel,
                                     oi_pg_notify_cb on_notify, oi_pg_resync_cb on_resync, void *ud)
{
    OI_ASSERT(channel_valid(channel) && on_notify && on_resync);
    oi_pg_listener_t *l = oi_xcalloc(1, sizeof *l);
    l->loop = loop;
    l->conninfo = oi_xstrdup(conninfo);
    snprintf(l->channel, sizeof l->channel, "%s", channel);
    l->on_notify = on_notify;
    l->on_resync = on_resync;
    l->ud = ud;
    l->fd = -1;
    l->backoff_ms = RETRY_MIN_MS;
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    l->handles_open = 1;
    listener_connect(l);
    return l;
}

bool oi_pg_listener_listening(const oi_pg_listener_t *l) { return l && l->state == L_LISTENING; }

void oi_pg_listener_close(oi_pg_listener_t **self_p)
{
    oi_pg_listener_t *l = *self_p;
    *self_p = NULL;
    if (!l || l->closing)
        return;
    l->closing = true;
    uv_timer_stop(&l->timer);
    listener_drop(l);
    uv_close((uv_handle_t *)&l->timer, on_handle_closed);
}
