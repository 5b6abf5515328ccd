/* ops.c: the ops HTTP port: /healthz, /readyz, /metrics on an oi_http_server. */
#include "oi/ops.h"

#include <stdlib.h>
#include <string.h>

#include "oi/buf.h"
#include "oi/http_server.h"
#include "oi/mem.h"
#include "oi/metrics.h"

#define OI_LOG_TAG "common.ops"
#include "oi/log.h"

#define DETAIL_MAX 256

struct oi_ops {
    oi_http_server_t *http;  /* owned */
    oi_ops_ready_cb ready;
    void *ud;                /* borrowed, passed to ready */
    bool draining;
};

static void json_string(oi_buf_t *b, const char *s)
{
    oi_buf_appends(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            oi_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            oi_buf_printf(b, "\\u%04x", *p);
        else
            oi_buf_append(b, p, 1);
    }
    oi_buf_appends(b, "\"");
}

static void respond_status(oi_http_req_t *req, int http, const char *status, const char *detail)
{
    oi_buf_t b;
    oi_buf_init(&b, 4096);
    oi_buf_appends(&b, "{\"status\":");
    json_string(&b, status);
    if (detail) {
        oi_buf_appends(&b, ",\"detail\":");
        json_string(&b, detail);
    }
    oi_buf_appends(&b, "}");
    oi_http_respond(req, http, "application/json", "Cache-Control: no-store\r\n", b.data, b.len);
    oi_buf_cleanup(&b);
}

static void serve_readyz(oi_ops_t *o, oi_http_req_t *req)
{
    if (o->draining) {
        respond_status(req, 503, "draining", NULL);
        return;
    }
    char detail[DETAIL_MAX] = "";
    oi_ops_readiness_t r = o->ready ? o->ready(o->ud, detail, sizeof detail) : OI_OPS_READY;
    detail[sizeof detail - 1] = '\0';
    switch (r) {
    case OI_OPS_READY: respond_status(req, 200, "ready", NULL); return;
    case OI_OPS_DEGRADED: respond_status(req, 200, "degraded", detail); return;
    case OI_OPS_UNREADY: break;
    }
    respond_status(req, 503, "unready", detail);
}

static void serve_metrics(oi_http_req_t *req)
{
    char *text = oi_metrics_render();
    oi_http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, text, strlen(text));
    free(text);
}

static void on_request(oi_http_req_t *req, void *ud)
{
    oi_ops_t *o = ud;
    const char *path = oi_http_req_path(req);
    const char *method = oi_http_req_method(req);
    bool known = strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 || strcmp(path, "/metrics") == 0;
    if (!known) {
        oi_http_respond_json(req, 404, NULL, "{\"detail\":{\"code\":\"NOT_FOUND\",\"message\":\"not found\"}}");
        return;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        oi_http_respond_json(req, 405, "Allow: GET, HEAD\r\n",
                             "{\"detail\":{\"code\":\"METHOD_NOT_ALLOWED\",\"message\":\"method not allowed\"}}");
        return;
    }
    if (strcmp(path, "/healthz") == 0)
        respond_status(req, 200, "ok", NULL);
    else if (strcmp(path, "/readyz") == 0)
        serve_readyz(o, req);
    else
        serve_metrics(req);
}

oi_ops_t *oi_ops_new(uv_loop_t *loop, const char *host, int port, oi_ops_ready_cb ready, void *ud)
{
    oi_ops_t *o = oi_xcalloc(1, sizeof *o);
    o->ready = ready;
    o->ud = ud;
    /* probes are tiny: small ceilings, short timeouts */
    oi_http_limits_t lim = {.max_body = 4096, .max_header_bytes = 8192, .header_timeout_ms = 5000,
                            .idle_timeout_ms = 30000, .max_pipelined = 16};
    o->http = oi_http_server_new(loop, &lim, on_request, o);
    if (!o->http) {
        free(o);
        return NULL;
    }
    int rc = oi_http_server_listen(o->http, host ? host : "0.0.0.0", port);
    if (rc) {
        oi_log_error(&(oi_log_ctx_t){.action = "starting ops port"}, "cannot listen on %s:%d: %s",
                     host ? host : "0.0.0.0", port, uv_strerror(rc));
        oi_http_server_destroy(&o->http); /* frees itself once its listener handle is closed */
        free(o);
        return NULL;
    }
    return o;
}

void oi_ops_set_draining(oi_ops_t *o)
{
    if (o)
        o->draining = true;
}

int oi_ops_port(const oi_ops_t *o) { return o ? oi_http_server_port(o->http) : 0; }

void oi_ops_close(oi_ops_t *o, void (*on_closed)(void *ud), void *ud)
{
    if (!o)
        return;
    oi_http_server_close(o->http, on_closed, ud);
}

void oi_ops_destroy(oi_ops_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    oi_ops_t *o = *self_p;
    oi_http_server_destroy(&o->http);
    free(o);
    *self_p = NULL;
}
