/* failures.c: ReportFailure: PostgreSQL first (the truth), then the Redis copy. */
#define OI_LOG_TAG "dsp.failures"
#include "failures.h"

#include <stdio.h>
#include <stdlib.h>

#include "cache.h"
#include "check.h"
#include "dsp.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "route_db.h"

typedef struct {
    dsp_t *d;
    oi_rpc_call_t *call;
    char *call_id;                  /* owned */
    char agent_id[OI_UUID_STR_LEN + 1];
} report_t;

static void report_free(report_t *r)
{
    free(r->call_id);
    free(r);
}

static void on_redis_recorded(oi_status_t st, void *ud)
{
    report_t *r = ud;
    if (st)
        oi_log_warn(&(oi_log_ctx_t){.action = "recording call failure"},
                    "redis copy failed (%s); the cache is resynchronised before reuse", oi_status_name(st));
    oi_rpc_call_reply(&r->call, OI_OK, NULL, NULL);
    report_free(r);
}

static void on_stored(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)res;
    (void)n;
    report_t *r = ud;
    r->d->busy--;
    if (st) {
        oi_rpc_call_reply(&r->call, st, err, NULL);
        report_free(r);
        return;
    }
    /* While the cache is unusable Resolve reads failures from PostgreSQL, and the resync that
     * makes it usable again copies them over: nothing to write now. */
    if (!dsp_cache_usable(r->d->cache)) {
        on_redis_recorded(OI_OK, r);
        return;
    }
    dsp_cache_record_failure(r->d->cache, r->call_id, r->agent_id, on_redis_recorded, r);
}

void dsp_report_failure_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg)
{
    const Oneinbox__V1__ReportFailureRequest *req = (const Oneinbox__V1__ReportFailureRequest *)msg;
    oi_error_t err;
    oi_error_init(&err);
    oi_status_t rc = dsp_check_report_failure(req, &err);
    if (rc) {
        oi_rpc_call_reply(&call, rc, &err, NULL);
        return;
    }
    report_t *r = oi_xcalloc(1, sizeof *r);
    r->d = ctx->ud;
    r->call = call;
    r->call_id = oi_xstrdup(req->call_id);
    oi_uuid_normalize(req->agent_id, r->agent_id);
    r->d->busy++;
    dsp_failure_store(r->d->pipeline, r->call_id, r->agent_id, on_stored, r);
}
