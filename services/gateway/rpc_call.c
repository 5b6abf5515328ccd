/* rpc_call.c: an RPC made on behalf of a request, carrying its request id and workspace. A
 * request has at most one call in flight, so the continuation lives in the request. */
#include <string.h>

#include "gw.h"
#include "oi/http_server.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/provisioning.pb-c.h"

const ProtobufCServiceDescriptor *gw_peer_service(gw_peer_t peer)
{
    switch (peer) {
    case GW_PEER_PROVISIONING:
        return &oneinbox__v1__provisioning__descriptor;
    case GW_PEER_DISPATCH:
        return &oneinbox__v1__dispatch__descriptor;
    default:
        return &oneinbox__v1__carrier__descriptor;
    }
}

oi_rpc_client_t *gw_peer_client(const gw_t *gw, gw_peer_t peer)
{
    return peer == GW_PEER_PROVISIONING ? gw->provisioning : peer == GW_PEER_DISPATCH ? gw->dispatch : gw->carrier;
}

static bool is_write(const char *method) { return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0; }

/* A write whose reply never came may have been made or not: the answer says so, and how to
 * repeat it safely, instead of a bare "timed out". */
static void on_reply(oi_status_t status, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    gw_req_t *r = ud;
    gw_rpc_done_fn done = r->rpc_done;
    r->rpc_done = NULL;
    if (status != OI_TIMEOUT || !is_write(oi_http_req_method(r->http))) {
        done(r, status, err, reply);
        return;
    }
    oi_error_t unknown;
    oi_error_init(&unknown);
    oi_error_set(&unknown, OI_TIMEOUT,
                 "no reply in time: the change may or may not have been made. Repeat it with the same "
                 "Idempotency-Key (POST) or If-Match (PATCH, DELETE), or read the resource first");
    done(r, status, &unknown, NULL);
}

void gw_rpc(gw_req_t *r, gw_peer_t peer, const char *method, const ProtobufCMessage *msg, uint32_t timeout_ms,
            gw_rpc_done_fn done)
{
    r->rpc_done = done;
    oi_rpc_client_t *c = gw_peer_client(r->gw, peer);
    uint32_t timeout = timeout_ms ? timeout_ms : r->gw->rpc_timeout_ms;
    /* only the admin token's path acts for every workspace; a workspace caller names its own */
    int rc = r->caller == GW_CALLER_ADMIN
                 ? oi_rpc_client_call_admin(c, gw_peer_service(peer), method, r->request_id, msg, timeout, on_reply, r)
                 : oi_rpc_client_call(c, gw_peer_service(peer), method, r->request_id, r->workspace_id, msg, timeout,
                                      on_reply, r);
    if (rc != 0) {
        r->rpc_done = NULL;
        oi_error_t err;
        oi_error_init(&err);
        oi_error_set(&err, OI_UNAVAILABLE, "service unavailable");
        done(r, OI_UNAVAILABLE, &err, NULL);
    }
}
