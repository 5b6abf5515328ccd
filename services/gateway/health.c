/* health.c: periodic pings of provisioning, dispatch and carrier. */
#include "health.h"

#include <stdio.h>
#include <stdlib.h>

#include "oi/clock.h"
#include "oi/mem.h"
#include "oneinbox/v1/envelope.pb-c.h"

#define HEALTH_INTERVAL_MS 1000
#define HEALTH_STALE_MS 3500
#define HEALTH_PING_TIMEOUT_MS 900

/* the dependencies are the gateway's peers, in gw_peer_t order */
enum { DEP_PROVISIONING = GW_PEER_PROVISIONING, DEP_DISPATCH = GW_PEER_DISPATCH, DEP_CARRIER = GW_PEER_CARRIER, DEP_COUNT };

static const char *const dep_names[DEP_COUNT] = {"oi-provisioning", "oi-dispatch", "oi-carrier"};

struct gw_health {
    gw_t *gw;                    /* borrowed */
    uv_timer_t timer;
    int64_t last_ok_ms[DEP_COUNT]; /* monotonic */
    int inflight;
    bool closing;
};

typedef struct {
    gw_health_t *h;
    int dep;
} ping_t;


static void on_closed(uv_handle_t *handle) { free(handle->data); }

static void maybe_free(gw_health_t *h)
{
    if (h->closing && h->inflight == 0)
        uv_close((uv_handle_t *)&h->timer, on_closed);
}

static void on_pong(oi_status_t status, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    ping_t *p = ud;
    gw_health_t *h = p->h;
    if (status == OI_OK)
        h->last_ok_ms[p->dep] = oi_clock_mono_ms();
    h->inflight--;
    free(p);
    maybe_free(h);
}

static void on_tick(uv_timer_t *t)
{
    gw_health_t *h = t->data;
    Oneinbox__V1__Empty empty = ONEINBOX__V1__EMPTY__INIT;
    for (int i = 0; i < DEP_COUNT; i++) {
        ping_t *p = oi_xcalloc(1, sizeof *p);
        p->h = h;
        p->dep = i;
        if (oi_rpc_client_call(gw_peer_client(h->gw, (gw_peer_t)i), gw_peer_service((gw_peer_t)i), "Ping", NULL, NULL,
                               &empty.base, HEALTH_PING_TIMEOUT_MS, on_pong, p) == 0)
            h->inflight++;
        else
            free(p);
    }
}

gw_health_t *gw_health_new(gw_t *gw)
{
    gw_health_t *h = oi_xcalloc(1, sizeof *h);
    h->gw = gw;
    uv_timer_init(gw->loop, &h->timer);
    h->timer.data = h;
    uv_timer_start(&h->timer, on_tick, 0, HEALTH_INTERVAL_MS);
    return h;
}

void gw_health_close(gw_health_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_health_t *h = *self_p;
    *self_p = NULL;
    uv_timer_stop(&h->timer);
    h->closing = true;
    maybe_free(h);
}

static bool dep_ok(const gw_health_t *h, int dep, int64_t now)
{
    return h->last_ok_ms[dep] && now - h->last_ok_ms[dep] <= HEALTH_STALE_MS;
}

oi_ops_readiness_t gw_health_state(const gw_health_t *h, char *detail, size_t n)
{
    int64_t now = oi_clock_mono_ms();
    for (int i = 0; i < DEP_COUNT; i++) {
        if (i != DEP_CARRIER && !dep_ok(h, i, now)) {
            snprintf(detail, n, "%s not answering", dep_names[i]);
            return OI_OPS_UNREADY;
        }
    }
    if (!oi_pg_pool_healthy(h->gw->pg)) {
        snprintf(detail, n, "PostgreSQL unreachable");
        return OI_OPS_UNREADY;
    }
    if (!dep_ok(h, DEP_CARRIER, now)) {
        snprintf(detail, n, "%s not answering: searches fail, purchases wait for it", dep_names[DEP_CARRIER]);
        return OI_OPS_DEGRADED;
    }
    return OI_OPS_READY;
}

oi_ops_readiness_t gw_health_ready(void *ud, char *detail, size_t n)
{
    gw_t *gw = ud;
    return gw_health_state(gw->health, detail, n);
}

void gw_health_http(gw_req_t *r)
{
    char detail[128] = "";
    oi_ops_readiness_t st = gw_health_state(r->gw->health, detail, sizeof detail);
    if (r->gw->draining)
        gw_respond_json(r, 503, NULL, json_pack("{ssss}", "status", "unavailable", "detail", "shutting down"));
    else if (st == OI_OPS_READY)
        gw_respond_json(r, 200, NULL, json_pack("{ss}", "status", "ok"));
    else if (st == OI_OPS_DEGRADED)
        gw_respond_json(r, 200, NULL, json_pack("{ssss}", "status", "degraded", "detail", detail));
    else
        gw_respond_json(r, 503, NULL, json_pack("{ssss}", "status", "unavailable", "detail", detail));
}
