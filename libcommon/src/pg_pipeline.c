/* pg_pipeline.c: non-blocking libpq connections in pipeline mode on a libuv loop.
 *
 * Each connection keeps a FIFO of the batches it has written and reads their results in
 * order: every query gives its result(s) then NULL, every Sync gives PGRES_PIPELINE_SYNC. A
 * statement a connection has not prepared yet is prepared in a segment of its own (its own
 * Sync) just before the batch that needs it, so a failing batch can never abort a Parse and
 * the prepared set stays exact: a Parse the server refuses (a lock held past the statement
 * timeout, a table not there yet) leaves the set, and the batch that needed it fails for the
 * Parse's reason, so the next one prepares it again. */
#define OI_LOG_TAG "common.pg"
#include "oi/pg_pipeline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/assert.h"
#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "pg_internal.h"

#define CONN_MAX_INFLIGHT 256   /* batches written to one connection and not yet answered */
#define PREPARED_SLOTS 512      /* open-addressing set of statements prepared on a connection */
#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 2000
#define CONNECT_TIMEOUT_MS 5000

typedef struct batch {
    struct batch *next;
    oi_pg_done_cb cb;           /* NULL: a prepare segment of our own */
    void *ud;
    size_t n;                   /* items: queries, or statements to prepare */
    const oi_pg_stmt_t *stmt[OI_PG_BATCH_MAX];
    const char **params[OI_PG_BATCH_MAX]; /* into pbuf */
    char *pbuf;                 /* owned: parameter pointer arrays and strings */
    size_t cursor;              /* item whose results are being read */
    PGresult *res[OI_PG_BATCH_MAX];
    oi_status_t st;
    oi_error_t err;
    int64_t queued_ms;          /* monotonic, while waiting for a connection */
} batch_t;

typedef enum { CONN_DOWN = 0, CONN_CONNECTING, CONN_READY } conn_state_t;

typedef struct {
    oi_pg_pipeline_t *pool;
    PGconn *pg;                 /* owned while not DOWN */
    uv_poll_t *poll;            /* owned while not DOWN; freed in its close callback */
    int fd;
    int events;                 /* what poll watches now */
    uv_timer_t timer;           /* reconnect backoff, connect timeout */
    conn_state_t state;
    batch_t *head, *tail;       /* written, results pending, in order */
    size_t inflight;            /* user batches among them */
    const oi_pg_stmt_t *prepared[PREPARED_SLOTS];
    size_t n_prepared;
    oi_status_t prepare_st;     /* why the last Parse the server refused failed (OI_OK: none since) */
    oi_error_t prepare_err;
    int backoff_ms;
    bool want_write;
} conn_t;

struct oi_pg_pipeline {
    uv_loop_t *loop;
    char *conninfo;             /* owned */
    char *options;              /* owned: "-c statement_timeout=… -c TimeZone=UTC -c plan_cache_mode=…" */
    conn_t *conns;              /* owned, n_conns of them */
    int n_conns;
    int queue_timeout_ms;
    size_t max_queued;
    batch_t *q_head, *q_tail;   /* waiting for a connection */
    size_t queued;
    batch_t *done_head, *done_tail; /* answered early, callbacks due on the next loop turn */
    uv_timer_t done_timer;
    uv_timer_t queue_timer;     /* expires queued batches */
    size_t pending;             /* submitted, not yet called back */
    uint64_t submitted;         /* every batch ever submitted */
    int64_t last_ok_ms, last_fail_ms;
    int handles_open;
    bool closing;
    void (*on_closed)(void *ud);
    void *on_closed_ud;
    char labels[80];            /* pool="name", "" = no metrics */
};

static void conn_connect(conn_t *c);
static void conn_broken(conn_t *c, const char *why);
static void pool_dispatch(oi_pg_pipeline_t *p);
static bool pool_connecting(const oi_pg_pipeline_t *p);

/* --- batches ---------------------------------------------------------------------------------- */

static void batch_free(batch_t *b)
{
    for (size_t i = 0; i < OI_PG_BATCH_MAX; i++)
        if (b->res[i])
            PQclear(b->res[i]);
    free(b->pbuf);
    free(b);
}

/* Copies every parameter of every query into one buffer. */
static batch_t *batch_new(const oi_pg_query_t *q, size_t n, oi_pg_done_cb cb, void *ud)
{
    batch_t *b = oi_xcalloc(1, sizeof *b);
    b->cb = cb;
    b->ud = ud;
    b->n = n;
    size_t ptrs = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        b->stmt[i] = q[i].stmt;
        ptrs += (size_t)q[i].stmt->nparams;
        for (int k = 0; k < q[i].stmt->nparams; k++)
            if (q[i].params && q[i].params[k])
                bytes += strlen(q[i].params[k]) + 1;
    }
    b->pbuf = oi_xmalloc(ptrs * sizeof(char *) + bytes + 1);
    const char **slot = (const char **)(void *)b->pbuf;
    char *text = b->pbuf + ptrs * sizeof(char *);
    for (size_t i = 0; i < n; i++) {
        b->params[i] = slot;
        for (int k = 0; k < q[i].stmt->nparams; k++) {
            const char *v = q[i].params ? q[i].params[k] : NULL;
            if (v) {
                size_t len = strlen(v) + 1;
                memcpy(text, v, len);
                *slot = text;
                text += len;
            } else {
                *slot = NULL;
            }
            slot++;
        }
    }
    return b;
}

static void fifo_push(batch_t **head, batch_t **tail, batch_t *b)
{
    b->next = NULL;
    if (*tail)
        (*tail)->next = b;
    else
        *head = b;
    *tail = b;
}

static batch_t *fifo_pop(batch_t **head, batch_t **tail)
{
    batch_t *b = *head;
    if (b) {
        *head = b->next;
        if (!*head)
            *tail = NULL;
        b->next = NULL;
    }
    return b;
}

static void pool_maybe_free(oi_pg_pipeline_t *p)
{
    if (!p->closing || p->handles_open > 0 || p->pending > 0)
        return;
    void (*cb)(void *) = p->on_closed;
    void *ud = p->on_closed_ud;
    free(p->conns);
    free(p->conninfo);
    free(p->options);
    free(p);
    if (cb)
        cb(ud);
}

/* Runs the callback of a finished user batch and frees it. */
static void batch_finish(oi_pg_pipeline_t *p, batch_t *b)
{
    if (b->cb) {
        p->pending--;
        if (b->st == OI_OK)
            b->cb(OI_OK, NULL, b->res, b->n, b->ud);
        else
            b->cb(b->st, &b->err, NULL, 0, b->ud);
    }
    batch_free(b);
}

static void on_done_timer(uv_timer_t *t)
{
    oi_pg_pipeline_t *p = t->data;
    batch_t *list = p->done_head;
    p->done_head = p->done_tail = NULL;
    while (list) {
        batch_t *b = list;
        list = b->next;
        batch_finish(p, b);
    }
    if (p->done_head) /* a callback submitted into a closing pool: once more */
        uv_timer_start(&p->done_timer, on_done_timer, 0, 0);
}

/* Fails b on the next loop turn (never inside the caller's own call). */
static void batch_fail_soon(oi_pg_pipeline_t *p, batch_t *b, oi_status_t st, const char *why)
{
    if (b->st == OI_OK)
        oi_error_set(&b->err, st, "%s", why);
    b->st = b->err.status;
    fifo_push(&p->done_head, &p->done_tail, b);
    uv_timer_start(&p->done_timer, on_done_timer, 0, 0);
}

/* --- prepared statements of one connection ----------------------------------------------------- */

static size_t prepared_slot(const conn_t *c, const oi_pg_stmt_t *s)
{
    size_t h = ((uintptr_t)s >> 4) * 2654435761u;
    size_t i = h & (PREPARED_SLOTS - 1);
    while (c->prepared[i] && c->prepared[i] != s)
        i = (i + 1) & (PREPARED_SLOTS - 1);
    return i;
}

static bool prepared_has(const conn_t *c, const oi_pg_stmt_t *s) { return c->prepared[prepared_slot(c, s)] == s; }

static void prepared_add(conn_t *c, const oi_pg_stmt_t *s)
{
    size_t i = prepared_slot(c, s);
    if (!c->prepared[i] && c->n_prepared + 1 < PREPARED_SLOTS) {
        c->prepared[i] = s;
        c->n_prepared++;
    }
}

/* s is not prepared after all (its Parse failed): the set without it, rebuilt (linear probing
 * has no plain removal; this is rare). */
static void prepared_remove(conn_t *c, const oi_pg_stmt_t *s)
{
    const oi_pg_stmt_t *kept[PREPARED_SLOTS];
    size_t n = 0;
    for (size_t i = 0; i < PREPARED_SLOTS; i++) {
        if (c->prepared[i] && c->prepared[i] != s)
            kept[n++] = c->prepared[i];
    }
    memset(c->prepared, 0, sizeof c->prepared);
    c->n_prepared = 0;
    for (size_t i = 0; i < n; i++)
        prepared_add(c, kept[i]);
}

/* --- polling ------------------------------------------------------------------------------------ */

static void on_poll_closed(uv_handle_t *h)
{
    oi_pg_pipeline_t *p = ((conn_t *)h->data)->pool;
    free(h);
    p->handles_open--;
    pool_maybe_free(p);
}

static void conn_on_poll(uv_poll_t *h, int status, int events);

static void conn_watch(conn_t *c, int events)
{
    if (c->poll && c->events == events)
        return;
    c->events = events;
    uv_poll_start(c->poll, events, conn_on_poll);
}

/* Stops watching the socket and closes the libpq connection (poll first: the fd must stay open
 * while libuv removes it). */
static void conn_drop(conn_t *c)
{
    if (c->poll) {
        uv_close((uv_handle_t *)c->poll, on_poll_closed);
        c->poll = NULL;
        c->events = 0;
    }
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->fd = -1;
    c->n_prepared = 0;
    memset(c->prepared, 0, sizeof c->prepared);
    c->prepare_st = OI_OK;
    c->want_write = false;
}

static bool conn_poll_for(conn_t *c, int fd)
{
    if (c->poll && c->fd == fd)
        return true;
    if (c->poll) {
        uv_close((uv_handle_t *)c->poll, on_poll_closed);
        c->poll = NULL;
    }
    c->poll = oi_xcalloc(1, sizeof *c->poll);
    if (uv_poll_init(c->pool->loop, c->poll, fd) != 0) {
        free(c->poll);
        c->poll = NULL;
        return false;
    }
    c->pool->handles_open++;
    c->poll->data = c;
    c->fd = fd;
    c->events = 0;
    return true;
}

/* --- results ------------------------------------------------------------------------------------ */

static void batch_error(batch_t *b, conn_t *c, const PGresult *r)
{
    if (b->st != OI_OK)
        return;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (c->prepare_st != OI_OK && state && strcmp(state, "26000") == 0) { /* its Parse just failed: why */
        b->st = c->prepare_st;
        b->err = c->prepare_err;
        return;
    }
    b->st = oi_pg__translate(c->pg, r, &b->err);
}

/* One result of a prepare segment: a refused Parse leaves the prepared set (see the top). */
static void on_prepare_result(conn_t *c, batch_t *b, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    const oi_pg_stmt_t *s = b->stmt[b->cursor];
    if (st == PGRES_COMMAND_OK) {
        c->prepare_st = OI_OK;
    } else if (st == PGRES_PIPELINE_ABORTED) { /* an earlier Parse of the segment failed: its reason stands */
        prepared_remove(c, s);
    } else {
        const char *why = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        oi_log_error(&(oi_log_ctx_t){.action = "preparing a statement"}, "%s: %s", s->name,
                     why ? why : PQresStatus(st));
        prepared_remove(c, s);
        oi_error_init(&c->prepare_err);
        c->prepare_st = oi_pg__translate(c->pg, r, &c->prepare_err);
    }
    PQclear(r);
}

/* One result of the head batch's current item. */
static void on_item_result(conn_t *c, batch_t *b, PGresult *r)
{
    if (!b->cb) {
        on_prepare_result(c, b, r);
        return;
    }
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        if (b->res[b->cursor])
            PQclear(b->res[b->cursor]);
        b->res[b->cursor] = r;
        return;
    }
    if (st == PGRES_PIPELINE_ABORTED) {
        if (b->st == OI_OK)
            b->st = oi_error_set(&b->err, OI_INTERNAL, "statement aborted");
    } else {
        batch_error(b, c, r);
    }
    PQclear(r);
}

/* Reads every result that has arrived, finishing batches at their Sync. */
static void conn_read_results(conn_t *c)
{
    oi_pg_pipeline_t *p = c->pool;
    while (c->head && c->state == CONN_READY && !PQisBusy(c->pg)) {
        batch_t *b = c->head;
        PGresult *r = PQgetResult(c->pg);
        if (b->cursor == b->n) { /* every item is read: what comes now is the Sync */
            bool sync = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
            if (r)
                PQclear(r);
            if (!sync) {
                conn_broken(c, "pipeline out of step");
                return;
            }
            fifo_pop(&c->head, &c->tail);
            if (b->cb)
                c->inflight--;
            batch_finish(p, b);
            continue;
        }
        if (!r) {
            b->cursor++; /* end of this item's results */
            continue;
        }
        on_item_result(c, b, r);
    }
}

/* --- writing ----------------------------------------------------------------------------------- */

static void conn_flush(conn_t *c)
{
    int rc = PQflush(c->pg);
    if (rc < 0) {
        conn_broken(c, "write failed");
        return;
    }
    c->want_write = rc == 1;
    conn_watch(c, UV_READABLE | (c->want_write ? UV_WRITABLE : 0));
}

/* Sends the Parse of every statement of b this connection lacks, as a segment of its own. */
static bool conn_prepare_for(conn_t *c, const batch_t *b)
{
    batch_t *prep = NULL;
    for (size_t i = 0; i < b->n; i++) {
        const oi_pg_stmt_t *s = b->stmt[i];
        if (prepared_has(c, s))
            continue;
        if (!prep)
            prep = oi_xcalloc(1, sizeof *prep);
        if (!PQsendPrepare(c->pg, s->name, s->sql, s->nparams, NULL)) {
            batch_free(prep);
            return false;
        }
        prepared_add(c, s);
        prep->stmt[prep->n++] = s;
    }
    if (!prep)
        return true;
    if (!PQpipelineSync(c->pg)) {
        batch_free(prep);
        return false;
    }
    fifo_push(&c->head, &c->tail, prep);
    return true;
}

static void conn_send(conn_t *c, batch_t *b)
{
    bool ok = conn_prepare_for(c, b);
    for (size_t i = 0; ok && i < b->n; i++)
        ok = PQsendQueryPrepared(c->pg, b->stmt[i]->name, b->stmt[i]->nparams, b->params[i], NULL, NULL, 0) == 1;
    ok = ok && PQpipelineSync(c->pg) == 1;
    fifo_push(&c->head, &c->tail, b); /* even when sending failed: conn_broken answers it */
    c->inflight++;
    if (!ok) {
        conn_broken(c, PQerrorMessage(c->pg));
        return;
    }
    conn_flush(c);
}

/* The ready connection with the fewest batches in flight, or NULL when all are full or down. */
static conn_t *pool_pick(oi_pg_pipeline_t *p)
{
    conn_t *best = NULL;
    for (int i = 0; i < p->n_conns; i++) {
        conn_t *c = &p->conns[i];
        if (c->state == CONN_READY && c->inflight < CONN_MAX_INFLIGHT && (!best || c->inflight < best->inflight))
            best = c;
    }
    return best;
}

static void pool_dispatch(oi_pg_pipeline_t *p)
{
    while (p->q_head) {
        conn_t *c = pool_pick(p);
        if (!c)
            return;
        batch_t *b = fifo_pop(&p->q_head, &p->q_tail);
        p->queued--;
        conn_send(c, b);
    }
}

static bool pool_connecting(const oi_pg_pipeline_t *p)
{
    for (int i = 0; i < p->n_conns; i++)
        if (p->conns[i].state == CONN_CONNECTING)
            return true;
    return false;
}

/* Starts a connection attempt now on a connection waiting out its backoff; false if none is. */
static bool pool_kick(oi_pg_pipeline_t *p)
{
    for (int i = 0; i < p->n_conns; i++) {
        conn_t *c = &p->conns[i];
        if (c->state == CONN_DOWN) {
            uv_timer_stop(&c->timer);
            conn_connect(c);
            return c->state == CONN_CONNECTING;
        }
    }
    return false;
}

static bool pool_any_ready(const oi_pg_pipeline_t *p)
{
    for (int i = 0; i < p->n_conns; i++)
        if (p->conns[i].state == CONN_READY)
            return true;
    return false;
}

/* Fails every queued batch (the database went away while they waited). */
static void pool_fail_queue(oi_pg_pipeline_t *p, oi_status_t st, const char *why)
{
    while (p->q_head) {
        batch_t *b = fifo_pop(&p->q_head, &p->q_tail);
        p->queued--;
        batch_fail_soon(p, b, st, why);
    }
}

static void on_queue_timer(uv_timer_t *t)
{
    oi_pg_pipeline_t *p = t->data;
    int64_t now = oi_clock_mono_ms();
    while (p->q_head && now - p->q_head->queued_ms >= p->queue_timeout_ms) {
        batch_t *b = fifo_pop(&p->q_head, &p->q_tail);
        p->queued--;
        batch_fail_soon(p, b, OI_DB_UNAVAILABLE, "no database connection in time");
    }
    if (p->q_head)
        uv_timer_start(&p->queue_timer, on_queue_timer,
                       (uint64_t)(p->queue_timeout_ms - (now - p->q_head->queued_ms)), 0);
}

/* --- connection lifecycle ----------------------------------------------------------------------- */

static void on_retry_timer(uv_timer_t *t)
{
    conn_t *c = t->data;
    if (c->state == CONN_CONNECTING) {
        conn_broken(c, "connection attempt timed out");
        return;
    }
    if (c->state == CONN_DOWN && !c->pool->closing)
        conn_connect(c);
}

static void conn_broken(conn_t *c, const char *why)
{
    oi_pg_pipeline_t *p = c->pool;
    bool was_ready = c->state == CONN_READY;
    char msg[160];
    snprintf(msg, sizeof msg, "%s", why && *why ? why : "connection lost");
    for (char *s = msg; *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
    conn_drop(c);
    c->state = CONN_DOWN;
    p->last_fail_ms = oi_clock_mono_ms();
    while (c->head) {
        batch_t *b = fifo_pop(&c->head, &c->tail);
        if (b->cb) {
            c->inflight--;
            b->st = OI_OK; /* whatever the batch had read: its outcome is unknown now */
            oi_error_init(&b->err);
            batch_fail_soon(p, b, OI_DB_UNAVAILABLE, "database connection lost");
        } else {
            batch_free(b);
        }
    }
    c->inflight = 0;
    if (!p->closing && (was_ready || c->backoff_ms <= RETRY_MIN_MS))
        oi_log_warn(&(oi_log_ctx_t){.action = "connecting to PostgreSQL"}, "%s", msg);
    if (!pool_any_ready(p) && !pool_connecting(p))
        pool_fail_queue(p, OI_DB_UNAVAILABLE, "database unavailable");
    if (p->closing)
        return;
    uv_timer_start(&c->timer, on_retry_timer, (uint64_t)c->backoff_ms, 0);
    c->backoff_ms = c->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : c->backoff_ms * 2;
}

static void on_notice(void *arg, const char *message)
{
    (void)arg;
    oi_log_debug(&(oi_log_ctx_t){.action = "PostgreSQL notice"}, "%.*s", (int)strcspn(message, "\n"), message);
}

static void conn_ready(conn_t *c)
{
    oi_pg_pipeline_t *p = c->pool;
    if (PQsetnonblocking(c->pg, 1) != 0 || PQenterPipelineMode(c->pg) != 1) {
        conn_broken(c, "cannot enter pipeline mode");
        return;
    }
    PQsetNoticeProcessor(c->pg, on_notice, NULL);
    uv_timer_stop(&c->timer);
    c->state = CONN_READY;
    c->backoff_ms = RETRY_MIN_MS;
    p->last_ok_ms = oi_clock_mono_ms();
    conn_watch(c, UV_READABLE);
    pool_dispatch(p);
}

/* One step of the connection handshake (PQconnectPoll), re-arming the poll it asks for. */
static void conn_connect_step(conn_t *c)
{
    PostgresPollingStatusType st = PQconnectPoll(c->pg);
    if (st == PGRES_POLLING_FAILED) {
        conn_broken(c, PQerrorMessage(c->pg));
        return;
    }
    if (!conn_poll_for(c, PQsocket(c->pg))) {
        conn_broken(c, "cannot watch the connection's socket");
        return;
    }
    if (st == PGRES_POLLING_OK) {
        conn_ready(c);
        return;
    }
    c->events = 0; /* the fd may be new: always re-arm */
    conn_watch(c, st == PGRES_POLLING_READING ? UV_READABLE : UV_WRITABLE);
}

static void conn_connect(conn_t *c)
{
    oi_pg_pipeline_t *p = c->pool;
    const char *keys[] = {"dbname", "options", "fallback_application_name", NULL};
    const char *vals[] = {p->conninfo, p->options, "oneinbox", NULL};
    c->pg = PQconnectStartParams(keys, vals, 1);
    c->state = CONN_CONNECTING;
    if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD || PQsocket(c->pg) < 0) {
        conn_broken(c, c->pg ? PQerrorMessage(c->pg) : "out of memory");
        return;
    }
    uv_timer_start(&c->timer, on_retry_timer, CONNECT_TIMEOUT_MS, 0);
    if (!conn_poll_for(c, PQsocket(c->pg))) {
        conn_broken(c, "cannot watch the connection's socket");
        return;
    }
    conn_watch(c, UV_WRITABLE);
}

static void conn_on_poll(uv_poll_t *h, int status, int events)
{
    conn_t *c = h->data;
    if (c->poll != h)
        return; /* a handle being closed */
    if (c->state == CONN_CONNECTING) {
        conn_connect_step(c);
        return;
    }
    if (status < 0) {
        conn_broken(c, uv_strerror(status));
        return;
    }
    if (events & UV_READABLE) {
        if (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK) {
            conn_broken(c, PQerrorMessage(c->pg));
            return;
        }
        conn_read_results(c);
        if (c->state != CONN_READY)
            return;
    }
    if (c->want_write || (events & UV_WRITABLE))
        conn_flush(c);
    if (c->state == CONN_READY)
        pool_dispatch(c->pool);
}

/* --- metrics (sampled when /metrics is rendered) ------------------------------------------------ */

static void on_metrics(void *ud)
{
    oi_pg_pipeline_t *p = ud;
    int ready = 0;
    size_t inflight = 0;
    for (int i = 0; i < p->n_conns; i++) {
        ready += p->conns[i].state == CONN_READY;
        inflight += p->conns[i].inflight;
    }
    oi_metric_set("oi_pg_pool_size", p->labels, p->n_conns);
    oi_metric_set("oi_pg_pool_connections_ready", p->labels, ready);
    oi_metric_set("oi_pg_pool_in_flight", p->labels, (double)inflight);
    oi_metric_set("oi_pg_pool_queued", p->labels, (double)p->queued);
}

/* --- public ------------------------------------------------------------------------------------ */

oi_pg_pipeline_t *oi_pg_pipeline_new(uv_loop_t *loop, const oi_pg_pipeline_config_t *cfg)
{
    oi_pg_pipeline_t *p = oi_xcalloc(1, sizeof *p);
    p->loop = loop;
    p->conninfo = oi_xstrdup(cfg->conninfo);
    /* generic plans: the statements here are written for them (keys as index conditions, filters
     * that only drop rows), and a statement over arrays (oi/pg_coalesce.h) otherwise gets a custom
     * plan for every array size it meets, planned again on every execution (measured on a fresh
     * database: 1.63 ms of PostgreSQL CPU per PATCH with custom plans, 0.68 with generic ones);
     * no JIT (oi/pg.h) */
    p->options = oi_xasprintf("-c statement_timeout=%d -c TimeZone=UTC -c plan_cache_mode=force_generic_plan "
                              "-c jit=off", cfg->statement_timeout_ms);
    p->n_conns = cfg->connections > 0 ? cfg->connections : 1;
    p->queue_timeout_ms = cfg->queue_timeout_ms > 0 ? cfg->queue_timeout_ms : 2000;
    p->max_queued = cfg->max_queued > 0 ? (size_t)cfg->max_queued : 4096;
    uv_timer_init(loop, &p->done_timer);
    uv_timer_init(loop, &p->queue_timer);
    p->done_timer.data = p->queue_timer.data = p;
    p->handles_open = 2;
    p->conns = oi_xcalloc((size_t)p->n_conns, sizeof *p->conns);
    for (int i = 0; i < p->n_conns; i++) {
        conn_t *c = &p->conns[i];
        c->pool = p;
        c->fd = -1;
        c->backoff_ms = RETRY_MIN_MS;
        uv_timer_init(loop, &c->timer);
        c->timer.data = c;
        p->handles_open++;
        conn_connect(c);
    }
    if (cfg->name) {
        snprintf(p->labels, sizeof p->labels, "pool=\"%s\"", cfg->name);
        oi_metric_help("oi_pg_pool_size", "gauge", "Connections a PostgreSQL pool opens");
        oi_metric_help("oi_pg_pool_connections_ready", "gauge", "Pipelined PostgreSQL connections that work now");
        oi_metric_help("oi_pg_pool_in_flight", "gauge", "Batches written to PostgreSQL and not yet answered");
        oi_metric_help("oi_pg_pool_queued", "gauge", "Batches waiting for a PostgreSQL connection");
        oi_metric_help("oi_pg_pool_rejected_total", "counter",
                       "Batches refused at once: no working connection, or the queue was full");
        oi_metric_inc("oi_pg_pool_rejected_total", p->labels, 0);
        on_metrics(p);
        oi_metrics_on_render(on_metrics, p);
    }
    return p;
}

static void pool_reject(oi_pg_pipeline_t *p, batch_t *b, oi_status_t st, const char *why)
{
    if (p->labels[0])
        oi_metric_inc("oi_pg_pool_rejected_total", p->labels, 1);
    batch_fail_soon(p, b, st, why);
}

int oi_pg_pipeline_batch(oi_pg_pipeline_t *p, const oi_pg_query_t *q, size_t n, oi_pg_done_cb cb, void *ud)
{
    OI_ASSERT(n >= 1 && n <= OI_PG_BATCH_MAX && cb);
    batch_t *b = batch_new(q, n, cb, ud);
    p->pending++;
    p->submitted++;
    if (p->closing) {
        batch_fail_soon(p, b, OI_UNAVAILABLE, "shutting down");
        return 0;
    }
    conn_t *c = p->q_head ? NULL : pool_pick(p);
    if (c) {
        conn_send(c, b);
        return 0;
    }
    /* nothing works: this batch waits for one connection attempt made now (not after the
     * backoff), so a database that is back serves at once and one that is still away answers
     * within that attempt (refused at once, or the queue timeout) */
    if (!pool_any_ready(p) && !pool_connecting(p) && !pool_kick(p)) {
        pool_reject(p, b, OI_DB_UNAVAILABLE, "database unavailable");
        return 0;
    }
    if (p->queued >= p->max_queued) {
        pool_reject(p, b, OI_DB_UNAVAILABLE, "database pool saturated");
        return 0;
    }
    b->queued_ms = oi_clock_mono_ms();
    fifo_push(&p->q_head, &p->q_tail, b);
    if (p->queued++ == 0)
        uv_timer_start(&p->queue_timer, on_queue_timer, (uint64_t)p->queue_timeout_ms, 0);
    return 0;
}

int oi_pg_pipeline_exec(oi_pg_pipeline_t *p, const oi_pg_stmt_t *stmt, const char *const *params, oi_pg_done_cb cb,
                        void *ud)
{
    oi_pg_query_t q = {stmt, params};
    return oi_pg_pipeline_batch(p, &q, 1, cb, ud);
}

/* The transaction's own plan_cache_mode: the next statement of the batch gets a custom plan. */
static const oi_pg_stmt_t CUSTOM_PLAN = {
    "oi_pg_custom_plan", "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)", 0};

typedef struct {
    oi_pg_done_cb cb;
    void *ud;
} planned_t;

static void on_planned(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    planned_t *pl = ud;
    bool whole = st == OI_OK && n == 2;
    pl->cb(st, err, whole ? res + 1 : NULL, whole ? 1 : 0, pl->ud);
    free(pl);
}

int oi_pg_pipeline_exec_planned(oi_pg_pipeline_t *p, const oi_pg_stmt_t *stmt, const char *const *params,
                                oi_pg_done_cb cb, void *ud)
{
    planned_t *pl = oi_xmalloc(sizeof *pl);
    *pl = (planned_t){cb, ud};
    oi_pg_query_t q[] = {{&CUSTOM_PLAN, NULL}, {stmt, params}};
    return oi_pg_pipeline_batch(p, q, 2, on_planned, pl);
}

bool oi_pg_pipeline_healthy(const oi_pg_pipeline_t *p)
{
    return pool_any_ready(p) || p->last_fail_ms <= p->last_ok_ms;
}

size_t oi_pg_pipeline_pending(const oi_pg_pipeline_t *p) { return p ? p->pending : 0; }

uint64_t oi_pg_pipeline_submitted(const oi_pg_pipeline_t *p) { return p ? p->submitted : 0; }

static void on_pool_timer_closed(uv_handle_t *h)
{
    oi_pg_pipeline_t *p = h->data;
    p->handles_open--;
    pool_maybe_free(p);
}

static void on_conn_timer_closed(uv_handle_t *h)
{
    oi_pg_pipeline_t *p = ((conn_t *)h->data)->pool;
    p->handles_open--;
    pool_maybe_free(p);
}

void oi_pg_pipeline_close(oi_pg_pipeline_t **self_p, void (*on_closed)(void *ud), void *ud)
{
    oi_pg_pipeline_t *p = *self_p;
    *self_p = NULL;
    if (!p || p->closing)
        return;
    p->closing = true;
    p->on_closed = on_closed;
    p->on_closed_ud = ud;
    if (p->labels[0])
        oi_metrics_off_render(on_metrics, p);
    for (int i = 0; i < p->n_conns; i++) {
        conn_t *c = &p->conns[i];
        uv_timer_stop(&c->timer);
        if (c->state != CONN_DOWN)
            conn_broken(c, "closing");
        uv_close((uv_handle_t *)&c->timer, on_conn_timer_closed);
    }
    pool_fail_queue(p, OI_UNAVAILABLE, "shutting down");
    uv_timer_stop(&p->queue_timer);
    uv_close((uv_handle_t *)&p->queue_timer, on_pool_timer_closed);
    /* every answer is given now (callbacks that submit again are refused the same way) */
    while (p->done_head)
        on_done_timer(&p->done_timer);
    uv_timer_stop(&p->done_timer);
    uv_close((uv_handle_t *)&p->done_timer, on_pool_timer_closed);
}
