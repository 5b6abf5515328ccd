/* http_server.c: the listening side of the HTTP/1.1 server and its close/destroy lifecycle.
 *
 * Connection handling lives in http_conn.c, requests and responses in http_req.c. The
 * server is freed only once the listener and every connection handle are closed and no
 * request is still waiting for its handler (orphans point at the server). */
#include "oi/http_server.h"

#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "oi/mem.h"

#define OI_LOG_TAG "common.http"
#include "oi/log.h"

static void server_free(oi_http_server_t *s) { free(s); }

static void limits_apply(oi_http_limits_t *dst, const oi_http_limits_t *src)
{
    *dst = (oi_http_limits_t){.max_body = 1u << 20,
                              .max_header_bytes = 16u << 10,
                              .header_timeout_ms = 10000,
                              .body_timeout_ms = 10000,
                              .idle_timeout_ms = 60000,
                              .max_pipelined = 64,
                              .max_connections = 4096};
    if (!src)
        return;
    if (src->max_body)
        dst->max_body = src->max_body;
    if (src->max_header_bytes)
        dst->max_header_bytes = src->max_header_bytes;
    if (src->header_timeout_ms)
        dst->header_timeout_ms = src->header_timeout_ms;
    if (src->idle_timeout_ms)
        dst->idle_timeout_ms = src->idle_timeout_ms;
    if (src->max_pipelined)
        dst->max_pipelined = src->max_pipelined;
    if (src->body_timeout_ms)
        dst->body_timeout_ms = src->body_timeout_ms;
    if (src->max_connections)
        dst->max_connections = src->max_connections;
}

oi_http_server_t *oi_http_server_new(uv_loop_t *loop, const oi_http_limits_t *limits,
                                     oi_http_on_request_cb on_request, void *ud)
{
    if (!loop || !on_request)
        return NULL;
    oi_http_server_t *s = oi_xcalloc(1, sizeof *s);
    s->loop = loop;
    limits_apply(&s->limits, limits);
    s->on_request = on_request;
    s->ud = ud;
    if (uv_tcp_init(loop, &s->listener) != 0) {
        free(s);
        return NULL;
    }
    s->listener.data = s;
    s->listener_open = true;
    return s;
}

/* One connection too many: accepted, told 503 in one write, closed. */
static void on_refused_closed(uv_handle_t *h) { free(h); }

static void refuse_connection(oi_http_server_t *s)
{
    static const char answer[] =
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
        "Content-Type: application/json\r\nContent-Length: 79\r\n\r\n"
        "{\"detail\":{\"code\":\"SERVICE_UNAVAILABLE\",\"message\":\"too many open connections\"}}";
    uv_tcp_t *t = oi_xcalloc(1, sizeof *t);
    if (uv_tcp_init(s->loop, t) != 0) {
        free(t);
        return;
    }
    if (uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)t) == 0) {
        uv_buf_t b = uv_buf_init((char *)answer, sizeof answer - 1);
        (void)uv_try_write((uv_stream_t *)t, &b, 1);
    }
    oi_log_warn(&(oi_log_ctx_t){.action = "accepting"}, "%zu connections open: one more refused with 503", s->nconns);
    uv_close((uv_handle_t *)t, on_refused_closed);
}

static void on_connection(uv_stream_t *listener, int status)
{
    oi_http_server_t *s = listener->data;
    if (status < 0) {
        oi_log_warn(&(oi_log_ctx_t){.action = "accepting"}, "accept failed: %s", uv_strerror(status));
        return;
    }
    if (s->closing)
        return;
    if (s->nconns >= s->limits.max_connections) {
        refuse_connection(s);
        return;
    }
    oi_http_conn_t *c = oi_xcalloc(1, sizeof *c);
    if (uv_tcp_init(s->loop, &c->tcp) != 0) {
        free(c);
        return;
    }
    c->srv = s;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    oi_http__conn_start(s, c);
}

int oi_http_server_listen(oi_http_server_t *s, const char *host, int port)
{
    if (!s || !host || port < 0 || port > 65535 || s->closing || s->listening)
        return UV_EINVAL;
    struct sockaddr_storage ss;
    int rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
    if (rc)
        rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
    if (rc)
        return rc;
    rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0);
    if (rc)
        return rc;
    rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
    if (rc)
        return rc;
    struct sockaddr_storage bound;
    int len = sizeof bound;
    rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
    if (rc)
        return rc;
    if (bound.ss_family == AF_INET6)
        s->port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    else
        s->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    s->listening = true;
    return 0;
}

int oi_http_server_port(const oi_http_server_t *s) { return s ? s->port : 0; }

size_t oi_http_server_inflight(const oi_http_server_t *s) { return s ? s->inflight : 0; }

void oi_http__server_check_closed(oi_http_server_t *s)
{
    if (!s->closing || s->done || s->listener_open || s->nconns > 0 || s->inflight > 0)
        return;
    s->done = true;
    void (*cb)(void *) = s->on_closed;
    void *ud = s->closed_ud;
    s->on_closed = NULL;
    if (s->destroy_pending)
        server_free(s); /* the owner already let go; s must not be touched below */
    if (cb)
        cb(ud);
}

void oi_http__server_conn_unlink(oi_http_server_t *s, oi_http_conn_t *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
}

static void on_listener_closed(uv_handle_t *h)
{
    oi_http_server_t *s = h->data;
    s->listener_open = false;
    oi_http__server_check_closed(s);
}

static void server_begin_close(oi_http_server_t *s)
{
    s->closing = true;
    if (s->listener_open && !uv_is_closing((uv_handle_t *)&s->listener))
        uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    /* conn_stop may close a connection, which unlinks it only in its close callback,
     * so walking the list here is safe */
    for (oi_http_conn_t *c = s->conns; c; c = c->next)
        oi_http__conn_stop(c);
}

void oi_http_server_close(oi_http_server_t *s, void (*on_closed)(void *ud), void *ud)
{
    if (!s)
        return;
    if (s->closing) {
        if (!s->done) {
            s->on_closed = on_closed;
            s->closed_ud = ud;
        } else if (on_closed) {
            on_closed(ud);
        }
        return;
    }
    s->on_closed = on_closed;
    s->closed_ud = ud;
    server_begin_close(s);
    oi_http__server_check_closed(s);
}

void oi_http_server_destroy(oi_http_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    oi_http_server_t *s = *self_p;
    *self_p = NULL;
    if (s->done) {
        server_free(s);
        return;
    }
    /* still open: close now and free once the last handle and request are gone */
    s->destroy_pending = true;
    if (!s->closing) {
        s->on_closed = NULL;
        server_begin_close(s);
    }
    oi_http__server_check_closed(s);
}
