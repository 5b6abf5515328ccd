/* audit_writer.h: audit events written in batches on the loop.
 *
 * An answered change hands its event here and waits: the event is written (one multi-row INSERT
 * over a pipelined connection, on the loop: no threadpool thread, no pooled connection), then
 * the answer leaves. While one batch is being written the next events queue, and go together in
 * the following one (group commit): under load a batch holds everything that came meanwhile,
 * alone a write costs one round trip.
 *
 * A batch the database could not take for a while (away, a timeout, a deadlock) is answered
 * (ok false: the change is done and its answer does not wait) and kept, then written again in
 * order with backoff (1 s doubling to 30 s) by a statement that skips what got in already. At
 * most RETRY_EVENTS_MAX events are kept (the oldest go first); a refused statement and what is
 * kept at shutdown are logged and counted, not kept. */
#ifndef GW_AUDIT_WRITER_H
#define GW_AUDIT_WRITER_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "oi/status.h"

typedef struct gw_audit_writer gw_audit_writer_t;
/* ok: the event is in the database. */
typedef void (*gw_audit_written_cb)(bool ok, void *ud);

gw_audit_writer_t *gw_audit_writer_new(uv_loop_t *loop, const char *conninfo);
/* event (stolen), from audit.h: {"id","workspace_id","action","resource_type","resource_id",
 * "actor_type","actor_id","request_id","changes"[,"job_id"]}, or a 202's {"job_id","draft"}.
 * cb runs exactly once, later. */
void gw_audit_writer_add(gw_audit_writer_t *w, json_t *event, gw_audit_written_cb cb, void *ud);
/* A kept 202 draft got in on a retry: job_id's event can be finished when it ends (draft stolen). */
typedef void (*gw_audit_draft_fn)(const char *job_id, json_t *draft, void *ud);
void gw_audit_writer_on_draft(gw_audit_writer_t *w, gw_audit_draft_fn fn, void *ud);
bool gw_audit_writer_healthy(const gw_audit_writer_t *w);
/* Fails what waits (what is kept is logged and counted), closes the connection; frees once
 * closed. */
void gw_audit_writer_close(gw_audit_writer_t **self_p);

#endif
