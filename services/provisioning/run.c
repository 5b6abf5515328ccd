/* run.c: one job's run: the step loop, recording, retry and compensation decisions. */
#define OI_LOG_TAG "prov.run"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "jobs.h"
#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "oi/metrics.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "waiters.h"

prov_run_t *prov_run_new(prov_t *p, prov_job_t **job, ProtobufCMessage **req, Oneinbox__V1__PhoneNumber **number)
{
    prov_run_t *r = oi_xcalloc(1, sizeof *r);
    r->p = p;
    r->job = *job;
    *job = NULL;
    r->ops = prov_job_ops(r->job->kind);
    if (req) {
        r->req = *req;
        *req = NULL;
    }
    if (number) {
        r->number = *number;
        *number = NULL;
    }
    r->started_ns = oi_clock_mono_ns();
    oi_error_init(&r->cause);
    return r;
}

static void run_free(prov_run_t *r)
{
    if (r->req)
        protobuf_c_message_free_unpacked(r->req, NULL);
    if (r->number)
        protobuf_c_message_free_unpacked(&r->number->base, NULL);
    if (r->scratch && r->scratch_free)
        r->scratch_free(r->scratch);
    prov_job_free(&r->job);
    free(r);
}

static void run_end(prov_run_t *r)
{
    prov_engine_run_ended(r->p->engine, r);
    run_free(r);
}

void prov_run_abandon(prov_run_t *r)
{
    oi_log_info(&(oi_log_ctx_t){.request_id = r->job->id, .action = "running a job"},
                "%s job left to be resumed after its lease", prov_job_kind_name(r->job->kind));
    prov_engine_run_ended(r->p->engine, r);
    r->abandoned = true;
    if (!r->on_sql && !r->on_reply)
        run_free(r);
}

static void count(const prov_run_t *r, const char *outcome)
{
    char labels[96];
    snprintf(labels, sizeof labels, "kind=\"%s\",outcome=\"%s\"", prov_job_kind_name(r->job->kind), outcome);
    oi_metric_inc("oi_provisioning_jobs_total", labels, 1);
}

/* --- the payload ------------------------------------------------------------------------------ */

const char *prov_run_get(const prov_run_t *r, const char *key)
{
    const char *v = json_string_value(json_object_get(r->job->payload, key));
    return v && v[0] ? v : NULL;
}

void prov_run_set(prov_run_t *r, const char *key, const char *value)
{
    if (value)
        json_object_set_new(r->job->payload, key, json_string(value));
    else
        json_object_del(r->job->payload, key);
}

/* --- answering -------------------------------------------------------------------------------- */

void prov_run_job_proto(const prov_run_t *r, prov_job_state_t state, const oi_error_t *err, Oneinbox__V1__Job *out)
{
    oneinbox__v1__job__init(out);
    bool failed = err && err->status != OI_OK;
    out->id = (char *)r->job->id;
    out->workspace_id = (char *)r->job->workspace_id;
    out->kind = prov_job_kind_proto(r->job->kind);
    out->state = prov_job_state_proto(state);
    out->step = r->job->step;
    out->attempts = r->job->attempts;
    out->error_message = (char *)(failed ? err->message : "");
    out->error_status = failed ? (Oneinbox__V1__Status)err->status : ONEINBOX__V1__STATUS__STATUS_OK;
    out->created_at = (char *)"";
    out->updated_at = (char *)"";
    out->result = state == PROV_JOB_SUCCEEDED ? r->number : NULL;
}

static void answer_waiters(prov_run_t *r, prov_job_state_t state, const oi_error_t *err)
{
    Oneinbox__V1__Job job;
    prov_run_job_proto(r, state, err, &job);
    prov_waiters_finish(r->p->waiters, r->job->id, &job);
}

/* --- async operations -------------------------------------------------------------------------- */

/* An operation of the run came back: false when the run was abandoned meanwhile (now freed). */
static bool still_running(prov_run_t *r)
{
    if (!r->abandoned)
        return true;
    run_free(r);
    return false;
}

static void on_sql_done(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    prov_run_t *r = ud;
    prov_run_sql_fn cb = r->on_sql;
    r->on_sql = NULL;
    if (still_running(r))
        cb(r, st, err, res, n);
}

oi_pg_done_cb prov_run_sql_cb(prov_run_t *r, prov_run_sql_fn cb)
{
    r->on_sql = cb;
    return on_sql_done;
}

static void on_row_done(oi_status_t st, const oi_error_t *err, const PGresult *res, int row, void *ud)
{
    prov_run_t *r = ud;
    prov_run_row_fn cb = r->on_row;
    r->on_row = NULL;
    if (still_running(r))
        cb(r, st, err, res, row);
}

oi_pg_row_cb prov_run_row_cb(prov_run_t *r, prov_run_row_fn cb)
{
    r->on_row = cb;
    return on_row_done;
}

void prov_run_sql(prov_run_t *r, const oi_pg_stmt_t *s, const char *const *params, prov_run_sql_fn cb)
{
    r->on_sql = cb;
    oi_pg_pipeline_exec(r->p->pg, s, params, on_sql_done, r);
}

static void on_call_done(oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    prov_run_t *r = ud;
    prov_run_reply_fn cb = r->on_reply;
    r->on_reply = NULL;
    if (!still_running(r))
        return;
    if (st)
        oi_log_info(&(oi_log_ctx_t){.request_id = r->job->id, .action = "calling another service"}, "failed: %s %s",
                    oi_status_code(st), err ? err->message : "");
    cb(r, st, err, reply);
}

void prov_run_call(prov_run_t *r, prov_peer_t peer, const char *method, const ProtobufCMessage *req,
                   prov_run_reply_fn cb)
{
    prov_t *p = r->p;
    bool dsp = peer == PROV_PEER_DISPATCH;
    oi_rpc_client_t *c = dsp ? p->dispatch : p->carrier;
    const ProtobufCServiceDescriptor *svc = dsp ? &oneinbox__v1__dispatch__descriptor : &oneinbox__v1__carrier__descriptor;
    uint32_t timeout = dsp ? p->rpc_timeout_ms : p->carrier_timeout_ms;
    r->on_reply = cb;
    if (oi_rpc_client_call(c, svc, method, r->job->id, r->job->workspace_id, req, timeout, on_call_done, r) != 0) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_UNAVAILABLE, "%s: the call could not be sent", method);
        r->on_reply = NULL;
        cb(r, OI_UNAVAILABLE, &e, NULL);
    }
}

/* --- steps ------------------------------------------------------------------------------------- */

static void next_step(prov_run_t *r);
static void on_step_failed(prov_run_t *r, oi_status_t rc, const oi_error_t *e);
static void compensate_start(prov_run_t *r);

static size_t resume_index(const prov_job_ops_t *ops, const char *step)
{
    for (size_t i = 0; step && step[0] && i < ops->n_steps; i++)
        if (strcmp(ops->steps[i].name, step) == 0)
            return i + 1;
    return 0;
}

static void lease_lost(prov_run_t *r)
{
    oi_log_info(&(oi_log_ctx_t){.request_id = r->job->id, .action = "running a job"},
                "lease lost: another replica runs the job now");
    run_end(r);
}

static void on_saved(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    prov_run_cont_fn cont = r->on_saved;
    r->on_saved = NULL;
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    if (!prov_job_moved(res, n)) {
        lease_lost(r);
        return;
    }
    cont(r);
}

static void save_mark(prov_run_t *r, const char *mark, prov_run_cont_fn cont)
{
    free(r->job->step);
    r->job->step = oi_xstrdup(mark);
    r->on_saved = cont;
    r->on_sql = on_saved;
    prov_job_record_step(r->p, r->job, mark, on_sql_done, r);
}

void prov_run_save(prov_run_t *r, const char *mark, prov_run_cont_fn cont)
{
    char *step = oi_xstrdup(r->job->step);
    save_mark(r, mark, cont);
    /* a mark inside a step is progress, not the step: resuming runs the step again from it */
    free(r->job->step);
    r->job->step = step;
}

static void advance(prov_run_t *r)
{
    r->step++;
    next_step(r);
}

static void next_step(prov_run_t *r)
{
    if (r->step < r->ops->n_steps) {
        oi_log_debug(&(oi_log_ctx_t){.request_id = r->job->id, .action = r->ops->steps[r->step].name}, "step starts");
        r->ops->steps[r->step].fn(r);
        return;
    }
    if (r->ops->finish) {
        r->ops->finish(r);
        return;
    }
    answer_waiters(r, PROV_JOB_SUCCEEDED, NULL);
    count(r, "succeeded");
    prov_engine_defer_success(r->p->engine, r->job->id);
    run_end(r);
}

static void compensation_done(prov_run_t *r, oi_status_t rc, const oi_error_t *err);

void prov_run_step_done(prov_run_t *r, oi_status_t rc, const oi_error_t *err)
{
    if (r->compensating) {
        compensation_done(r, rc, err);
        return;
    }
    if (rc) {
        on_step_failed(r, rc, err);
        return;
    }
    const prov_step_t *s = &r->ops->steps[r->step];
    if (s->record)
        save_mark(r, s->name, advance);
    else
        advance(r);
}

void prov_run_finished(prov_run_t *r, oi_status_t rc, const oi_error_t *err)
{
    if (rc) {
        on_step_failed(r, rc, err);
        return;
    }
    answer_waiters(r, PROV_JOB_SUCCEEDED, NULL);
    count(r, "succeeded");
    run_end(r);
}

/* --- failures ---------------------------------------------------------------------------------- */

static void on_requeued(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    (void)err;
    if (!st && prov_job_moved(res, n)) /* claimed again here when due (or by whoever is free) */
        prov_engine_queued(r->p->engine, r->job->lane, r->scratch_delay, false);
    run_end(r);
}

/* Puts the job back, due in delay_ms: its lane is told so this replica claims it again then. */
static void requeue(prov_run_t *r, const oi_error_t *why, int64_t delay_ms, const char *outcome)
{
    count(r, outcome);
    bool watched = prov_waiters_has(r->p->waiters, r->job->id);
    r->scratch_delay = delay_ms;
    r->on_sql = on_requeued;
    prov_job_set_state(r->p, r->job, PROV_JOB_QUEUED, why, delay_ms, watched, on_sql_done, r);
}

static int64_t backoff(const prov_run_t *r, int attempts)
{
    return prov_job_backoff_ms(attempts, r->p->backoff_base_ms, r->p->backoff_cap_ms, 250, randombytes_random());
}

/* Permanent failure (or retries spent): record why, then compensate. */
static void give_up(prov_run_t *r, const oi_error_t *cause)
{
    r->cause = *cause;
    json_object_set_new(r->job->payload, "compensating",
                        json_pack("{s:s,s:s,s:i}", "code", oi_status_code(cause->status), "message", cause->message,
                                  "status", (int)cause->status));
    r->compensating = true;
    save_mark(r, "compensating", compensate_start);
}

static void on_step_failed(prov_run_t *r, oi_status_t rc, const oi_error_t *e)
{
    prov_t *p = r->p;
    oi_error_t err;
    oi_error_init(&err);
    if (e && e->status != OI_OK)
        err = *e;
    else
        oi_error_set(&err, rc, NULL);
    if (rc == OI_JOB_LEASE_LOST) {
        lease_lost(r);
        return;
    }
    if (rc == OI_ACCEPTED) {
        int64_t age_s = (oi_clock_now_ms() - r->job->created_ms) / 1000;
        if (age_s < p->pending_max_s) {
            requeue(r, &err, 1000, "pending");
            return;
        }
        oi_error_t late;
        oi_error_init(&late);
        oi_error_set(&late, OI_CARRIER_ERROR, "carrier order still pending after %ds", p->pending_max_s);
        give_up(r, &late);
        return;
    }
    if (prov_job_on_failure(rc, r->job->attempts, r->job->max_attempts) == PROV_FAIL_RETRY) {
        requeue(r, &err, backoff(r, r->job->attempts), "retried");
        return;
    }
    give_up(r, &err);
}

/* --- compensation ------------------------------------------------------------------------------ */

static void compensate_start(prov_run_t *r)
{
    r->compensating = true;
    if (r->ops->request && !r->req) { /* nothing can be undone without the request: fail as is */
        compensation_done(r, OI_OK, NULL);
        return;
    }
    r->ops->compensate(r);
}

static void on_failed(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    (void)err;
    prov_job_state_t end = r->cancelling ? PROV_JOB_CANCELLED : PROV_JOB_FAILED;
    if (!st && prov_job_moved(res, n)) {
        count(r, r->cancelling ? "cancelled" : "failed");
        answer_waiters(r, end, &r->cause);
    }
    run_end(r);
}

static void mark_failed(prov_run_t *r)
{
    bool watched = prov_waiters_has(r->p->waiters, r->job->id);
    r->on_sql = on_failed;
    prov_job_set_state(r->p, r->job, r->cancelling ? PROV_JOB_CANCELLED : PROV_JOB_FAILED, &r->cause, 0, watched,
                       on_sql_done, r);
}

void prov_run_start_cancel(prov_run_t *r)
{
    r->cancelling = true;
    r->compensating = true;
    oi_error_set(&r->cause, OI_JOB_CANCELLED, NULL);
    if (!r->ops || !r->job->step[0]) { /* nothing was done yet: nothing to undo */
        mark_failed(r);
        return;
    }
    if (r->ops->request && !r->req)
        r->req = prov_job_unseal(r->p, r->job->id, r->job->request_sealed, r->ops->request);
    compensate_start(r);
}

static void compensation_done(prov_run_t *r, oi_status_t rc, const oi_error_t *err)
{
    if (rc && r->cancelling) { /* not undone: the job stays queued, as it was */
        oi_log_warn(&(oi_log_ctx_t){.request_id = r->job->id, .action = "cancelling a job"}, "cannot undo: %s",
                    err ? err->message : oi_status_code(rc));
        requeue(r, err, 0, "cancel_failed");
        return;
    }
    if (rc && prov_status_transient(rc) && r->job->attempts < r->job->max_attempts + 3) {
        requeue(r, &r->cause, backoff(r, r->job->attempts), "compensation_retried");
        return;
    }
    if (rc)
        oi_log_error(&(oi_log_ctx_t){.request_id = r->job->id, .action = "compensating"}, "compensation failed: %s",
                     err ? err->message : oi_status_code(rc));
    json_object_del(r->job->payload, "compensating");
    save_mark(r, r->cancelling ? "cancelled" : "compensated", mark_failed);
}

static void resume_compensation(prov_run_t *r, json_t *c)
{
    oi_error_init(&r->cause);
    json_t *st = json_object_get(c, "status");
    oi_status_t s = json_is_integer(st) && oi_status_valid((int)json_integer_value(st)) ? (oi_status_t)json_integer_value(st)
                                                                                        : OI_INTERNAL;
    oi_error_set(&r->cause, s, "%s", json_string_value(json_object_get(c, "message")) ?
                                         json_string_value(json_object_get(c, "message")) : oi_status_message(s));
    compensate_start(r);
}

void prov_run_start(prov_run_t *r)
{
    if (!r->ops) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_INTERNAL, "unknown job kind");
        r->cause = e;
        r->compensating = true;
        mark_failed(r);
        return;
    }
    if (r->ops->request && !r->req)
        r->req = prov_job_unseal(r->p, r->job->id, r->job->request_sealed, r->ops->request);
    json_t *comp = json_object_get(r->job->payload, "compensating");
    if (comp) {
        r->compensating = true;
        resume_compensation(r, comp);
        return;
    }
    if (r->ops->request && !r->req) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_INTERNAL, "job request cannot be unsealed (OI_SECRET_KEY changed?)");
        give_up(r, &e);
        return;
    }
    r->step = resume_index(r->ops, r->job->step);
    next_step(r);
}

const prov_job_ops_t *prov_job_ops(prov_job_kind_t kind)
{
    switch (kind) {
    case PROV_KIND_REGISTER:
        return &prov_job_register_ops;
    case PROV_KIND_PURCHASE:
        return &prov_job_purchase_ops;
    case PROV_KIND_UPDATE:
        return &prov_job_update_ops;
    case PROV_KIND_DELETE:
        return &prov_job_delete_ops;
    default:
        return NULL;
    }
}
