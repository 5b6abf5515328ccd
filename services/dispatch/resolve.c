/* resolve.c: Resolve with cache-aside, single-flight and a PostgreSQL fallback. */
#define OI_LOG_TAG "dsp.resolve"
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "check.h"
#include "oi/route_decide.h"
#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "policies.h"
#include "oi/route_memo.h"
#include "oi/route.h"
#include "route_db.h"

typedef struct request request_t;
typedef struct flight flight_t;

struct request {
    request_t *next;          /* in its flight's waiter list */
    dsp_t *d;
    oi_rpc_call_t *call;
    char to[24];
    char from[24];            /* the caller as given, "" when withheld */
    int64_t at_ms;            /* the moment decided for (Unix ms) */
    bool explain;
    bool want_snapshot;       /* a near cache (the gateway's) fills itself from this answer */
    char *call_id;            /* owned, "" when none */
    char failed[DSP_FAILED_MAX][OI_ROUTE_ID_MAX];
    size_t n_failed;
    int pending;              /* parts still missing: snapshot, failures */
    bool have_route;
    oi_route_t route;        /* owned copy once have_route */
    oi_status_t status;       /* first failure of any part */
    oi_error_t err;
    oi_near_ticket_t near;    /* filling the near cache (no call id) */
};

struct flight {
    flight_t *next;
    dsp_t *d;
    char *key;                /* owned: "<to>|<tag or ->" */
    char to[24];
    char *tag;                /* owned, NULL = don't store */
    request_t *waiters;
    oi_route_t route;
    oi_status_t status;
    oi_error_t err;
};

struct dsp_flights {
    flight_t *head;
    size_t n;
};

dsp_flights_t *dsp_flights_new(void) { return oi_xcalloc(1, sizeof(dsp_flights_t)); }

void dsp_flights_destroy(dsp_flights_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    OI_FREE(*self_p);
}

size_t dsp_flights_count(const dsp_flights_t *f) { return f ? f->n : 0; }

uint8_t *dsp_resolve_pack(const Oneinbox__V1__ResolveReply *rep, size_t *len) { return oi_rpc_pack(&rep->base, len); }

/* --- finishing a request ---------------------------------------------------------------- */

static void request_free(request_t *r)
{
    if (r->near.entry) /* not answered from a snapshot: nothing to keep */
        oi_near_cache_end(r->d->near, &r->near, NULL, NULL, 0, 0);
    oi_route_cleanup(&r->route);
    free(r->call_id);
    free(r);
}

static void request_reply(request_t *r)
{
    if (r->status || !r->have_route) {
        if (!r->status)
            r->status = oi_error_set(&r->err, OI_INTERNAL, "no routing snapshot");
        oi_rpc_call_reply(&r->call, r->status, &r->err, NULL);
        request_free(r);
        return;
    }
    const char *failed[DSP_FAILED_MAX];
    for (size_t i = 0; i < r->n_failed; i++)
        failed[i] = r->failed[i];
    oi_route_call_t in = {.failed = failed, .n_failed = r->n_failed,
                          .policy = dsp_policies_get(r->d->policies, r->route.policy_json),
                          .from = r->from, .at_ms = r->at_ms, .explain = r->explain};
    Oneinbox__V1__ResolveReply *rep = oi_route_decide(&r->route, &in);
    uint8_t *snap = NULL;
    size_t snap_len = 0;
    if (rep->per_call && (r->near.entry || r->want_snapshot)) /* the snapshot is kept, not this answer */
        snap = oi_route_encode(&r->route, "", &snap_len);
    if (r->near.entry && snap)
        oi_near_cache_end(r->d->near, &r->near, NULL, snap, snap_len, uv_now(r->d->loop));
    if (r->want_snapshot && snap) {
        rep->snapshot.data = snap; /* freed with the reply */
        rep->snapshot.len = snap_len;
        snap = NULL;
    }
    free(snap);
    if (r->near.entry) { /* kept packed: the next ones are answered from memory */
        size_t len = 0;
        uint8_t *packed = oi_rpc_pack(&rep->base, &len);
        oi_near_cache_end(r->d->near, &r->near, NULL, packed, len, uv_now(r->d->loop));
        oi_rpc_call_reply_packed(&r->call, packed, len);
        free(packed);
    } else {
        oi_rpc_call_reply(&r->call, OI_OK, NULL, &rep->base);
    }
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    request_free(r);
}

static void part_done(request_t *r)
{
    if (--r->pending == 0)
        request_reply(r);
}

static void part_failed(request_t *r, oi_status_t st, const oi_error_t *err)
{
    if (!r->status) {
        r->status = st;
        if (err)
            r->err = *err;
        else
            oi_error_set(&r->err, st, NULL);
    }
    part_done(r);
}

/* --- single flight ---------------------------------------------------------------------- */

static void flight_unlink(dsp_flights_t *fl, flight_t *f)
{
    for (flight_t **pp = &fl->head; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            fl->n--;
            return;
        }
    }
}

static void on_flight_loaded(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    flight_t *f = ud;
    dsp_t *d = f->d;
    d->busy--;
    flight_unlink(d->flights, f);
    if (st) {
        f->status = st;
        f->err = *err;
    } else {
        f->status = dsp_route_from_result(res[n - 1], f->to, &f->route, &f->err);
    }
    if (!f->status)
        dsp_cache_store(d->cache, f->to, f->tag, &f->route);
    request_t *r = f->waiters;
    while (r) {
        request_t *next = r->next;
        if (f->status) {
            part_failed(r, f->status, &f->err);
        } else {
            oi_route_copy(&r->route, &f->route);
            r->have_route = true;
            part_done(r);
        }
        r = next;
    }
    oi_route_cleanup(&f->route);
    free(f->key);
    free(f->tag);
    free(f);
}

static void flight_join(request_t *r, const char *tag)
{
    dsp_flights_t *fl = r->d->flights;
    char *key = oi_xasprintf("%s|%s", r->to, tag ? tag : "-");
    for (flight_t *f = fl->head; f; f = f->next) {
        if (strcmp(f->key, key) == 0) {
            free(key);
            r->next = f->waiters;
            f->waiters = r;
            return;
        }
    }
    flight_t *f = oi_xcalloc(1, sizeof *f);
    f->d = r->d;
    f->key = key;
    snprintf(f->to, sizeof f->to, "%s", r->to);
    f->tag = oi_xstrdup(tag);
    f->waiters = r;
    r->next = NULL;
    oi_error_init(&f->err);
    f->next = fl->head;
    fl->head = f;
    fl->n++;
    r->d->busy++;
    dsp_route_load(r->d->pipeline, f->to, on_flight_loaded, f);
}

/* --- per-call failures from PostgreSQL (when Redis cannot tell) ---------------------------- */

static void on_failures_loaded(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    request_t *r = ud;
    r->d->busy--;
    if (st) {
        part_failed(r, st, err);
        return;
    }
    r->n_failed = dsp_failures_from_result(res[n - 1], r->failed, DSP_FAILED_MAX);
    part_done(r);
}

static void failures_from_db(request_t *r)
{
    r->n_failed = 0;
    r->pending++;
    r->d->busy++;
    dsp_failures_load(r->d->pipeline, r->call_id, on_failures_loaded, r);
}

/* --- the handler ------------------------------------------------------------------------ */

static void on_looked_up(dsp_cache_lookup_t *res, void *ud)
{
    request_t *r = ud;
    r->pending = 1; /* held while the parts are started */
    if (res->status) {
        /* Redis is down or slow: PostgreSQL answers, failures included */
        if (*r->call_id)
            failures_from_db(r);
        r->pending++;
        flight_join(r, NULL);
    } else {
        memcpy(r->failed, res->failed, sizeof r->failed);
        r->n_failed = res->n_failed;
        if (res->hit) {
            oi_route_copy(&r->route, &res->route);
            r->have_route = true;
        } else {
            r->pending++;
            flight_join(r, res->tag);
        }
    }
    part_done(r);
}

/* The answer kept in memory for this number, if any (after reading the invalidations that
 * already arrived: never older than a change acknowledged before this call came): the answer
 * itself, or the number's snapshot to decide from when the decision depends on the call. */
static bool near_answer(dsp_t *d, oi_rpc_call_t **call, const char *to, const char *from)
{
    oi_near_bus_sync(d->near_bus);
    oi_near_value_t v;
    if (!oi_near_cache_get(d->near, to, uv_now(d->loop), &v))
        return false;
    if (!oi_route_memo_applies(&v)) {
        oi_rpc_call_reply_packed(call, v.data, v.len);
        return true;
    }
    size_t len = 0;
    const uint8_t *packed = oi_route_memo_answer(d->memo, &v, from, oi_clock_now_ms(), &len);
    if (!packed)
        return false;
    oi_rpc_call_reply_packed(call, packed, len);
    return true;
}

void dsp_resolve_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg)
{
    const Oneinbox__V1__ResolveRequest *req = (const Oneinbox__V1__ResolveRequest *)msg;
    dsp_t *d = ctx->ud;
    oi_error_t err;
    oi_error_init(&err);
    oi_status_t rc = dsp_check_resolve(req, &err);
    if (rc) {
        oi_rpc_call_reply(&call, rc, &err, NULL);
        return;
    }
    /* a call's failures are its own; a moment or an explanation is asked for once */
    bool by_number = d->near && !(req->call_id && *req->call_id) && req->at_unix_ms == 0 && !req->explain &&
                     !req->want_snapshot;
    if (by_number && near_answer(d, &call, req->to, req->from))
        return;
    request_t *r = oi_xcalloc(1, sizeof *r);
    r->d = d;
    r->call = call;
    snprintf(r->to, sizeof r->to, "%s", req->to);
    snprintf(r->from, sizeof r->from, "%s", req->from ? req->from : "");
    r->at_ms = req->at_unix_ms ? req->at_unix_ms : oi_clock_now_ms();
    r->explain = req->explain;
    r->want_snapshot = req->want_snapshot && !req->explain && !(req->call_id && *req->call_id);
    r->call_id = oi_xstrdup(req->call_id ? req->call_id : "");
    oi_error_init(&r->err);
    if (by_number)
        r->near = oi_near_cache_begin(d->near, r->to);
    if (dsp_cache_usable(d->cache)) {
        dsp_cache_lookup(d->cache, r->to, r->call_id, on_looked_up, r);
        return;
    }
    r->pending = 1;
    if (*r->call_id)
        failures_from_db(r);
    r->pending++;
    flight_join(r, NULL);
    part_done(r);
}
