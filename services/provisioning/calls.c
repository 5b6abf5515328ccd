/* calls.c: RPCs answered from one statement. */
#include "calls.h"

#include <stdlib.h>

#include "oi/mem.h"
#include "oneinbox/v1/envelope.pb-c.h"

struct prov_call {
    oi_rpc_call_t *call;
    prov_call_reply_fn fn;
    intptr_t arg;
};

prov_call_t *prov_call_new(oi_rpc_call_t *call, prov_call_reply_fn fn, intptr_t arg)
{
    prov_call_t *c = oi_xmalloc(sizeof *c);
    c->call = call;
    c->fn = fn;
    c->arg = arg;
    return c;
}

intptr_t prov_call_arg(const prov_call_t *c) { return c->arg; }

void prov_call_done(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    prov_call_t *c = ud;
    ProtobufCMessage *reply = NULL;
    oi_error_t e;
    oi_error_init(&e);
    if (!st)
        st = c->fn(c, res, n, &reply, &e);
    else if (err)
        e = *err;
    oi_rpc_call_reply(&c->call, st, st ? &e : NULL, reply);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    free(c);
}

void prov_call_fail(oi_rpc_call_t *call, oi_status_t st, const oi_error_t *err)
{
    oi_rpc_call_reply(&call, st, err, NULL);
}

ProtobufCMessage *prov_empty_new(void)
{
    Oneinbox__V1__Empty *e = oi_xmalloc(sizeof *e);
    oneinbox__v1__empty__init(e);
    return &e->base;
}
