/* audit_pending.h: the events of changes answered 202, written when their jobs end.
 *
 * A change whose job outlives the sync wait is answered 202; what it did is known only when the
 * job ends. Its event is then a draft (audit.h), kept in gateway.audit_pending under the job's id
 * with the same guarantee as any event: written before the 202 leaves. This watches each such
 * job with provisioning's WaitJob (a waiter there, no thread and no poll; re-armed when a wait
 * runs out) and, when the job ends, moves the draft into gateway.audit_events in one
 * transaction: finished with the job's resource as the event's "after" when it succeeded,
 * dropped when it failed or was cancelled (nothing changed). created_at is then: the moment the
 * change took effect. Moving is idempotent (the draft is deleted by the statement that records
 * it, and a job has at most one event), so a replica that starts watches every draft left by
 * any replica, and two replicas finishing one draft record it once.
 *
 * At most GW_AUDIT_WATCHES_MAX waits are out at once; the others queue and take turns. A failed
 * wait or write is retried after a backoff (1 s, doubling to 30 s). */
#ifndef GW_AUDIT_PENDING_H
#define GW_AUDIT_PENDING_H

#include <jansson.h>

#include "gw.h"

#define GW_AUDIT_WATCHES_MAX 512

typedef struct gw_audit_pending gw_audit_pending_t;

/* Reads the drafts left in gateway.audit_pending (by this replica before a restart, or by one
 * that is gone) and watches their jobs. */
gw_audit_pending_t *gw_audit_pending_new(gw_t *gw, const char *conninfo);
/* Watches job_id, whose draft (stolen) is already written. */
void gw_audit_pending_watch(gw_audit_pending_t *p, const char *job_id, json_t *draft);
/* The same for a draft the audit writer got in on a retry (gw_audit_draft_fn; ud: the
 * gw_audit_pending_t). */
void gw_audit_pending_watch_retried(const char *job_id, json_t *draft, void *ud);
/* Drafts being watched or queued (for metrics and tests). */
size_t gw_audit_pending_count(const gw_audit_pending_t *p);
/* Stops watching (the drafts stay in the database for the next start); frees once every call
 * and write in flight has come back. Before the RPC clients and the loop close. */
void gw_audit_pending_close(gw_audit_pending_t **self_p);

#endif
