/* numbers.c: /v1/phone-numbers — register, purchase, search, get, list, PATCH, DELETE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "gw.h"
#include "number_schema.h"
#include "oi/json_dump.h"
#include "oi/http_server.h"
#include "oi/ids.h"
#include "oi/mem.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "render.h"

/* A submit RPC answers a Job; the request then waits for it (job_wait.c). */
static void on_submitted_201(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    gw_job_answer(r, reply, 201);
}

/* A PATCH's job carries the number as the merge read it: the audit event's "before". */
static void on_updated(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__Job *job = (const Oneinbox__V1__Job *)reply;
    if (job->previous)
        gw_audit_before(r, gw_render_number_in(job->previous, &r->render_memo));
    gw_job_answer(r, reply, 200);
}

static void on_submitted_204(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    gw_job_answer(r, reply, 204);
}

static json_t *render_number_msg(const ProtobufCMessage *m)
{
    return gw_render_number((const Oneinbox__V1__PhoneNumber *)m);
}

/* The number as it is, for the audit event of its change, then next. */
static void fetch_number_then(gw_req_t *r, const char *id, const char *action, gw_audit_next_fn next)
{
    gw_audit_begin(r, "phone_number", action, id);
    Oneinbox__V1__NumberIdRequest req = ONEINBOX__V1__NUMBER_ID_REQUEST__INIT;
    req.id = (char *)id;
    gw_audit_fetch(r, GW_PEER_PROVISIONING, "GetNumber", &req.base, render_number_msg, next);
}

void gw_numbers_register(gw_req_t *r)
{
    gw_register_msg_t m;
    bool ok = gw_register_parse(gw_req_validation(r), r->body, &m);
    if (!ok) {
        gw_register_msg_cleanup(&m);
        gw_respond_validation(r);
        return;
    }
    m.req.idempotency_key = r->idem_key;
    m.req.wait_ms = gw_job_wait_ms(r);
    gw_audit_begin(r, "phone_number", "phone_number.created", NULL);
    gw_rpc(r, GW_PEER_PROVISIONING, "RegisterNumber", &m.req.base,
           gw_job_rpc_timeout_ms(r), on_submitted_201);
    gw_register_msg_cleanup(&m);
}

void gw_numbers_purchase(gw_req_t *r)
{
    gw_purchase_msg_t m;
    if (!gw_purchase_parse(gw_req_validation(r), r->body, &m)) {
        gw_purchase_msg_cleanup(&m);
        gw_respond_validation(r);
        return;
    }
    m.req.idempotency_key = r->idem_key;
    m.req.wait_ms = gw_job_wait_ms(r);
    gw_audit_begin(r, "phone_number", "phone_number.created", NULL);
    gw_rpc(r, GW_PEER_PROVISIONING, "PurchaseNumber", &m.req.base,
           gw_job_rpc_timeout_ms(r), on_submitted_201);
    gw_purchase_msg_cleanup(&m);
}

void gw_numbers_update(gw_req_t *r)
{
    char id[37];
    if (!gw_req_path_uuid(r, "phone_id", id))
        return;
    gw_update_msg_t m;
    if (!gw_update_parse(gw_req_validation(r), r->body, &m)) {
        gw_update_msg_cleanup(&m);
        gw_respond_validation(r);
        return;
    }
    long long if_match = 0;
    if (!gw_if_match(r, &if_match)) {
        gw_update_msg_cleanup(&m);
        return;
    }
    m.req.id = id;
    m.req.wait_ms = gw_job_wait_ms(r);
    m.req.if_match = if_match;
    gw_audit_begin(r, "phone_number", "phone_number.updated", id);
    if (m.req.provider_config)
        gw_audit_secret_changed(r, "provider_config");
    gw_rpc(r, GW_PEER_PROVISIONING, "UpdateNumber", &m.req.base,
           gw_job_rpc_timeout_ms(r), on_updated);
    gw_update_msg_cleanup(&m);
}

static void numbers_delete_send(gw_req_t *r)
{
    char id[37];
    if (!gw_req_path_uuid(r, "phone_id", id))
        return;
    long long if_match = 0;
    if (!gw_if_match(r, &if_match))
        return;
    Oneinbox__V1__NumberIdRequest req = ONEINBOX__V1__NUMBER_ID_REQUEST__INIT;
    req.id = id;
    req.wait_ms = gw_job_wait_ms(r);
    req.if_match = if_match;
    gw_rpc(r, GW_PEER_PROVISIONING, "DeleteNumber", &req.base,
           gw_job_rpc_timeout_ms(r), on_submitted_204);
}

/* POST /v1/phone-numbers/{id}/restore: a quarantined number back, with its id and routing. */
void gw_numbers_restore(gw_req_t *r)
{
    char id[37];
    if (!gw_req_path_uuid(r, "phone_id", id))
        return;
    long long if_match = 0;
    if (!gw_if_match(r, &if_match))
        return;
    Oneinbox__V1__UpdateNumberRequest req = ONEINBOX__V1__UPDATE_NUMBER_REQUEST__INIT;
    req.id = id;
    req.restore = true;
    req.wait_ms = gw_job_wait_ms(r);
    req.if_match = if_match;
    gw_audit_begin(r, "phone_number", "phone_number.restored", id);
    gw_rpc(r, GW_PEER_PROVISIONING, "UpdateNumber", &req.base, gw_job_rpc_timeout_ms(r), on_updated);
}

void gw_numbers_delete(gw_req_t *r)
{
    char id[37];
    if (gw_req_path_uuid(r, "phone_id", id))
        fetch_number_then(r, id, "phone_number.deleted", numbers_delete_send);
}

static void on_number(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__PhoneNumber *n = (const Oneinbox__V1__PhoneNumber *)reply;
    json_t *j = gw_render_number(n);
    char *body = oi_json_dump(j);
    json_decref(j);
    char tag[128], etag[GW_ETAG_HEADER_MAX];
    snprintf(tag, sizeof tag, "%s/%lld", r->workspace_id, (long long)n->version);
    if (strcmp(n->status, "active") == 0) /* the owner's view and its ETag, kept for its next GET */
        gw_near_keep(r, tag, body, strlen(body));
    else /* a number on its way in or out changes without a PATCH to announce it: never kept */
        gw_near_keep(r, NULL, NULL, 0);
    gw_etag_header(n->version, etag);
    gw_respond_text_with(r, 200, etag, body, strlen(body));
    free(body);
}

void gw_numbers_get(gw_req_t *r)
{
    char id[37];
    if (!gw_req_path_uuid(r, "phone_id", id))
        return;
    if (gw_near_answer(r, r->gw->near_numbers, id, r->workspace_id))
        return;
    Oneinbox__V1__NumberIdRequest req = ONEINBOX__V1__NUMBER_ID_REQUEST__INIT;
    req.id = id;
    gw_rpc(r, GW_PEER_PROVISIONING, "GetNumber", &req.base, 0,
           on_number);
}

/* Cursors we hand out are printable ASCII and short; anything else is not one of ours. */
static bool cursor_printable(const char *c, size_t n)
{
    size_t len = strlen(c);
    if (len >= n - 1)
        return false;
    for (size_t i = 0; i < len; i++)
        if (c[i] <= ' ' || c[i] > '~')
            return false;
    return true;
}

bool gw_list_params(gw_req_t *r, int *limit, char *cursor, size_t n)
{
    const char *query = oi_http_req_query(r->http);
    char raw[32];
    long l = 20;
    oi_validation_t *v = gw_req_validation(r);
    if (gw_query_param(v, query, "limit", raw, sizeof raw))
        oi_v_query_int(v, "limit", raw, 1, 100, &l);
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return false;
    }
    *limit = (int)l;
    r->list_limit = (int)l;
    cursor[0] = '\0';
    bool got = oi_http_query_get(query, "cursor", cursor, n);
    if ((!got && oi_http_query_has(query, "cursor")) || (got && !cursor_printable(cursor, n))) {
        oi_loc_t loc = oi_loc_root("query");
        loc = oi_loc_key(&loc, "cursor");
        oi_validation_add(gw_req_validation(r), &loc, "value_error", "Value error, invalid cursor", NULL, NULL);
        gw_respond_validation(r);
        return false;
    }
    return true;
}

char *gw_link_next(const gw_req_t *r, int limit, const char *next_cursor)
{
    if (!next_cursor || !*next_cursor)
        return NULL;
    return oi_xasprintf("Link: <%s?limit=%d%s&cursor=%s>; rel=\"next\"\r\n", oi_http_req_path(r->http), limit,
                        r->list_query, next_cursor);
}

void gw_list_uuid_cursor(gw_req_t *r, const char *cursor, char out[37])
{
    out[0] = '\0';
    if (!cursor[0])
        return;
    if (oi_uuid_valid(cursor)) {
        memcpy(out, cursor, OI_UUID_STR_LEN + 1);
        return;
    }
    oi_loc_t loc = oi_loc_root("query");
    oi_loc_t l = oi_loc_key(&loc, "cursor");
    oi_validation_add(gw_req_validation(r), &l, "value_error", "Value error, invalid cursor", NULL, NULL);
}

void gw_respond_list(gw_req_t *r, json_t *arr, const char *next_cursor)
{
    char *link = gw_link_next(r, r->list_limit, next_cursor);
    gw_respond_json(r, 200, link, arr);
    free(link);
}

static void on_numbers(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__ListNumbersReply *l = (const Oneinbox__V1__ListNumbersReply *)reply;
    json_t *arr = json_array();
    for (size_t i = 0; i < l->n_numbers; i++)
        json_array_append_new(arr, gw_render_number(l->numbers[i]));
    gw_respond_list(r, arr, l->next_cursor);
}

typedef struct {
    char agent_id[37], phone_number[32], provider[16], status[16];
} list_filters_t;

/* agent_id, phone_number, provider and status from the query, validated (422, loc ["query",
 * name]); r->list_query gets them again for the next page's Link. false → responded. */
static bool list_filters(gw_req_t *r, list_filters_t *f)
{
    static const char *const providers[] = {"twilio", "telnyx", NULL};
    static const char *const statuses[] = {"provisioning", "active", "inactive", "quarantined",
                                           "releasing",    "released", NULL};
    const char *query = oi_http_req_query(r->http);
    memset(f, 0, sizeof *f);
    char raw[4][64];
    const char *names[] = {"agent_id", "phone_number", "provider", "status"};
    json_t *holder = json_object();
    oi_validation_t *v = gw_req_validation(r);
    for (int i = 0; i < 4; i++) {
        if (!gw_query_param(v, query, names[i], raw[i], sizeof raw[i]))
            continue;
        json_t *js = json_string(raw[i]); /* not UTF-8: "" fails validation */
        json_object_set_new(holder, names[i], js ? js : json_string(""));
    }
    oi_loc_t loc = oi_loc_root("query");
    oi_v_uuid(v, &loc, holder, "agent_id", 0, NULL, f->agent_id);
    const char *phone = oi_v_e164(v, &loc, holder, "phone_number", 0, NULL);
    const char *provider = oi_v_enum(v, &loc, holder, "provider", 0, providers, NULL);
    const char *status = oi_v_enum(v, &loc, holder, "status", 0, statuses, NULL);
    snprintf(f->phone_number, sizeof f->phone_number, "%s", phone ? phone : "");
    snprintf(f->provider, sizeof f->provider, "%s", provider ? provider : "");
    snprintf(f->status, sizeof f->status, "%s", status ? status : "");
    json_decref(holder);
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return false;
    }
    snprintf(r->list_query, sizeof r->list_query, "%s%s%s%s%s%s%s%s", f->agent_id[0] ? "&agent_id=" : "",
             f->agent_id, f->phone_number[0] ? "&phone_number=%2B" : "", f->phone_number[0] ? f->phone_number + 1 : "",
             f->provider[0] ? "&provider=" : "", f->provider, f->status[0] ? "&status=" : "", f->status);
    return true;
}

void gw_numbers_list(gw_req_t *r)
{
    int limit;
    char cursor[256];
    list_filters_t f;
    if (!gw_list_params(r, &limit, cursor, sizeof cursor) || !list_filters(r, &f))
        return;
    Oneinbox__V1__ListNumbersRequest req = ONEINBOX__V1__LIST_NUMBERS_REQUEST__INIT;
    req.limit = limit;
    req.cursor = cursor;
    req.agent_id = f.agent_id;
    req.phone_number = f.phone_number;
    req.provider = f.provider;
    req.status = f.status;
    gw_rpc(r, GW_PEER_PROVISIONING, "ListNumbers", &req.base,
           0, on_numbers);
}

static void on_search(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__CarrierSearchReply *s = (const Oneinbox__V1__CarrierSearchReply *)reply;
    json_t *arr = json_array();
    for (size_t i = 0; i < s->n_numbers; i++)
        json_array_append_new(arr, gw_render_available(s->numbers[i]));
    gw_respond_json(r, 200, NULL, arr);
}

void gw_numbers_search(gw_req_t *r)
{
    gw_search_query_t q;
    if (!gw_search_parse(gw_req_validation(r), oi_http_req_query(r->http), &q)) {
        gw_respond_validation(r);
        return;
    }
    Oneinbox__V1__SearchNumbersRequest req = ONEINBOX__V1__SEARCH_NUMBERS_REQUEST__INIT;
    Oneinbox__V1__OptString area = ONEINBOX__V1__OPT_STRING__INIT, contains = ONEINBOX__V1__OPT_STRING__INIT;
    req.country = q.country;
    area.value = q.area_code;
    contains.value = q.contains;
    req.area_code = q.has_area_code ? &area : NULL;
    req.contains = q.has_contains ? &contains : NULL;
    req.limit = (int32_t)q.limit;
    gw_rpc(r, GW_PEER_PROVISIONING, "SearchNumbers", &req.base, 0, on_search);
}
