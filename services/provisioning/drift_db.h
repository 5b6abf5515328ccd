/* drift_db.h: provisioning.drift_findings, the statements on them, and their DriftFinding protos
 * (drift.h). Through the pipeline: cb gets the result on the loop. */
#ifndef PROV_DRIFT_DB_H
#define PROV_DRIFT_DB_H

#include <libpq-fe.h>
#include <stdint.h>

#include "oi/pg_pipeline.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "prov.h"

/* A carrier account (provider "twilio" | "telnyx") compared with our rows, after a listing
 * that began at started_ms (epoch ms): seen_json is a JSON array of {phone_number,
 * carrier_number_id, trunk_id}; origination_json an object trunk id -> {found, reaches, uris}
 * for our trunks (prov_drift_trunks), ingress_uri where they should send calls. Findings are
 * raised or refreshed, open ones no longer seen are closed (no_longer_seen); rows changed since
 * a minute before the listing began are left out. One row: on_account, orphan, missing,
 * trunk_mismatch, origination_mismatch (the open findings of each kind now). */
void prov_drift_compare(prov_t *p, const char *provider, const char *seen_json, const char *origination_json,
                        const char *ingress_uri, int64_t started_ms, oi_pg_done_cb cb, void *ud);
/* The trunks our live purchased rows of provider are on: carrier_trunk_id, one row each. */
void prov_drift_trunks(prov_t *p, const char *provider, oi_pg_done_cb cb, void *ud);
/* Claims this period's scheduled check for owner (prov_t.owner): one row when no replica
 * claimed it within the last period_ms * 9/10 (timers drift), none otherwise. */
void prov_drift_claim(prov_t *p, int period_ms, oi_pg_done_cb cb, void *ud);
/* The open findings now, a row per provider and kind that has any: provider, kind, n. */
void prov_drift_counts(prov_t *p, oi_pg_done_cb cb, void *ud);
/* A page of findings by id after cursor (NULL: first), limit + 1 rows. state: "open" |
 * "resolved" | "all"; provider, kind: NULL = any. */
void prov_drift_list(prov_t *p, const char *state, const char *provider, const char *kind, const char *cursor,
                     int limit, oi_pg_done_cb cb, void *ud);
/* One finding, with held: whether a live row holds its number now, and row_trunk_id: the trunk
 * of its own row while that row is live (NULL otherwise). */
void prov_drift_get(prov_t *p, const char *id, oi_pg_done_cb cb, void *ud);
/* Closes an open finding (released | dismissed), by whom and in which request. Zero rows: it was
 * closed meanwhile. */
void prov_drift_resolve(prov_t *p, const char *id, const char *resolution, const char *by, const char *request_id,
                      oi_pg_done_cb cb, void *ud);
/* A missing number's fix, one transaction: its row released now (submit_db.h
 * PROV_SUBMIT_RELEASE_ONE, job id job_ids) and the finding closed (marked_released). res[0]:
 * the job (none: the row is no longer one to release), res[1]: the finding. */
void prov_drift_mark_released(prov_t *p, const char *id, const char *number_id, const char *job_ids,
                              const char *by, const char *request_id, oi_pg_done_cb cb, void *ud);

Oneinbox__V1__DriftFinding *prov_drift_finding_to_proto(const PGresult *res, int row);

#endif
