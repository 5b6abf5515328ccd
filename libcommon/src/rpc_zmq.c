/* rpc_zmq.c: the process ZeroMQ context and the socket/frame helpers used by rpc_*.c. */
#include "rpc_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"

static pthread_once_t zctx_once = PTHREAD_ONCE_INIT;
static void *zctx;

static void zctx_create(void)
{
    zctx = zmq_ctx_new();
    if (!zctx)
        abort();
    zmq_ctx_set(zctx, ZMQ_IO_THREADS, 1);
}

void *oi_rpc_zctx(void)
{
    pthread_once(&zctx_once, zctx_create);
    return zctx;
}

void oi_rpc_zctx_term(void)
{
    if (!zctx)
        return;
    zmq_ctx_term(zctx);
    zctx = NULL;
}

void *rpc_socket_new(int type, int linger_ms, oi_error_t *err)
{
    void *s = zmq_socket(oi_rpc_zctx(), type);
    if (!s) {
        oi_error_set(err, OI_INTERNAL, "zmq_socket: %s", zmq_strerror(errno));
        return NULL;
    }
    int hwm = 100000, one = 1;
    /* a peer that sends a bigger message is disconnected by libzmq, and no one else is touched */
    const char *max = getenv("OI_RPC_MAX_MSG_BYTES");
    int64_t max_bytes = max && *max ? strtoll(max, NULL, 10) : RPC_MAX_MSG_BYTES_DEFAULT;
    if (max_bytes > 0)
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max_bytes, sizeof max_bytes);
    zmq_setsockopt(s, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (type == ZMQ_DEALER)
        zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof one);
    return s;
}

int rpc_socket_connect_all(void *sock, const char *endpoints, oi_error_t *err)
{
    const char *p = endpoints ? endpoints : "";
    int n = 0;
    while (*p) {
        p += strspn(p, ", ");
        size_t len = strcspn(p, ", ");
        if (len == 0)
            break;
        char *ep = oi_xstrndup(p, len);
        int rc = zmq_connect(sock, ep);
        if (rc != 0)
            oi_error_set(err, OI_INTERNAL, "cannot connect to %s: %s", ep, zmq_strerror(errno));
        free(ep);
        if (rc != 0)
            return -1;
        n++;
        p += len;
    }
    if (n == 0) {
        oi_error_set(err, OI_INTERNAL, "no RPC endpoint configured");
        return -1;
    }
    return 0;
}

static void frames_drop_rest(void *sock)
{
    int more = 1;
    size_t len = sizeof more;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        zmq_msg_close(&m);
        if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) != 0)
            return;
    }
}

int rpc_frames_recv(void *sock, rpc_frames_t *f)
{
    f->n = 0;
    f->truncated = false;
    for (;;) {
        zmq_msg_t *m = &f->part[f->n];
        zmq_msg_init(m);
        if (zmq_msg_recv(m, sock, ZMQ_DONTWAIT) < 0) {
            int e = errno;
            zmq_msg_close(m);
            rpc_frames_close(f);
            return e == EAGAIN ? 0 : -1;
        }
        f->n++;
        if (!zmq_msg_more(m))
            return 1;
        if (f->n == RPC_MAX_FRAMES) {
            f->truncated = true;
            frames_drop_rest(sock);
            return 1;
        }
    }
}

void rpc_frames_close(rpc_frames_t *f)
{
    for (int i = 0; i < f->n; i++)
        zmq_msg_close(&f->part[i]);
    f->n = 0;
}

int rpc_frames_send(void *sock, const void *const *data, const size_t *len, int n)
{
    for (int i = 0; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_send(sock, data[i], len[i], flags) < 0)
            return -1;
    }
    return 0;
}

void rpc_call_id_put(uint64_t id, uint8_t out[RPC_CALL_ID_LEN])
{
    for (int i = RPC_CALL_ID_LEN - 1; i >= 0; i--) {
        out[i] = (uint8_t)(id & 0xff);
        id >>= 8;
    }
}

uint64_t rpc_call_id_value(const uint8_t id[RPC_CALL_ID_LEN])
{
    uint64_t v = 0;
    for (int i = 0; i < RPC_CALL_ID_LEN; i++)
        v = (v << 8) | id[i];
    return v;
}

static const uint8_t *part_data(const rpc_frames_t *f, int i) { return zmq_msg_data((zmq_msg_t *)&f->part[i]); }
static size_t part_size(const rpc_frames_t *f, int i) { return zmq_msg_size((zmq_msg_t *)&f->part[i]); }

bool rpc_message_parts(const rpc_frames_t *f, int first, rpc_parts_t *out)
{
    int n = f->n - first;
    if (f->truncated || (n != 1 && n != 3))
        return false;
    out->three_frames = n == 3;
    if (out->three_frames) {
        if (part_size(f, first) != 0 || part_size(f, first + 1) != RPC_CALL_ID_LEN)
            return false;
        out->call_id = part_data(f, first + 1);
        out->body = part_data(f, first + 2);
        out->body_len = part_size(f, first + 2);
        return true;
    }
    if (part_size(f, first) < RPC_CALL_ID_LEN)
        return false;
    out->call_id = part_data(f, first);
    out->body = out->call_id + RPC_CALL_ID_LEN;
    out->body_len = part_size(f, first) - RPC_CALL_ID_LEN;
    return true;
}
