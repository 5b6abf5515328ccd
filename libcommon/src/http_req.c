/* http_req.c: one HTTP request: accessors, response serialization, oi_http_respond(). */
#include "oi/http_server.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"
#include "oi/mem.h"

#define OI_LOG_TAG "common.http"
#include "oi/log.h"

#define RESP_HEAD_MAX ((size_t)64 << 10)

oi_http_req_t *oi_http__req_new(oi_http_server_t *s)
{
    oi_http_req_t *r = oi_xcalloc(1, sizeof *r);
    r->srv = s;
    oi_buf_init(&r->url, s->limits.max_header_bytes);
    oi_buf_init(&r->hbuf, s->limits.max_header_bytes + 64);
    oi_buf_init(&r->body, s->limits.max_body);
    oi_buf_init(&r->resp, OI_HTTP__OUT_MAX);
    return r;
}

void oi_http__req_free(oi_http_req_t **rp)
{
    oi_http_req_t *r = *rp;
    if (!r)
        return;
    oi_buf_cleanup(&r->url);
    oi_buf_cleanup(&r->hbuf);
    oi_buf_cleanup(&r->body);
    oi_buf_cleanup(&r->resp);
    OI_FREE(r->hdrs);
    OI_FREE(r->path);
    OI_FREE(r->query);
    free(r);
    *rp = NULL;
}

/* Trims trailing blanks of each value and NUL-terminates names and values in place. */
static void terminate_headers(oi_http_req_t *r)
{
    for (size_t i = 0; i < r->nhdrs; i++) {
        oi_http__hdr_t *h = &r->hdrs[i];
        while (h->value_len > 0) {
            char ch = r->hbuf.data[h->value_off + h->value_len - 1];
            if (ch != ' ' && ch != '\t')
                break;
            h->value_len--;
        }
        r->hbuf.data[h->name_off + h->name_len] = '\0';
        r->hbuf.data[h->value_off + h->value_len] = '\0';
    }
}

/* Absolute-form targets ("http://host/p?q") are reduced to their origin form. */
static const char *origin_form(const char *t)
{
    const char *p = NULL;
    if (strncasecmp(t, "http://", 7) == 0)
        p = t + 7;
    else if (strncasecmp(t, "https://", 8) == 0)
        p = t + 8;
    if (!p)
        return t;
    const char *slash = strpbrk(p, "/?");
    return slash ? slash : "";
}

bool oi_http__req_finish_head(oi_http_req_t *r)
{
    if (r->hbuf.len > 0) {
        /* one spare byte so the last value can be terminated in place */
        if (oi_buf_append(&r->hbuf, "", 1) != OI_OK)
            return false;
        terminate_headers(r);
    }
    r->headers_done = true;
    const char *t = r->url.data ? r->url.data : "";
    t = origin_form(t);
    size_t tlen = strcspn(t, "#");
    size_t plen = strcspn(t, "?#");
    if (plen == 0)
        r->path = oi_xstrdup("/");
    else
        r->path = oi_xstrndup(t, plen);
    if (plen < tlen && t[plen] == '?')
        r->query = oi_xstrndup(t + plen + 1, tlen - plen - 1);
    else
        r->query = oi_xstrdup("");
    if (r->path[0] != '/' && strcmp(r->path, "*") != 0)
        return false;
    for (const char *c = r->path; *c; c++) {
        if ((unsigned char)*c < 0x21 || *c == 0x7f)
            return false;
    }
    return true;
}

const char *oi_http_req_method(const oi_http_req_t *r) { return r->method; }
const char *oi_http_req_path(const oi_http_req_t *r) { return r->path ? r->path : "/"; }
const char *oi_http_req_query(const oi_http_req_t *r) { return r->query ? r->query : ""; }
const char *oi_http_req_peer(const oi_http_req_t *r) { return r->conn ? r->conn->peer : ""; }
uint64_t oi_http_req_start_ns(const oi_http_req_t *r) { return r->start_ns; }
void *oi_http_req_get_data(const oi_http_req_t *r) { return r->data; }
void oi_http_req_set_data(oi_http_req_t *r, void *data) { r->data = data; }

const char *oi_http_req_header(const oi_http_req_t *r, const char *name)
{
    if (!r->headers_done || !name)
        return NULL;
    for (size_t i = 0; i < r->nhdrs; i++) {
        const char *n = r->hbuf.data + r->hdrs[i].name_off;
        if (strcasecmp(n, name) == 0)
            return r->hbuf.data + r->hdrs[i].value_off;
    }
    return NULL;
}

const char *oi_http_req_body(const oi_http_req_t *r, size_t *len)
{
    if (len)
        *len = r->body.len;
    return r->body.data ? r->body.data : "";
}

static bool status_has_body(int status)
{
    return !(status < 200 || status == 204 || status == 304);
}

/* Serializes everything but the Connection line; the connection adds it when the response
 * reaches the head of its queue (only then is it known whether it is the last one). */
static oi_status_t serialize(oi_http_req_t *r, int status, const char *ctype, const char *extra,
                             const char *body, size_t body_len)
{
    oi_buf_t *b = &r->resp;
    oi_status_t rc = oi_buf_printf(b, "HTTP/1.1 %d %s\r\n", status, oi_http_status_text(status));
    if (rc)
        return rc;
    bool has_body = status_has_body(status);
    if (ctype && has_body) {
        rc = oi_buf_printf(b, "Content-Type: %s\r\n", ctype);
        if (rc)
            return rc;
    }
    if (has_body) {
        rc = oi_buf_printf(b, "Content-Length: %zu\r\n", body_len);
        if (rc)
            return rc;
    }
    if (extra && extra[0]) {
        size_t n = strlen(extra);
        rc = oi_buf_append(b, extra, n);
        if (!rc && (n < 2 || extra[n - 2] != '\r' || extra[n - 1] != '\n'))
            rc = oi_buf_appends(b, "\r\n");
        if (rc)
            return rc;
    }
    if (b->len > RESP_HEAD_MAX)
        return OI_PAYLOAD_TOO_LARGE;
    r->resp_head_len = b->len;
    if (has_body && !r->is_head && body_len > 0)
        rc = oi_buf_append(b, body, body_len);
    return rc;
}

oi_status_t oi_http__req_emit(const oi_http_req_t *r, bool keep_alive, oi_buf_t *out)
{
    oi_status_t rc = oi_buf_append(out, r->resp.data, r->resp_head_len);
    if (!rc)
        rc = oi_buf_appends(out, keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    if (!rc && r->resp.len > r->resp_head_len)
        rc = oi_buf_append(out, r->resp.data + r->resp_head_len, r->resp.len - r->resp_head_len);
    return rc;
}

static void json_escape(oi_buf_t *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            oi_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            oi_buf_printf(b, "\\u%04x", *p);
        else
            oi_buf_append(b, p, 1);
    }
}

oi_http_req_t *oi_http__req_error(oi_http_server_t *s, int status, const char *code, const char *msg)
{
    oi_http_req_t *r = oi_http__req_new(s);
    r->dispatched = true;
    r->responded = true;
    r->keep_alive = false;
    oi_buf_t json;
    oi_buf_init(&json, 4096);
    oi_buf_appends(&json, "{\"detail\":{\"code\":\"");
    json_escape(&json, code);
    oi_buf_appends(&json, "\",\"message\":\"");
    json_escape(&json, msg);
    oi_buf_appends(&json, "\"}}");
    if (serialize(r, status, "application/json", NULL, json.data, json.len) != OI_OK)
        oi_buf_reset(&r->resp); /* cannot happen with these sizes; emit nothing rather than half */
    oi_buf_cleanup(&json);
    return r;
}

void oi_http_respond(oi_http_req_t *r, int status, const char *content_type, const char *extra_headers,
                     const char *body, size_t body_len)
{
    if (!r)
        return;
    if (r->responded || !r->dispatched) {
        oi_log_error(NULL, "oi_http_respond called twice or on an undispatched request");
        return;
    }
    r->responded = true;
    oi_http_server_t *s = r->srv;
    s->inflight--;
    if (!r->conn) {
        /* the client went away: drop the answer silently */
        oi_http__req_free(&r);
        oi_http__server_check_closed(s);
        return;
    }
    if (status < 100 || status > 999)
        status = 500;
    if (!body)
        body_len = 0;
    oi_buf_reset(&r->resp);
    if (serialize(r, status, content_type, extra_headers, body, body_len) != OI_OK) {
        oi_log_error(&(oi_log_ctx_t){.action = "writing response"}, "response too large; answering 500");
        oi_buf_reset(&r->resp);
        serialize(r, 500, NULL, NULL, NULL, 0);
    }
    oi_http__conn_on_response(r->conn);
}

void oi_http_respond_json(oi_http_req_t *r, int status, const char *extra_headers, const char *json)
{
    oi_http_respond(r, status, "application/json", extra_headers, json, json ? strlen(json) : 0);
}
