/* jobs_db.c: the jobs table, as prepared statements on the pipeline. */
#define OI_LOG_TAG "prov.jobs"
#include "jobs_db.h"
#include "sealed.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idem.h"
#include "oi/json_dump.h"
#include "oi/assert.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/pg.h"

/* Statements on sets of ids join unnest(ids): the primary key finds each row, where `id = ANY`
 * lets a generic plan add the claimable index and scan every queued and running job. */

/* One more entry of a job's history (kept to 100 entries). */
#define EVENT_APPEND(step, state, error)                                                               \
    "events = CASE WHEN jsonb_array_length(events) >= 100 THEN events ELSE events || "                 \
    "jsonb_build_array(jsonb_build_object('at', to_char(clock_timestamp(), "                          \
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'step', " step ", 'state', " state ", 'error', " error ")) END"

#define LEASE_UNTIL(param) "clock_timestamp() + (" param "::text || ' milliseconds')::interval"

/* --- rows ------------------------------------------------------------------------------------ */

void prov_job_free(prov_job_t **self_p)
{
    prov_job_t *j = self_p ? *self_p : NULL;
    if (!j)
        return;
    free(j->step);
    free(j->request_sealed);
    free(j->number_id);
    json_decref(j->payload);
    OI_FREE(*self_p);
}


prov_job_t *prov_job_from_row(const PGresult *res, int row)
{
    const char *id = oi_pg_get(res, row, "id"), *ws = oi_pg_get(res, row, "workspace_id");
    if (!id || !ws)
        return NULL;
    prov_job_t *j = oi_xcalloc(1, sizeof *j);
    snprintf(j->id, sizeof j->id, "%s", id);
    snprintf(j->workspace_id, sizeof j->workspace_id, "%s", ws);
    bool ok = prov_job_kind_parse(oi_pg_get(res, row, "kind"), &j->kind) &&
              prov_job_state_parse(oi_pg_get(res, row, "state"), &j->state);
    if (!prov_lane_parse(oi_pg_get(res, row, "lane"), &j->lane))
        j->lane = PROV_LANE_LOCAL;
    const char *step = oi_pg_get(res, row, "step");
    j->step = oi_xstrdup(step ? step : "");
    j->attempts = (int)strtol(oi_pg_get(res, row, "attempts") ? oi_pg_get(res, row, "attempts") : "0", NULL, 10);
    j->max_attempts = (int)strtol(oi_pg_get(res, row, "max_attempts") ? oi_pg_get(res, row, "max_attempts") : "1",
                                  NULL, 10);
    const char *sealed = oi_pg_get(res, row, "request_sealed");
    j->request_sealed = oi_xstrdup(sealed ? sealed : "");
    const char *pl = oi_pg_get(res, row, "payload");
    j->payload = pl ? json_loads(pl, 0, NULL) : NULL;
    if (!json_is_object(j->payload)) {
        json_decref(j->payload);
        j->payload = json_object();
    }
    j->number_id = oi_pg_dup(res, row, "number_id");
    j->charged = oi_pg_bool(res, row, "charged");
    j->notify = oi_pg_bool(res, row, "notify");
    const char *cm = oi_pg_get(res, row, "created_ms");
    j->created_ms = cm ? strtoll(cm, NULL, 10) : 0;
    if (!ok)
        prov_job_free(&j);
    return j;
}

bool prov_job_moved(PGresult *const *res, size_t n) { return n > 0 && res[0] && PQntuples(res[0]) > 0; }

/* --- sealed requests ------------------------------------------------------------------------- */

char *prov_job_seal(prov_t *p, const char *job_id, const ProtobufCMessage *req)
{
    size_t n = protobuf_c_message_get_packed_size(req);
    unsigned char *bin = oi_xmalloc(n + 1);
    protobuf_c_message_pack(req, bin);
    size_t b64len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = oi_xmalloc(b64len);
    sodium_bin2base64(b64, b64len, bin, n, sodium_base64_VARIANT_ORIGINAL);
    char *sealed = prov_job_seal_value(p, job_id, "request", b64);
    sodium_memzero(bin, n);
    sodium_memzero(b64, b64len);
    free(bin);
    free(b64);
    return sealed;
}

ProtobufCMessage *prov_job_unseal(prov_t *p, const char *job_id, const char *sealed,
                                  const ProtobufCMessageDescriptor *desc)
{
    char *b64 = sealed && sealed[0] ? prov_job_open_value(p, job_id, "request", sealed) : NULL;
    if (!b64)
        return NULL;
    size_t cap = strlen(b64) + 1, len = 0;
    unsigned char *bin = oi_xmalloc(cap);
    int bad = sodium_base642bin(bin, cap, b64, strlen(b64), NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL);
    oi_crypto_free_secret(b64);
    ProtobufCMessage *m = bad ? NULL : protobuf_c_message_unpack(desc, NULL, len, bin);
    sodium_memzero(bin, cap);
    free(bin);
    return m;
}

void prov_job_request_hash(prov_t *p, prov_job_kind_t kind, const ProtobufCMessage *req, char out[65])
{
    size_t len = 0;
    unsigned char *packed = prov_idem_pack_without_key(req, &len);
    prov_idem_hash(p->secret_key, prov_job_kind_name(kind), packed, len, out);
    free(packed);
}

bool prov_job_request_matches(prov_t *p, prov_job_kind_t kind, const ProtobufCMessage *req, const char *stored)
{
    size_t len = 0;
    unsigned char *packed = prov_idem_pack_without_key(req, &len);
    bool same = prov_idem_matches(stored, p->secret_key, p->secret_key_previous, prov_job_kind_name(kind), packed, len);
    free(packed);
    return same;
}

/* --- statements -------------------------------------------------------------------------------- */

static const oi_pg_stmt_t CLAIM = {
    "prov_job_claim",
    "UPDATE provisioning.jobs j SET state = 'running', attempts = j.attempts + 1, lease_owner = $2, "
    "lease_until = " LEASE_UNTIL("$3") ", updated_at = clock_timestamp(), notify = j.notify OR j.state = 'running', "
    EVENT_APPEND("j.step", "'running'", "''") " "
    "WHERE j.id IN (SELECT id FROM provisioning.jobs WHERE lane = $1 AND ((state = 'queued' AND run_after <= "
    "clock_timestamp()) OR (state = 'running' AND lease_until < clock_timestamp())) AND ($5::uuid IS NULL OR "
    "id = $5::uuid) ORDER BY run_after LIMIT $4::int FOR UPDATE SKIP LOCKED) RETURNING " PROV_RUN_COLS,
    5};

void prov_job_claim(prov_t *p, prov_lane_t lane, int limit, const char *hint_id, oi_pg_done_cb cb, void *ud)
{
    char lease[24], lim[16];
    snprintf(lease, sizeof lease, "%d", p->lease_ms);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *params[] = {prov_lane_name(lane), p->owner, lease, lim, hint_id};
    oi_pg_pipeline_exec(p->pg, &CLAIM, params, cb, ud);
}

static const oi_pg_stmt_t SET_STATE = {
    "prov_job_set_state",
    "WITH u AS (UPDATE provisioning.jobs SET state = $2::text, "
    "attempts = CASE WHEN $3 = 'failed' AND $2 = 'queued' THEN 0 WHEN $9::boolean THEN greatest(attempts - 1, 0) "
    "ELSE attempts END, "
    "step = CASE WHEN $3 = 'failed' AND $2 = 'queued' THEN '' ELSE step END, "
    "lease_owner = NULL, lease_until = NULL, "
    "run_after = clock_timestamp() + ($5::text || ' milliseconds')::interval, "
    "error_code = $6, error_message = $7, error_status = $8::int, updated_at = clock_timestamp(), "
    "notify = notify OR $10::boolean, "
    EVENT_APPEND("step", "$2::text", "COALESCE($6::text || ': ' || $7::text, '')") " "
    "WHERE id = $1::uuid AND state = $3::text AND ($3 <> 'running' OR lease_owner = $4) "
    "RETURNING id, state, notify) "
    "SELECT id, CASE WHEN notify AND state IN ('succeeded', 'failed', 'cancelled') THEN "
    "pg_notify('" PROV_NOTIFY_CHANNEL "', 'done:' || id) END AS notified FROM u",
    10};

void prov_job_set_state(prov_t *p, const prov_job_t *job, prov_job_state_t to, const oi_error_t *err_in,
                        int64_t delay_ms, bool watched, oi_pg_done_cb cb, void *ud)
{
    OI_ASSERT(prov_job_transition_valid(job->state, to));
    char delay[24], status[16];
    snprintf(delay, sizeof delay, "%lld", (long long)(delay_ms > 0 ? delay_ms : 0));
    bool has_err = err_in && err_in->status != OI_OK;
    snprintf(status, sizeof status, "%d", has_err ? (int)err_in->status : 0);
    bool refund = has_err && err_in->status == OI_ACCEPTED; /* a pending carrier order: not a failure */
    const char *params[] = {job->id,
                            prov_job_state_name(to),
                            prov_job_state_name(job->state),
                            p->owner,
                            delay,
                            has_err ? oi_status_code(err_in->status) : NULL,
                            has_err ? err_in->message : NULL,
                            has_err ? status : NULL,
                            refund ? "t" : "f",
                            watched ? "t" : "f"};
    oi_log_info(&(oi_log_ctx_t){.request_id = job->id, .action = "changing job state"}, "%s job %s -> %s%s%s",
                prov_job_kind_name(job->kind), prov_job_state_name(job->state), prov_job_state_name(to),
                has_err ? " error=" : "", has_err ? oi_status_code(err_in->status) : "");
    oi_pg_pipeline_exec(p->pg, &SET_STATE, params, cb, ud);
}

static const oi_pg_stmt_t RECORD_STEP = {
    "prov_job_record_step",
    "UPDATE provisioning.jobs SET step = $2::text, payload = $3::jsonb, charged = $4::boolean, "
    "number_id = COALESCE($5::uuid, number_id), updated_at = clock_timestamp(), lease_until = " LEASE_UNTIL("$7")
    ", " EVENT_APPEND("$2::text", "'running'", "''") " "
    "WHERE id = $1::uuid AND (state = 'running') IS TRUE AND lease_owner = $6 RETURNING id",
    7};

void prov_job_record_step(prov_t *p, const prov_job_t *job, const char *step, oi_pg_done_cb cb, void *ud)
{
    char *payload = oi_json_dump(job->payload);
    char lease[24];
    snprintf(lease, sizeof lease, "%d", p->lease_ms);
    const char *params[] = {job->id, step, payload, job->charged ? "t" : "f", job->number_id, p->owner, lease};
    oi_pg_pipeline_exec(p->pg, &RECORD_STEP, params, cb, ud);
    free(payload);
}

/* The running jobs of ids (uuid[]) this replica leases (owner), locked in id order: statements
 * that update several jobs at once (successes, heartbeats) then never wait on each other in a
 * cycle, which PostgreSQL would only break after deadlock_timeout (a second). The state test is
 * wrapped in IS TRUE so that it does not match jobs_claimable's predicate: a generic plan then
 * walks the primary key for these ids (already in id order) instead of scanning every queued
 * and running job, which a backlog of carrier work would make thousands. */
#define LOCK_IN_ORDER(ids, owner)                                                                      \
    "SELECT id FROM provisioning.jobs WHERE id = ANY (" ids "::uuid[]) AND (state = 'running') IS TRUE AND " \
    "lease_owner = " owner " ORDER BY id FOR UPDATE"

static const oi_pg_stmt_t SUCCEED_MANY = {
    "prov_job_succeed_many",
    "WITH l AS (" LOCK_IN_ORDER("$1", "$2") "), "
    "u AS (UPDATE provisioning.jobs SET state = 'succeeded', lease_owner = NULL, lease_until = NULL, "
    "error_code = NULL, error_message = NULL, error_status = NULL, updated_at = clock_timestamp(), "
    EVENT_APPEND("step", "'succeeded'", "''") " "
    "FROM l WHERE jobs.id = l.id RETURNING jobs.id, notify) "
    "SELECT id, CASE WHEN notify THEN pg_notify('" PROV_NOTIFY_CHANNEL "', 'done:' || id) END AS notified FROM u",
    2};

void prov_job_succeed_many(prov_t *p, const char *ids, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {ids, p->owner};
    oi_pg_pipeline_exec(p->pg, &SUCCEED_MANY, params, cb, ud);
}

static const oi_pg_stmt_t HEARTBEAT = {
    "prov_job_heartbeat",
    "WITH l AS (" LOCK_IN_ORDER("$3", "$1") ") "
    "UPDATE provisioning.jobs SET lease_until = " LEASE_UNTIL("$2") " FROM l WHERE jobs.id = l.id",
    3};

void prov_job_heartbeat(prov_t *p, const char *ids, oi_pg_done_cb cb, void *ud)
{
    char lease[24];
    snprintf(lease, sizeof lease, "%d", p->lease_ms);
    const char *params[] = {p->owner, lease, ids};
    oi_pg_pipeline_exec(p->pg, &HEARTBEAT, params, cb, ud);
}

static const oi_pg_stmt_t SWEEP = {
    "prov_job_sweep",
    "SELECT lane, (extract(epoch FROM min(CASE WHEN state = 'queued' THEN run_after ELSE lease_until END) - "
    "clock_timestamp()) * 1000)::bigint AS due_in_ms FROM provisioning.jobs WHERE state IN ('queued', 'running') "
    "GROUP BY lane",
    0};

void prov_job_sweep(prov_t *p, oi_pg_done_cb cb, void *ud) { oi_pg_pipeline_exec(p->pg, &SWEEP, NULL, cb, ud); }

static const oi_pg_stmt_t WATCH = {
    "prov_job_watch",
    "UPDATE provisioning.jobs SET notify = true WHERE id = $1::uuid AND (state IN ('queued', 'running')) IS TRUE "
    "RETURNING id",
    1};

void prov_job_watch(prov_t *p, const char *id, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {id};
    oi_pg_pipeline_exec(p->pg, &WATCH, params, cb, ud);
}

static const oi_pg_stmt_t NOTIFY = {"prov_job_notify", "SELECT pg_notify('" PROV_NOTIFY_CHANNEL "', $1)", 1};

void prov_job_notify(prov_t *p, const char *payload, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {payload};
    oi_pg_pipeline_exec(p->pg, &NOTIFY, params, cb, ud);
}
