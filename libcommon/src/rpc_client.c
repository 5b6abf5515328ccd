/* rpc_client.c: asynchronous RPC calls from a libuv loop over one DEALER socket.
 *
 * Each call gets an id (hash table), a deadline (a min-heap under one timer: cb exactly once,
 * with the reply, at the timeout or at close) and, while no replica is connected yet, a place in
 * the send backlog (ZMQ_IMMEDIATE makes a send with no live peer fail instead of queueing
 * towards a dead one).
 *
 * The ZMQ_FD is edge-triggered: a send may consume the signal of replies that arrived meanwhile.
 * So the socket is read until EAGAIN (a non-blocking receive that finds nothing processes
 * ZeroMQ's pending commands, which re-arms the fd) whenever the fd fires and, after calls were
 * sent, once before the loop blocks again (a prepare handle): one check per loop iteration,
 * however many calls it sent. */
#define OI_LOG_TAG "rpc.client"
#include "rpc_internal.h"

#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/assert.h"
#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/proto_arena.h"

#define CLIENT_BUCKETS 1024
#define CLIENT_PUMP_BUDGET 512
#define CLIENT_RETRY_MS 5
#define CLIENT_DRAIN_RESENDS 16 /* a call refused by a draining replica goes to the next one */
#define REPLY_ARENA_BYTES 8192  /* a reply unpacks into this much stack before the heap is asked */

typedef struct client_call {
    struct client_call *next;    /* hash chain */
    struct client_call *q_next;  /* send backlog */
    oi_rpc_client_t *client;
    uint64_t id;
    uint64_t deadline;           /* the loop's clock (uv_now), ms */
    size_t heap_at;              /* its index in the deadline heap */
    oi_rpc_reply_cb cb;
    void *ud;
    const ProtobufCMessageDescriptor *reply_desc;
    uint8_t *bytes;
    size_t len;
    char method[96];             /* the wire name, for messages */
    int resends;
    bool done, in_backlog, sent;
} client_call_t;

struct oi_rpc_client {
    uv_loop_t *loop;
    void *sock;
    uv_poll_t poll;
    uv_timer_t retry;
    uv_timer_t deadlines;        /* armed for the heap's first deadline */
    uint64_t armed_for;          /* 0 = not armed */
    uv_prepare_t recheck;        /* active while calls were sent and the socket was not read since */
    client_call_t *buckets[CLIENT_BUCKETS];
    client_call_t **heap;        /* min-heap by deadline, of the calls not done */
    size_t heap_len, heap_cap;
    client_call_t *backlog_head, *backlog_tail;
    uint64_t next_id;
    int handles_open;
    bool pumping, repump, closing;
};

static void client_pump(oi_rpc_client_t *c);
static void client_retry(uv_timer_t *t);
static void client_recheck(uv_prepare_t *p);

static client_call_t **client_slot(oi_rpc_client_t *c, uint64_t id)
{
    client_call_t **pp = &c->buckets[id & (CLIENT_BUCKETS - 1)];
    while (*pp && (*pp)->id != id)
        pp = &(*pp)->next;
    return pp;
}

static void call_free(client_call_t *call)
{
    free(call->bytes);
    free(call);
}

/* --- deadlines: a binary min-heap ---------------------------------------------------------- */

static void heap_set(oi_rpc_client_t *c, size_t i, client_call_t *call)
{
    c->heap[i] = call;
    call->heap_at = i;
}

static void heap_up(oi_rpc_client_t *c, size_t i)
{
    client_call_t *call = c->heap[i];
    while (i > 0 && c->heap[(i - 1) / 2]->deadline > call->deadline) {
        heap_set(c, i, c->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(c, i, call);
}

static void heap_down(oi_rpc_client_t *c, size_t i)
{
    client_call_t *call = c->heap[i];
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= c->heap_len)
            break;
        if (k + 1 < c->heap_len && c->heap[k + 1]->deadline < c->heap[k]->deadline)
            k++;
        if (c->heap[k]->deadline >= call->deadline)
            break;
        heap_set(c, i, c->heap[k]);
        i = k;
    }
    heap_set(c, i, call);
}

static void heap_push(oi_rpc_client_t *c, client_call_t *call)
{
    if (c->heap_len == c->heap_cap) {
        c->heap_cap = c->heap_cap ? c->heap_cap * 2 : 64;
        c->heap = oi_xrealloc(c->heap, c->heap_cap * sizeof *c->heap);
    }
    heap_set(c, c->heap_len++, call);
    heap_up(c, call->heap_at);
}

static void heap_remove(oi_rpc_client_t *c, client_call_t *call)
{
    size_t i = call->heap_at;
    OI_ASSERT(i < c->heap_len && c->heap[i] == call);
    client_call_t *last = c->heap[--c->heap_len];
    if (last == call)
        return;
    heap_set(c, i, last);
    heap_up(c, i);
    heap_down(c, last->heap_at);
}

static void deadlines_fire(uv_timer_t *t);

/* Arms the timer for the first deadline unless it already fires no later. */
static void deadlines_arm(oi_rpc_client_t *c)
{
    if (c->heap_len == 0 || c->closing)
        return;
    uint64_t first = c->heap[0]->deadline;
    if (c->armed_for && c->armed_for <= first)
        return; /* fires early at worst, finds nothing due and re-arms */
    uint64_t now = uv_now(c->loop);
    uv_timer_start(&c->deadlines, deadlines_fire, first > now ? first - now : 0, 0);
    c->armed_for = first;
}

/* --- completing a call -------------------------------------------------------------------- */

/* Runs the callback once and retires the call (freed here unless the backlog still holds it). */
static void call_complete(oi_rpc_client_t *c, client_call_t *call, oi_status_t st, const oi_error_t *err,
                          const ProtobufCMessage *reply)
{
    if (call->done)
        return;
    call->done = true;
    client_call_t **pp = client_slot(c, call->id);
    if (*pp == call)
        *pp = call->next;
    heap_remove(c, call);
    call->cb(st, st == OI_OK ? NULL : err, reply, call->ud);
    if (!call->in_backlog)
        call_free(call);
}

static void call_fail(oi_rpc_client_t *c, client_call_t *call, oi_status_t st, const char *why)
{
    oi_error_t err;
    oi_error_init(&err);
    oi_error_set(&err, st, "%s: %s", call->method, why);
    call_complete(c, call, st, &err, NULL);
}

static void deadlines_fire(uv_timer_t *t)
{
    oi_rpc_client_t *c = t->data;
    c->armed_for = 0;
    uint64_t now = uv_now(c->loop);
    while (c->heap_len > 0 && c->heap[0]->deadline <= now && !c->closing) {
        client_call_t *call = c->heap[0];
        if (!call->sent) /* never left the backlog: no replica was reachable */
            call_fail(c, call, OI_UNAVAILABLE, "no service replica is reachable");
        else
            call_fail(c, call, OI_TIMEOUT, "no reply in time");
    }
    deadlines_arm(c);
}

/* 0 sent, 1 would block, -1 failed for good. */
static int call_try_send(oi_rpc_client_t *c, client_call_t *call)
{
    rpc_call_id_put(call->id, call->bytes);
    const void *data[1] = {call->bytes};
    size_t lens[1] = {call->len};
    if (rpc_frames_send(c->sock, data, lens, 1) == 0) {
        call->sent = true; /* the bytes stay until the call is done: a draining replica may refuse it */
        if (!c->pumping)
            uv_prepare_start(&c->recheck, client_recheck);
        return 0;
    }
    return errno == EAGAIN ? 1 : -1;
}

static void backlog_push(oi_rpc_client_t *c, client_call_t *call)
{
    call->in_backlog = true;
    call->q_next = NULL;
    if (c->backlog_tail)
        c->backlog_tail->q_next = call;
    else
        c->backlog_head = call;
    c->backlog_tail = call;
}

static client_call_t *backlog_pop(oi_rpc_client_t *c)
{
    client_call_t *call = c->backlog_head;
    if (!call)
        return NULL;
    c->backlog_head = call->q_next;
    if (!c->backlog_head)
        c->backlog_tail = NULL;
    call->in_backlog = false;
    return call;
}

/* Sends what waits in the backlog, in order, until ZeroMQ would block again. */
static void backlog_flush(oi_rpc_client_t *c)
{
    while (c->backlog_head && !c->closing) {
        client_call_t *call = c->backlog_head;
        if (call->done) { /* completed while it waited here: the backlog held the last reference */
            backlog_pop(c);
            call_free(call);
            continue;
        }
        int rc = call_try_send(c, call);
        if (rc == 1)
            return;
        backlog_pop(c);
        if (rc < 0)
            call_fail(c, call, OI_UNAVAILABLE, "send failed");
    }
}

static void client_on_reply(oi_rpc_client_t *c, const rpc_frames_t *f)
{
    rpc_parts_t parts;
    if (!rpc_message_parts(f, 0, &parts))
        return;
    uint64_t id = rpc_call_id_value(parts.call_id);
    client_call_t *call = *client_slot(c, id);
    if (!call)
        return; /* a late reply to a call that already timed out */
    oi_error_t err;
    oi_error_init(&err);
    /* the reply lives until the callback returns: unpacked into this frame's memory, not a
     * heap allocation per field */
    alignas(max_align_t) uint8_t space[REPLY_ARENA_BYTES];
    oi_proto_arena_t arena;
    oi_proto_arena_init(&arena, space, sizeof space);
    ProtobufCMessage *reply = NULL;
    oi_status_t st = rpc_reply_decode(parts.body, parts.body_len, call->reply_desc, &arena.allocator, &reply, &err);
    if (st == OI_DRAINING && call->resends < CLIENT_DRAIN_RESENDS && !c->closing) {
        /* not run there: DEALER's round robin hands it to the next replica */
        call->resends++;
        call->sent = false;
        if (!call->in_backlog)
            backlog_push(c, call);
        backlog_flush(c);
    } else {
        call_complete(c, call, st, &err, reply);
    }
    oi_proto_arena_release(&arena);
}

static void client_pump(oi_rpc_client_t *c)
{
    if (c->pumping) {
        c->repump = true;
        return;
    }
    c->pumping = true;
    uv_prepare_stop(&c->recheck); /* this read is the check */
    int budget = CLIENT_PUMP_BUDGET;
    do {
        c->repump = false;
        backlog_flush(c);
        while (!c->closing && budget > 0) {
            rpc_frames_t f;
            if (rpc_frames_recv(c->sock, &f) <= 0)
                break; /* EAGAIN: ZeroMQ's commands were processed, the fd is armed again */
            client_on_reply(c, &f);
            rpc_frames_close(&f);
            budget--;
        }
    } while (c->repump && !c->closing && budget > 0);
    c->pumping = false;
    if (!c->closing && (budget == 0 || c->backlog_head))
        uv_timer_start(&c->retry, client_retry, budget == 0 ? 0 : CLIENT_RETRY_MS, 0);
}

static void client_recheck(uv_prepare_t *p)
{
    oi_rpc_client_t *c = p->data;
    uv_prepare_stop(p);
    if (!c->closing)
        client_pump(c);
}

static void client_retry(uv_timer_t *t)
{
    client_pump(t->data);
}

static void client_on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    client_pump(p->data);
}

oi_rpc_client_t *oi_rpc_client_new(uv_loop_t *loop, const char *endpoints, oi_error_t *err)
{
    return oi_rpc_client_new_to(loop, endpoints, NULL, err);
}

oi_rpc_client_t *oi_rpc_client_new_to(uv_loop_t *loop, const char *endpoints, const ProtobufCServiceDescriptor *svc,
                                      oi_error_t *err)
{
    void *sock = rpc_socket_new(ZMQ_DEALER, 0, err);
    if (!sock)
        return NULL;
    if (rpc_curve_client(sock, svc, err) != 0 || rpc_socket_connect_all(sock, endpoints, err) != 0) {
        zmq_close(sock);
        return NULL;
    }
    oi_rpc_client_t *c = oi_xcalloc(1, sizeof *c);
    c->loop = loop;
    c->sock = sock;
    c->next_id = ((uint64_t)oi_clock_mono_ns() << 16) | 1;
    int fd = -1;
    size_t len = sizeof fd;
    zmq_getsockopt(sock, ZMQ_FD, &fd, &len);
    uv_poll_init(loop, &c->poll, fd);
    uv_timer_init(loop, &c->retry);
    uv_timer_init(loop, &c->deadlines);
    uv_prepare_init(loop, &c->recheck);
    c->poll.data = c->retry.data = c->deadlines.data = c->recheck.data = c;
    c->handles_open = 4;
    uv_poll_start(&c->poll, UV_READABLE, client_on_poll);
    return c;
}

static int client_call(oi_rpc_client_t *c, const ProtobufCServiceDescriptor *svc, const char *method,
                       const char *request_id, const char *workspace_id, bool admin, const ProtobufCMessage *req,
                       uint32_t timeout_ms, oi_rpc_reply_cb cb, void *ud)
{
    const ProtobufCMethodDescriptor *m = oi_rpc_method(svc, method);
    OI_ASSERT(req->descriptor == m->input && cb);
    if (!c || c->closing)
        return -1;
    client_call_t *call = oi_xcalloc(1, sizeof *call);
    call->client = c;
    call->id = c->next_id++;
    call->cb = cb;
    call->ud = ud;
    call->reply_desc = m->output;
    oi_rpc_wire_name(svc, method, call->method, sizeof call->method);
    call->bytes = rpc_envelope_pack(call->method, request_id, workspace_id, admin, oi_clock_now_ms() + timeout_ms,
                                    req, &call->len);
    int rc = call_try_send(c, call);
    if (rc < 0) {
        call_free(call);
        return -1;
    }
    client_call_t **slot = client_slot(c, call->id);
    *slot = call;
    call->deadline = uv_now(c->loop) + timeout_ms;
    heap_push(c, call);
    deadlines_arm(c);
    if (rc == 1) {
        backlog_push(c, call);
        uv_timer_start(&c->retry, client_retry, CLIENT_RETRY_MS, 0);
    }
    return 0;
}

int oi_rpc_client_call(oi_rpc_client_t *c, const ProtobufCServiceDescriptor *svc, const char *method,
                       const char *request_id, const char *workspace_id, const ProtobufCMessage *req,
                       uint32_t timeout_ms, oi_rpc_reply_cb cb, void *ud)
{
    return client_call(c, svc, method, request_id, workspace_id, false, req, timeout_ms, cb, ud);
}

int oi_rpc_client_call_admin(oi_rpc_client_t *c, const ProtobufCServiceDescriptor *svc, const char *method,
                             const char *request_id, const ProtobufCMessage *req, uint32_t timeout_ms,
                             oi_rpc_reply_cb cb, void *ud)
{
    return client_call(c, svc, method, request_id, "", true, req, timeout_ms, cb, ud);
}

static void client_handle_closed(uv_handle_t *h)
{
    oi_rpc_client_t *c = h->data;
    if (--c->handles_open == 0)
        free(c);
}

void oi_rpc_client_close(oi_rpc_client_t **self_p)
{
    oi_rpc_client_t *c = *self_p;
    *self_p = NULL;
    if (!c || c->closing)
        return;
    c->closing = true;
    for (size_t i = 0; i < CLIENT_BUCKETS; i++)
        while (c->buckets[i])
            call_fail(c, c->buckets[i], OI_UNAVAILABLE, "client closed");
    while (c->backlog_head)
        call_free(backlog_pop(c)); /* every call is done: the backlog held the last references */
    free(c->heap);
    c->heap = NULL;
    uv_poll_stop(&c->poll);
    zmq_close(c->sock);
    c->sock = NULL;
    uv_close((uv_handle_t *)&c->poll, client_handle_closed);
    uv_close((uv_handle_t *)&c->retry, client_handle_closed);
    uv_close((uv_handle_t *)&c->deadlines, client_handle_closed);
    uv_close((uv_handle_t *)&c->recheck, client_handle_closed);
}
