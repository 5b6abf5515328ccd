/* job_retention.c: clearing what finished jobs keep past their retention (job_retention.h). */
#define OI_LOG_TAG "prov.retention"
#include "job_retention.h"

#include <stdio.h>
#include <stdlib.h>

#include "oi/log.h"
#include "oi/mem.h"
#include "oi/periodic.h"
#include "oi/pg_pipeline.h"

#define BATCH 1000

struct prov_retention {
    oi_periodic_t *rounds; /* owned; NULL once closing */
    oi_periodic_t *round;  /* the round in flight's handle: still live while closing */
    prov_t *p;             /* borrowed */
    char days[16];
};

/* The payload keys that hold sealed values (trunk_creds.h). */
static const oi_pg_stmt_t CLEAR = {
    "prov_jobs_retention_clear",
    "WITH old AS (SELECT id FROM provisioning.jobs WHERE state IN ('succeeded', 'failed', 'cancelled') "
    "AND updated_at < now() - ($1::text || ' days')::interval " /* now(): an index condition (jobs_sealed) */
    "AND (request_sealed <> '' OR payload ? 'sip_password_sealed') LIMIT 1000) " /* BATCH */
    "UPDATE provisioning.jobs j SET request_sealed = '', payload = j.payload - 'sip_password_sealed' "
    "FROM old WHERE j.id = old.id RETURNING j.id",
    1};

static void on_cleared(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    prov_retention_t *r = ud;
    int cleared = !st && n == 1 ? PQntuples(res[0]) : 0;
    if (st)
        oi_log_warn(&(oi_log_ctx_t){.action = "clearing old jobs"}, "%s", err ? err->message : "failed");
    else if (cleared > 0)
        oi_log_info(&(oi_log_ctx_t){.action = "clearing old jobs"},
                    "%d finished jobs older than %s days lost their sealed request", cleared, r->days);
    oi_periodic_done(r->round, cleared >= BATCH); /* a full batch: more may be waiting */
}

static void round_start(oi_periodic_t *rounds, void *ud)
{
    prov_retention_t *r = ud;
    r->round = rounds;
    if (r->p->draining || !r->p->pg) {
        oi_periodic_done(rounds, false);
        return;
    }
    const char *params[] = {r->days};
    oi_pg_pipeline_exec(r->p->pg, &CLEAR, params, on_cleared, r);
}

prov_retention_t *prov_retention_new(prov_t *p, int days, int interval_ms)
{
    prov_retention_t *r = oi_xcalloc(1, sizeof *r);
    r->p = p;
    snprintf(r->days, sizeof r->days, "%d", days);
    r->rounds = oi_periodic_new(p->loop, (uint64_t)interval_ms, round_start, r);
    return r;
}

void prov_retention_close(prov_retention_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    prov_retention_t *r = *self_p;
    *self_p = NULL;
    oi_periodic_close(&r->rounds, free);
}
