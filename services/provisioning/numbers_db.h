/* numbers_db.h: provisioning.phone_numbers rows, their PhoneNumber protos, and the statements on
 * them (through the pipeline: cb gets the result on the loop, see oi/pg_pipeline.h).
 *
 * A row is "provisioning" while its job runs (it reserves the number: one live row per number
 * across all workspaces), then "active". A purchased number that is deleted waits "quarantined"
 * (no routing, still on the carrier account, restorable) until release_after, then is
 * "releasing" until its carrier side is released; a number gone is "released" (deleted_at set).
 * The API shows every live row (PROV_NUMBER_SHOWN: a number being bought or registered as
 * "provisioning"); released ones only to a list that asks for them. Only active rows take a
 * PATCH (409 PHONE_NUMBER_NOT_ACTIVE otherwise). `version` grows with every change of the row; oi-dispatch applies a number's routing only
 * when it is newer than what it has. The inbound trunk and dispatch rule ids stay with the number
 * once chosen (so every job of a number names the same ones); they are shown only while the
 * number has inbound routing. */
#ifndef PROV_NUMBERS_DB_H
#define PROV_NUMBERS_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "oi/pg_pipeline.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "prov.h"
#include "routing.h"
#include "sipcfg.h"

/* Columns of every number SELECT / RETURNING (for prov_number_to_proto). */
#define PROV_NUMBER_COLS                                                                               \
    "id, workspace_id, phone_number, friendly_name, provider, agent_id, status, origin, "             \
    "inbound_trunk_id, outbound_trunk_id, dispatch_rule_id, inbound_routing::text AS inbound_routing, " \
    "sms_capable, carrier_number_id, carrier_trunk_id, created_at, updated_at, deleted_at, version, "               \
    "release_after"
/* The tenant's trunk settings a number keeps (sipcfg.h), for what merges into them. */
#define PROV_NUMBER_TRUNK_COLS "trunk_address, trunk_username, trunk_password_sealed"
/* The same columns of a row that already carries them as text (a CTE over PROV_NUMBER_COLS). */
#define PROV_NUMBER_COLS_PLAIN                                                                         \
    "id, workspace_id, phone_number, friendly_name, provider, agent_id, status, origin, "             \
    "inbound_trunk_id, outbound_trunk_id, dispatch_rule_id, inbound_routing, "                         \
    "sms_capable, carrier_number_id, carrier_trunk_id, created_at, updated_at, deleted_at, version, "               \
    "release_after"
/* The rows the API shows (GET, PATCH's read, lists without status=released). */
#define PROV_NUMBER_SHOWN                                                                              \
    "deleted_at IS NULL AND status IN ('provisioning', 'active', 'inactive', 'quarantined', 'releasing')"

/* New heap PhoneNumber from row `row` of res (columns PROV_NUMBER_COLS, each name prefixed with
 * `prefix`, "" for none). NULL when the row has no number (a LEFT JOIN that found none). */
Oneinbox__V1__PhoneNumber *prov_number_to_proto(const PGresult *res, int row, const char *prefix);
/* The same with the row's inbound routing already parsed (prov_number_routing): a caller that
 * needs both parses the stored JSON once. */
Oneinbox__V1__PhoneNumber *prov_number_to_proto_with(const PGresult *res, int row, const char *prefix,
                                                     const prov_routing_t *routing);
/* The routing stored in a row (absent when none); OI_INTERNAL when it is malformed. */
oi_status_t prov_number_routing(const PGresult *res, int row, prov_routing_t *out, oi_error_t *err);
/* A row's version (0 when absent). */
long long prov_number_version(const PGresult *res, int row);

/* Everything borrowed; NULL = SQL NULL. */
typedef struct {
    const char *id;
    const char *workspace_id;
    const char *phone_number;
    const char *friendly_name;
    const char *provider;
    const char *agent_id;
    const char *origin;              /* registered | purchased */
    const char *inbound_trunk_id;
    const char *outbound_trunk_id;
    const char *dispatch_rule_id;
    const prov_routing_t *routing;
    const char *job_id;
    const prov_sip_fields_t *trunk;  /* the tenant's own trunk settings, password sealed (NULL: none) */
} prov_number_row_t;

/* One number the API shows (PROV_NUMBER_SHOWN), in workspace ws. Zero rows: not found. */
void prov_number_get(prov_t *p, const char *ws, const char *id, oi_pg_done_cb cb, void *ud);
/* The same, for a caller that reads under load (PATCH): many callers' reads become one
 * statement (oi/pg_coalesce.h). row -1: not found. */
void prov_number_get_coalesced(prov_t *p, const char *ws, const char *id, oi_pg_row_cb cb, void *ud);
/* The coalescer prov_number_get_coalesced needs (p->pg open). */
oi_pg_coalesce_t *prov_number_reads_new(prov_t *p);
/* One row whatever its state (a job's own number). */
void prov_number_load(prov_t *p, const char *id, oi_pg_done_cb cb, void *ud);
/* List filters: NULL = any (values checked by the caller). */
typedef struct {
    const char *agent_id;
    const char *phone_number;
    const char *provider;
    const char *status;
} prov_number_filter_t;
/* A page of a workspace's visible numbers after cursor (NULL: first) that pass f, limit + 1 rows. */
void prov_number_list(prov_t *p, const char *ws, const char *cursor, int limit, const prov_number_filter_t *f,
                      oi_pg_done_cb cb, void *ud);
/* Inserts the reservation (status provisioning, version 1). One row when inserted or when this
 * id already reserves this number (a resumed step); none when the id holds another number. A
 * live row elsewhere holding the number fails with OI_CONFLICT, err->loc naming the index
 * (see prov_number_taken). */
void prov_number_reserve(prov_t *p, const prov_number_row_t *r, oi_pg_done_cb cb, void *ud);
/* Did a failed insert hit the one-live-row-per-number index? */
bool prov_number_taken(oi_status_t st, const oi_error_t *err);
/* Deletes a row still "provisioning" (compensation). Absent is success. */
void prov_number_unreserve(prov_t *p, const char *id, oi_pg_done_cb cb, void *ud);
/* Soft delete (deleted_at = now, number free again). Absent is success. */
void prov_number_soft_delete(prov_t *p, const char *id, oi_pg_done_cb cb, void *ud);

/* The job's last statement: number active (with what the carrier told: sms, carrier ids, each
 * NULL = keep) and the job succeeded, together, while the job is still ours; shared with the
 * other activations of the moment (oi/pg_coalesce.h). The row: the number, when both happened
 * (else -1). */
typedef struct {
    const char *number_id;
    const char *sms;                 /* "true" | "false" | NULL */
    const char *carrier_number_id;
    const char *carrier_trunk_id;
    const char *job_id;
    const char *step;
} prov_number_activation_t;
void prov_number_activate_finish(prov_t *p, const prov_number_activation_t *a, oi_pg_row_cb cb, void *ud);
/* The coalescer prov_number_activate_finish needs (p->pg open). */
oi_pg_coalesce_t *prov_number_activations_new(prov_t *p);

#endif
