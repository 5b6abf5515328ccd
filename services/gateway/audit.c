/* audit.c: audit events (audit.h): recorded with the answer, listed per workspace. */
#define OI_LOG_TAG "gw.audit"
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/rfc3339.h"
#include "oi/secret_names.h"

#define REDACTED "[redacted]"

struct gw_audit {
    char type[32];
    char action[48];
    char resource_id[64];     /* "" = the answer's "id" */
    char workspace_id[37];    /* "" = the caller's */
    char secret[32];          /* "" or a secret field the change replaced (gw_audit_secret_changed) */
    json_t *before;           /* owned, NULL: none (a creation) */
    gw_audit_render_fn render; /* gw_audit_fetch: the read resource as JSON */
    gw_audit_next_fn next;     /* gw_audit_fetch: what the handler does then */
};

void gw_audit_begin(gw_req_t *r, const char *type, const char *action, const char *resource_id)
{
    if (!r->audit)
        r->audit = oi_xcalloc(1, sizeof *r->audit);
    snprintf(r->audit->type, sizeof r->audit->type, "%s", type);
    snprintf(r->audit->action, sizeof r->audit->action, "%s", action);
    snprintf(r->audit->resource_id, sizeof r->audit->resource_id, "%s", resource_id ? resource_id : "");
}

void gw_audit_before(gw_req_t *r, json_t *before)
{
    if (!r->audit) {
        json_decref(before);
        return;
    }
    json_decref(r->audit->before);
    r->audit->before = before;
}

void gw_audit_workspace(gw_req_t *r, const char *workspace_id)
{
    if (r->audit)
        snprintf(r->audit->workspace_id, sizeof r->audit->workspace_id, "%s", workspace_id);
}

void gw_audit_secret_changed(gw_req_t *r, const char *field)
{
    if (r->audit)
        snprintf(r->audit->secret, sizeof r->audit->secret, "%s", field);
}

void gw_audit_free(gw_audit_t *a)
{
    if (!a)
        return;
    json_decref(a->before);
    free(a);
}

static void on_fetched(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)err;
    gw_audit_t *a = r->audit;
    if (!st && reply)
        gw_audit_before(r, a->render(reply));
    a->next(r); /* a failed read: the change answers for itself (404, 503, …) */
}

void gw_audit_fetch(gw_req_t *r, gw_peer_t peer, const char *method, const ProtobufCMessage *req,
                    gw_audit_render_fn render, gw_audit_next_fn next)
{
    if (!r->audit) {
        next(r);
        return;
    }
    r->audit->render = render;
    r->audit->next = next;
    gw_rpc(r, peer, method, req, 0, on_fetched);
}

/* --- changes ------------------------------------------------------------------------------------ */

#define DEPTH_MAX 32

/* Every secret-named member of v (objects, and objects in arrays) becomes "[redacted]", in place;
 * deeper than DEPTH_MAX levels a whole subtree does. */
static void redact(json_t *v, int depth)
{
    const char *k;
    json_t *m;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, k, m) {
            if (depth >= DEPTH_MAX || (oi_secret_name(k) && !json_is_null(m)))
                json_object_set_new(v, k, json_string(REDACTED));
            else
                redact(m, depth + 1);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m)
            redact(m, depth + 1);
    }
}

/* Whether redact would change v: a secret-named member with a value, or a subtree deeper than
 * DEPTH_MAX levels. Reads only, so a value with nothing to hide is shared instead of copied. */
static bool has_secret(const json_t *v, int depth)
{
    const char *k;
    json_t *m;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, m) {
            if (depth >= DEPTH_MAX || (oi_secret_name(k) && !json_is_null(m)) || has_secret(m, depth + 1))
                return true;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m) {
            if (has_secret(m, depth + 1))
                return true;
        }
    }
    return false;
}

static json_t *shown(const char *key, json_t *v)
{
    if (!v)
        return json_null();
    if (oi_secret_name(key) && !json_is_null(v))
        return json_string(REDACTED);
    if (!has_secret(v, 0)) /* nothing to redact: shared, not copied (events only read it) */
        return json_incref(v);
    json_t *copy = json_deep_copy(v);
    redact(copy, 0); /* nested secrets (metadata, provider_config) */
    return copy;
}

static void diff_into(json_t *out, const char *key, json_t *from, json_t *to)
{
    if (from && to && json_equal(from, to))
        return;
    if ((!from || json_is_null(from)) && (!to || json_is_null(to)))
        return;
    json_object_set_new(out, key, json_pack("{soso}", "from", shown(key, from), "to", shown(key, to)));
}

json_t *gw_audit_changes(json_t *before, json_t *after)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;
    if (json_is_object(before)) {
        json_object_foreach(before, key, v) {
            if (strcmp(key, "updated_at") != 0)
                diff_into(out, key, v, json_is_object(after) ? json_object_get(after, key) : NULL);
        }
    }
    if (json_is_object(after)) {
        json_object_foreach(after, key, v) {
            if (strcmp(key, "updated_at") != 0 && (!json_is_object(before) || !json_object_get(before, key)))
                diff_into(out, key, NULL, v);
        }
    }
    return out;
}

/* --- writing ------------------------------------------------------------------------------------ */

static void actor_of(const gw_req_t *r, const char **type, const char **id)
{
    switch (r->caller) {
    case GW_CALLER_KEY: *type = "api_key"; *id = r->api_key_id; break;
    case GW_CALLER_JWT: *type = "jwt"; *id = r->jwt_sub; break;
    case GW_CALLER_ADMIN: *type = "admin"; *id = "admin"; break;
    default: *type = "internal"; *id = "internal"; break;
    }
}

/* What r's change says before its resource's state after it is known (audit.h). */
static json_t *draft_of(const gw_req_t *r)
{
    const gw_audit_t *a = r->audit;
    const char *atype, *aid;
    actor_of(r, &atype, &aid);
    const char *ws = a->workspace_id[0] ? a->workspace_id : r->workspace_id;
    return json_pack("{s:s? s:s s:s s:s? s:s s:s s:s s:O? s:s s:b}", "workspace_id", ws[0] ? ws : NULL, "action",
                     a->action, "resource_type", a->type, "resource_id", a->resource_id[0] ? a->resource_id : NULL,
                     "actor_type", atype, "actor_id", aid, "request_id", r->request_id, "before", a->before, "secret",
                     a->secret, "deleted", r->success_status == 204);
}

static const char *draft_str(const json_t *draft, const char *key)
{
    return json_string_value(json_object_get(draft, key));
}

json_t *gw_audit_finish(const json_t *draft, json_t *after, const char *job_id)
{
    if (after && !json_is_object(after))
        after = NULL;
    const char *rid = draft_str(draft, "resource_id") ? draft_str(draft, "resource_id")
                                                      : json_string_value(json_object_get(after, "id"));
    const char *ws = draft_str(draft, "workspace_id") ? draft_str(draft, "workspace_id")
                                                     : json_string_value(json_object_get(after, "workspace_id"));
    if (!rid || !ws || !oi_uuid_valid(ws))
        return NULL;
    char id[OI_UUID_STR_LEN + 1];
    oi_uuid7_new(id);
    json_t *changes = gw_audit_changes(json_object_get(draft, "before"), after);
    const char *secret = draft_str(draft, "secret");
    if (secret && secret[0])
        json_object_set_new(changes, secret, json_pack("{ssss}", "from", REDACTED, "to", REDACTED));
    return json_pack("{ss ss ss ss ss ss ss ss so s:s?}", "id", id, "workspace_id", ws, "action",
                     draft_str(draft, "action"), "resource_type", draft_str(draft, "resource_type"), "resource_id", rid,
                     "actor_type", draft_str(draft, "actor_type"), "actor_id", draft_str(draft, "actor_id"),
                     "request_id", draft_str(draft, "request_id"), "changes", changes, "job_id", job_id);
}

json_t *gw_audit_event(gw_req_t *r, int status, const char *body, json_t *doc)
{
    if (!r->audit || status < 200 || status >= 300)
        return NULL;
    json_t *draft = draft_of(r);
    if (status == 202) /* the job goes on: its event waits for its end (audit_pending.h) */
        return r->job_id[0] ? json_pack("{ssso}", "job_id", r->job_id, "draft", draft) : (json_decref(draft), NULL);
    json_t *after = status == 204 ? NULL : doc ? json_incref(doc) : body ? json_loads(body, 0, NULL) : NULL;
    /* only a request with an Idempotency-Key can re-join a job that answered 202 before: name it */
    json_t *event = gw_audit_finish(draft, after, r->job_id[0] && r->idem_key[0] ? r->job_id : NULL);
    json_decref(after);
    json_decref(draft);
    return event;
}

/* --- GET /v1/audit-events ------------------------------------------------------------------------ */

typedef struct {
    char type[32], resource_id[64], action[64], since[64], cursor[37];
    int limit;
    PGresult *res;           /* owned */
} audit_list_t;

static void list_free(void *p)
{
    audit_list_t *l = p;
    if (l->res)
        PQclear(l->res);
    free(l);
}

/* Planned for the filters given (an unnamed statement): a type or an action walks
 * audit_events_type_action in id order (an action's type is its prefix: migration 007), since
 * audit_events_since, a resource audit_events_resource, none the workspace's keyset. */
static oi_status_t list_events(gw_req_t *r, PGconn *c, void *arg, oi_error_t *err)
{
    audit_list_t *l = arg;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", l->limit + 1);
#define OPT(s) ((s)[0] ? (s) : NULL)
    const char *params[] = {r->workspace_id, OPT(l->type), OPT(l->resource_id), OPT(l->action), OPT(l->since),
                            OPT(l->cursor), lim};
#undef OPT
    return oi_pg_exec(
        c,
        "SELECT e.id::text, e.action, e.resource_type, e.resource_id, e.actor_type, e.actor_id, e.request_id, "
        "e.changes::text AS changes, "
        "to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS created_at "
        "FROM gateway.audit_events e WHERE e.workspace_id = $1::uuid "
        "AND ($2::text IS NULL OR e.resource_type = $2) AND ($3::text IS NULL OR e.resource_id = $3) "
        "AND ($4::text IS NULL OR (e.resource_type = split_part($4, '.', 1) AND e.action = $4)) "
        "AND ($5::timestamptz IS NULL OR e.created_at >= $5::timestamptz) "
        "AND ($6::uuid IS NULL OR e.id < $6::uuid) "
        "ORDER BY e.id DESC LIMIT $7::int",
        7, params, &l->res, err);
}

static json_t *event_json(const PGresult *res, int i)
{
    json_t *changes = json_loads(PQgetvalue(res, i, 7), 0, NULL);
    return json_pack("{ss ss ss ss s{ssss} ss so ss}", "id", PQgetvalue(res, i, 0), "action", PQgetvalue(res, i, 1),
                     "resource_type", PQgetvalue(res, i, 2), "resource_id", PQgetvalue(res, i, 3), "actor", "type",
                     PQgetvalue(res, i, 4), "id", PQgetvalue(res, i, 5), "request_id", PQgetvalue(res, i, 6),
                     "changes", changes ? changes : json_object(), "created_at", PQgetvalue(res, i, 8));
}

static void on_listed(gw_req_t *r, oi_status_t st, const oi_error_t *err, void *arg)
{
    audit_list_t *l = arg;
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    int rows = PQntuples(l->res), take = rows > l->limit ? l->limit : rows;
    json_t *arr = json_array();
    for (int i = 0; i < take; i++)
        json_array_append_new(arr, event_json(l->res, i));
    gw_respond_list(r, arr, rows > l->limit ? PQgetvalue(l->res, take - 1, 0) : NULL);
}

/* A filter's value into out (one of choices when given); "value_error" when it is there but
 * unusable. */
static void filter(gw_req_t *r, const char *name, char *out, size_t n, const char *const *choices)
{
    oi_validation_t *v = gw_req_validation(r);
    if (!gw_query_param(v, oi_http_req_query(r->http), name, out, n))
        return;
    bool ok = out[0] != '\0';
    if (ok && choices) {
        ok = false;
        for (size_t i = 0; choices[i]; i++)
            ok = ok || strcmp(out, choices[i]) == 0;
    }
    if (ok)
        return;
    oi_loc_t loc = oi_loc_root("query");
    oi_loc_t l = oi_loc_key(&loc, name);
    json_t *input = json_string(out);
    oi_validation_add(v, &l, "value_error", "Value error, not a value this filter takes", input,
                      json_pack("{ss}", "error", "not a value this filter takes"));
    json_decref(input);
}

void gw_audit_list(gw_req_t *r)
{
    static const char *const types[] = {"phone_number", "agent", "integration", "api_key", "drift_finding", NULL};
    int limit;
    char cursor[256];
    if (!gw_list_params(r, &limit, cursor, sizeof cursor))
        return;
    audit_list_t *l = oi_xcalloc(1, sizeof *l);
    r->scratch = l;
    r->scratch_free = list_free;
    l->limit = limit;
    oi_validation_t *v = gw_req_validation(r);
    oi_loc_t loc = oi_loc_root("query");
    gw_list_uuid_cursor(r, cursor, l->cursor);
    filter(r, "resource_type", l->type, sizeof l->type, types);
    filter(r, "resource_id", l->resource_id, sizeof l->resource_id, NULL);
    filter(r, "action", l->action, sizeof l->action, NULL);
    char since[64] = "";
    filter(r, "since", since, sizeof since, NULL);
    int64_t ms = 0;
    if (since[0] && !oi_rfc3339_parse(since, &ms)) {
        oi_loc_t ls = oi_loc_key(&loc, "since");
        json_t *input = json_string(since);
        oi_validation_add(v, &ls, "value_error", "Value error, since must be an RFC 3339 date-time", input,
                          json_pack("{ss}", "error", "since must be an RFC 3339 date-time"));
        json_decref(input);
    } else if (since[0]) {
        snprintf(l->since, sizeof l->since, "%s", since);
    }
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    gw_db(r, list_events, l, on_listed);
}
