/* jobs_db.h: provisioning.jobs rows as the engine sees them, and the statements that move them:
 * claim under a lease, record a step, change state (the one place states change), renew
 * leases, sweep for due work, watch a job from another replica.
 *
 * Every function sends one statement through the pipeline and calls cb on the loop with its
 * result (borrowed for the callback, see oi/pg_pipeline.h). A job that ends while someone on
 * another replica watches it (notify) sends NOTIFY oi_jobs 'done:<id>' in the same statement,
 * so the notification exists exactly when the change committed; nothing else notifies, so the
 * hot path (a job run and awaited on the replica that took it) pays no NOTIFY at all. */
#ifndef PROV_JOBS_DB_H
#define PROV_JOBS_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "job_policy.h"
#include "oi/ids.h"
#include "oi/pg_pipeline.h"
#include "prov.h"

/* A job as its run sees it. */
typedef struct {
    char id[OI_UUID_STR_LEN + 1];
    char workspace_id[OI_UUID_STR_LEN + 1];
    prov_job_kind_t kind;
    prov_job_state_t state;
    prov_lane_t lane;
    char *step;                 /* owned; last recorded step ("" = none) */
    int attempts;
    int max_attempts;
    char *request_sealed;       /* owned; "" when the kind keeps no request */
    json_t *payload;            /* owned: ids chosen for and by the steps */
    char *number_id;            /* owned; may be NULL */
    bool charged;
    bool notify;                /* someone on another replica waits for its end */
    int64_t created_ms;
} prov_job_t;

/* Columns of the statements that hand a job to a run (prov_job_from_row reads them). */
#define PROV_RUN_COLS                                                                                  \
    "id, workspace_id, kind, state, lane, step, attempts, max_attempts, request_sealed, "             \
    "payload::text AS payload, number_id, charged, notify, "                                          \
    "(extract(epoch FROM created_at) * 1000)::bigint AS created_ms"

/* New job from row `row` of res (PROV_RUN_COLS); NULL when the row is unusable. */
prov_job_t *prov_job_from_row(const PGresult *res, int row);
void prov_job_free(prov_job_t **self_p);

/* The request sealed for storage (it may carry a SIP password): a new string. */
char *prov_job_seal(prov_t *p, const char *job_id, const ProtobufCMessage *req);
/* Unseals and unpacks a stored request as desc; NULL when it cannot be (key changed, corrupt). */
ProtobufCMessage *prov_job_unseal(prov_t *p, const char *job_id, const char *sealed,
                                  const ProtobufCMessageDescriptor *desc);
/* Keyed hash of a submission (kind + request without key and wait) for idempotency. */
void prov_job_request_hash(prov_t *p, prov_job_kind_t kind, const ProtobufCMessage *req, char out[65]);
/* Was stored (a job's request hash) made from req, under OI_SECRET_KEY or OI_SECRET_KEY_PREVIOUS? */
bool prov_job_request_matches(prov_t *p, prov_job_kind_t kind, const ProtobufCMessage *req, const char *stored);

/* Claims up to limit runnable jobs of lane (queued and due, or running with an expired lease),
 * hint_id only when given, and moves them to running under our lease (attempts + 1). The result
 * has PROV_RUN_COLS rows, one per claimed job. */
void prov_job_claim(prov_t *p, prov_lane_t lane, int limit, const char *hint_id, oi_pg_done_cb cb, void *ud);

/* Moves job from job->state to `to`, guarded by the old state and, when leaving running, our
 * lease. err_in is the error to record (NULL: none); delay_ms schedules a queued job; watched
 * asks whoever ends the job to notify (a waiter here must learn of it from another replica).
 * The result has one row (id) when the row moved, none when it had moved on (lease lost,
 * cancelled). Terminal states notify watchers in the same statement. */
void prov_job_set_state(prov_t *p, const prov_job_t *job, prov_job_state_t to, const oi_error_t *err_in,
                        int64_t delay_ms, bool watched, oi_pg_done_cb cb, void *ud);
/* Records a completed step (payload, charged, number id) and renews the lease. One row when it
 * did, none when the lease was lost. */
void prov_job_record_step(prov_t *p, const prov_job_t *job, const char *step, oi_pg_done_cb cb, void *ud);
/* Marks jobs (a "{id,id}" array literal) succeeded in one statement: the runs already answered
 * their callers, and a job whose row could not be written is resumed after its lease (its steps
 * are idempotent). Rows: the ids that moved. */
void prov_job_succeed_many(prov_t *p, const char *ids, oi_pg_done_cb cb, void *ud);
/* Extends the leases of the jobs this process runs now ("{id,…}"), no others. */
void prov_job_heartbeat(prov_t *p, const char *ids, oi_pg_done_cb cb, void *ud);
/* Per lane, in how many ms its earliest queued job is due or its earliest lease expires
 * (negative: already). Rows (lane, due_in_ms). */
void prov_job_sweep(prov_t *p, oi_pg_done_cb cb, void *ud);
/* Asks for a notification when job id ends. One row when it is still queued or running, none
 * when it has ended already (read it then). */
void prov_job_watch(prov_t *p, const char *id, oi_pg_done_cb cb, void *ud);
/* NOTIFY oi_jobs payload (outside any job's transaction: new work for other replicas). */
void prov_job_notify(prov_t *p, const char *payload, oi_pg_done_cb cb, void *ud);

/* The first row's id of a set_state / record_step / watch result: did the statement move it? */
bool prov_job_moved(PGresult *const *res, size_t n);

#endif
