/* numbers_rpc.c: reading phone numbers (Get, List) and searching the carrier's inventory. */
#define OI_LOG_TAG "prov.numbers"
#include "jobs_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "numbers_db.h"
#include "oi/clock.h"
#include "oi/e164.h"
#include "oi/ids.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "prov.h"

#define LIST_MAX 100
#define LIST_DEFAULT 20

static oi_status_t number_reply(const prov_call_t *c, PGresult *const *res, size_t n, ProtobufCMessage **reply,
                                oi_error_t *err)
{
    (void)c;
    if (n != 1 || PQntuples(res[0]) != 1)
        return oi_error_set(err, OI_NUMBER_NOT_FOUND, NULL);
    *reply = &prov_number_to_proto(res[0], 0, "")->base;
    return OI_OK;
}

PROV_RPC(prov_rpc_get_number)
{
    const Oneinbox__V1__NumberIdRequest *r = (const Oneinbox__V1__NumberIdRequest *)req;
    if (!oi_uuid_valid(ctx->workspace_id) || !oi_uuid_valid(r->id)) {
        prov_call_fail(call, OI_NUMBER_NOT_FOUND, NULL);
        return;
    }
    prov_number_get(ctx->ud, ctx->workspace_id, r->id, prov_call_done, prov_call_new(call, number_reply, 0));
}

static oi_status_t list_reply(const prov_call_t *c, PGresult *const *res, size_t n, ProtobufCMessage **reply,
                              oi_error_t *err)
{
    (void)err;
    int limit = (int)prov_call_arg(c);
    Oneinbox__V1__ListNumbersReply *out = oi_xmalloc(sizeof *out);
    oneinbox__v1__list_numbers_reply__init(out);
    int rows = n == 1 ? PQntuples(res[0]) : 0;
    int take = rows > limit ? limit : rows;
    out->numbers = oi_xcalloc((size_t)take + 1, sizeof *out->numbers);
    for (int i = 0; i < take; i++)
        out->numbers[out->n_numbers++] = prov_number_to_proto(res[0], i, "");
    out->next_cursor = oi_xstrdup(rows > limit ? oi_pg_get(res[0], take - 1, "id") : "");
    *reply = &out->base;
    return OI_OK;
}

static const char *opt(const char *s) { return s && s[0] ? s : NULL; }

/* The statuses a number goes through (numbers_db.h), "inactive" kept for the seeds' enum. */
static bool status_known(const char *s)
{
    static const char *const known[] = {"provisioning", "active", "inactive", "quarantined", "releasing", "released"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(s, known[i]) == 0)
            return true;
    return false;
}

/* The request's filters, checked again here (the gateway validated them for its 422s). */
static bool list_filter(const Oneinbox__V1__ListNumbersRequest *r, prov_number_filter_t *f, oi_error_t *e)
{
    *f = (prov_number_filter_t){opt(r->agent_id), opt(r->phone_number), opt(r->provider), opt(r->status)};
    const char *bad = NULL;
    if (f->agent_id && !oi_uuid_valid(f->agent_id))
        bad = "agent_id";
    else if (f->phone_number && !oi_e164_valid(f->phone_number))
        bad = "phone_number";
    else if (f->provider && strcmp(f->provider, "twilio") != 0 && strcmp(f->provider, "telnyx") != 0)
        bad = "provider";
    else if (f->status && !status_known(f->status))
        bad = "status";
    if (!bad)
        return true;
    oi_error_set(e, OI_INVALID, "invalid %s filter", bad);
    char loc[32];
    snprintf(loc, sizeof loc, "query.%s", bad);
    oi_error_set_loc(e, loc);
    return false;
}

PROV_RPC(prov_rpc_list_numbers)
{
    const Oneinbox__V1__ListNumbersRequest *r = (const Oneinbox__V1__ListNumbersRequest *)req;
    int limit = r->limit <= 0 ? LIST_DEFAULT : r->limit;
    oi_error_t e;
    oi_error_init(&e);
    if (limit > LIST_MAX) {
        oi_error_set(&e, OI_INVALID, "limit must be between 1 and %d", LIST_MAX);
        prov_call_fail(call, OI_INVALID, &e);
        return;
    }
    if (!oi_uuid_valid(ctx->workspace_id)) {
        oi_error_set(&e, OI_UNAUTHORIZED, "no workspace");
        prov_call_fail(call, OI_UNAUTHORIZED, &e);
        return;
    }
    if (r->cursor[0] && !oi_uuid_valid(r->cursor)) {
        oi_error_set(&e, OI_INVALID, "invalid cursor");
        oi_error_set_loc(&e, "query.cursor");
        prov_call_fail(call, OI_INVALID, &e);
        return;
    }
    prov_number_filter_t f;
    if (!list_filter(r, &f, &e)) {
        prov_call_fail(call, OI_INVALID, &e);
        return;
    }
    prov_number_list(ctx->ud, ctx->workspace_id, r->cursor[0] ? r->cursor : NULL, limit, &f, prov_call_done,
                     prov_call_new(call, list_reply, limit));
}

/* --- search: forwarded to oi-carrier, at most search_max at once per carrier ------------------------ */

typedef struct {
    oi_rpc_call_t *call;
    prov_t *p;
    prov_lane_t lane;
} search_t;

static void on_searched(oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    search_t *s = ud;
    s->p->search_inflight[s->lane]--;
    oi_rpc_call_reply(&s->call, st, err, reply);
    free(s);
}

PROV_RPC(prov_rpc_search_numbers)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__SearchNumbersRequest *r = (const Oneinbox__V1__SearchNumbersRequest *)req;
    prov_lane_t lane = prov_lane_of_provider(p->purchase_carrier);
    if (p->search_inflight[lane] >= p->search_max) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_CARRIER_UNAVAILABLE, "%s is slow: too many searches waiting on it", p->purchase_carrier);
        prov_call_fail(call, OI_CARRIER_UNAVAILABLE, &e);
        return;
    }
    Oneinbox__V1__CarrierSearchRequest q = ONEINBOX__V1__CARRIER_SEARCH_REQUEST__INIT;
    q.provider = prov_provider_parse(p->purchase_carrier);
    q.country = r->country;
    q.area_code = r->area_code;
    q.contains = r->contains;
    q.limit = r->limit;
    search_t *s = oi_xcalloc(1, sizeof *s);
    s->call = call;
    s->p = p;
    s->lane = lane;
    p->search_inflight[lane]++;
    int64_t left = ctx->deadline_ms - oi_clock_now_ms();
    uint32_t timeout = left > 0 && left < (int64_t)p->rpc_timeout_ms ? (uint32_t)left : p->rpc_timeout_ms;
    if (oi_rpc_client_call(p->carrier, &oneinbox__v1__carrier__descriptor, "Search", ctx->request_id,
                           ctx->workspace_id, &q.base, timeout, on_searched, s) != 0)
        on_searched(OI_UNAVAILABLE, NULL, NULL, s);
}
