/* submit_db.h: the one statement each submission writes: the job row together with what must
 * be durable before anything else happens (a number's reservation, a PATCH already merged into
 * the row, a number leaving). A job that starts here at once is inserted running under our
 * lease, so nothing has to claim it; one that has no room is inserted queued and watched (a
 * waiter here must hear of its end from whichever replica runs it). */
#ifndef PROV_SUBMIT_DB_H
#define PROV_SUBMIT_DB_H

#include <stdbool.h>

#include "jobs_db.h"
#include "merge.h"
#include "numbers_db.h"

/* What every submission carries; strings borrowed. */
typedef struct {
    const char *job_id;
    const char *workspace_id;
    bool run_here;                /* start at once (running under our lease), else queued */
    const char *sealed;           /* "" when the kind keeps no request */
    const char *request_hash;     /* "" without an idempotency key */
    const char *idempotency_key;  /* NULL: none */
    json_t *payload;              /* borrowed; written as the job's payload */
} prov_submit_t;

/* register: job + the number's reservation, in a statement other registrations share
 * (oi/pg_coalesce.h). The row: job_id NULL when the key exists (look it up with
 * prov_submit_find_key). A number held elsewhere fails with OI_CONFLICT (prov_number_taken). */
void prov_submit_register(prov_t *p, const prov_submit_t *s, const prov_number_row_t *n, oi_pg_row_cb cb, void *ud);
/* The coalescer prov_submit_register needs (p->pg open). */
oi_pg_coalesce_t *prov_registrations_new(prov_t *p);
/* purchase: the job alone (lane = the purchase carrier). Result: job_id NULL when the key exists. */
void prov_submit_purchase(prov_t *p, const prov_submit_t *s, const char *number_id, prov_lane_t lane,
                          oi_pg_done_cb cb, void *ud);
/* PATCH: the merged state into the row (only if it is still at `version`), and the job that
 * brings oi-dispatch in line, in one transaction that other PATCHes share (oi/pg_coalesce.h).
 * trunk (NULL: kept): the tenant's trunk settings after a rotation, password sealed. restore:
 * the row must be quarantined and becomes active (POST .../restore), else it must be active. The row:
 * the number as changed (PROV_NUMBER_COLS, PROV_NUMBER_TRUNK_COLS), -1 when the row moved on
 * meanwhile (read it again) or is gone. */
void prov_submit_update(prov_t *p, const prov_submit_t *s, const char *number_id, long long version,
                        const prov_merge_t *m, const prov_sip_fields_t *trunk, const char *inbound_trunk_id,
                        const char *dispatch_rule_id, bool restore, oi_pg_row_cb cb, void *ud);
/* The coalescer prov_submit_update needs (p->pg open). */
oi_pg_coalesce_t *prov_update_writes_new(prov_t *p);
/* DELETE: a registered number is released at once; a purchased one goes into quarantine
 * (OI_RELEASE_QUARANTINE_HOURS > 0, quarantine.h) or becomes "releasing", and one already in
 * quarantine becomes "releasing" now. The job does the rest, in the lane the number needs (room
 * says whether each lane has room: run_here is ignored). Result: the row (PROV_NUMBER_COLS +
 * lane, state of the job), none when it is not there or (if_match > 0) is at another version. */
void prov_submit_delete(prov_t *p, const prov_submit_t *s, const char *number_id, long long if_match,
                        const bool room[PROV_LANE__COUNT],
                        oi_pg_done_cb cb, void *ud);
/* The quarantines that are due, at most PROV_RELEASE_BATCH: each becomes "releasing" with its
 * queued delete job. job_ids: a uuid[] literal of PROV_RELEASE_BATCH fresh job ids. Result: one
 * row per job (job_id, lane, number_id, left_quarantined), or a single row with job_id NULL
 * when none was due; left_quarantined: the quarantines left. */
#define PROV_RELEASE_BATCH 100
#define PROV_RELEASE_BATCH_TEXT "100"
void prov_submit_release_due(prov_t *p, const char *job_ids, oi_pg_done_cb cb, void *ud);
/* The release of one purchased number (active or quarantined) now, for a batch of the caller's
 * (oi_pg_pipeline_batch): parameters job_ids (a uuid[] literal of one fresh id), max attempts,
 * the number's id. Result: its job (job_id, lane, number_id), none when the number is not one
 * to release. */
extern const oi_pg_stmt_t PROV_SUBMIT_RELEASE_ONE;
/* The job of (workspace, key): id, request_hash, state. */
void prov_submit_find_key(prov_t *p, const char *ws, const char *key, oi_pg_done_cb cb, void *ud);

#endif
