/* quarantine.c: releasing purchased numbers whose quarantine ended (quarantine.h). */
#define OI_LOG_TAG "prov.quarantine"
#include "quarantine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "engine.h"
#include "job_policy.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/periodic.h"
#include "oi/pg.h"
#include "submit_db.h"

#define GAUGE "oi_provisioning_numbers_quarantined"

struct prov_quarantine {
    oi_periodic_t *rounds; /* owned; NULL once closing */
    oi_periodic_t *round;  /* the round in flight's handle: still live while closing */
    prov_t *p;             /* borrowed */
};

/* "{id,id,…}": PROV_RELEASE_BATCH fresh job ids (uuid7: jobs list in the order they were made). */
static char *fresh_job_ids(void)
{
    size_t n = PROV_RELEASE_BATCH * (OI_UUID_STR_LEN + 1) + 2;
    char *out = oi_xmalloc(n), *at = out;
    *at++ = '{';
    for (int i = 0; i < PROV_RELEASE_BATCH; i++) {
        if (i)
            *at++ = ',';
        oi_uuid7_new(at);
        at += OI_UUID_STR_LEN;
    }
    *at++ = '}';
    *at = '\0';
    return out;
}

static void on_released(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    prov_quarantine_t *q = ud;
    prov_t *p = q->p;
    if (st || n != 1) {
        oi_log_warn(&(oi_log_ctx_t){.action = "ending quarantines"}, "%s", st && err ? err->message : "failed");
        oi_periodic_done(q->round, false);
        return;
    }
    int rows = PQntuples(res[0]), jobs = 0;
    bool lanes[PROV_LANE__COUNT] = {false};
    for (int i = 0; i < rows; i++) {
        const char *job = oi_pg_get(res[0], i, "job_id"), *left = oi_pg_get(res[0], i, "left_quarantined");
        if (left)
            oi_metric_set(GAUGE, NULL, strtod(left, NULL));
        prov_lane_t lane;
        if (!job || !prov_lane_parse(oi_pg_get(res[0], i, "lane"), &lane))
            continue;
        jobs++;
        lanes[lane] = true;
        prov_announce_number(p->announcer, oi_pg_get(res[0], i, "number_id"), NULL, NULL); /* now "releasing" */
        oi_log_info(&(oi_log_ctx_t){.request_id = job, .action = "ending quarantines"},
                    "number %s: quarantine over, releasing it", oi_pg_get(res[0], i, "number_id"));
    }
    for (int l = 0; l < PROV_LANE__COUNT && p->engine; l++) /* draining: the sweeps of others take them */
        if (lanes[l])
            prov_engine_queued(p->engine, (prov_lane_t)l, 0, true);
    oi_periodic_done(q->round, jobs >= PROV_RELEASE_BATCH); /* a full batch: more may be due */
}

static void round_start(oi_periodic_t *rounds, void *ud)
{
    prov_quarantine_t *q = ud;
    q->round = rounds;
    if (q->p->draining || !q->p->pg || !q->p->engine) {
        oi_periodic_done(rounds, false);
        return;
    }
    char *ids = fresh_job_ids();
    prov_submit_release_due(q->p, ids, on_released, q);
    free(ids);
}

prov_quarantine_t *prov_quarantine_new(prov_t *p, int interval_ms)
{
    oi_metric_help(GAUGE, "gauge", "purchased numbers in quarantine after a DELETE (restorable; seen at the last sweep)");
    prov_quarantine_t *q = oi_xcalloc(1, sizeof *q);
    q->p = p;
    q->rounds = oi_periodic_new(p->loop, (uint64_t)interval_ms, round_start, q);
    return q;
}

void prov_quarantine_close(prov_quarantine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    prov_quarantine_t *q = *self_p;
    *self_p = NULL;
    oi_periodic_close(&q->rounds, free);
}
