/* audit_writer.h: audit events written in batches on the loop.
 *
 * An answered change hands its event here and waits: the event is written (one multi-row INSERT
 * over a pipelined connection, on the loop: no threadpool thread, no pooled connection), then
 * the answer leaves. While one batch is being written the next events queue, and go together in
 * the following one (group commit): under load a batch holds everything that came meanwhile,
 * alone a write costs one round trip. */
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
bool gw_audit_writer_healthy(const gw_audit_writer_t *w);
/* Fails what waits, closes the connection; frees once closed. */
void gw_audit_writer_close(gw_audit_writer_t **self_p);

#endif
