/* rpc_server.c: a ROUTER socket on the service's libuv loop, dispatching to a method table.
 *
 * The ZMQ_FD is edge-triggered: a send may consume the signal of requests that arrived
 * meanwhile. So the socket is read until EAGAIN (a non-blocking receive that finds nothing
 * processes ZeroMQ's pending commands, which re-arms the fd) whenever the fd fires and, after
 * replies were sent, once before the loop blocks again (a prepare handle): one such check per
 * loop iteration however many replies left in it. `work` methods run on the libuv threadpool;
 * `on_loop` methods run here and reply when they are done. */
#define OI_LOG_TAG "rpc.server"
#include "rpc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/assert.h"
#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/proto_unpack.h"

#define SERVER_PUMP_BUDGET 512
#define SERVER_IDENTITY_MAX 256
/* A drain is over when no call is in flight, at least DRAIN_MIN_MS have passed and no call came
 * for DRAIN_QUIET_MS: calls already on their way when the drain began are read and refused
 * (so their clients resend them elsewhere) instead of dying with the socket. */
#define DRAIN_MIN_MS 250
#define DRAIN_QUIET_MS 100
#define DRAIN_CHECK_MS 20

struct oi_rpc_server {
    uv_loop_t *loop;
    void *sock;
    uv_poll_t poll;
    uv_timer_t kick;  /* continues a pump that hit its budget */
    uv_timer_t grace; /* bounds a drain */
    uv_timer_t settle; /* checks whether a drain is over */
    uv_prepare_t recheck; /* active while replies were sent and the socket was not read since */
    uint64_t drain_started_ms, last_call_ms;
    const ProtobufCServiceDescriptor *svc;
    struct server_method *table;   /* owned: svc->n_methods rows, in svc's method order */
    char prefix[48];               /* "dispatch." */
    size_t prefix_len;
    void *ud;
    size_t inflight;
    size_t max_inflight;           /* OI_RPC_MAX_INFLIGHT */
    int handles_open;
    bool pumping, repump, draining, closed, destroyed, polling, poll_inited;
    void (*on_drained)(void *ud);
    void *drained_ud;
};

/* A method the server serves: its handler, its types, its wire name. */
struct server_method {
    const oi_rpc_method_t *row;
    const ProtobufCMethodDescriptor *desc;
    char wire[96];
    oi_metric_series_t *ok_total, *duration; /* its calls' series, made by the first answered OK */
};

struct oi_rpc_call {
    oi_rpc_server_t *srv;
    uv_work_t work;
    uint8_t identity[SERVER_IDENTITY_MAX];
    size_t identity_len;
    uint8_t call_id[RPC_CALL_ID_LEN];
    bool three_frames;           /* the client sent the older [empty][call id][Envelope] form */
    struct server_method *m;
    ProtobufCMessage *req;
    oi_rpc_ctx_t ctx;
    char *request_id, *workspace_id;
    uint64_t start_ns;
    /* filled by a work method on the threadpool */
    ProtobufCMessage *reply;
    oi_status_t status;
    oi_error_t err;
};

static void server_pump(oi_rpc_server_t *s);
static void server_kick(uv_timer_t *t);
static void server_recheck(uv_prepare_t *p);

static void server_maybe_free(oi_rpc_server_t *s)
{
    if (s->destroyed && s->handles_open == 0 && s->inflight == 0) {
        free(s->table);
        free(s);
    }
}

static void server_handle_closed(uv_handle_t *h)
{
    oi_rpc_server_t *s = h->data;
    s->handles_open--;
    server_maybe_free(s);
}

static void server_close_socket(oi_rpc_server_t *s)
{
    if (s->closed)
        return;
    s->closed = true;
    if (s->polling)
        uv_poll_stop(&s->poll);
    s->polling = false;
    zmq_close(s->sock);
    s->sock = NULL;
}

static void server_finish_drain(oi_rpc_server_t *s)
{
    void (*cb)(void *) = s->on_drained;
    s->on_drained = NULL;
    uv_timer_stop(&s->grace);
    uv_timer_stop(&s->settle);
    /* the socket stays open (refusing with OI_DRAINING) until the service destroys the server,
     * e.g. while oi-provisioning's runners finish their jobs */
    if (cb)
        cb(s->drained_ud);
}

static void call_free(oi_rpc_call_t *call)
{
    if (call->req)
        protobuf_c_message_free_unpacked(call->req, NULL);
    free(call->request_id);
    free(call->workspace_id);
    free(call);
}

/* The series of a method's calls answered OK, found once (every call of a busy method is one). */
static void method_series(struct server_method *m)
{
    char labels[160];
    snprintf(labels, sizeof labels, "method=\"%s\",code=\"%s\"", m->wire, oi_status_code(OI_OK));
    m->ok_total = oi_metric_counter("oi_rpc_server_requests_total", labels);
    snprintf(labels, sizeof labels, "method=\"%s\"", m->wire);
    m->duration = oi_metric_histogram("oi_rpc_server_duration_seconds", labels);
}

static void call_observe(const oi_rpc_call_t *call, oi_status_t status)
{
    double secs = (double)(oi_clock_mono_ns() - call->start_ns) / 1e9;
    struct server_method *m = call->m;
    if (m && status == OI_OK) {
        if (!m->ok_total)
            method_series(m);
        oi_metric_series_inc(m->ok_total, 1);
        oi_metric_series_observe(m->duration, secs);
        return;
    }
    char labels[160];
    const char *method = call->ctx.method && *call->ctx.method ? call->ctx.method : "unknown";
    snprintf(labels, sizeof labels, "method=\"%s\",code=\"%s\"", method, oi_status_code(status));
    oi_metric_inc("oi_rpc_server_requests_total", labels, 1);
    snprintf(labels, sizeof labels, "method=\"%s\"", method);
    oi_metric_observe("oi_rpc_server_duration_seconds", labels, secs);
}

/* bytes: a whole frame from the packers (rpc_internal.h), answered in the form the call came in. */
static void call_send_bytes(oi_rpc_call_t *call, uint8_t *bytes, size_t len)
{
    oi_rpc_server_t *s = call->srv;
    memcpy(bytes, call->call_id, RPC_CALL_ID_LEN);
    const void *one[2] = {call->identity, bytes};
    size_t one_lens[2] = {call->identity_len, len};
    const void *three[4] = {call->identity, "", call->call_id, bytes + RPC_CALL_ID_LEN};
    size_t three_lens[4] = {call->identity_len, 0, RPC_CALL_ID_LEN, len - RPC_CALL_ID_LEN};
    int rc = call->three_frames ? rpc_frames_send(s->sock, three, three_lens, 4)
                                : rpc_frames_send(s->sock, one, one_lens, 2);
    if (rc != 0)
        oi_log_warn(&(oi_log_ctx_t){.request_id = call->ctx.request_id}, "reply to %s not sent: %s",
                    call->ctx.method, zmq_strerror(zmq_errno()));
    free(bytes);
}

static void call_send(oi_rpc_call_t *call, oi_status_t status, const oi_error_t *err,
                      const ProtobufCMessage *reply)
{
    if (call->srv->closed)
        return;
    size_t len = 0;
    uint8_t *bytes = rpc_reply_pack(call->ctx.request_id, status, err, reply, &len);
    call_send_bytes(call, bytes, len);
}

/* After a reply left: the call is over. */
static void call_retire(oi_rpc_call_t *call)
{
    oi_rpc_server_t *s = call->srv;
    call_free(call);
    s->inflight--;
    if (!s->closed && !s->destroyed && !s->pumping) /* a pump reads on until EAGAIN after this send */
        uv_prepare_start(&s->recheck, server_recheck);
    server_maybe_free(s);
}

void oi_rpc_call_reply_packed(oi_rpc_call_t **call_p, const void *reply, size_t len)
{
    oi_rpc_call_t *call = *call_p;
    *call_p = NULL;
    if (!call)
        return;
    call_observe(call, OI_OK);
    if (!call->srv->closed) {
        size_t n = 0;
        uint8_t *bytes = rpc_reply_pack_bytes(call->ctx.request_id, reply, len, &n);
        call_send_bytes(call, bytes, n);
    }
    call_retire(call);
}

void oi_rpc_call_reply(oi_rpc_call_t **call_p, oi_status_t status, const oi_error_t *err,
                       const ProtobufCMessage *reply)
{
    oi_rpc_call_t *call = *call_p;
    *call_p = NULL;
    if (!call)
        return;
    /* the contract: a method answers with its output type */
    OI_ASSERT(status != OI_OK || !reply || !call->m || reply->descriptor == call->m->desc->output);
    call_observe(call, status);
    call_send(call, status, err, reply);
    call_retire(call);
}

static void call_work(uv_work_t *w)
{
    oi_rpc_call_t *call = w->data;
    oi_error_init(&call->err);
    if (call->ctx.deadline_ms > 0 && oi_clock_now_ms() > call->ctx.deadline_ms) {
        call->status = oi_error_set(&call->err, OI_TIMEOUT, "deadline passed before the work started");
        return;
    }
    call->status = call->m->row->work(&call->ctx, call->req, &call->reply, &call->err);
}

static void call_after_work(uv_work_t *w, int status)
{
    oi_rpc_call_t *call = w->data;
    ProtobufCMessage *reply = call->reply;
    oi_error_t err = call->err;
    oi_status_t st = status == 0 ? call->status : OI_INTERNAL;
    if (status != 0)
        oi_error_set(&err, OI_INTERNAL, "work cancelled");
    oi_rpc_call_reply(&call, st, &err, reply);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
}

/* The method a wire name ("dispatch.Resolve") names, or NULL. */
static struct server_method *server_method(const oi_rpc_server_t *s, const char *wire)
{
    if (strncmp(wire, s->prefix, s->prefix_len) != 0)
        return NULL;
    const ProtobufCMethodDescriptor *m = protobuf_c_service_descriptor_get_method_by_name(s->svc, wire + s->prefix_len);
    return m ? &s->table[m - s->svc->methods] : NULL;
}

/* A request as it arrives: [identity] behind which rpc_message_parts finds the call. */
typedef struct {
    const uint8_t *identity;
    size_t identity_len;
    rpc_parts_t call;
} request_parts_t;

static bool request_parts(const rpc_frames_t *f, request_parts_t *r)
{
    if (f->n < 1 || zmq_msg_size((zmq_msg_t *)&f->part[0]) > SERVER_IDENTITY_MAX)
        return false;
    r->identity = zmq_msg_data((zmq_msg_t *)&f->part[0]);
    r->identity_len = zmq_msg_size((zmq_msg_t *)&f->part[0]);
    return rpc_message_parts(f, 1, &r->call);
}

static oi_rpc_call_t *call_new(oi_rpc_server_t *s, const request_parts_t *f, const Oneinbox__V1__Envelope *env)
{
    oi_rpc_call_t *call = oi_xcalloc(1, sizeof *call);
    call->srv = s;
    call->start_ns = oi_clock_mono_ns();
    call->identity_len = f->identity_len;
    memcpy(call->identity, f->identity, f->identity_len);
    memcpy(call->call_id, f->call.call_id, RPC_CALL_ID_LEN);
    call->three_frames = f->call.three_frames;
    call->request_id = oi_xstrdup(env->request_id ? env->request_id : "");
    call->workspace_id = oi_xstrdup(env->workspace_id ? env->workspace_id : "");
    call->ctx = (oi_rpc_ctx_t){.request_id = call->request_id,
                               .workspace_id = call->workspace_id,
                               .admin = env->admin,
                               .deadline_ms = env->deadline_unix_ms,
                               .ud = s->ud};
    s->inflight++;
    return call;
}

static void call_start(oi_rpc_call_t *call, const Oneinbox__V1__Envelope *env)
{
    oi_error_t err;
    oi_error_init(&err);
    call->m = server_method(call->srv, env->method ? env->method : "");
    if (!call->m) {
        call->ctx.method = "";
        oi_error_set(&err, OI_NOT_FOUND, "unknown method %.64s", env->method ? env->method : "");
        oi_rpc_call_reply(&call, OI_NOT_FOUND, &err, NULL);
        return;
    }
    call->ctx.method = call->m->wire;
    call->req = oi_rpc_unpack(call->m->desc->input, env->payload.data, env->payload.len, &err);
    if (!call->req) {
        oi_rpc_call_reply(&call, OI_BAD_REQUEST, &err, NULL);
        return;
    }
    if (call->m->row->on_loop) {
        call->m->row->on_loop(call, &call->ctx, call->req);
        return;
    }
    call->work.data = call;
    if (uv_queue_work(call->srv->loop, &call->work, call_work, call_after_work) != 0) {
        oi_error_set(&err, OI_UNAVAILABLE, "cannot queue work");
        oi_rpc_call_reply(&call, OI_UNAVAILABLE, &err, NULL);
    }
}

static void server_handle(oi_rpc_server_t *s, const rpc_frames_t *frames)
{
    request_parts_t parts, *f = &parts;
    if (!request_parts(frames, f)) {
        oi_log_debug(NULL, "dropped a malformed request (%d frames)", frames->n);
        return;
    }
    Oneinbox__V1__Envelope *env =
        (Oneinbox__V1__Envelope *)oi_proto_unpack(&oneinbox__v1__envelope__descriptor, f->call.body_len, f->call.body);
    if (!env) {
        oi_log_debug(NULL, "dropped an undecodable envelope");
        return;
    }
    if (env->deadline_unix_ms > 0 && oi_clock_now_ms() > env->deadline_unix_ms) {
        oi_log_debug(&(oi_log_ctx_t){.request_id = env->request_id}, "dropped %s: deadline already passed",
                     env->method);
    } else if (s->draining) {
        /* refused, not run: the caller's client resends it to another replica at once instead
         * of waiting for a reply that would never come */
        s->last_call_ms = uv_now(s->loop);
        oi_rpc_call_t *call = call_new(s, f, env);
        call->ctx.method = "";
        oi_error_t err;
        oi_error_init(&err);
        oi_error_set(&err, OI_DRAINING, "%.64s refused: this replica is shutting down", env->method);
        oi_rpc_call_reply(&call, OI_DRAINING, &err, NULL);
    } else if (s->inflight >= s->max_inflight) {
        /* a bound on what one service takes on at once: refused at once, not queued */
        oi_rpc_call_t *call = call_new(s, f, env);
        call->ctx.method = "";
        oi_error_t err;
        oi_error_init(&err);
        oi_error_set(&err, OI_UNAVAILABLE, "%.64s refused: %zu calls already in flight", env->method,
                     s->max_inflight);
        oi_rpc_call_reply(&call, OI_UNAVAILABLE, &err, NULL);
    } else {
        call_start(call_new(s, f, env), env);
    }
    oneinbox__v1__envelope__free_unpacked(env, NULL);
}

static void server_pump(oi_rpc_server_t *s)
{
    if (s->pumping) {
        s->repump = true;
        return;
    }
    s->pumping = true;
    uv_prepare_stop(&s->recheck); /* this read is the check */
    int budget = SERVER_PUMP_BUDGET;
    do {
        s->repump = false;
        while (!s->closed && budget > 0) {
            rpc_frames_t f;
            if (rpc_frames_recv(s->sock, &f) <= 0)
                break; /* EAGAIN: ZeroMQ's commands were processed, the fd is armed again */
            server_handle(s, &f);
            rpc_frames_close(&f);
            budget--;
        }
    } while (s->repump && budget > 0 && !s->closed);
    s->pumping = false;
    if (budget == 0 && !s->closed)
        uv_timer_start(&s->kick, server_kick, 0, 0);
}

static void server_recheck(uv_prepare_t *p)
{
    oi_rpc_server_t *s = p->data;
    uv_prepare_stop(p);
    if (!s->closed)
        server_pump(s);
}

static void server_kick(uv_timer_t *t)
{
    server_pump(t->data);
}

static void server_on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    server_pump(p->data);
}

oi_rpc_server_t *oi_rpc_server_new(uv_loop_t *loop, const ProtobufCServiceDescriptor *svc, const oi_rpc_method_t *methods,
                                   size_t n, void *ud)
{
    OI_ASSERT(oi_rpc_table_complete(svc, methods, n)); /* every method of the contract, nothing else */
    oi_rpc_server_t *s = oi_xcalloc(1, sizeof *s);
    s->loop = loop;
    s->svc = svc;
    s->table = oi_xcalloc(svc->n_methods, sizeof *s->table);
    for (unsigned i = 0; i < svc->n_methods; i++) {
        struct server_method *m = &s->table[i];
        m->desc = &svc->methods[i];
        for (size_t k = 0; k < n; k++)
            if (strcmp(methods[k].method, m->desc->name) == 0)
                m->row = &methods[k];
        oi_rpc_wire_name(svc, m->desc->name, m->wire, sizeof m->wire);
    }
    oi_rpc_wire_name(svc, "", s->prefix, sizeof s->prefix);
    s->prefix_len = strlen(s->prefix);
    s->ud = ud;
    const char *cap = getenv("OI_RPC_MAX_INFLIGHT");
    long long v = cap && *cap ? strtoll(cap, NULL, 10) : 0;
    s->max_inflight = v > 0 ? (size_t)v : RPC_MAX_INFLIGHT_DEFAULT;
    uv_timer_init(loop, &s->kick);
    uv_timer_init(loop, &s->grace);
    uv_timer_init(loop, &s->settle);
    uv_prepare_init(loop, &s->recheck);
    s->kick.data = s->grace.data = s->settle.data = s->recheck.data = s;
    s->handles_open = 4;
    return s;
}

int oi_rpc_server_bind(oi_rpc_server_t *s, const char *endpoint, oi_error_t *err)
{
    if (!s->sock) {
        s->sock = rpc_socket_new(ZMQ_ROUTER, 2000, err);
        if (!s->sock)
            return -1;
        if (rpc_curve_server(s->sock, err) != 0)
            return -1;
        if (!rpc_curve_configured())
            oi_log_warn(&(oi_log_ctx_t){.action = "binding the RPC socket"},
                        "no OI_RPC_CURVE_* keys: RPC in the clear, open to any process that reaches %s", endpoint);
    }
    if (zmq_bind(s->sock, endpoint) != 0) {
        oi_error_set(err, OI_INTERNAL, "cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    if (s->polling)
        return 0;
    int fd = -1;
    size_t len = sizeof fd;
    zmq_getsockopt(s->sock, ZMQ_FD, &fd, &len);
    uv_poll_init(s->loop, &s->poll, fd);
    s->poll.data = s;
    s->handles_open++;
    s->poll_inited = true;
    uv_poll_start(&s->poll, UV_READABLE, server_on_poll);
    s->polling = true;
    server_pump(s);
    return 0;
}

static void server_grace_expired(uv_timer_t *t)
{
    oi_rpc_server_t *s = t->data;
    if (s->inflight)
        oi_log_warn(NULL, "drain grace expired with %zu call(s) in flight", s->inflight);
    server_finish_drain(s);
}

static void server_settle(uv_timer_t *t)
{
    oi_rpc_server_t *s = t->data;
    uint64_t now = uv_now(s->loop);
    if (s->inflight == 0 && now - s->drain_started_ms >= DRAIN_MIN_MS && now - s->last_call_ms >= DRAIN_QUIET_MS)
        server_finish_drain(s);
}

void oi_rpc_server_drain(oi_rpc_server_t *s, uint32_t grace_ms, void (*on_drained)(void *ud), void *ud)
{
    s->draining = true; /* still reading: new calls are refused with OI_DRAINING until closed */
    s->on_drained = on_drained;
    s->drained_ud = ud;
    s->drain_started_ms = s->last_call_ms = uv_now(s->loop);
    uv_timer_start(&s->grace, server_grace_expired, grace_ms, 0);
    uv_timer_start(&s->settle, server_settle, DRAIN_CHECK_MS, DRAIN_CHECK_MS);
}

void oi_rpc_server_destroy(oi_rpc_server_t **self_p)
{
    oi_rpc_server_t *s = *self_p;
    *self_p = NULL;
    if (!s)
        return;
    s->on_drained = NULL;
    s->draining = true;
    if (s->sock)
        server_close_socket(s);
    s->destroyed = true;
    uv_close((uv_handle_t *)&s->kick, server_handle_closed);
    uv_close((uv_handle_t *)&s->grace, server_handle_closed);
    uv_close((uv_handle_t *)&s->settle, server_handle_closed);
    uv_close((uv_handle_t *)&s->recheck, server_handle_closed);
    if (s->poll_inited)
        uv_close((uv_handle_t *)&s->poll, server_handle_closed);
}

size_t oi_rpc_server_inflight(const oi_rpc_server_t *s)
{
    return s->inflight;
}
