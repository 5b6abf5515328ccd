/* mutate.c: threadpool work → cache invalidation → reply, for routing-relevant mutations. */
#define OI_LOG_TAG "dsp.mutate"
#include "mutate.h"

#include <stdlib.h>

#include "cache.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"

typedef struct {
    uv_work_t work;
    dsp_t *d;
    oi_rpc_call_t *call;
    dsp_mutate_fn fn;
    ProtobufCMessage *req;   /* owned copy */
    char *request_id;        /* owned copies of the ctx strings */
    char *workspace_id;
    char *method;
    oi_rpc_ctx_t ctx;
    ProtobufCMessage *reply; /* owned */
    dsp_numbers_t touched;
    oi_status_t status;
    oi_error_t err;
} mutation_t;

oi_status_t dsp_workspace(const oi_rpc_ctx_t *ctx, char *out, oi_error_t *err)
{
    if (!ctx->workspace_id || !oi_uuid_normalize(ctx->workspace_id, out)) {
        oi_status_t rc = oi_error_set(err, OI_BAD_REQUEST, "this call needs the caller's workspace");
        oi_error_set_loc(err, "workspace_id");
        return rc;
    }
    return OI_OK;
}

static void mutation_free(mutation_t *m)
{
    if (m->req)
        protobuf_c_message_free_unpacked(m->req, NULL);
    if (m->reply)
        protobuf_c_message_free_unpacked(m->reply, NULL);
    free(m->request_id);
    free(m->workspace_id);
    free(m->method);
    dsp_numbers_cleanup(&m->touched);
    free(m);
}

static void on_work(uv_work_t *w)
{
    mutation_t *m = w->data;
    m->status = m->fn(m->d, &m->ctx, m->req, &m->reply, &m->touched, &m->err);
}

static void on_invalidated(oi_status_t st, void *ud)
{
    mutation_t *m = ud;
    if (st)
        oi_log_warn(&(oi_log_ctx_t){.request_id = m->request_id, .action = "invalidating routes"},
                    "cache invalidation deferred (%s): cache bypassed until the generation is bumped",
                    oi_status_name(st));
    oi_rpc_call_reply(&m->call, m->status, m->status ? &m->err : NULL, m->reply);
    mutation_free(m);
}

static void on_after_work(uv_work_t *w, int status)
{
    mutation_t *m = w->data;
    m->d->busy--;
    if (status == UV_ECANCELED && !m->status)
        m->status = oi_error_set(&m->err, OI_UNAVAILABLE, "service is shutting down");
    /* touched numbers are invalidated even after a failure: a commit whose outcome is unknown
     * must not leave a stale snapshot behind */
    if (m->touched.n == 0) {
        oi_rpc_call_reply(&m->call, m->status, m->status ? &m->err : NULL, m->reply);
        mutation_free(m);
        return;
    }
    dsp_cache_invalidate(m->d->cache, (const char *const *)m->touched.items, m->touched.n, on_invalidated, m);
}

void dsp_mutate_run(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, dsp_mutate_fn fn)
{
    oi_error_t err;
    oi_error_init(&err);
    size_t len = 0;
    uint8_t *packed = oi_rpc_pack(req, &len);
    ProtobufCMessage *copy = oi_rpc_unpack(req->descriptor, packed, len, &err);
    free(packed);
    if (!copy) {
        oi_rpc_call_reply(&call, OI_INTERNAL, &err, NULL);
        return;
    }
    mutation_t *m = oi_xcalloc(1, sizeof *m);
    m->d = ctx->ud;
    m->call = call;
    m->fn = fn;
    m->req = copy;
    m->request_id = oi_xstrdup(ctx->request_id ? ctx->request_id : "");
    m->workspace_id = oi_xstrdup(ctx->workspace_id ? ctx->workspace_id : "");
    m->method = oi_xstrdup(ctx->method ? ctx->method : "");
    m->ctx = *ctx;
    m->ctx.request_id = m->request_id;
    m->ctx.workspace_id = m->workspace_id;
    m->ctx.method = m->method;
    oi_error_init(&m->err);
    m->work.data = m;
    int rc = uv_queue_work(m->d->loop, &m->work, on_work, on_after_work);
    if (!rc)
        m->d->busy++;
    if (rc) {
        oi_error_set(&m->err, OI_INTERNAL, "cannot queue work: %s", uv_strerror(rc));
        oi_rpc_call_reply(&m->call, OI_INTERNAL, &m->err, NULL);
        mutation_free(m);
    }
}
