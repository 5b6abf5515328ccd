/* server.c: request context, the body phase, and the one way out (gw_respond_*). */
#define OI_LOG_TAG "gw.http"
#include "access_metrics.h"
#include "audit.h"
#include "audit_pending.h"
#include "audit_writer.h"
#include "gw.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/json_dump.h"
#include "oi/clock.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "pipeline.h"
#include "routes.h"

static bool request_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 28)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

static gw_req_t *req_new(gw_t *gw, oi_http_req_t *http)
{
    gw_req_t *r = oi_xcalloc(1, sizeof *r);
    r->gw = gw;
    r->http = http;
    r->start_ns = oi_clock_mono_ns();
    const char *rid = oi_http_req_header(http, "X-Request-Id");
    if (rid && request_id_ok(rid))
        snprintf(r->request_id, sizeof r->request_id, "%s", rid);
    else
        oi_request_id_new(r->request_id);
    return r;
}

static void req_free(gw_req_t *r)
{
    gw_near_keep(r, NULL, NULL, 0); /* a fill still open got nothing to keep */
    json_decref(r->body);
    gw_audit_free(r->audit);
    gw_render_memo_cleanup(&r->render_memo);
    oi_validation_destroy(&r->v);
    if (r->scratch && r->scratch_free)
        r->scratch_free(r->scratch);
    free(r);
}

oi_validation_t *gw_req_validation(gw_req_t *r)
{
    if (!r->v)
        r->v = oi_validation_new();
    return r->v;
}

static void log_access(gw_req_t *r, int status)
{
    double secs = (double)(oi_clock_mono_ns() - r->start_ns) / 1e9;
    gw_access_metrics_record(r->gw->access, r->route, status, secs);
    oi_log_at(status >= 500 ? OI_LOG_WARN : OI_LOG_INFO, OI_LOG_TAG,
              &(oi_log_ctx_t){.request_id = r->request_id, .action = "answering request"}, "%s %s %d %.1fms",
              oi_http_req_method(r->http), oi_http_req_path(r->http), status, secs * 1000);
}

/* --- responding ------------------------------------------------------------------------------ */

typedef struct {
    int status;
    char *headers; /* owned; "X-Request-Id: …\r\n…" */
    char *body;    /* owned; NULL for no body */
    const char *ctype; /* static; NULL: application/json when there is a body */
} pending_answer_t;

static void send_now(gw_req_t *r, pending_answer_t *a)
{
    const char *ctype = a->ctype ? a->ctype : a->body ? "application/json" : NULL;
    log_access(r, a->status); /* before responding: the HTTP request may be freed by the answer */
    oi_http_respond(r->http, a->status, ctype, a->headers, a->body, a->body ? strlen(a->body) : 0);
    free(a->headers);
    free(a->body);
    free(a);
    req_free(r);
}

static void on_answer_kept(gw_req_t *r, void *ud) { send_now(r, ud); }

/* An answer with nothing to record first (no audit event, no idempotency record) leaves at
 * once, its body copied only into the connection's buffer: a read answered from memory. */
static bool send_borrowed(gw_req_t *r, int status, const char *ctype, const char *extra_headers, const char *body,
                          size_t len)
{
    if (r->audit || r->idem_owner)
        return false;
    char headers[256];
    int n = snprintf(headers, sizeof headers, "X-Request-Id: %s\r\n%s", r->request_id,
                     extra_headers ? extra_headers : "");
    if (n < 0 || (size_t)n >= sizeof headers)
        return false;
    log_access(r, status); /* before responding: the HTTP request may be freed by the answer */
    oi_http_respond(r->http, status, ctype, headers, body, len);
    req_free(r);
    return true;
}

/* The idempotency record before the answer: a retry that sees our answer must replay it. */
static void answer_recorded(gw_req_t *r, pending_answer_t *a)
{
    if (r->idem_owner)
        gw_idempotency_finish(r, a->status, a->headers, a->body, on_answer_kept, a);
    else
        send_now(r, a);
}

typedef struct {
    gw_req_t *r;
    pending_answer_t *a;
    json_t *draft;            /* owned: a 202's draft, watched once written (audit_pending.h) */
    char job_id[OI_UUID_STR_LEN + 1];
} audited_t;

/* The change's event is written (or could not be: logged and counted; the change is done and
 * is answered anyway). */
static void on_audit_written(bool ok, void *ud)
{
    audited_t *x = ud;
    if (ok && x->draft && x->r->gw->audit_pending) {
        gw_audit_pending_watch(x->r->gw->audit_pending, x->job_id, x->draft);
        x->draft = NULL;
    }
    json_decref(x->draft);
    answer_recorded(x->r, x->a);
    free(x);
}

/* Every answer leaves through here: its audit event first (audit.h), then its idempotency record.
 * doc: the body as JSON when the caller has it (borrowed), so it is not parsed back. */
static void answer(gw_req_t *r, pending_answer_t *a, json_t *doc)
{
    json_t *event = r->audit ? gw_audit_event(r, a->status, a->body, doc) : NULL;
    if (event && !r->gw->audit_writer) { /* closing: the writer is gone */
        oi_log_error(&(oi_log_ctx_t){.request_id = r->request_id, .action = "recording an audit event"},
                     "not written: the gateway is shutting down");
        json_decref(event);
        event = NULL;
    }
    if (!event) {
        answer_recorded(r, a);
        return;
    }
    audited_t *x = oi_xcalloc(1, sizeof *x);
    x->r = r;
    x->a = a;
    x->draft = json_incref(json_object_get(event, "draft"));
    snprintf(x->job_id, sizeof x->job_id, "%s", r->job_id);
    gw_audit_writer_add(r->gw->audit_writer, event, on_audit_written, x);
}

void gw_respond_json(gw_req_t *r, int status, const char *extra_headers, json_t *body)
{
    if (r->responded) {
        json_decref(body);
        return;
    }
    r->responded = true;
    pending_answer_t *a = oi_xcalloc(1, sizeof *a);
    a->status = status;
    a->headers = oi_xasprintf("X-Request-Id: %s\r\n%s", r->request_id, extra_headers ? extra_headers : "");
    if (body && status != 204)
        a->body = oi_json_dump(body);
    answer(r, a, body);
    json_decref(body);
}

void gw_respond_text(gw_req_t *r, int status, const char *body, size_t len)
{
    gw_respond_text_with(r, status, NULL, body, len);
}

void gw_respond_text_with(gw_req_t *r, int status, const char *extra_headers, const char *body, size_t len)
{
    if (r->responded)
        return;
    r->responded = true;
    if (send_borrowed(r, status, "application/json", extra_headers, body, len))
        return;
    pending_answer_t *a = oi_xcalloc(1, sizeof *a);
    a->status = status;
    a->headers = oi_xasprintf("X-Request-Id: %s\r\n%s", r->request_id, extra_headers ? extra_headers : "");
    a->body = oi_xstrndup(body, len);
    answer(r, a, NULL);
}

void gw_respond_document(gw_req_t *r, const char *content_type, const char *extra_headers, const char *body,
                         size_t len)
{
    if (r->responded)
        return;
    r->responded = true;
    if (send_borrowed(r, 200, content_type, extra_headers, body, len))
        return;
    pending_answer_t *a = oi_xcalloc(1, sizeof *a);
    a->status = 200;
    a->ctype = content_type;
    a->headers = oi_xasprintf("X-Request-Id: %s\r\n%s", r->request_id, extra_headers ? extra_headers : "");
    a->body = oi_xstrndup(body, len);
    answer(r, a, NULL);
}

/* A validation error found behind the gateway (a service's own check) answers in the seeds' 422
 * shape like the gateway's: loc from err->loc ("query.cursor" → ["query", "cursor"]). */
static void respond_invalid(gw_req_t *r, const oi_error_t *err, const char *msg)
{
    char loc[OI_ERROR_LOC_MAX];
    snprintf(loc, sizeof loc, "%s", err && err->loc[0] ? err->loc : "body");
    char *save = NULL, *part = strtok_r(loc, ".", &save);
    oi_loc_t l = oi_loc_root(part ? part : "body");
    while ((part = strtok_r(NULL, ".", &save)) && l.n < OI_LOC_MAX)
        l = oi_loc_key(&l, part);
    oi_validation_add(gw_req_validation(r), &l, "value_error", msg, NULL, NULL);
    gw_respond_validation(r);
}

void gw_respond_error_with(gw_req_t *r, const char *extra_headers, const oi_error_t *err)
{
    oi_status_t s = err ? err->status : OI_INTERNAL;
    if (s == OI_INVALID && !extra_headers) {
        respond_invalid(r, err, err && err->message[0] ? err->message : oi_status_message(s));
        return;
    }
    const char *code = oi_status_code(s); /* one status, one code */
    const char *msg = err && err->message[0] ? err->message : oi_status_message(s);
    json_t *body = json_pack("{s{ssss}}", "detail", "code", code, "message", msg);
    gw_respond_json(r, oi_status_http(s), extra_headers, body);
}

void gw_respond_error(gw_req_t *r, const oi_error_t *err) { gw_respond_error_with(r, NULL, err); }

void gw_respond_status(gw_req_t *r, oi_status_t s, const char *message)
{
    oi_error_t err;
    oi_error_init(&err);
    oi_error_set(&err, s, message ? "%s" : NULL, message);
    gw_respond_error(r, &err);
}

void gw_respond_validation(gw_req_t *r)
{
    char *s = oi_validation_render(gw_req_validation(r));
    json_t *body = json_loads(s, 0, NULL);
    free(s);
    gw_respond_json(r, 422, NULL, body);
}

bool gw_req_path_uuid(gw_req_t *r, const char *name, char out[37])
{
    if (oi_uuid_normalize(r->path_id, out))
        return true; /* the common case, without building the 422's machinery */
    json_t *holder = json_pack("{ss}", name, r->path_id);
    oi_loc_t loc = oi_loc_root("path");
    bool ok = oi_v_uuid(gw_req_validation(r), &loc, holder, name, OI_V_REQUIRED, NULL, out);
    json_decref(holder);
    if (!ok)
        gw_respond_validation(r);
    return ok;
}

/* --- phases -------------------------------------------------------------------------------- */

void gw_phase_body(gw_req_t *r)
{
    if (r->route->flags & GW_JSON_BODY) {
        size_t len = 0;
        const char *body = oi_http_req_body(r->http, &len);
        oi_validation_t *v = gw_req_validation(r);
        if (len == 0) {
            oi_loc_t loc = oi_loc_root("body");
            oi_validation_add(v, &loc, "missing", "Field required", json_null(), NULL);
            gw_respond_validation(r);
            return;
        }
        r->body = oi_v_parse_body(v, body, len);
        if (!r->body) {
            gw_respond_validation(r);
            return;
        }
    }
    r->route->handler(r);
}

void gw_http_on_request(oi_http_req_t *http, void *ud)
{
    gw_t *gw = ud;
    gw_req_t *r = req_new(gw, http);
    gw_match_t m = gw_route_match(oi_http_req_method(http), oi_http_req_path(http), &r->route, r->path_id,
                                  sizeof r->path_id);
    if (m == GW_MATCH_NOT_FOUND) {
        gw_respond_status(r, OI_NOT_FOUND, "Not Found");
        return;
    }
    if (m == GW_MATCH_BAD_METHOD) {
        gw_respond_status(r, OI_METHOD_NOT_ALLOWED, "Method Not Allowed");
        return;
    }
    if (gw->draining && r->route->handler != gw_health_http) {
        gw_respond_status(r, OI_UNAVAILABLE, "shutting down");
        return;
    }
    gw_phase_auth(r);
}
