/* jobs.h: job kinds as step tables, the running job's context, and shared step helpers.
 *
 * Every step is idempotent (ids are chosen at submission and kept in the payload; trunks and
 * rules are upserts; the carrier is looked up before buying) and recorded before the next one
 * starts, so a job whose worker died is resumed by any replica after its lease expires. */
#ifndef PROV_JOBS_H
#define PROV_JOBS_H

#include <stdbool.h>

#include "jobs_db.h"
#include "routing.h"

typedef struct {
    prov_t *p;                  /* borrowed */
    prov_job_t *job;            /* borrowed */
    PGconn *conn;               /* borrowed, held for the run */
    ProtobufCMessage *req;      /* owned: the unsealed request */
} prov_jctx_t;

typedef oi_status_t (*prov_step_fn)(prov_jctx_t *j, oi_error_t *err);
typedef struct {
    const char *name;
    prov_step_fn fn;
} prov_step_t;

typedef struct {
    const ProtobufCMessageDescriptor *request;
    const prov_step_t *steps;
    size_t n_steps;
    /* Undoes what the steps created (idempotent; uses the payload ids). */
    oi_status_t (*compensate)(prov_jctx_t *j, oi_error_t *err);
} prov_job_ops_t;

const prov_job_ops_t *prov_job_ops(prov_job_kind_t kind);
extern const prov_job_ops_t prov_job_register_ops;
extern const prov_job_ops_t prov_job_purchase_ops;
extern const prov_job_ops_t prov_job_update_ops;
extern const prov_job_ops_t prov_job_delete_ops;

/* Unseals and unpacks the job's request into j->req. */
oi_status_t prov_jctx_open_request(prov_jctx_t *j, const ProtobufCMessageDescriptor *desc, oi_error_t *err);
/* Payload ids: borrowed string or NULL; set copies (NULL removes). */
const char *prov_jctx_get(const prov_jctx_t *j, const char *key);
void prov_jctx_set(prov_jctx_t *j, const char *key, const char *value);
/* Records progress inside a step (e.g. right after a carrier charge). */
oi_status_t prov_jctx_save(prov_jctx_t *j, const char *mark, oi_error_t *err);

/* --- shared steps against oi-dispatch ------------------------------------------------------ */
/* Checks that ids[i] exist in the job's workspace; OI_AGENT_NOT_FOUND naming fields[i]. */
oi_status_t prov_check_agents(prov_jctx_t *j, const char *const *ids, const char *const *fields, int n,
                              oi_error_t *err);
oi_status_t prov_dsp_put_outbound(prov_jctx_t *j, const char *id, const char *phone, const char *provider,
                                  const char *address, const char *user, const char *password, oi_error_t *err);
oi_status_t prov_dsp_put_inbound(prov_jctx_t *j, const char *id, const char *phone, const char *provider,
                                 oi_error_t *err);
oi_status_t prov_dsp_put_rule(prov_jctx_t *j, const char *rule_id, const char *number_id, const char *phone,
                              const char *inbound_id, const prov_routing_t *r, oi_error_t *err);
/* method: "dispatch.DeleteDispatchRule" etc.; id NULL is a no-op. Absent is success. */
oi_status_t prov_dsp_delete(prov_jctx_t *j, const char *method, const char *id, oi_error_t *err);
/* Deletes rule, inbound and outbound trunk named in the payload (best effort, first error kept). */
oi_status_t prov_dsp_delete_all(prov_jctx_t *j, oi_error_t *err);
/* The routing of a register/purchase request (request InboundRouting). */
void prov_routing_of_request(prov_routing_t *out, const Oneinbox__V1__InboundRouting *in);

#endif
