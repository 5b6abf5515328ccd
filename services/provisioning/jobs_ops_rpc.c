/* jobs_ops_rpc.c: waiting for a job, and the ops queue (get, list, retry, cancel). */
#define OI_LOG_TAG "prov.jobs"
#include "jobs_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "engine.h"
#include "job_wait.h"
#include "jobs.h"
#include "jobs_read.h"
#include "oi/clock.h"
#include "oi/ids.h"
#include "oi/mem.h"
#include "oi/pg.h"

#define LIST_MAX 100
#define LIST_DEFAULT 20
#define ANSWER_MARGIN_MS 100 /* a wait answers this much before the caller's deadline */

/* The jobs the caller may see: all for the platform's admin (*ws NULL), else its workspace's. A
 * call that is neither is refused: an empty workspace grants nothing. */
static bool scoped(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const char **ws)
{
    if (ctx->admin) {
        *ws = NULL;
        return true;
    }
    if (oi_uuid_valid(ctx->workspace_id)) {
        *ws = ctx->workspace_id;
        return true;
    }
    oi_error_t e;
    oi_error_init(&e);
    oi_error_set(&e, OI_UNAUTHORIZED, "no workspace, and not the platform's admin");
    prov_call_fail(call, OI_UNAUTHORIZED, &e);
    return false;
}

static oi_status_t one_job(const prov_call_t *c, PGresult *const *res, size_t n, ProtobufCMessage **reply,
                           oi_error_t *err)
{
    (void)c;
    if (n != 1 || PQntuples(res[0]) != 1)
        return oi_error_set(err, OI_JOB_NOT_FOUND, NULL);
    *reply = &prov_jobs_to_proto(res[0], 0)->base;
    return OI_OK;
}

PROV_RPC(prov_rpc_get_job)
{
    const char *ws = NULL;
    if (!scoped(call, ctx, &ws))
        return;
    const Oneinbox__V1__JobIdRequest *r = (const Oneinbox__V1__JobIdRequest *)req;
    if (!oi_uuid_valid(r->id)) {
        prov_call_fail(call, OI_JOB_NOT_FOUND, NULL);
        return;
    }
    prov_jobs_get(ctx->ud, ws, r->id, prov_call_done, prov_call_new(call, one_job, 0));
}

/* --- WaitJob: the caller's workspace first, then a waiter ------------------------------------------ */

typedef struct {
    oi_rpc_call_t *call;
    prov_t *p;
    int wait_ms;
    char id[OI_UUID_STR_LEN + 1];
    char ws[OI_UUID_STR_LEN + 1];
} wait_req_t;

static void on_visible(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    wait_req_t *w = ud;
    if (st || n != 1 || PQntuples(res[0]) != 1 || prov_jobs_row_terminal(res[0], 0) || w->wait_ms <= 0) {
        prov_call_done(st, err, res, n, prov_call_new(w->call, one_job, 0));
        free(w);
        return;
    }
    prov_job_state_t state = PROV_JOB_QUEUED;
    prov_job_state_parse(oi_pg_get(res[0], 0, "state"), &state);
    prov_wait_answer(w->p, w->call, w->ws, w->id, w->wait_ms, true, state);
    free(w);
}

PROV_RPC(prov_rpc_wait_job)
{
    const char *ws = NULL;
    if (!scoped(call, ctx, &ws))
        return;
    const Oneinbox__V1__JobIdRequest *r = (const Oneinbox__V1__JobIdRequest *)req;
    if (!oi_uuid_valid(r->id)) {
        prov_call_fail(call, OI_JOB_NOT_FOUND, NULL);
        return;
    }
    int64_t budget = ctx->deadline_ms - oi_clock_now_ms() - ANSWER_MARGIN_MS; /* answer before the caller gives up */
    wait_req_t *w = oi_xcalloc(1, sizeof *w);
    w->call = call;
    w->p = ctx->ud;
    w->wait_ms = r->wait_ms < 0 ? 0 : r->wait_ms;
    if (budget < w->wait_ms)
        w->wait_ms = budget > 0 ? (int)budget : 0;
    snprintf(w->id, sizeof w->id, "%s", r->id);
    snprintf(w->ws, sizeof w->ws, "%s", ctx->workspace_id);
    prov_jobs_get(w->p, ws, r->id, on_visible, w);
}

/* --- ListJobs ----------------------------------------------------------------------------------------- */

static oi_status_t list_reply(const prov_call_t *c, PGresult *const *res, size_t n, ProtobufCMessage **reply,
                              oi_error_t *err)
{
    (void)err;
    int limit = (int)prov_call_arg(c);
    Oneinbox__V1__ListJobsReply *out = oi_xmalloc(sizeof *out);
    oneinbox__v1__list_jobs_reply__init(out);
    int rows = n == 1 ? PQntuples(res[0]) : 0;
    int take = rows > limit ? limit : rows;
    out->jobs = oi_xcalloc((size_t)take + 1, sizeof *out->jobs);
    for (int i = 0; i < take; i++)
        out->jobs[out->n_jobs++] = prov_jobs_to_proto(res[0], i);
    out->next_cursor = oi_xstrdup(rows > limit ? oi_pg_get(res[0], take - 1, "id") : "");
    *reply = &out->base;
    return OI_OK;
}

static oi_status_t list_check(const Oneinbox__V1__ListJobsRequest *r, int *limit, oi_error_t *err)
{
    prov_job_state_t st;
    prov_job_kind_t kind;
    *limit = r->limit <= 0 ? LIST_DEFAULT : r->limit;
    if (*limit > LIST_MAX)
        return oi_error_set(err, OI_INVALID, "limit must be between 1 and %d", LIST_MAX);
    if (r->state && !prov_job_state_from_proto(r->state, &st))
        return oi_error_set(err, OI_INVALID, "unknown job state");
    if (r->kind && !prov_job_kind_from_proto(r->kind, &kind))
        return oi_error_set(err, OI_INVALID, "unknown job kind");
    if (r->cursor[0] && !oi_uuid_valid(r->cursor))
        return oi_error_set(err, OI_INVALID, "invalid cursor");
    return OI_OK;
}

PROV_RPC(prov_rpc_list_jobs)
{
    const char *ws = NULL;
    if (!scoped(call, ctx, &ws))
        return;
    const Oneinbox__V1__ListJobsRequest *r = (const Oneinbox__V1__ListJobsRequest *)req;
    int limit;
    oi_error_t e;
    oi_error_init(&e);
    oi_status_t rc = list_check(r, &limit, &e);
    if (rc) {
        prov_call_fail(call, rc, &e);
        return;
    }
    prov_job_state_t st = PROV_JOB_QUEUED;
    prov_job_kind_t kind = PROV_KIND_REGISTER;
    bool by_state = prov_job_state_from_proto(r->state, &st), by_kind = prov_job_kind_from_proto(r->kind, &kind);
    prov_jobs_list(ctx->ud, ws, by_state ? prov_job_state_name(st) : NULL, by_kind ? prov_job_kind_name(kind) : NULL,
                   r->cursor[0] ? r->cursor : NULL, limit, prov_call_done, prov_call_new(call, list_reply, limit));
}

/* --- RetryJob: a failed job goes back to the queue ------------------------------------------------------ */

static const oi_pg_stmt_t RETRY = {
    "prov_job_retry",
    "WITH u AS (UPDATE provisioning.jobs SET state = 'queued', attempts = 0, step = '', run_after = "
    "clock_timestamp(), updated_at = clock_timestamp(), notify = true, events = CASE WHEN jsonb_array_length(events) "
    ">= 100 THEN events ELSE events || jsonb_build_array(jsonb_build_object('at', to_char(clock_timestamp(), "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'step', '', 'state', 'queued', 'error', '')) END WHERE id = $1::uuid AND "
    "($2::uuid IS NULL OR workspace_id = $2::uuid) AND state = 'failed' RETURNING lane) "
    "SELECT (SELECT lane FROM u) AS retried_lane, j.state FROM provisioning.jobs j WHERE j.id = $1::uuid AND "
    "($2::uuid IS NULL OR j.workspace_id = $2::uuid)",
    2};

typedef struct {
    oi_rpc_call_t *call;
    prov_t *p;
    char id[OI_UUID_STR_LEN + 1];
    char ws[OI_UUID_STR_LEN + 1];
} ops_t;

static void on_retried(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    ops_t *o = ud;
    oi_error_t e;
    oi_error_init(&e);
    if (!st && (n != 1 || PQntuples(res[0]) != 1))
        st = oi_error_set(&e, OI_JOB_NOT_FOUND, NULL);
    else if (!st && !oi_pg_get(res[0], 0, "retried_lane"))
        st = oi_error_set(&e, OI_JOB_NOT_RETRYABLE, "only a failed job can be retried (this one is %s)",
                          oi_pg_get(res[0], 0, "state"));
    else if (st && err)
        e = *err;
    if (st) {
        prov_call_fail(o->call, st, &e);
        free(o);
        return;
    }
    prov_lane_t lane;
    if (!prov_lane_parse(oi_pg_get(res[0], 0, "retried_lane"), &lane))
        lane = PROV_LANE_LOCAL;
    prov_engine_queued(o->p->engine, lane, 0, true);
    prov_jobs_get(o->p, o->ws[0] ? o->ws : NULL, o->id, prov_call_done, prov_call_new(o->call, one_job, 0));
    free(o);
}

static ops_t *ops_new(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const char *id)
{
    ops_t *o = oi_xcalloc(1, sizeof *o);
    o->call = call;
    o->p = ctx->ud;
    snprintf(o->id, sizeof o->id, "%s", id);
    snprintf(o->ws, sizeof o->ws, "%s", ctx->workspace_id);
    return o;
}

PROV_RPC(prov_rpc_retry_job)
{
    const char *ws = NULL;
    if (!scoped(call, ctx, &ws))
        return;
    const Oneinbox__V1__JobIdRequest *r = (const Oneinbox__V1__JobIdRequest *)req;
    if (!oi_uuid_valid(r->id)) {
        prov_call_fail(call, OI_JOB_NOT_FOUND, NULL);
        return;
    }
    ops_t *o = ops_new(call, ctx, r->id);
    const char *params[] = {r->id, ws};
    oi_pg_pipeline_exec(o->p->pg, &RETRY, params, on_retried, o);
}

/* --- CancelJob: a queued job that bought nothing is taken from the queue and undone ------------------- */

static const oi_pg_stmt_t TAKE_FOR_CANCEL = {
    "prov_job_take_for_cancel",
    "WITH u AS (UPDATE provisioning.jobs SET state = 'running', lease_owner = $3, lease_until = clock_timestamp() + "
    "($4::text || ' milliseconds')::interval, updated_at = clock_timestamp() WHERE id = $1::uuid AND ($2::uuid IS "
    "NULL OR workspace_id = $2::uuid) AND (state = 'queued') IS TRUE AND NOT charged RETURNING " PROV_RUN_COLS ") "
    "SELECT u.*, j.state AS before FROM provisioning.jobs j LEFT JOIN u ON u.id = j.id WHERE j.id = $1::uuid AND "
    "($2::uuid IS NULL OR j.workspace_id = $2::uuid)",
    4};

static void on_taken(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    ops_t *o = ud;
    oi_error_t e;
    oi_error_init(&e);
    prov_job_t *job = NULL;
    if (!st && (n != 1 || PQntuples(res[0]) != 1))
        st = oi_error_set(&e, OI_JOB_NOT_FOUND, NULL);
    else if (!st && !(job = prov_job_from_row(res[0], 0)))
        st = oi_error_set(&e, OI_JOB_NOT_RETRYABLE,
                          "only a queued job that has not bought anything can be cancelled (this one is %s)",
                          oi_pg_get(res[0], 0, "before"));
    else if (st && err)
        e = *err;
    if (st) {
        prov_call_fail(o->call, st, &e);
        free(o);
        return;
    }
    prov_wait_answer(o->p, o->call, o->ws, o->id, (int)o->p->rpc_timeout_ms, false, PROV_JOB_QUEUED);
    prov_run_t *run = prov_run_new(o->p, &job, NULL, NULL);
    prov_engine_adopt_cancel(o->p->engine, run);
    free(o);
}

PROV_RPC(prov_rpc_cancel_job)
{
    const char *ws = NULL;
    if (!scoped(call, ctx, &ws))
        return;
    const Oneinbox__V1__JobIdRequest *r = (const Oneinbox__V1__JobIdRequest *)req;
    if (!oi_uuid_valid(r->id)) {
        prov_call_fail(call, OI_JOB_NOT_FOUND, NULL);
        return;
    }
    ops_t *o = ops_new(call, ctx, r->id);
    char lease[24];
    snprintf(lease, sizeof lease, "%d", o->p->lease_ms);
    const char *params[] = {r->id, ws, o->p->owner, lease};
    oi_pg_pipeline_exec(o->p->pg, &TAKE_FOR_CANCEL, params, on_taken, o);
}
