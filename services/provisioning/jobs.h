/* jobs.h: job kinds as tables of asynchronous steps, and the running job (prov_run_t).
 *
 * A step starts its work (a call to oi-dispatch or oi-carrier, a statement) and ends, now or
 * from a callback, with exactly one prov_run_step_done. Steps are idempotent (ids are chosen at
 * submission and kept in the payload; trunks and rules are upserts fenced by the number's
 * version; the carrier is looked up before buying), and a step marked `record` is written down
 * before the next one starts, so a job whose replica died is resumed by any replica after its
 * lease expires. A run has at most one operation in flight, so its continuation lives in the
 * run itself. Loop thread only. */
#ifndef PROV_JOBS_H
#define PROV_JOBS_H

#include <stdbool.h>

#include "jobs_db.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "routing.h"

typedef struct prov_run prov_run_t;

typedef void (*prov_step_fn)(prov_run_t *r);

typedef struct {
    const char *name;
    prov_step_fn fn;
    bool record;                /* recorded when it ends; false: cheap and idempotent, redone on resume */
} prov_step_t;

typedef struct {
    const ProtobufCMessageDescriptor *request; /* NULL: the kind keeps no request (its row says it all) */
    const prov_step_t *steps;
    size_t n_steps;
    /* Optional last step that commits the job's effects and its success in one statement (the
     * number becomes visible as the job succeeds); ends with prov_run_finished. Without it the
     * run answers at the end of its steps and the success is written afterwards, in a batch. */
    prov_step_fn finish;
    /* Undoes what the steps created (idempotent, uses the payload ids); ends with
     * prov_run_step_done. */
    prov_step_fn compensate;
} prov_job_ops_t;

const prov_job_ops_t *prov_job_ops(prov_job_kind_t kind);
extern const prov_job_ops_t prov_job_register_ops;
extern const prov_job_ops_t prov_job_purchase_ops;
extern const prov_job_ops_t prov_job_update_ops;
extern const prov_job_ops_t prov_job_delete_ops;

typedef void (*prov_run_sql_fn)(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res,
                                size_t n);
typedef void (*prov_run_row_fn)(prov_run_t *r, oi_status_t st, const oi_error_t *err, const PGresult *res,
                                int row);
typedef void (*prov_run_reply_fn)(prov_run_t *r, oi_status_t st, const oi_error_t *err,
                                  const ProtobufCMessage *reply);
typedef void (*prov_run_cont_fn)(prov_run_t *r);

typedef enum { PROV_PEER_DISPATCH = 0, PROV_PEER_CARRIER } prov_peer_t;

struct prov_run {
    prov_t *p;                          /* borrowed */
    prov_job_t *job;                    /* owned */
    const prov_job_ops_t *ops;          /* static */
    ProtobufCMessage *req;              /* owned: the unsealed request (NULL for kinds without) */
    Oneinbox__V1__PhoneNumber *number;  /* owned: the number as the job leaves it (the result) */
    void *scratch;                      /* owned by the kind, freed with scratch_free */
    void (*scratch_free)(void *scratch);
    size_t step;                        /* the step running */
    bool compensating;
    bool cancelling;                    /* compensating for CancelJob: ends cancelled */
    oi_error_t cause;                   /* why compensating */
    int64_t scratch_delay;              /* the delay of a requeue in flight */
    /* the one operation in flight */
    prov_run_sql_fn on_sql;
    prov_run_row_fn on_row;
    prov_run_reply_fn on_reply;
    prov_run_cont_fn on_saved;
    prov_run_t *prev, *next;            /* the engine's list of runs */
    bool abandoned;
    uint64_t started_ns;
};

/* A run of job (taken), running here under our lease. req and number may be NULL (loaded by the
 * steps that need them); both are taken. */
prov_run_t *prov_run_new(prov_t *p, prov_job_t **job, ProtobufCMessage **req, Oneinbox__V1__PhoneNumber **number);
/* Starts (or resumes, from the recorded step) the job. The run ends itself. */
void prov_run_start(prov_run_t *r);
/* Cancels the job (claimed from the queue for that): undoes what its steps made, then cancelled.
 * Its waiters learn the end like any other. */
void prov_run_start_cancel(prov_run_t *r);
/* Ends the current step (or the compensation). err may be NULL when rc is OI_OK. */
void prov_run_step_done(prov_run_t *r, oi_status_t rc, const oi_error_t *err);
/* Ends the finish step: rc OI_OK means the job's success is committed. */
void prov_run_finished(prov_run_t *r, oi_status_t rc, const oi_error_t *err);
/* Records progress inside a step (e.g. right after a carrier charge), then calls cont; a lost
 * lease or a failed write ends the step with that failure instead. */
void prov_run_save(prov_run_t *r, const char *mark, prov_run_cont_fn cont);
/* One statement for the run; cb gets the result. */
void prov_run_sql(prov_run_t *r, const oi_pg_stmt_t *s, const char *const *params, prov_run_sql_fn cb);
/* For the statement functions of the *_db modules: makes cb the run's continuation and gives the
 * (callback, ud) pair to pass them: prov_number_unreserve(r->p, id, PROV_RUN_SQL(r, on_done)). */
oi_pg_done_cb prov_run_sql_cb(prov_run_t *r, prov_run_sql_fn cb);
#define PROV_RUN_SQL(r, cb) prov_run_sql_cb((r), (cb)), (r)
/* The same for a statement shared with other callers (oi/pg_coalesce.h): cb gets the run's row. */
oi_pg_row_cb prov_run_row_cb(prov_run_t *r, prov_run_row_fn cb);
#define PROV_RUN_ROW(r, cb) prov_run_row_cb((r), (cb)), (r)
/* One call of method ("ApplyNumber") of another service, carrying the job's id and workspace;
 * reply borrowed for cb. */
void prov_run_call(prov_run_t *r, prov_peer_t peer, const char *method, const ProtobufCMessage *req,
                   prov_run_reply_fn cb);
/* Stops the run without touching its row (shutting down): its lease expires and it is resumed
 * later. An operation still in flight frees the run when its callback comes. */
void prov_run_abandon(prov_run_t *r);

/* Payload ids: borrowed string or NULL; set copies (NULL removes). */
const char *prov_run_get(const prov_run_t *r, const char *key);
void prov_run_set(prov_run_t *r, const char *key, const char *value);

/* The job as its waiters see it now (fields borrowed from the run; valid until the run moves). */
void prov_run_job_proto(const prov_run_t *r, prov_job_state_t state, const oi_error_t *err, Oneinbox__V1__Job *out);

#endif
