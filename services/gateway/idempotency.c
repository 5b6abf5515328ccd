/* idempotency.c: Idempotency-Key on POST. Same key + same request replays the first answer;
 * same key + another request is 409 IDEMPOTENCY_KEY_REUSED. The record is claimed before the
 * handler runs and completed before the answer leaves (pipeline.h), both through idem_db.h; the
 * answer is kept sealed (it may hold a new API key) for OI_IDEMPOTENCY_TTL_HOURS (purge.h). */
#define OI_LOG_TAG "gw.idempotency"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "idem_db.h"
#include "oi/crypto.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "pipeline.h"

#define ADMIN_WORKSPACE "00000000-0000-0000-0000-000000000000"

typedef enum { IDEM_OWNER, IDEM_REPLAY, IDEM_REUSED, IDEM_IN_PROGRESS } idem_outcome_t;

typedef struct {
    idem_outcome_t outcome;
    int status;
    char *headers; /* owned */
    char *body;    /* owned */
} idem_claim_t;

static const char *idem_workspace(const gw_req_t *r)
{
    return r->workspace_id[0] ? r->workspace_id : ADMIN_WORKSPACE;
}

/* Hash of what makes two requests "the same": method, path and the JSON body in canonical
 * form (key order and whitespace do not matter); raw bytes when the body is not JSON. */
static void request_hash(gw_req_t *r, char out[65])
{
    size_t len = 0;
    const char *body = oi_http_req_body(r->http, &len);
    json_t *j = json_loadb(body ? body : "", len, JSON_DECODE_ANY, NULL);
    char *canon = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    char *material = oi_xasprintf("%s %s\n%s", oi_http_req_method(r->http), oi_http_req_path(r->http),
                                  canon ? canon : (body ? body : ""));
    oi_sha256_hex(material, strlen(material), out);
    free(material);
    free(canon);
}

/* What a kept answer's column is sealed to: the column and the record ("body/<ws>/<key>"). */
char *gw_idempotency_binding(const char *column, const char *workspace, const char *key)
{
    return oi_xasprintf("%s/%s/%s", column, workspace, key);
}

const oi_reseal_column_t GW_SEALED_ANSWERS[GW_SEALED_ANSWER_COLUMNS] = {
    {"idempotency_keys.headers", "gateway.idempotency_keys", "headers",
     "'headers/' || workspace_id::text || '/' || key", "headers = $3", OI_SEAL_IDEMPOTENCY},
    {"idempotency_keys.body", "gateway.idempotency_keys", "body", "'body/' || workspace_id::text || '/' || key",
     "body = $3", OI_SEAL_IDEMPOTENCY},
};

/* A kept answer is sealed (OI_SECRET_KEY): the body of a created API key holds the key itself.
 * Returns a new plaintext copy of a stored value (NULL for NULL). */
static char *opened(const gw_req_t *r, const char *column, const char *stored)
{
    if (!stored)
        return NULL;
    char *binding = gw_idempotency_binding(column, idem_workspace(r), r->idem_key);
    char *plain = oi_crypto_open(r->gw->crypto, OI_SEAL_IDEMPOTENCY, binding, stored);
    free(binding);
    if (!plain) /* kept before answers were sealed: as it is; sealed but unreadable (another key): empty */
        return oi_xstrdup(strncmp(stored, "v1:", 3) == 0 || strncmp(stored, "v2:", 3) == 0 ? "" : stored);
    char *out = oi_xstrdup(plain);
    oi_crypto_free_secret(plain);
    return out;
}

/* The claim's row (idem_db.h) as an outcome; OI_OK or why not. */
static oi_status_t claim_outcome(gw_req_t *r, const PGresult *res, int row, idem_claim_t *cl, oi_error_t *err)
{
    if (row < 0)
        return oi_error_set(err, OI_INTERNAL, "idempotency claim answered nothing");
    if (oi_pg_bool(res, row, "owner")) {
        cl->outcome = IDEM_OWNER;
        return OI_OK;
    }
    const char *hash = oi_pg_get(res, row, "request_hash");
    if (!hash) /* forgotten between the claim and the read: a 5xx; try again as new */
        return oi_error_set(err, OI_UNAVAILABLE, "idempotency record changed concurrently; retry");
    const char *state = oi_pg_get(res, row, "state");
    if (strcmp(hash, r->idem_hash) != 0) {
        cl->outcome = IDEM_REUSED;
    } else if (state && strcmp(state, "done") == 0) {
        cl->outcome = IDEM_REPLAY;
        const char *status = oi_pg_get(res, row, "status");
        cl->status = status ? (int)strtol(status, NULL, 10) : 500;
        cl->headers = opened(r, "headers", oi_pg_get(res, row, "headers"));
        cl->body = opened(r, "body", oi_pg_get(res, row, "body"));
    } else {
        cl->outcome = IDEM_IN_PROGRESS;
    }
    return OI_OK;
}

static bool joins_running_job(const gw_req_t *r)
{
    /* register and purchase are jobs deduplicated by key in oi-provisioning: a concurrent twin
     * joins the same job and gets the same answer instead of a 409 */
    return r->route->handler == gw_numbers_register || r->route->handler == gw_numbers_purchase;
}

static void replay(gw_req_t *r, idem_claim_t *cl)
{
    json_t *body = cl->body ? json_loads(cl->body, JSON_DECODE_ANY, NULL) : NULL;
    char *headers = oi_xasprintf("Idempotent-Replayed: true\r\n%s", cl->headers ? cl->headers : "");
    /* strip our own X-Request-Id from the stored headers: this answer has its own */
    char *x = strstr(headers, "X-Request-Id: ");
    if (x) {
        char *eol = strstr(x, "\r\n");
        if (eol)
            memmove(x, eol + 2, strlen(eol + 2) + 1);
    }
    gw_respond_json(r, cl->status, headers, body);
    free(headers);
}

static void on_claimed(oi_status_t st, const oi_error_t *err, const PGresult *res, int row, void *ud)
{
    gw_req_t *r = ud;
    idem_claim_t cl = {0};
    oi_error_t e;
    oi_error_init(&e);
    if (!st)
        st = claim_outcome(r, res, row, &cl, &e);
    else
        oi_error_take(&e, err);
    if (st) {
        gw_respond_error(r, &e);
    } else if (cl.outcome == IDEM_OWNER) {
        r->idem_owner = true;
        gw_phase_body(r);
    } else if (cl.outcome == IDEM_REUSED) {
        gw_respond_status(r, OI_IDEMPOTENCY_KEY_REUSED, NULL);
    } else if (cl.outcome == IDEM_REPLAY) {
        replay(r, &cl);
    } else if (joins_running_job(r)) {
        gw_phase_body(r);
    } else {
        gw_respond_status(r, OI_IDEMPOTENCY_IN_PROGRESS, NULL);
    }
    free(cl.headers);
    free(cl.body);
}

void gw_phase_idempotency(gw_req_t *r)
{
    const char *key = oi_http_req_header(r->http, "Idempotency-Key");
    if (!(r->route->flags & GW_IDEMPOTENT) || !key) {
        gw_phase_body(r);
        return;
    }
    size_t n = strlen(key);
    if (n == 0 || n > 255) {
        oi_loc_t loc = oi_loc_root("header");
        loc = oi_loc_key(&loc, "idempotency-key");
        json_t *in = json_string(key);
        oi_validation_add(gw_req_validation(r), &loc, n ? "string_too_long" : "string_too_short",
                          n ? "String should have at most 255 characters" : "String should have at least 1 character",
                          in, NULL);
        json_decref(in);
        gw_respond_validation(r);
        return;
    }
    snprintf(r->idem_key, sizeof r->idem_key, "%s", key);
    request_hash(r, r->idem_hash);
    gw_idem_db_claim(r->gw->idem_db, idem_workspace(r), r->idem_key, r->idem_hash, on_claimed, r);
}

typedef struct {
    gw_req_t *r;
    gw_idempotency_done_fn done;
    void *ud;
} finish_t;

static void on_finished(oi_status_t st, const oi_error_t *err, const PGresult *res, int row, void *ud)
{
    (void)res;
    (void)row;
    finish_t *f = ud;
    if (st)
        oi_log_warn(&(oi_log_ctx_t){.request_id = f->r->request_id, .action = "recording idempotent answer"}, "%s",
                    err ? err->message : oi_status_code(st));
    f->done(f->r, f->ud);
    free(f);
}

void gw_idempotency_finish(gw_req_t *r, int status, const char *headers, const char *body,
                           gw_idempotency_done_fn done, void *ud)
{
    finish_t *f = oi_xmalloc(sizeof *f);
    *f = (finish_t){r, done, ud};
    /* 5xx and 202 are not final: forget the key so a retry runs (or re-joins its job) again */
    if (status >= 500 || status == 202) {
        gw_idem_db_finish(r->gw->idem_db, idem_workspace(r), r->idem_key, 0, NULL, NULL, on_finished, f);
        return;
    }
    char *hb = gw_idempotency_binding("headers", idem_workspace(r), r->idem_key);
    char *bb = gw_idempotency_binding("body", idem_workspace(r), r->idem_key);
    char *sealed_headers = headers ? oi_crypto_seal(r->gw->crypto, OI_SEAL_IDEMPOTENCY, hb, headers) : NULL;
    char *sealed_body = body ? oi_crypto_seal(r->gw->crypto, OI_SEAL_IDEMPOTENCY, bb, body) : NULL;
    free(hb);
    free(bb);
    gw_idem_db_finish(r->gw->idem_db, idem_workspace(r), r->idem_key, status, sealed_headers, sealed_body,
                      on_finished, f);
    free(sealed_headers);
    free(sealed_body);
}
