/* remote.c: per-thread blocking RPC clients for oi-dispatch and oi-carrier. */
#define OI_LOG_TAG "prov.remote"
#include "remote.h"

#include <stdlib.h>

#include "oi/log.h"
#include "oi/mem.h"
#include "oneinbox/v1/envelope.pb-c.h"

struct prov_remote {
    oi_rpc_sync_t *peer[2];
    prov_t *p;
    prov_remote_t *prev, *next; /* p->remotes, under p->remote_mu */
};

static void remote_unlink(prov_remote_t *r)
{
    prov_t *p = r->p;
    if (r->prev)
        r->prev->next = r->next;
    else
        p->remotes = r->next;
    if (r->next)
        r->next->prev = r->prev;
}

static void remote_free(prov_remote_t *r)
{
    oi_rpc_sync_destroy(&r->peer[0]);
    oi_rpc_sync_destroy(&r->peer[1]);
    free(r);
}

static void on_thread_exit(void *v)
{
    prov_remote_t *r = v;
    if (!r)
        return;
    pthread_mutex_lock(&r->p->remote_mu);
    remote_unlink(r);
    pthread_mutex_unlock(&r->p->remote_mu);
    remote_free(r);
}

void prov_remote_init(prov_t *p)
{
    pthread_mutex_init(&p->remote_mu, NULL);
    p->remotes = NULL;
    pthread_key_create(&p->remote_key, on_thread_exit);
}

void prov_remote_thread_done(prov_t *p)
{
    prov_remote_t *r = pthread_getspecific(p->remote_key);
    pthread_setspecific(p->remote_key, NULL);
    on_thread_exit(r);
}

void prov_remote_shutdown(prov_t *p)
{
    pthread_key_delete(p->remote_key); /* no destructor runs for these values any more */
    pthread_mutex_lock(&p->remote_mu);
    prov_remote_t *r = p->remotes;
    p->remotes = NULL;
    pthread_mutex_unlock(&p->remote_mu);
    while (r) {
        prov_remote_t *next = r->next;
        remote_free(r);
        r = next;
    }
    pthread_mutex_destroy(&p->remote_mu);
}

static oi_rpc_sync_t *client_for(prov_t *p, prov_peer_t peer, oi_error_t *err)
{
    prov_remote_t *r = pthread_getspecific(p->remote_key);
    if (!r) {
        r = oi_xcalloc(1, sizeof *r);
        r->p = p;
        pthread_mutex_lock(&p->remote_mu);
        r->next = p->remotes;
        if (r->next)
            r->next->prev = r;
        p->remotes = r;
        pthread_mutex_unlock(&p->remote_mu);
        pthread_setspecific(p->remote_key, r);
    }
    if (!r->peer[peer]) {
        const char *ep = peer == PROV_PEER_DISPATCH ? p->dispatch_endpoints : p->carrier_endpoints;
        r->peer[peer] = oi_rpc_sync_new(ep, err);
        if (!r->peer[peer])
            oi_log_warn(&(oi_log_ctx_t){.action = "connecting an RPC client"}, "%s unreachable", ep);
    }
    return r->peer[peer];
}

oi_status_t prov_remote_call(prov_t *p, prov_peer_t peer, const char *method, const char *request_id,
                             const char *workspace_id, const ProtobufCMessage *req,
                             const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                             oi_error_t *err)
{
    *reply = NULL;
    oi_rpc_sync_t *c = client_for(p, peer, err);
    if (!c)
        return oi_error_set(err, OI_UNAVAILABLE, "%s client unavailable", method);
    oi_status_t rc = oi_rpc_sync_call(c, method, request_id, workspace_id, req, reply_desc, p->rpc_timeout_ms,
                                      reply, err);
    if (rc)
        oi_log_info(&(oi_log_ctx_t){.request_id = request_id, .action = method}, "failed: %s",
                    oi_status_code(rc));
    return rc;
}

oi_status_t prov_remote_call0(prov_t *p, prov_peer_t peer, const char *method, const char *request_id,
                              const char *workspace_id, const ProtobufCMessage *req, oi_error_t *err)
{
    ProtobufCMessage *reply = NULL;
    oi_status_t rc = prov_remote_call(p, peer, method, request_id, workspace_id, req,
                                      &oneinbox__v1__empty__descriptor, &reply, err);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}
