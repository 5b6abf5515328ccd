/* rpc_sync.c: blocking RPC calls for threadpool work and job threads (one client per thread). */
#include "rpc_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "oi/assert.h"
#include "oi/clock.h"
#include "oi/mem.h"

#define SYNC_DRAIN_RESENDS 16 /* round robin: each resend may meet the draining replica again */

struct oi_rpc_sync {
    void *sock;
    uint64_t next_id;
};

oi_rpc_sync_t *oi_rpc_sync_new(const char *endpoints, oi_error_t *err)
{
    void *sock = rpc_socket_new(ZMQ_DEALER, 0, err);
    if (!sock)
        return NULL;
    if (rpc_curve_client(sock, NULL, err) != 0 || rpc_socket_connect_all(sock, endpoints, err) != 0) {
        zmq_close(sock);
        return NULL;
    }
    oi_rpc_sync_t *s = oi_xcalloc(1, sizeof *s);
    s->sock = sock;
    s->next_id = ((uint64_t)oi_clock_mono_ns() << 16) | 1;
    return s;
}

void oi_rpc_sync_destroy(oi_rpc_sync_t **self_p)
{
    oi_rpc_sync_t *s = *self_p;
    *self_p = NULL;
    if (!s)
        return;
    zmq_close(s->sock);
    free(s);
}

/* Waits for `events` until deadline (monotonic ms); false on timeout or error. */
static bool sync_wait(void *sock, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - oi_clock_mono_ms();
        if (left <= 0)
            return false;
        zmq_pollitem_t item = {.socket = sock, .events = events};
        int rc = zmq_poll(&item, 1, (long)left);
        if (rc > 0)
            return true;
        if (rc < 0 && zmq_errno() != EINTR)
            return false;
    }
}

static oi_status_t sync_send(oi_rpc_sync_t *s, uint64_t id, uint8_t *bytes, size_t len, int64_t deadline,
                             oi_error_t *err)
{
    rpc_call_id_put(id, bytes);
    const void *data[1] = {bytes};
    size_t lens[1] = {len};
    for (;;) {
        if (rpc_frames_send(s->sock, data, lens, 1) == 0)
            return OI_OK;
        if (zmq_errno() != EAGAIN)
            return oi_error_set(err, OI_UNAVAILABLE, "send failed: %s", zmq_strerror(zmq_errno()));
        if (!sync_wait(s->sock, ZMQ_POLLOUT, deadline))
            return oi_error_set(err, OI_UNAVAILABLE, "no service replica is reachable");
    }
}

/* Receives until the reply with `id` arrives; replies to earlier calls are discarded. */
static oi_status_t sync_receive(oi_rpc_sync_t *s, uint64_t id, const ProtobufCMessageDescriptor *reply_desc,
                                int64_t deadline, ProtobufCMessage **reply, oi_error_t *err)
{
    for (;;) {
        if (!sync_wait(s->sock, ZMQ_POLLIN, deadline))
            return oi_error_set(err, OI_TIMEOUT, "no reply in time");
        rpc_frames_t f;
        int rc;
        while ((rc = rpc_frames_recv(s->sock, &f)) == 1) {
            rpc_parts_t parts;
            bool mine = rpc_message_parts(&f, 0, &parts) && rpc_call_id_value(parts.call_id) == id;
            oi_status_t st = OI_OK;
            if (mine)
                st = rpc_reply_decode(parts.body, parts.body_len, reply_desc, NULL, reply, err);
            rpc_frames_close(&f);
            if (mine)
                return st;
        }
        if (rc < 0)
            return oi_error_set(err, OI_UNAVAILABLE, "receive failed: %s", zmq_strerror(zmq_errno()));
    }
}

oi_status_t oi_rpc_sync_call(oi_rpc_sync_t *s, const ProtobufCServiceDescriptor *svc, const char *method,
                             const char *request_id, const char *workspace_id, const ProtobufCMessage *req,
                             uint32_t timeout_ms, ProtobufCMessage **reply, oi_error_t *err)
{
    const ProtobufCMethodDescriptor *m = oi_rpc_method(svc, method);
    OI_ASSERT(req->descriptor == m->input);
    const ProtobufCMessageDescriptor *reply_desc = m->output;
    char wire[96];
    oi_rpc_wire_name(svc, method, wire, sizeof wire);
    *reply = NULL;
    int64_t deadline = oi_clock_mono_ms() + timeout_ms;
    uint64_t id = s->next_id++;
    size_t len = 0;
    uint8_t *bytes = rpc_envelope_pack(wire, request_id, workspace_id, false, oi_clock_now_ms() + timeout_ms, req, &len);
    oi_status_t st;
    oi_error_t attempt; /* each attempt's own: the answer is the last attempt's, never a refusal's */
    int sends = 0;
    do { /* a draining replica refuses without running the call: the next one gets it */
        if (*reply) {
            protobuf_c_message_free_unpacked(*reply, NULL);
            *reply = NULL;
        }
        oi_error_init(&attempt);
        st = sync_send(s, id, bytes, len, deadline, &attempt);
        if (st == OI_OK)
            st = sync_receive(s, id, reply_desc, deadline, reply, &attempt);
    } while (st == OI_DRAINING && ++sends <= SYNC_DRAIN_RESENDS);
    free(bytes);
    if (st != OI_OK)
        oi_error_take(err, &attempt);
    if (st != OI_OK && *reply) {
        protobuf_c_message_free_unpacked(*reply, NULL);
        *reply = NULL;
    }
    return st;
}
