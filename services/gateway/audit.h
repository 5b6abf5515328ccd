/* audit.h: audit events, who changed what.
 *
 * A handler that creates, updates or deletes a number, agent, integration or API key says so
 * before it calls its service (gw_audit_begin; for an update or a delete, with the resource as it
 * was, gw_audit_before). When the request is answered with success, the event is written in the
 * same transaction as the idempotency record, before the answer leaves: an acknowledged change
 * always has its event. The event holds the action ("phone_number.updated"), the resource, the
 * actor (an API key's id, a dashboard JWT's subject, or the admin), the request id of the answer
 * and the changes (field → {"from", "to"}, secrets "[redacted]"). GET /v1/audit-events lists a
 * workspace's events; they are kept OI_AUDIT_RETENTION_DAYS (default 365). */
#ifndef GW_AUDIT_H
#define GW_AUDIT_H

#include <jansson.h>

#include "gw.h"


/* type "phone_number", action "phone_number.created"; resource_id NULL: the answer's "id". */
void gw_audit_begin(gw_req_t *r, const char *type, const char *action, const char *resource_id);
/* The resource before the change (stolen). */
void gw_audit_before(gw_req_t *r, json_t *before);
/* The workspace the event belongs to when it is not the caller's (an admin's API key). */
void gw_audit_workspace(gw_req_t *r, const char *workspace_id);
/* A secret the change replaced (a field no answer shows, e.g. "provider_config"): the event's
 * changes name it, from and to "[redacted]". */
void gw_audit_secret_changed(gw_req_t *r, const char *field);
void gw_audit_free(gw_audit_t *a);
/* Reads the resource as it is now (method of peer with req) as the event's "before", rendered
 * by render, then runs next(r): also when the read failed (the change answers for itself). */
typedef json_t *(*gw_audit_render_fn)(const ProtobufCMessage *m);
typedef void (*gw_audit_next_fn)(gw_req_t *r);
void gw_audit_fetch(gw_req_t *r, gw_peer_t peer, const char *method, const ProtobufCMessage *req,
                    gw_audit_render_fn render, gw_audit_next_fn next);
/* r's event for an answer (status, JSON body text or NULL; doc: that body as JSON when the
 * caller has it, borrowed, so it is not parsed again), for audit_writer.h: NULL unless r began
 * one and status is a success. A 202 (accepted, its job still running) gives
 * {"job_id", "draft"}: the event without its "after", finished when the job ends
 * (audit_pending.h). */
json_t *gw_audit_event(gw_req_t *r, int status, const char *body, json_t *doc);
/* The event of a draft (borrowed) once its resource's state after the change is known: after
 * (borrowed; NULL: gone). job_id: the job the change ran as when the event must be its only one,
 * else NULL. NULL when neither the draft nor after names the resource and its workspace. */
json_t *gw_audit_finish(const json_t *draft, json_t *after, const char *job_id);

/* {field: {"from", "to"}} for every top-level field that differs (new reference); secrets (by
 * name: oi/secret_names.h) are "[redacted]". before/after may be NULL (created, deleted). */
json_t *gw_audit_changes(json_t *before, json_t *after);

/* GET /v1/audit-events */
void gw_audit_list(gw_req_t *r);

#endif
