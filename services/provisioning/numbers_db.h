/* numbers_db.h: provisioning.phone_numbers rows and their PhoneNumber protos.
 *
 * A row is "provisioning" while its job runs (it reserves the number: one live row per number
 * across all workspaces), then "active". Provisioning and deleted rows are invisible to the API. */
#ifndef PROV_NUMBERS_DB_H
#define PROV_NUMBERS_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "merge.h"
#include "oi/status.h"
#include "oneinbox/v1/provisioning.pb-c.h"

/* Columns of every number SELECT (for prov_number_to_proto). */
#define PROV_NUMBER_COLS                                                                               \
    "id, workspace_id, phone_number, friendly_name, provider, agent_id, status, origin, "             \
    "inbound_trunk_id, outbound_trunk_id, dispatch_rule_id, inbound_routing::text AS inbound_routing, " \
    "sms_capable, carrier_number_id, carrier_trunk_id, created_at, updated_at, deleted_at"

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
} prov_number_row_t;

/* New heap PhoneNumber built from row `row` of res (columns PROV_NUMBER_COLS). */
Oneinbox__V1__PhoneNumber *prov_number_to_proto(const PGresult *res, int row);

/* Loads one number. visible_only: active/inactive and not deleted. workspace_id NULL = any.
 * OI_NUMBER_NOT_FOUND when absent. On OI_OK *out is the result (caller PQclears). */
oi_status_t prov_number_load(PGconn *c, const char *workspace_id, const char *id, bool visible_only,
                             PGresult **out, oi_error_t *err);
/* Inserts the reservation (status "provisioning"). Idempotent for the same id and number;
 * OI_PHONE_NUMBER_EXISTS when another live row holds the number. */
oi_status_t prov_number_reserve(PGconn *c, const prov_number_row_t *r, oi_error_t *err);
/* provisioning → active, with what the carrier told (sms: -1 unknown, 0, 1; strings may be NULL). */
oi_status_t prov_number_activate(PGconn *c, const char *id, int sms, const char *carrier_number_id,
                                 const char *carrier_trunk_id, oi_error_t *err);
/* Deletes a row still "provisioning" (compensation). Absent is success. */
oi_status_t prov_number_unreserve(PGconn *c, const char *id, oi_error_t *err);
/* Soft delete (deleted_at = now, number free again). Absent is success. */
oi_status_t prov_number_soft_delete(PGconn *c, const char *id, oi_error_t *err);
/* Applies a merged PATCH (and the trunk/rule ids now in force) to the row; updated_at = now. */
oi_status_t prov_number_apply_patch(PGconn *c, const char *id, const prov_merge_t *m, const char *inbound_trunk_id,
                                    const char *dispatch_rule_id, oi_error_t *err);

#endif
