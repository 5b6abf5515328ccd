/* test_http_server.c: the HTTP/1.1 server core and the ops port, over real sockets.
 *
 * The server runs on its own uv loop in a thread; the test talks to it with a blocking
 * client socket (5 s receive timeout, so a bug fails the test instead of hanging it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#include "oi/http_server.h"
#include "oi/metrics.h"
#include "oi/ops.h"

/* --- server fixture ------------------------------------------------------------------- */

typedef struct {
    uv_loop_t loop;
    uv_async_t stop;
    pthread_t thread;
    oi_http_server_t *srv;
    oi_ops_t *ops;
    int port;
    int requests;        /* handled requests (loop thread; read after join) */
    bool closed;
    bool draining;
    oi_ops_readiness_t readiness;
} fx_t;

static fx_t fx;

typedef struct {
    uv_timer_t timer;
    oi_http_req_t *req;
    char body[512];
} delayed_t;

static void on_delay_closed(uv_handle_t *h) { free(h->data); }

static void on_delay(uv_timer_t *t)
{
    delayed_t *d = t->data;
    oi_http_respond(d->req, 200, "text/plain", NULL, d->body, strlen(d->body));
    uv_close((uv_handle_t *)&d->timer, on_delay_closed);
}

/* Routes: /delay?ms=N&id=X answers "X" after N ms; /query?name=… echoes the decoded value;
 * anything else echoes "METHOD path?query [header X-Test] body". */
static void on_request(oi_http_req_t *req, void *ud)
{
    fx_t *f = ud;
    f->requests++;
    const char *path = oi_http_req_path(req);
    const char *query = oi_http_req_query(req);
    char tmp[256];
    if (strcmp(path, "/delay") == 0) {
        delayed_t *d = calloc(1, sizeof *d);
        d->req = req;
        int ms = oi_http_query_get(query, "ms", tmp, sizeof tmp) ? (int)strtol(tmp, NULL, 10) : 10;
        if (!oi_http_query_get(query, "id", d->body, sizeof d->body))
            d->body[0] = '\0';
        uv_timer_init(&f->loop, &d->timer);
        d->timer.data = d;
        uv_timer_start(&d->timer, on_delay, (uint64_t)ms, 0);
        return;
    }
    if (strcmp(path, "/query") == 0) {
        if (oi_http_query_get(query, "name", tmp, sizeof tmp))
            oi_http_respond(req, 200, "text/plain", NULL, tmp, strlen(tmp));
        else
            oi_http_respond_json(req, 404, NULL, "{}");
        return;
    }
    size_t blen;
    const char *body = oi_http_req_body(req, &blen);
    const char *xt = oi_http_req_header(req, "x-test");
    char *out = NULL;
    int n = asprintf(&out, "%s %s?%s [%s] %.*s", oi_http_req_method(req), path, query, xt ? xt : "",
                     (int)blen, body);
    cr_assert(n >= 0);
    oi_http_respond(req, 200, "text/plain", "X-Extra: yes\r\n", out, (size_t)n);
    free(out);
}

static void *loop_main(void *arg)
{
    fx_t *f = arg;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    return NULL;
}

static void on_server_closed(void *ud)
{
    fx_t *f = ud;
    f->closed = true;
    oi_http_server_destroy(&f->srv);
    oi_ops_destroy(&f->ops);
}

static void on_stop(uv_async_t *a)
{
    fx_t *f = a->data;
    if (f->srv)
        oi_http_server_close(f->srv, on_server_closed, f);
    else
        oi_ops_close(f->ops, on_server_closed, f);
    uv_close((uv_handle_t *)&f->stop, NULL);
}

static void fx_loop_init(void)
{
    memset(&fx, 0, sizeof fx);
    cr_assert_eq(uv_loop_init(&fx.loop), 0);
    cr_assert_eq(uv_async_init(&fx.loop, &fx.stop, on_stop), 0);
    fx.stop.data = &fx;
}

static void fx_start(const oi_http_limits_t *lim)
{
    fx_loop_init();
    fx.srv = oi_http_server_new(&fx.loop, lim, on_request, &fx);
    cr_assert_not_null(fx.srv);
    cr_assert_eq(oi_http_server_listen(fx.srv, "127.0.0.1", 0), 0);
    fx.port = oi_http_server_port(fx.srv);
    cr_assert_gt(fx.port, 0);
    cr_assert_eq(pthread_create(&fx.thread, NULL, loop_main, &fx), 0);
}

/* Closes the server from its loop, waits for on_closed and checks nothing is left open. */
static void fx_stop(void)
{
    uv_async_send(&fx.stop);
    pthread_join(fx.thread, NULL);
    cr_assert(fx.closed, "on_closed did not run");
    cr_assert_eq(uv_loop_close(&fx.loop), 0, "handles left open");
}

/* --- blocking client ------------------------------------------------------------------ */

typedef struct {
    int fd;
    char buf[1 << 17];
    size_t len;
} client_t;

typedef struct {
    int status;
    char head[4096];
    char body[1 << 16];
    size_t body_len;
} resp_t;

static client_t *client_connect(int port)
{
    client_t *c = calloc(1, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(c->fd >= 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(c->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return c;
}

static void client_close(client_t **cp)
{
    if (*cp) {
        close((*cp)->fd);
        free(*cp);
        *cp = NULL;
    }
}

static void client_send(client_t *c, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the server may close early (413); the test checks the answer */
        s += w;
        n -= (size_t)w;
    }
}

static void client_sends(client_t *c, const char *s) { client_send(c, s, strlen(s)); }

static bool client_fill(client_t *c)
{
    if (c->len == sizeof c->buf)
        return false;
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (r <= 0)
        return false;
    c->len += (size_t)r;
    return true;
}

/* Reads one response; status -1 on EOF/timeout. Bodies are framed by Content-Length. */
static resp_t *client_read(client_t *c, bool head_request)
{
    resp_t *r = calloc(1, sizeof *r);
    char *end;
    for (;;) {
        c->buf[c->len < sizeof c->buf ? c->len : sizeof c->buf - 1] = '\0';
        end = c->len ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
        if (end)
            break;
        if (!client_fill(c)) {
            r->status = -1;
            return r;
        }
    }
    size_t hlen = (size_t)(end - c->buf) + 4;
    cr_assert_lt(hlen, sizeof r->head);
    memcpy(r->head, c->buf, hlen);
    r->head[hlen] = '\0';
    r->status = (int)strtol(r->head + 9, NULL, 10);
    size_t cl = 0;
    const char *p = strcasestr(r->head, "\r\nContent-Length:");
    if (p && !head_request)
        cl = (size_t)strtoul(p + 17, NULL, 10);
    while (c->len < hlen + cl) {
        if (!client_fill(c)) {
            r->status = -1;
            return r;
        }
    }
    cr_assert_lt(cl, sizeof r->body);
    memcpy(r->body, c->buf + hlen, cl);
    r->body[cl] = '\0';
    r->body_len = cl;
    memmove(c->buf, c->buf + hlen + cl, c->len - hlen - cl);
    c->len -= hlen + cl;
    return r;
}

/* true if the server closed the connection (EOF before any further byte). */
static bool client_eof(client_t *c)
{
    if (c->len > 0)
        return false;
    char b;
    ssize_t r = recv(c->fd, &b, 1, 0);
    return r == 0 || (r < 0 && errno == ECONNRESET);
}

static bool has_header(const resp_t *r, const char *line)
{
    return strcasestr(r->head, line) != NULL;
}

/* --- server tests ----------------------------------------------------------------------- */

TestSuite(http_server, .timeout = 30);

Test(http_server, answers_a_simple_get)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "GET /v1/things?a=1 HTTP/1.1\r\nHost: x\r\nX-Test: hello \r\n\r\n");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "GET /v1/things?a=1 [hello] ");
    cr_assert(has_header(r, "\r\nContent-Type: text/plain\r\n"));
    cr_assert(has_header(r, "\r\nConnection: keep-alive\r\n"));
    cr_assert(has_header(r, "\r\nX-Extra: yes\r\n"));
    free(r);
    client_close(&c);
    fx_stop();
    cr_assert_eq(fx.requests, 1);
}

Test(http_server, reads_a_post_body)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello");
    usleep(20000); /* body split across reads */
    client_sends(c, " world");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "POST /p? [] hello world");
    free(r);
    client_close(&c);
    fx_stop();
}

Test(http_server, decodes_a_chunked_body)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "POST /c? [] hello world");
    free(r);
    client_close(&c);
    fx_stop();
}

Test(http_server, answers_pipelined_requests_in_order)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "GET /delay?ms=150&id=first HTTP/1.1\r\nHost: x\r\n\r\n"
                    "GET /delay?ms=1&id=second HTTP/1.1\r\nHost: x\r\n\r\n"
                    "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t *r1 = client_read(c, false);
    resp_t *r2 = client_read(c, false);
    resp_t *r3 = client_read(c, false);
    cr_assert_str_eq(r1->body, "first");
    cr_assert_str_eq(r2->body, "second");
    cr_assert_str_eq(r3->body, "GET /echo? [] ");
    free(r1);
    free(r2);
    free(r3);
    client_close(&c);
    fx_stop();
}

Test(http_server, rejects_a_big_content_length_with_413)
{
    oi_http_limits_t lim = {.max_body = 100};
    fx_start(&lim);
    client_t *c = client_connect(fx.port);
    char big[400];
    memset(big, 'a', sizeof big);
    client_sends(c, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n\r\n");
    client_send(c, big, sizeof big);
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 413);
    cr_assert(strstr(r->body, "\"code\":\"PAYLOAD_TOO_LARGE\""));
    cr_assert(has_header(r, "Connection: close"));
    cr_assert(client_eof(c));
    free(r);
    client_close(&c);
    fx_stop();
    cr_assert_eq(fx.requests, 0);
}

Test(http_server, rejects_a_big_chunked_body_with_413)
{
    oi_http_limits_t lim = {.max_body = 8};
    fx_start(&lim);
    client_t *c = client_connect(fx.port);
    client_sends(c, "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 413);
    cr_assert(strstr(r->body, "PAYLOAD_TOO_LARGE"));
    free(r);
    client_close(&c);
    fx_stop();
}

Test(http_server, rejects_garbage_with_400_and_closes)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "HELLO THERE\r\n\r\n");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 400);
    cr_assert(strstr(r->body, "{\"detail\":{\"code\":\"BAD_REQUEST\""));
    cr_assert(client_eof(c));
    free(r);
    client_close(&c);
    fx_stop();
}

Test(http_server, answers_earlier_requests_before_a_parse_error)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "GET /delay?ms=50&id=ok HTTP/1.1\r\nHost: x\r\n\r\n\x01\x02garbage\r\n\r\n");
    resp_t *r1 = client_read(c, false);
    resp_t *r2 = client_read(c, false);
    cr_assert_eq(r1->status, 200);
    cr_assert_str_eq(r1->body, "ok");
    cr_assert(has_header(r1, "Connection: keep-alive"));
    cr_assert_eq(r2->status, 400);
    free(r1);
    free(r2);
    client_close(&c);
    fx_stop();
}

Test(http_server, rejects_huge_headers_with_431)
{
    oi_http_limits_t lim = {.max_header_bytes = 1024};
    fx_start(&lim);
    client_t *c = client_connect(fx.port);
    char big[2048];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    client_sends(c, "GET / HTTP/1.1\r\nX-Big: ");
    client_sends(c, big);
    client_sends(c, "\r\n\r\n");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 431);
    free(r);
    client_close(&c);
    fx_stop();
}

Test(http_server, reuses_a_keep_alive_connection)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    for (int i = 0; i < 3; i++) {
        client_sends(c, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
        resp_t *r = client_read(c, false);
        cr_assert_eq(r->status, 200);
        cr_assert(has_header(r, "Connection: keep-alive"));
        free(r);
    }
    client_close(&c);
    fx_stop();
    cr_assert_eq(fx.requests, 3);
}

Test(http_server, honours_connection_close)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    "GET /ignored HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 200);
    cr_assert(has_header(r, "Connection: close"));
    cr_assert(client_eof(c));
    free(r);
    client_close(&c);
    fx_stop();
    cr_assert_eq(fx.requests, 1);
}

Test(http_server, closes_http10_without_keep_alive)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "GET /old HTTP/1.0\r\n\r\n");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 200);
    cr_assert(has_header(r, "Connection: close"));
    cr_assert(client_eof(c));
    free(r);
    client_close(&c);
    fx_stop();
}

Test(http_server, times_out_a_slow_head_with_408)
{
    oi_http_limits_t lim = {.header_timeout_ms = 100};
    fx_start(&lim);
    client_t *c = client_connect(fx.port);
    client_sends(c, "GET /slow HTTP/1.1\r\nHost: x\r\n");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 408);
    cr_assert(client_eof(c));
    free(r);
    client_close(&c);
    fx_stop();
    cr_assert_eq(fx.requests, 0);
}

Test(http_server, a_body_dripped_byte_by_byte_still_times_out)
{
    /* each byte comes well inside any idle timeout, but the request as a whole is late */
    oi_http_limits_t lim = {.body_timeout_ms = 400, .idle_timeout_ms = 5000};
    fx_start(&lim);
    client_t *c = client_connect(fx.port);
    client_sends(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
    for (int i = 0; i < 12; i++) {
        usleep(50 * 1000);
        client_sends(c, "a");
    }
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 408);
    cr_assert(client_eof(c));
    free(r);
    client_close(&c);
    fx_stop();
    cr_assert_eq(fx.requests, 0);
}

Test(http_server, a_connection_over_the_cap_gets_503_and_the_others_go_on)
{
    oi_http_limits_t lim = {.max_connections = 2};
    fx_start(&lim);
    client_t *a = client_connect(fx.port), *b = client_connect(fx.port);
    client_sends(a, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    client_sends(b, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t *ra = client_read(a, false), *rb = client_read(b, false);
    cr_assert_eq(ra->status, 200);
    cr_assert_eq(rb->status, 200);
    client_t *c = client_connect(fx.port);
    resp_t *rc = client_read(c, false);
    cr_assert_eq(rc->status, 503);
    cr_assert(strstr(rc->body, "SERVICE_UNAVAILABLE") != NULL, "%s", rc->body);
    cr_assert(client_eof(c));
    client_close(&c);
    client_sends(a, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"); /* the open ones still work */
    resp_t *ra2 = client_read(a, false);
    cr_assert_eq(ra2->status, 200);
    free(ra);
    free(rb);
    free(rc);
    free(ra2);
    client_close(&a);
    client_close(&b);
    fx_stop();
}

Test(http_server, closes_an_idle_keep_alive_connection)
{
    oi_http_limits_t lim = {.idle_timeout_ms = 100};
    fx_start(&lim);
    client_t *c = client_connect(fx.port);
    client_sends(c, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 200);
    cr_assert(client_eof(c)); /* within the 5 s receive timeout */
    free(r);
    client_close(&c);
    fx_stop();
}

Test(http_server, sends_100_continue_before_the_body)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 100);
    free(r);
    client_sends(c, "abc");
    r = client_read(c, false);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "POST /e? [] abc");
    free(r);
    client_close(&c);
    fx_stop();
}

Test(http_server, omits_the_body_of_head_responses)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t *r = client_read(c, true);
    cr_assert_eq(r->status, 200);
    cr_assert(has_header(r, "Content-Length: 12"));
    resp_t *r2 = client_read(c, false);
    cr_assert_str_eq(r2->body, "GET /g? [] ");
    free(r);
    free(r2);
    client_close(&c);
    fx_stop();
}

Test(http_server, decodes_query_parameters_end_to_end)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "GET /query?x=1&name=J%C3%BCrgen+M%26M HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "J\xc3\xbcrgen M&M");
    free(r);
    client_close(&c);
    fx_stop();
}

Test(http_server, drops_the_answer_of_a_request_whose_client_left)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "GET /delay?ms=200&id=late HTTP/1.1\r\nHost: x\r\n\r\n");
    usleep(50000);
    client_close(&c);
    usleep(300000); /* the handler answers the orphan; it must be dropped without harm */
    fx_stop();
    cr_assert_eq(fx.requests, 1);
}

Test(http_server, close_lets_in_flight_requests_finish)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_t *idle = client_connect(fx.port);
    client_sends(c, "GET /delay?ms=200&id=done HTTP/1.1\r\nHost: x\r\n\r\n");
    usleep(50000);
    fx_stop(); /* returns once on_closed ran: after the response left */
    resp_t *r = client_read(c, false);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "done");
    cr_assert(has_header(r, "Connection: close"));
    cr_assert(client_eof(c));
    cr_assert(client_eof(idle));
    free(r);
    client_close(&c);
    client_close(&idle);
}

Test(http_server, survives_a_client_that_leaves_mid_request)
{
    fx_start(NULL);
    client_t *c = client_connect(fx.port);
    client_sends(c, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
    usleep(20000);
    client_close(&c);
    usleep(20000);
    fx_stop();
    cr_assert_eq(fx.requests, 0);
}

Test(http_server, applies_the_pipelining_limit_without_losing_requests)
{
    oi_http_limits_t lim = {.max_pipelined = 2};
    fx_start(&lim);
    client_t *c = client_connect(fx.port);
    char reqs[2048] = "";
    for (int i = 0; i < 6; i++) {
        char one[128];
        snprintf(one, sizeof one, "GET /delay?ms=5&id=r%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
        strncat(reqs, one, sizeof reqs - strlen(reqs) - 1);
    }
    client_sends(c, reqs);
    for (int i = 0; i < 6; i++) {
        resp_t *r = client_read(c, false);
        char want[8];
        snprintf(want, sizeof want, "r%d", i);
        cr_assert_str_eq(r->body, want);
        free(r);
    }
    client_close(&c);
    fx_stop();
    cr_assert_eq(fx.requests, 6);
}

/* --- pure helpers ------------------------------------------------------------------------- */

Test(http_server, query_get_decodes_and_checks_bounds)
{
    char out[8];
    cr_assert(oi_http_query_get("a=1&b=x%20y&c=p+q", "b", out, sizeof out));
    cr_assert_str_eq(out, "x y");
    cr_assert(oi_http_query_get("a=1&b=x%20y&c=p+q", "c", out, sizeof out));
    cr_assert_str_eq(out, "p q");
    cr_assert(oi_http_query_get("flag&a=1", "flag", out, sizeof out));
    cr_assert_str_eq(out, "");
    cr_assert_not(oi_http_query_get("a=1", "b", out, sizeof out));
    cr_assert_not(oi_http_query_get("aa=1", "a", out, sizeof out));
    cr_assert_not(oi_http_query_get("a=12345678", "a", out, sizeof out)); /* overflow */
    cr_assert_not(oi_http_query_get("a=%zz", "a", out, sizeof out));
    cr_assert_not(oi_http_query_get("a=%4", "a", out, sizeof out));
    cr_assert(oi_http_query_get("a%5Bx%5D=v", "a[x]", out, sizeof out));
    cr_assert_str_eq(out, "v");
}

Test(http_server, query_lookup_says_why_a_value_is_unusable)
{
    char out[8];
    cr_assert_eq(oi_http_query_lookup("a=1&b=2", "b", out, sizeof out), OI_QUERY_FOUND);
    cr_assert_str_eq(out, "2");
    cr_assert_eq(oi_http_query_lookup("a=1", "b", out, sizeof out), OI_QUERY_ABSENT);
    cr_assert_eq(oi_http_query_lookup("a=12345678", "a", out, sizeof out), OI_QUERY_TOO_LONG);
    cr_assert_str_eq(out, "");
    cr_assert_eq(oi_http_query_lookup("a=x%zz", "a", out, sizeof out), OI_QUERY_BAD_ESCAPE);
    cr_assert_str_eq(out, "");
    cr_assert_eq(oi_http_query_lookup("a=%4", "a", out, sizeof out), OI_QUERY_BAD_ESCAPE);
    cr_assert_eq(oi_http_query_lookup("a=%00", "a", out, sizeof out), OI_QUERY_BAD_ESCAPE);
    cr_assert_eq(oi_http_query_lookup("a=123456789%z", "a", out, sizeof out), OI_QUERY_BAD_ESCAPE,
                 "a bad escape is told even in a value too long");
}

Test(http_server, url_decode_handles_plus_and_truncation)
{
    char out[16];
    cr_assert(oi_http_url_decode("a+b%2Fc", 7, out, sizeof out, false));
    cr_assert_str_eq(out, "a+b/c");
    cr_assert(oi_http_url_decode("a+b", 3, out, sizeof out, true));
    cr_assert_str_eq(out, "a b");
    cr_assert_not(oi_http_url_decode("%", 1, out, sizeof out, true));
    cr_assert_not(oi_http_url_decode("abcd", 4, out, 4, true));
    cr_assert(oi_http_url_decode("abc", 3, out, 4, true));
    cr_assert_str_eq(out, "abc");
    cr_assert(oi_http_url_decode("%41%62", 3 * 2, out, sizeof out, true));
    cr_assert_str_eq(out, "Ab");
}

Test(http_server, status_text_knows_common_codes)
{
    cr_assert_str_eq(oi_http_status_text(200), "OK");
    cr_assert_str_eq(oi_http_status_text(413), "Payload Too Large");
    cr_assert_str_eq(oi_http_status_text(431), "Request Header Fields Too Large");
    cr_assert_str_eq(oi_http_status_text(499), "Client Error");
}

/* --- ops port ----------------------------------------------------------------------------- */

static oi_ops_readiness_t ready_cb(void *ud, char *detail, size_t n)
{
    fx_t *f = ud;
    if (f->readiness != OI_OPS_READY)
        snprintf(detail, n, "redis \"down\"");
    return f->readiness;
}

static void ops_start(oi_ops_readiness_t readiness, bool draining)
{
    fx_loop_init();
    fx.readiness = readiness;
    fx.ops = oi_ops_new(&fx.loop, "127.0.0.1", 0, ready_cb, &fx);
    cr_assert_not_null(fx.ops);
    if (draining)
        oi_ops_set_draining(fx.ops);
    fx.port = oi_ops_port(fx.ops);
    cr_assert_gt(fx.port, 0);
    cr_assert_eq(pthread_create(&fx.thread, NULL, loop_main, &fx), 0);
}

static resp_t *ops_get(const char *path)
{
    client_t *c = client_connect(fx.port);
    char req[256];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    client_sends(c, req);
    resp_t *r = client_read(c, false);
    client_close(&c);
    return r;
}

TestSuite(ops, .timeout = 30);

Test(ops, answers_healthz_and_ready)
{
    ops_start(OI_OPS_READY, false);
    resp_t *r = ops_get("/healthz");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "{\"status\":\"ok\"}");
    free(r);
    r = ops_get("/readyz");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "{\"status\":\"ready\"}");
    free(r);
    r = ops_get("/nope");
    cr_assert_eq(r->status, 404);
    free(r);
    fx_stop();
}

Test(ops, reports_degraded_and_unready)
{
    ops_start(OI_OPS_DEGRADED, false);
    resp_t *r = ops_get("/readyz");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "{\"status\":\"degraded\",\"detail\":\"redis \\\"down\\\"\"}");
    free(r);
    fx.readiness = OI_OPS_UNREADY; /* read by the loop thread only while a request runs */
    r = ops_get("/readyz");
    cr_assert_eq(r->status, 503);
    cr_assert(strstr(r->body, "\"status\":\"unready\""));
    free(r);
    fx_stop();
}

Test(ops, answers_503_while_draining)
{
    ops_start(OI_OPS_READY, true);
    resp_t *r = ops_get("/readyz");
    cr_assert_eq(r->status, 503);
    cr_assert_str_eq(r->body, "{\"status\":\"draining\"}");
    free(r);
    fx_stop();
}

Test(ops, serves_metrics_as_prometheus_text)
{
    oi_metric_inc("oi_test_total", "k=\"v\"", 2);
    ops_start(OI_OPS_READY, false);
    resp_t *r = ops_get("/metrics");
    cr_assert_eq(r->status, 200);
    cr_assert(has_header(r, "Content-Type: text/plain; version=0.0.4"));
    cr_assert(strstr(r->body, "oi_test_total{k=\"v\"} 2\n"));
    free(r);
    fx_stop();
}
