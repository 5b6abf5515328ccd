/* idem_purge.c: deleting idempotency records past their retention (idem_purge.h). */
#define OI_LOG_TAG "gw.idempotency"
#include "idem_purge.h"

#include <stdio.h>
#include <stdlib.h>

#include "oi/log.h"
#include "oi/mem.h"

#define PURGE_BATCH "1000"

struct gw_idem_purge {
    gw_t *gw;          /* borrowed */
    const char *conninfo; /* borrowed (environment): a connection of its own, so a batch in flight
                          * never outlives the request pool it would otherwise borrow from */
    uv_timer_t timer;
    uv_work_t work;
    char ttl[16];      /* hours, as text */
    long deleted;      /* by the last batch (threadpool → loop) */
    bool busy, closing;
};

static void close_done(uv_handle_t *h) { free(h->data); }

static void maybe_free(gw_idem_purge_t *p)
{
    if (p->closing && !p->busy)
        uv_close((uv_handle_t *)&p->timer, close_done);
}

/* One batch of the oldest expired records (a batch keeps each transaction short). */
static void on_work(uv_work_t *w)
{
    gw_idem_purge_t *p = w->data;
    p->deleted = -1;
    oi_error_t err;
    oi_error_init(&err);
    PGconn *c = PQconnectdb(p->conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return;
    }
    const char *params[] = {p->ttl};
    PGresult *res = NULL;
    if (!oi_pg_exec(c,
                    "DELETE FROM gateway.idempotency_keys WHERE ctid = ANY (ARRAY(SELECT ctid FROM "
                    "gateway.idempotency_keys WHERE created_at < now() - ($1::text || ' hours')::interval "
                    "LIMIT " PURGE_BATCH "))",
                    1, params, &res, &err))
        p->deleted = strtol(PQcmdTuples(res), NULL, 10);
    if (res)
        PQclear(res);
    PQfinish(c);
}

static void on_after(uv_work_t *w, int status)
{
    gw_idem_purge_t *p = w->data;
    p->busy = false;
    if (p->deleted > 0)
        oi_log_info(&(oi_log_ctx_t){.action = "purging idempotency records"}, "%ld older than %s h deleted",
                    p->deleted, p->ttl);
    /* a full batch: more may be waiting, go on at once */
    if (status == 0 && !p->closing && p->deleted >= atol(PURGE_BATCH))
        uv_timer_start(&p->timer, p->timer.timer_cb, 0, uv_timer_get_repeat(&p->timer));
    maybe_free(p);
}

static void on_tick(uv_timer_t *t)
{
    gw_idem_purge_t *p = t->data;
    if (p->busy || p->closing)
        return;
    p->busy = true;
    uv_queue_work(p->gw->loop, &p->work, on_work, on_after);
}

gw_idem_purge_t *gw_idem_purge_new(gw_t *gw, const char *conninfo, int ttl_hours, int interval_ms)
{
    gw_idem_purge_t *p = oi_xcalloc(1, sizeof *p);
    p->gw = gw;
    p->conninfo = conninfo;
    snprintf(p->ttl, sizeof p->ttl, "%d", ttl_hours);
    p->work.data = p;
    uv_timer_init(gw->loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, on_tick, (uint64_t)interval_ms, (uint64_t)interval_ms);
    return p;
}

void gw_idem_purge_close(gw_idem_purge_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_idem_purge_t *p = *self_p;
    *self_p = NULL;
    uv_timer_stop(&p->timer);
    p->closing = true;
    maybe_free(p);
}
