/* oi/http_server.h: HTTP/1.1 server core on libuv + http-parser.
 *
 * Keep-alive and pipelining (responses leave in request order), a body ceiling answered with
 * 413, a header timeout (slowloris) and an idle timeout. One server per listening port; the
 * same core serves the gateway API, the carrier simulator and every ops port.
 *
 * Lifecycle: oi_http_server_new → oi_http_server_listen → (loop runs) → oi_http_server_close
 * (stops accepting, lets in-flight requests finish, calls on_closed) → oi_http_server_destroy
 * from the close callback or after the loop ends. All calls on the loop thread. */
#ifndef OI_HTTP_SERVER_H
#define OI_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct oi_http_server oi_http_server_t;
typedef struct oi_http_req oi_http_req_t;

/* Called once per complete request (headers + body). The handler must eventually call
 * oi_http_respond() exactly once, now or later from the loop thread. If the client goes away
 * first, the request is kept alive until the response is given (and then discarded), so the
 * handler never sees a dangling pointer. */
typedef void (*oi_http_on_request_cb)(oi_http_req_t *req, void *ud);

typedef struct {
    size_t max_body;            /* default 1 MiB; bigger → 413 */
    size_t max_header_bytes;    /* default 16 KiB; bigger → 431 */
    uint32_t header_timeout_ms; /* default 10000: whole head must arrive in this time → 408 */
    uint32_t body_timeout_ms;   /* default 10000: head and body must both have arrived this long after
                                 * the request began → 408, however slowly bytes keep coming */
    uint32_t idle_timeout_ms;   /* default 60000: keep-alive idle connections closed */
    uint32_t max_pipelined;     /* default 64 queued requests per connection */
    uint32_t max_connections;   /* default 4096 open at once; one more is answered 503 and closed */
} oi_http_limits_t;

oi_http_server_t *oi_http_server_new(uv_loop_t *loop, const oi_http_limits_t *limits /* NULL = defaults */,
                                     oi_http_on_request_cb on_request, void *ud);
/* host "127.0.0.1", port 0 = ephemeral (see oi_http_server_port). 0 or a negative uv error. */
int oi_http_server_listen(oi_http_server_t *s, const char *host, int port);
int oi_http_server_port(const oi_http_server_t *s);
/* Stops accepting; closes idle connections; in-flight requests may still respond. on_closed
 * runs once every handle is closed. */
void oi_http_server_close(oi_http_server_t *s, void (*on_closed)(void *ud), void *ud);
void oi_http_server_destroy(oi_http_server_t **self_p);
size_t oi_http_server_inflight(const oi_http_server_t *s);

/* --- request accessors: borrowed, valid until oi_http_respond() returns. --- */
const char *oi_http_req_method(const oi_http_req_t *r);      /* "GET" */
const char *oi_http_req_path(const oi_http_req_t *r);        /* "/v1/phone-numbers" (no query), percent-decoded NOT applied */
const char *oi_http_req_query(const oi_http_req_t *r);       /* raw query without '?', "" if none */
/* Case-insensitive header lookup; NULL if absent. */
const char *oi_http_req_header(const oi_http_req_t *r, const char *name);
const char *oi_http_req_body(const oi_http_req_t *r, size_t *len); /* NUL-terminated */
const char *oi_http_req_peer(const oi_http_req_t *r);        /* "127.0.0.1" */
uint64_t oi_http_req_start_ns(const oi_http_req_t *r);       /* monotonic, when the head completed */
void *oi_http_req_get_data(const oi_http_req_t *r);          /* per-request slot for the handler */
void oi_http_req_set_data(oi_http_req_t *r, void *data);

/* Finds a query parameter (percent-decoded) into out (size n). false if absent, and also when
 * its value does not fit or is badly escaped: see oi_http_query_lookup to tell those apart.
 * Also usable on any "a=b&c=d" string (form bodies). */
bool oi_http_query_get(const char *query, const char *name, char *out, size_t n);
typedef enum { OI_QUERY_ABSENT = 0, OI_QUERY_FOUND, OI_QUERY_TOO_LONG, OI_QUERY_BAD_ESCAPE } oi_query_found_t;
/* oi_http_query_get that says why it found nothing usable (out is "" unless FOUND). */
oi_query_found_t oi_http_query_lookup(const char *query, const char *name, char *out, size_t n);
/* true when the query names `name` at all (even with a value oi_http_query_get refuses). */
bool oi_http_query_has(const char *query, const char *name);
/* Percent-decodes src into dst (size n); '+' becomes ' ' when plus_space. false on bad escape/overflow. */
bool oi_http_url_decode(const char *src, size_t len, char *dst, size_t n, bool plus_space);

/* --- response: extra_headers is "Name: value\r\n…" (may be NULL). body copied. --- */
void oi_http_respond(oi_http_req_t *r, int status, const char *content_type, const char *extra_headers,
                     const char *body, size_t body_len);
/* Convenience: application/json. */
void oi_http_respond_json(oi_http_req_t *r, int status, const char *extra_headers, const char *json);
const char *oi_http_status_text(int status);

#endif
