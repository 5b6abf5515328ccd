/* job_retention.c: clearing what finished jobs keep past their retention (job_retention.h). */
#define OI_LOG_TAG "prov.retention"
#include "job_retention.h"

#include <stdio.h>
#include <stdlib.h>

#include "oi/log.h"
#include "oi/mem.h"
#include "oi/pg_pipeline.h"

#define BATCH 1000
#define OI_STR_(x) #x
#define OI_STR(x) OI_STR_(x)

struct prov_retention {
    prov_t *p;            /* borrowed */
    uv_timer_t timer;
    char days[16];
    bool busy, closing;
};

/* The payload keys that hold sealed values (trunk_creds.h). */
static const oi_pg_stmt_t CLEAR = {
    "prov_jobs_retention_clear",
    "WITH old AS (SELECT id FROM provisioning.jobs WHERE state IN ('succeeded', 'failed', 'cancelled') "
    "AND updated_at < clock_timestamp() - ($1::text || ' days')::interval "
    "AND (request_sealed <> '' OR payload ? 'sip_password_sealed') LIMIT " OI_STR(BATCH) ") "
    "UPDATE provisioning.jobs j SET request_sealed = '', payload = j.payload - 'sip_password_sealed' "
    "FROM old WHERE j.id = old.id RETURNING j.id",
    1};

static void close_done(uv_handle_t *h) { free(h->data); }

static void maybe_free(prov_retention_t *r)
{
    if (r->closing && !r->busy)
        uv_close((uv_handle_t *)&r->timer, close_done);
}

static void on_cleared(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    prov_retention_t *r = ud;
    r->busy = false;
    int cleared = !st && n == 1 ? PQntuples(res[0]) : 0;
    if (st)
        oi_log_warn(&(oi_log_ctx_t){.action = "clearing old jobs"}, "%s", err ? err->message : "failed");
    else if (cleared > 0)
        oi_log_info(&(oi_log_ctx_t){.action = "clearing old jobs"},
                    "%d finished jobs older than %s days lost their sealed request", cleared, r->days);
    if (!r->closing && cleared >= BATCH) /* more may be waiting */
        uv_timer_start(&r->timer, r->timer.timer_cb, 0, uv_timer_get_repeat(&r->timer));
    maybe_free(r);
}

static void on_tick(uv_timer_t *t)
{
    prov_retention_t *r = t->data;
    if (r->busy || r->closing || r->p->draining)
        return;
    r->busy = true;
    const char *params[] = {r->days};
    oi_pg_pipeline_exec(r->p->pg, &CLEAR, params, on_cleared, r);
}

prov_retention_t *prov_retention_new(prov_t *p, int days, int interval_ms)
{
    prov_retention_t *r = oi_xcalloc(1, sizeof *r);
    r->p = p;
    snprintf(r->days, sizeof r->days, "%d", days);
    uv_timer_init(p->loop, &r->timer);
    r->timer.data = r;
    uv_timer_start(&r->timer, on_tick, (uint64_t)interval_ms, (uint64_t)interval_ms);
    return r;
}

void prov_retention_close(prov_retention_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    prov_retention_t *r = *self_p;
    *self_p = NULL;
    uv_timer_stop(&r->timer);
    r->closing = true;
    maybe_free(r);
}
