/* jobs_ops_rpc.c: waiting for a job, and the ops queue (get, list, retry, cancel). */
#define OI_LOG_TAG "prov.jobs"
#include "jobs_rpc.h"

#include <stdio.h>
#include <stdlib.h>

#include "jobs_db.h"
#include "oi/clock.h"
#include "oi/ids.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "runner.h"

#define LIST_MAX 100
#define LIST_DEFAULT 20
#define WAIT_POLL_MS 50

/* "" = admin; otherwise the job must belong to the caller's workspace. */
static const char *scope(const oi_rpc_ctx_t *ctx) { return ctx->workspace_id[0] ? ctx->workspace_id : NULL; }

static oi_status_t job_reply(PGconn *c, const oi_rpc_ctx_t *ctx, const char *id, ProtobufCMessage **reply,
                             oi_error_t *err)
{
    Oneinbox__V1__Job *job = NULL;
    oi_status_t rc = prov_job_load_proto(c, scope(ctx), id, &job, err);
    if (!rc)
        *reply = &job->base;
    return rc;
}

/* The job's state on a pooled connection held only for the query: a waiter must never keep a
 * connection while it sleeps, or enough waiters starve the runners that would end their jobs. */
static oi_status_t load_state(prov_t *p, const char *id, prov_job_state_t *st, oi_error_t *err)
{
    PGconn *c = NULL;
    oi_status_t rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = prov_job_load_state(c, id, st, err);
    prov_db_release(p, &c);
    return rc;
}

/* Polls the job's state until it is terminal or wait_ms passed; local runners wake us early. */
static oi_status_t wait_terminal(prov_t *p, const char *id, int wait_ms, oi_error_t *err)
{
    int64_t until = oi_clock_mono_ms() + wait_ms;
    for (;;) {
        prov_job_state_t st;
        oi_status_t rc = load_state(p, id, &st, err);
        if (rc || prov_job_state_terminal(st))
            return rc;
        int64_t left = until - oi_clock_mono_ms();
        if (left <= 0 || p->draining)
            return OI_OK;
        prov_runner_wait_any(p->runner, left < WAIT_POLL_MS ? (int)left : WAIT_POLL_MS);
    }
}

/* The job as the caller may see it (its workspace only); NULL reply when only checking. */
static oi_status_t load_visible(prov_t *p, const oi_rpc_ctx_t *ctx, const char *id, ProtobufCMessage **reply,
                                oi_error_t *err)
{
    PGconn *c = NULL;
    oi_status_t rc = prov_db_acquire(p, &c, err);
    Oneinbox__V1__Job *job = NULL;
    if (!rc)
        rc = prov_job_load_proto(c, scope(ctx), id, &job, err);
    prov_db_release(p, &c);
    if (rc)
        return rc;
    if (reply)
        *reply = &job->base;
    else
        protobuf_c_message_free_unpacked(&job->base, NULL);
    return OI_OK;
}

PROV_RPC(prov_rpc_wait_job)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__JobIdRequest *r = (const Oneinbox__V1__JobIdRequest *)req;
    if (!oi_uuid_valid(r->id))
        return oi_error_set(err, OI_JOB_NOT_FOUND, NULL);
    int wait_ms = r->wait_ms < 0 ? 0 : r->wait_ms;
    int64_t budget = ctx->deadline_ms - oi_clock_now_ms() - 100; /* answer before the caller gives up */
    if (budget < wait_ms)
        wait_ms = budget > 0 ? (int)budget : 0;
    oi_status_t rc = load_visible(p, ctx, r->id, NULL, err); /* the workspace, before waiting */
    if (!rc)
        rc = wait_terminal(p, r->id, wait_ms, err);
    if (!rc)
        rc = load_visible(p, ctx, r->id, reply, err);
    return rc;
}

PROV_RPC(prov_rpc_get_job)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__JobIdRequest *r = (const Oneinbox__V1__JobIdRequest *)req;
    if (!oi_uuid_valid(r->id))
        return oi_error_set(err, OI_JOB_NOT_FOUND, NULL);
    return load_visible(p, ctx, r->id, reply, err);
}

static oi_status_t list_check(const Oneinbox__V1__ListJobsRequest *r, int *limit, oi_error_t *err)
{
    prov_job_state_t st;
    prov_job_kind_t kind;
    *limit = r->limit <= 0 ? LIST_DEFAULT : r->limit;
    if (*limit > LIST_MAX)
        return oi_error_set(err, OI_INVALID, "limit must be between 1 and %d", LIST_MAX);
    if (r->state[0] && !prov_job_state_parse(r->state, &st))
        return oi_error_set(err, OI_INVALID, "unknown job state");
    if (r->kind[0] && !prov_job_kind_parse(r->kind, &kind))
        return oi_error_set(err, OI_INVALID, "unknown job kind");
    if (r->cursor[0] && !oi_uuid_valid(r->cursor))
        return oi_error_set(err, OI_INVALID, "invalid cursor");
    return OI_OK;
}

static oi_status_t list_reply(PGconn *c, const PGresult *res, int limit, ProtobufCMessage **reply, oi_error_t *err)
{
    Oneinbox__V1__ListJobsReply *out = oi_xmalloc(sizeof *out);
    oneinbox__v1__list_jobs_reply__init(out);
    int n = PQntuples(res);
    int take = n > limit ? limit : n;
    out->jobs = oi_xcalloc((size_t)take + 1, sizeof *out->jobs);
    out->next_cursor = oi_xstrdup(n > limit ? oi_pg_get(res, take - 1, "id") : "");
    oi_status_t rc = OI_OK;
    for (int i = 0; i < take && !rc; i++) {
        Oneinbox__V1__Job *j = prov_job_row_to_proto(c, res, i, &rc, err);
        if (j)
            out->jobs[out->n_jobs++] = j;
    }
    if (rc) {
        protobuf_c_message_free_unpacked(&out->base, NULL);
        return rc;
    }
    *reply = &out->base;
    return OI_OK;
}

PROV_RPC(prov_rpc_list_jobs)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__ListJobsRequest *r = (const Oneinbox__V1__ListJobsRequest *)req;
    int limit;
    oi_status_t rc = list_check(r, &limit, err);
    if (rc)
        return rc;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *params[] = {scope(ctx), r->state[0] ? r->state : NULL, r->kind[0] ? r->kind : NULL,
                            r->cursor[0] ? r->cursor : NULL, lim};
    PGconn *c = NULL;
    PGresult *res = NULL;
    rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = oi_pg_exec(c,
                        "SELECT " PROV_JOB_COLS " FROM provisioning.jobs WHERE ($1::uuid IS NULL OR workspace_id = "
                        "$1::uuid) AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR kind = $3) AND "
                        "($4::uuid IS NULL OR (created_at, id) < (SELECT created_at, id FROM provisioning.jobs "
                        "WHERE id = $4::uuid)) ORDER BY created_at DESC, id DESC LIMIT $5::int",
                        5, params, &res, err);
    if (!rc)
        rc = list_reply(c, res, limit, reply, err);
    PQclear(res);
    prov_db_release(p, &c);
    return rc;
}

PROV_RPC(prov_rpc_retry_job)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__JobIdRequest *r = (const Oneinbox__V1__JobIdRequest *)req;
    if (!oi_uuid_valid(r->id))
        return oi_error_set(err, OI_JOB_NOT_FOUND, NULL);
    PGconn *c = NULL;
    prov_job_t *job = NULL;
    oi_status_t rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = prov_job_load(c, scope(ctx), r->id, &job, err);
    if (!rc && job->state != PROV_JOB_FAILED)
        rc = oi_error_set(err, OI_JOB_NOT_RETRYABLE, "only a failed job can be retried (this one is %s)",
                          prov_job_state_name(job->state));
    if (!rc && prov_job_set_state(p, c, job, PROV_JOB_QUEUED, NULL, 0, err))
        rc = oi_error_set(err, OI_JOB_NOT_RETRYABLE, "the job changed meanwhile");
    if (!rc) {
        prov_runner_kick(p->runner, r->id);
        rc = job_reply(c, ctx, r->id, reply, err);
    }
    prov_job_free(&job);
    prov_db_release(p, &c);
    return rc;
}

PROV_RPC(prov_rpc_cancel_job)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__JobIdRequest *r = (const Oneinbox__V1__JobIdRequest *)req;
    if (!oi_uuid_valid(r->id))
        return oi_error_set(err, OI_JOB_NOT_FOUND, NULL);
    PGconn *c = NULL;
    prov_job_t *job = NULL;
    oi_status_t rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = prov_job_load(c, scope(ctx), r->id, &job, err);
    if (!rc && (job->state != PROV_JOB_QUEUED || job->charged))
        rc = oi_error_set(err, OI_JOB_NOT_RETRYABLE, "only a queued job that has not bought anything can be "
                                                     "cancelled (this one is %s)", prov_job_state_name(job->state));
    if (!rc && job->step && job->step[0])
        rc = prov_runner_compensate(p, c, job, err);
    if (!rc && prov_job_set_state(p, c, job, PROV_JOB_CANCELLED, NULL, 0, err))
        rc = oi_error_set(err, OI_JOB_NOT_RETRYABLE, "the job changed meanwhile");
    if (!rc)
        rc = job_reply(c, ctx, r->id, reply, err);
    prov_job_free(&job);
    prov_db_release(p, &c);
    return rc;
}
