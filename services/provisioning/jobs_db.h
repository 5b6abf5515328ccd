/* jobs_db.h: provisioning.jobs rows: submission with idempotency, claim with a lease, step
 * records fenced by the lease, and the one state-change function. */
#ifndef PROV_JOBS_DB_H
#define PROV_JOBS_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "job_policy.h"
#include "oi/ids.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "prov.h"

/* A job as its runner sees it. */
typedef struct {
    char id[OI_UUID_STR_LEN + 1];
    char workspace_id[OI_UUID_STR_LEN + 1];
    prov_job_kind_t kind;
    prov_job_state_t state;
    char *step;                 /* owned; last completed step ("" = none) */
    int attempts;
    int max_attempts;
    char *request_sealed;       /* owned */
    json_t *payload;            /* owned: ids chosen by the steps */
    char *number_id;            /* owned; may be NULL */
    bool charged;
    int64_t created_ms;
} prov_job_t;

void prov_job_free(prov_job_t **self_p);

/* Inserts a job (state queued, payload = initial ids, request sealed). With a non-empty
 * idempotency key: the same request again returns the existing job's id (*existing = true);
 * another request → OI_IDEMPOTENCY_KEY_REUSED. */
oi_status_t prov_job_submit(prov_t *p, PGconn *c, const char *workspace_id, prov_job_kind_t kind,
                            const ProtobufCMessage *req, const char *idempotency_key, const char *number_id,
                            json_t *payload, char out_id[OI_UUID_STR_LEN + 1], bool *existing, oi_error_t *err);

/* Claims one runnable job (queued and due, or running with an expired lease), hint_id first if
 * given, and moves it to running under our lease (attempts + 1). OI_OK with *out NULL when none. */
oi_status_t prov_job_claim(prov_t *p, PGconn *c, const char *hint_id, prov_job_t **out, oi_error_t *err);

/* The one place job states change. Checks the transition, applies it guarded by the old state (and
 * our lease when leaving running), appends an event, logs old → new. err_in (may be NULL) is the
 * job's error to record; delay_ms schedules a queued job. OI_CONFLICT when the row moved on (lease
 * lost, cancelled). On success job->state is updated. */
oi_status_t prov_job_set_state(prov_t *p, PGconn *c, prov_job_t *job, prov_job_state_t to,
                               const oi_error_t *err_in, int64_t delay_ms, oi_error_t *err);
/* Records a completed step (payload, charged, number id) and renews the lease. OI_CONFLICT when
 * the lease was lost. */
oi_status_t prov_job_record_step(prov_t *p, PGconn *c, prov_job_t *job, const char *step, oi_error_t *err);
/* Extends the leases of the jobs this process is running now (ids), no others. */
oi_status_t prov_job_heartbeat(prov_t *p, PGconn *c, const char *ids /* "{uuid,…}" being run */, oi_error_t *err);

/* Loads a job as a Job proto (result and events included). workspace_id NULL/"" = admin. */
oi_status_t prov_job_load_proto(PGconn *c, const char *workspace_id, const char *id, Oneinbox__V1__Job **out,
                                 oi_error_t *err);
/* Loads a job's state only (WaitJob polling). */
oi_status_t prov_job_load_state(PGconn *c, const char *id, prov_job_state_t *out, oi_error_t *err);
/* Loads the runner view of a job by id (no lease). */
oi_status_t prov_job_load(PGconn *c, const char *workspace_id, const char *id, prov_job_t **out, oi_error_t *err);
/* Builds a Job proto from a row of PROV_JOB_COLS, with its number as result when it succeeded.
 * NULL and *rc set when that number could not be read (never "succeeded" without a result). */
Oneinbox__V1__Job *prov_job_row_to_proto(PGconn *c, const PGresult *res, int row, oi_status_t *rc, oi_error_t *err);

#define PROV_JOB_COLS                                                                                  \
    "id, workspace_id, kind, state, step, attempts, max_attempts, request_sealed, payload::text AS payload, " \
    "number_id, charged, error_code, error_message, error_status, events::text AS events, "            \
    "(extract(epoch FROM created_at) * 1000)::bigint AS created_ms, created_at, updated_at"

#endif
