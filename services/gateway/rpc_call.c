/* rpc_call.c: an RPC made on behalf of a request, carrying its request id and workspace. */
#include <stdlib.h>

#include "gw.h"
#include "oi/mem.h"

typedef struct {
    gw_req_t *r;
    gw_rpc_done_fn done;
} rpc_ctx_t;

static void on_reply(oi_status_t status, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    rpc_ctx_t *c = ud;
    c->done(c->r, status, err, reply);
    free(c);
}

void gw_rpc(gw_req_t *r, oi_rpc_client_t *client, const char *method, const ProtobufCMessage *msg,
            const ProtobufCMessageDescriptor *reply_desc, uint32_t timeout_ms, gw_rpc_done_fn done)
{
    rpc_ctx_t *c = oi_xcalloc(1, sizeof *c);
    c->r = r;
    c->done = done;
    if (oi_rpc_client_call(client, method, r->request_id, r->workspace_id, msg, reply_desc,
                           timeout_ms ? timeout_ms : r->gw->rpc_timeout_ms, on_reply, c) != 0) {
        free(c);
        oi_error_t err;
        oi_error_init(&err);
        oi_error_set(&err, OI_UNAVAILABLE, "service unavailable");
        done(r, OI_UNAVAILABLE, &err, NULL);
    }
}
