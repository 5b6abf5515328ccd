/* http_conn.c: one accepted HTTP/1.1 connection: reading, parsing, timers, ordered writes.
 *
 * Requests are dispatched as soon as they are complete and queued in arrival order; a
 * response leaves only when every earlier one has, so handlers may answer in any order.
 * Output is appended to c->out and written with one uv_write at a time (at most one batch
 * per read and per completed write). The connection is freed only in the close callback of
 * its last handle, never while one of its callbacks is on the stack. */
#include "http_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oi/clock.h"
#include "oi/mem.h"

#define OI_LOG_TAG "common.http"
#include "oi/log.h"

static void conn_flush(oi_http_conn_t *c);
static void conn_update_timer(oi_http_conn_t *c);
static void conn_fail(oi_http_conn_t *c, int status, const char *code, const char *msg);
static void timer_set(oi_http_conn_t *c, oi_http__timer_t mode, bool restart);

/* --- small helpers ---------------------------------------------------------------------- */

static void read_stop(oi_http_conn_t *c)
{
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    oi_http_conn_t *c = h->data;
    (void)suggested;
    buf->base = c->rbuf;
    buf->len = sizeof c->rbuf;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void read_start(oi_http_conn_t *c)
{
    if (!c->reading && !c->closing) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
            c->reading = true;
    }
}

static void queue_push(oi_http_conn_t *c, oi_http_req_t *r)
{
    r->next = NULL;
    if (c->qtail)
        c->qtail->next = r;
    else
        c->qhead = r;
    c->qtail = r;
    c->qlen++;
}

static oi_http_req_t *queue_pop(oi_http_conn_t *c)
{
    oi_http_req_t *r = c->qhead;
    if (!r)
        return NULL;
    c->qhead = r->next;
    if (!c->qhead)
        c->qtail = NULL;
    c->qlen--;
    r->next = NULL;
    return r;
}

/* --- close ------------------------------------------------------------------------------ */

static void on_handle_closed(uv_handle_t *h)
{
    oi_http_conn_t *c = h->data;
    if (--c->open_handles > 0)
        return;
    oi_buf_cleanup(&c->out);
    oi_buf_cleanup(&c->wbuf);
    oi_buf_cleanup(&c->pending);
    oi_http_server_t *s = c->srv;
    oi_http__server_conn_unlink(s, c);
    free(c);
    oi_http__server_check_closed(s);
}

void oi_http__conn_close(oi_http_conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    read_stop(c);
    uv_timer_stop(&c->timer);
    oi_http__req_free(&c->cur);
    /* answered-but-unsent responses die with the connection; unanswered requests become
     * orphans that oi_http_respond() frees */
    oi_http_req_t *r;
    while ((r = queue_pop(c)) != NULL) {
        if (r->responded)
            oi_http__req_free(&r);
        else
            r->conn = NULL;
    }
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    oi_http_conn_t *c = req->data;
    if (status < 0 && !c->closing)
        oi_http__conn_close(c);
}

/* Nothing left to send and nothing more accepted: close, or half-close and drain what the
 * client is still sending so that our last response is not destroyed by a RST. */
static void conn_maybe_finish(oi_http_conn_t *c)
{
    if (c->closing || c->lingering || !c->no_more || c->qlen > 0 || c->writing || c->out.len > 0)
        return;
    if (!c->linger) {
        oi_http__conn_close(c);
        return;
    }
    c->lingering = true;
    c->sreq.data = c;
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        oi_http__conn_close(c);
        return;
    }
    read_start(c);
    timer_set(c, OI_HTTP__TIMER_LINGER, true);
}

/* --- timers ----------------------------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
    oi_http_conn_t *c = t->data;
    if (c->closing)
        return;
    switch (c->timer_mode) {
    case OI_HTTP__TIMER_HEADER:
    case OI_HTTP__TIMER_BODY:
        c->timer_mode = OI_HTTP__TIMER_NONE;
        conn_fail(c, 408, "REQUEST_TIMEOUT", "request not received in time");
        break;
    case OI_HTTP__TIMER_IDLE:
    case OI_HTTP__TIMER_LINGER:
        oi_http__conn_close(c);
        break;
    case OI_HTTP__TIMER_NONE:
        break;
    }
}

static void timer_set(oi_http_conn_t *c, oi_http__timer_t mode, bool restart)
{
    if (c->closing)
        return;
    if (mode == c->timer_mode && !restart)
        return;
    c->timer_mode = mode;
    uint64_t ms = 0;
    switch (mode) {
    case OI_HTTP__TIMER_HEADER: ms = c->srv->limits.header_timeout_ms; break;
    case OI_HTTP__TIMER_BODY: { /* what is left of the request's deadline: reads do not extend it */
        uint64_t now = uv_now(c->srv->loop);
        ms = c->deadline_ms > now ? c->deadline_ms - now : 1;
        break;
    }
    case OI_HTTP__TIMER_IDLE: ms = c->srv->limits.idle_timeout_ms; break;
    case OI_HTTP__TIMER_LINGER: ms = OI_HTTP__LINGER_MS; break;
    case OI_HTTP__TIMER_NONE: uv_timer_stop(&c->timer); return;
    }
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void conn_update_timer(oi_http_conn_t *c)
{
    if (c->closing)
        return;
    if (c->lingering) {
        timer_set(c, OI_HTTP__TIMER_LINGER, false);
        return;
    }
    if (c->no_more) {
        timer_set(c, OI_HTTP__TIMER_NONE, false);
        return;
    }
    switch (c->state) {
    case OI_HTTP__HEAD: timer_set(c, OI_HTTP__TIMER_HEADER, false); break;
    case OI_HTTP__BODY: timer_set(c, OI_HTTP__TIMER_BODY, false); break;
    case OI_HTTP__IDLE:
        if (c->qlen == 0 && !c->writing && c->out.len == 0)
            timer_set(c, OI_HTTP__TIMER_IDLE, false);
        else
            timer_set(c, OI_HTTP__TIMER_NONE, false);
        break;
    }
}

/* --- writing ---------------------------------------------------------------------------- */

static void conn_resume(oi_http_conn_t *c);

static void on_write(uv_write_t *w, int status)
{
    oi_http_conn_t *c = w->data;
    c->writing = false;
    oi_buf_reset(&c->wbuf);
    if (c->closing)
        return;
    if (status < 0) {
        oi_log_debug(&(oi_log_ctx_t){.action = "writing response"}, "write to %s failed: %s", c->peer,
                     uv_strerror(status));
        oi_http__conn_close(c);
        return;
    }
    conn_flush(c);
    if (c->closing)
        return;
    conn_resume(c);
    if (c->closing)
        return;
    conn_maybe_finish(c);
    conn_update_timer(c);
}

static void write_start(oi_http_conn_t *c)
{
    if (c->writing || c->closing || c->out.len == 0)
        return;
    oi_buf_t t = c->wbuf;
    c->wbuf = c->out;
    c->out = t;
    uv_buf_t b = uv_buf_init(c->wbuf.data, (unsigned int)c->wbuf.len);
    c->wreq.data = c;
    int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc) {
        oi_log_debug(&(oi_log_ctx_t){.action = "writing response"}, "write to %s failed: %s", c->peer,
                     uv_strerror(rc));
        oi_buf_reset(&c->wbuf);
        oi_http__conn_close(c);
        return;
    }
    c->writing = true;
}

/* Moves every answered request at the head of the queue to the output. */
static void conn_drain_queue(oi_http_conn_t *c)
{
    while (c->qhead && c->qhead->responded) {
        oi_http_req_t *r = queue_pop(c);
        bool last = c->no_more && c->qhead == NULL;
        bool keep = r->keep_alive && !last;
        oi_status_t rc = oi_http__req_emit(r, keep, &c->out);
        oi_http__req_free(&r);
        if (rc) {
            oi_log_error(&(oi_log_ctx_t){.action = "writing response"},
                         "output to %s over its ceiling; closing", c->peer);
            oi_http__conn_close(c);
            return;
        }
    }
}

static void conn_flush(oi_http_conn_t *c)
{
    if (c->closing)
        return;
    conn_drain_queue(c);
    if (c->closing)
        return;
    write_start(c);
}

void oi_http__conn_on_response(oi_http_conn_t *c)
{
    if (c->in_read)
        return; /* the read that dispatched it flushes once at its end */
    conn_flush(c);
    if (c->closing)
        return;
    conn_maybe_finish(c);
    conn_update_timer(c);
}

/* --- errors ----------------------------------------------------------------------------- */

/* Queues an error response behind the requests already queued, then closes. */
static void conn_fail(oi_http_conn_t *c, int status, const char *code, const char *msg)
{
    if (c->closing || c->failed)
        return;
    c->failed = true;
    c->no_more = true;
    c->linger = true;
    oi_http__req_free(&c->cur);
    oi_buf_reset(&c->pending); /* callers inside the parser return -1 to stop it */
    queue_push(c, oi_http__req_error(c->srv, status, code, msg));
    oi_log_debug(&(oi_log_ctx_t){.action = "reading request"}, "%s: %d %s", c->peer, status, msg);
    if (c->in_read)
        return;
    conn_flush(c);
    if (c->closing)
        return;
    conn_maybe_finish(c);
    conn_update_timer(c);
}

/* --- parser callbacks ------------------------------------------------------------------- */

static bool head_count(oi_http_conn_t *c, size_t len)
{
    oi_http_req_t *r = c->cur;
    r->head_bytes += len;
    if (r->head_bytes > c->srv->limits.max_header_bytes) {
        c->fail_status = 431;
        return false;
    }
    return true;
}

static int on_message_begin(http_parser *p)
{
    oi_http_conn_t *c = p->data;
    if (c->no_more)
        return -1;
    oi_http__req_free(&c->cur);
    c->cur = oi_http__req_new(c->srv);
    c->state = OI_HTTP__HEAD;
    c->deadline_ms = uv_now(c->srv->loop) + c->srv->limits.body_timeout_ms;
    timer_set(c, OI_HTTP__TIMER_HEADER, false);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    oi_http_conn_t *c = p->data;
    if (!head_count(c, len) || oi_buf_append(&c->cur->url, at, len) != OI_OK)
        return -1;
    return 0;
}

static bool hdr_push(oi_http_req_t *r)
{
    if (r->nhdrs == r->hcap) {
        size_t cap = r->hcap ? r->hcap * 2 : 16;
        r->hdrs = oi_xrealloc(r->hdrs, cap * sizeof *r->hdrs);
        r->hcap = cap;
    }
    r->hdrs[r->nhdrs] = (oi_http__hdr_t){.name_off = r->hbuf.len};
    r->nhdrs++;
    return true;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    oi_http_conn_t *c = p->data;
    oi_http_req_t *r = c->cur;
    if (!head_count(c, len + 4))
        return -1;
    if (r->headers_done)
        return 0; /* trailers of a chunked body: counted, not kept */
    if (r->nhdrs == 0 || r->last_was_value) {
        if (r->nhdrs > 0 && oi_buf_append(&r->hbuf, "", 1) != OI_OK)
            goto overflow;
        hdr_push(r);
        r->last_was_value = false;
    }
    if (oi_buf_append(&r->hbuf, at, len) != OI_OK)
        goto overflow;
    r->hdrs[r->nhdrs - 1].name_len += len;
    return 0;
overflow:
    c->fail_status = 431;
    return -1;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    oi_http_conn_t *c = p->data;
    oi_http_req_t *r = c->cur;
    if (!head_count(c, len))
        return -1;
    if (r->headers_done || r->nhdrs == 0)
        return 0;
    oi_http__hdr_t *h = &r->hdrs[r->nhdrs - 1];
    if (!r->last_was_value) {
        if (oi_buf_append(&r->hbuf, "", 1) != OI_OK)
            goto overflow;
        h->value_off = r->hbuf.len;
        r->last_was_value = true;
    }
    if (oi_buf_append(&r->hbuf, at, len) != OI_OK)
        goto overflow;
    h->value_len += len;
    return 0;
overflow:
    c->fail_status = 431;
    return -1;
}

static void send_continue(oi_http_conn_t *c)
{
    /* an interim response may not overtake earlier final ones; a client that pipelines
     * behind unanswered requests gets none and sends its body after its own timeout */
    if (c->qlen > 0 || c->writing || c->out.len > 0)
        return;
    if (oi_buf_appends(&c->out, "HTTP/1.1 100 Continue\r\n\r\n") == OI_OK)
        write_start(c);
}

static int on_headers_complete(http_parser *p)
{
    oi_http_conn_t *c = p->data;
    oi_http_req_t *r = c->cur;
    if (!oi_http__req_finish_head(r)) {
        c->fail_status = 400;
        return -1;
    }
    const char *m = http_method_str((enum http_method)p->method);
    size_t mlen = strlen(m);
    if (mlen >= sizeof r->method)
        mlen = sizeof r->method - 1;
    memcpy(r->method, m, mlen);
    r->method[mlen] = '\0';
    r->is_head = p->method == HTTP_HEAD;
    r->keep_alive = http_should_keep_alive(p) != 0;
    r->start_ns = oi_clock_mono_ns();
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > c->srv->limits.max_body) {
        conn_fail(c, 413, "PAYLOAD_TOO_LARGE", "request body too large");
        return -1;
    }
    const char *expect = oi_http_req_header(r, "Expect");
    if (expect && p->http_major == 1 && p->http_minor >= 1) {
        if (strcasecmp(expect, "100-continue") != 0) {
            conn_fail(c, 417, "EXPECTATION_FAILED", "unsupported Expect header");
            return -1;
        }
        send_continue(c);
    }
    c->state = OI_HTTP__BODY;
    timer_set(c, OI_HTTP__TIMER_BODY, true);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    oi_http_conn_t *c = p->data;
    if (oi_buf_append(&c->cur->body, at, len) != OI_OK) {
        conn_fail(c, 413, "PAYLOAD_TOO_LARGE", "request body too large");
        return -1;
    }
    return 0;
}

static int on_message_complete(http_parser *p)
{
    oi_http_conn_t *c = p->data;
    oi_http_req_t *r = c->cur;
    c->cur = NULL;
    c->state = OI_HTTP__IDLE;
    if (p->upgrade)
        r->keep_alive = false; /* protocol switches are not supported: answer, then close */
    if (!r->keep_alive || c->srv->closing)
        c->no_more = true;
    r->conn = c;
    r->dispatched = true;
    queue_push(c, r);
    c->srv->inflight++;
    c->srv->on_request(r, c->srv->ud); /* may answer (and free r) right away */
    if (c->closing)
        return -1;
    if (c->no_more || c->qlen >= c->srv->limits.max_pipelined)
        http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* --- reading ---------------------------------------------------------------------------- */

static int parse_error_status(oi_http_conn_t *c, enum http_errno e)
{
    if (c->fail_status)
        return c->fail_status;
    if (e == HPE_HEADER_OVERFLOW)
        return 431;
    return 400;
}

static void conn_parse(oi_http_conn_t *c, const char *data, size_t len)
{
    size_t n = http_parser_execute(&c->parser, &parser_settings, data, len);
    if (c->closing || c->failed)
        return;
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (c->no_more && e != HPE_OK && e != HPE_PAUSED) {
        read_stop(c); /* input after a last request is not parsed, right or wrong */
        return;
    }
    if (e == HPE_PAUSED) {
        read_stop(c);
        if (c->no_more)
            return; /* whatever follows a last request is ignored */
        c->paused = true;
        if (n < len && oi_buf_append(&c->pending, data + n, len - n) != OI_OK)
            conn_fail(c, 400, "BAD_REQUEST", "too much pipelined input");
        return;
    }
    if (e != HPE_OK) {
        int status = parse_error_status(c, e);
        if (status == 431)
            conn_fail(c, 431, "HEADER_TOO_LARGE", "request header fields too large");
        else
            conn_fail(c, 400, "BAD_REQUEST", http_errno_description(e));
        return;
    }
    if (c->parser.upgrade && n < len)
        c->no_more = true;
}

/* The pipelining limit paused the parser; once the queue has room, feed what was kept. */
static void conn_resume(oi_http_conn_t *c)
{
    if (!c->paused || c->no_more || c->closing || c->qlen >= c->srv->limits.max_pipelined)
        return;
    c->paused = false;
    http_parser_pause(&c->parser, 0);
    if (c->pending.len > 0) {
        size_t len = 0;
        char *data = oi_buf_steal(&c->pending, &len);
        c->in_read = true;
        conn_parse(c, data, len);
        c->in_read = false;
        free(data);
        if (c->closing)
            return;
        conn_flush(c);
        if (c->closing)
            return;
    }
    if (!c->paused && !c->no_more)
        read_start(c);
}

static void conn_on_eof(oi_http_conn_t *c)
{
    /* a half-closed client still gets the answers to what it sent */
    read_stop(c);
    c->no_more = true;
    oi_http__req_free(&c->cur);
    c->state = OI_HTTP__IDLE;
    conn_flush(c);
    if (c->closing)
        return;
    conn_maybe_finish(c);
    conn_update_timer(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    oi_http_conn_t *c = st->data;
    if (c->closing)
        return;
    if (nread < 0) {
        if (nread != UV_EOF || c->lingering || c->failed) {
            oi_http__conn_close(c);
            return;
        }
        conn_on_eof(c);
        return;
    }
    if (nread == 0 || c->failed || c->no_more)
        return; /* draining input after an error, or past a last request */
    c->in_read = true;
    conn_parse(c, buf->base, (size_t)nread);
    c->in_read = false;
    if (c->closing)
        return;
    conn_flush(c);
    if (c->closing)
        return;
    conn_maybe_finish(c);
    conn_update_timer(c);
}

/* --- lifecycle -------------------------------------------------------------------------- */

static void peer_name(oi_http_conn_t *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    c->peer[0] = '\0';
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET6)
        uv_ip6_name((struct sockaddr_in6 *)&ss, c->peer, sizeof c->peer);
    else
        uv_ip4_name((struct sockaddr_in *)&ss, c->peer, sizeof c->peer);
}

void oi_http__conn_start(oi_http_server_t *s, oi_http_conn_t *c)
{
    c->tcp.data = c;
    oi_buf_init(&c->out, OI_HTTP__OUT_MAX);
    oi_buf_init(&c->wbuf, OI_HTTP__OUT_MAX);
    oi_buf_init(&c->pending, OI_HTTP__READ_BUF);
    uv_timer_init(s->loop, &c->timer);
    c->timer.data = c;
    c->open_handles = 2;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    int rc = uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&c->tcp);
    if (rc) {
        oi_log_warn(&(oi_log_ctx_t){.action = "accepting"}, "accept failed: %s", uv_strerror(rc));
        oi_http__conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    peer_name(c);
    c->state = OI_HTTP__HEAD; /* the first head must arrive within the header timeout */
    read_start(c);
    if (!c->reading) {
        oi_http__conn_close(c);
        return;
    }
    conn_update_timer(c);
}

void oi_http__conn_stop(oi_http_conn_t *c)
{
    if (c->closing)
        return;
    c->no_more = true;
    if (!c->lingering)
        read_stop(c);
    oi_http__req_free(&c->cur);
    c->state = OI_HTTP__IDLE;
    conn_flush(c);
    if (c->closing)
        return;
    conn_maybe_finish(c);
    conn_update_timer(c);
}
