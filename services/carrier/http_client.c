/* http_client.c: libcurl multi on the libuv loop (socket + timer callbacks). */
#include "http_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oi/buf.h"
#include "oi/crypto.h"
#include "oi/mem.h"

struct car_http {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    size_t inflight;
    size_t max_body;
    bool closing;
    struct request *head; /* requests in flight */
};

typedef struct request {
    struct request *prev, *next;
    car_http_t *h;
    CURL *easy;
    struct curl_slist *headers;
    char *body_copy;
    char *resp;
    size_t resp_len, resp_cap;
    bool too_big;
    int retry_after_s;
    car_http_cb cb;
    void *ud;
    char errbuf[CURL_ERROR_SIZE];
} request_t;

typedef struct {
    uv_poll_t poll;
    curl_socket_t fd;
    car_http_t *h;
} sock_ctx_t;

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    request_t *r = ud;
    size_t len = size * n;
    if (r->resp_len + len > r->h->max_body) {
        r->too_big = true;
        return 0; /* aborts the transfer */
    }
    if (r->resp_len + len + 1 > r->resp_cap) {
        r->resp_cap = (r->resp_len + len + 1) * 2;
        r->resp = oi_xrealloc(r->resp, r->resp_cap);
    }
    memcpy(r->resp + r->resp_len, data, len);
    r->resp_len += len;
    r->resp[r->resp_len] = 0;
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    request_t *r = ud;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
        char tmp[32];
        size_t vlen = len - (sizeof name - 1);
        snprintf(tmp, sizeof tmp, "%.*s", (int)(vlen < sizeof tmp - 1 ? vlen : sizeof tmp - 1),
                 data + sizeof name - 1);
        char *end = NULL;
        long v = strtol(tmp, &end, 10);
        if (end != tmp && v >= 0 && v < 86400)
            r->retry_after_s = (int)v;
    }
    return len;
}

static void request_free(request_t *r)
{
    curl_slist_free_all(r->headers);
    oi_crypto_free_secret(r->body_copy); /* a body may carry a SIP password: wiped, not just freed */
    free(r->resp);
    free(r);
}

static void request_done(request_t *r, CURLcode code)
{
    car_http_t *h = r->h;
    long status = 0;
    if (code == CURLE_OK)
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    car_http_resp_t resp = {
        .status = (int)status,
        .timed_out = code == CURLE_OPERATION_TIMEDOUT,
        .error = code == CURLE_OK ? NULL : (r->too_big ? "response too large" : curl_easy_strerror(code)),
        .body = r->resp ? r->resp : "",
        .body_len = r->resp_len,
        .retry_after_s = r->retry_after_s,
    };
    curl_multi_remove_handle(h->multi, r->easy);
    curl_easy_cleanup(r->easy);
    if (r->prev)
        r->prev->next = r->next;
    else
        h->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    h->inflight--;
    r->cb(&resp, r->ud);
    request_free(r);
}

static void check_done(car_http_t *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        request_t *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        request_done(r, msg->data.result);
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    sock_ctx_t *s = p->data;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(s->h->multi, s->fd, flags, &running);
    check_done(s->h);
}

static void on_timer(uv_timer_t *t)
{
    car_http_t *h = t->data;
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(h);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *ud)
{
    (void)multi;
    car_http_t *h = ud;
    if (timeout_ms < 0)
        uv_timer_stop(&h->timer);
    else
        uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

static void on_sock_closed(uv_handle_t *handle) { free(handle->data); }

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *ud, void *sockp)
{
    (void)easy;
    car_http_t *h = ud;
    sock_ctx_t *s = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            curl_multi_assign(h->multi, fd, NULL);
            uv_close((uv_handle_t *)&s->poll, on_sock_closed);
        }
        return 0;
    }
    if (!s) {
        s = oi_xcalloc(1, sizeof *s);
        s->fd = fd;
        s->h = h;
        uv_poll_init_socket(h->loop, &s->poll, fd);
        s->poll.data = s;
        curl_multi_assign(h->multi, fd, s);
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

car_http_t *car_http_new(uv_loop_t *loop, size_t max_body)
{
    car_http_t *h = oi_xcalloc(1, sizeof *h);
    h->loop = loop;
    h->max_body = max_body;
    h->multi = curl_multi_init();
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 64L);
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    return h;
}

static CURL *easy_new(request_t *r, const car_http_req_t *req)
{
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(req->timeout_ms < 5000 ? req->timeout_ms : 5000));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    if (strcmp(req->method, "GET") == 0)
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    if (req->body) {
        r->body_copy = oi_xstrndup(req->body, req->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body_copy);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
    }
    if (req->basic_user) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, req->basic_user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, req->basic_password ? req->basic_password : "");
    }
    for (int i = 0; i < CAR_HTTP_MAX_HEADERS && req->headers[i]; i++)
        r->headers = curl_slist_append(r->headers, req->headers[i]);
    r->headers = curl_slist_append(r->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    return e;
}

void car_http_send(car_http_t *h, const car_http_req_t *req, car_http_cb cb, void *ud)
{
    request_t *r = oi_xcalloc(1, sizeof *r);
    r->h = h;
    r->cb = cb;
    r->ud = ud;
    r->retry_after_s = -1;
    r->easy = easy_new(r, req);
    r->next = h->head;
    if (h->head)
        h->head->prev = r;
    h->head = r;
    h->inflight++;
    curl_multi_add_handle(h->multi, r->easy); /* curl schedules the start through the timer */
}

size_t car_http_inflight(const car_http_t *h) { return h->inflight; }

static void on_timer_closed(uv_handle_t *t)
{
    car_http_t *h = t->data;
    curl_multi_cleanup(h->multi);
    free(h);
}

void car_http_destroy(car_http_t **self_p)
{
    car_http_t *h = *self_p;
    *self_p = NULL;
    if (!h)
        return;
    h->closing = true;
    while (h->head)
        request_done(h->head, CURLE_ABORTED_BY_CALLBACK);
    uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->timer, on_timer_closed);
}
