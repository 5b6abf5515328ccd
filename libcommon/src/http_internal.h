/* http_internal.h: private structures shared by http_server.c, http_conn.c and http_req.c.
 *
 * Ownership: the server owns its connections (a doubly linked list); a connection owns the
 * request being parsed (cur) and the FIFO of dispatched requests (queue). A request handed to
 * the handler but not answered when its connection closes becomes an orphan (conn == NULL),
 * still counted in server->inflight, and is freed by oi_http_respond(). Memory of a connection
 * is released only in the close callback of its last libuv handle. */
#ifndef OI_HTTP_INTERNAL_H
#define OI_HTTP_INTERNAL_H

#include <http_parser.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "oi/buf.h"
#include "oi/http_server.h"

#define OI_HTTP__READ_BUF 16384
#define OI_HTTP__OUT_MAX ((size_t)256 << 20) /* per-connection pending output ceiling */
#define OI_HTTP__LINGER_MS 2000

typedef struct oi_http_conn oi_http_conn_t;

typedef struct {
    size_t name_off, name_len;
    size_t value_off, value_len;
} oi_http__hdr_t;

struct oi_http_req {
    oi_http_server_t *srv;  /* borrowed; outlives every request (see server close) */
    oi_http_conn_t *conn;   /* borrowed; NULL once the connection is gone (orphan) */
    oi_http_req_t *next;    /* queue link */
    char method[24];
    oi_buf_t url;           /* raw request target, fragments appended */
    char *path;             /* owned */
    char *query;            /* owned, "" if none */
    oi_buf_t hbuf;          /* header names and values, NUL-separated once complete */
    oi_http__hdr_t *hdrs;   /* owned array */
    size_t nhdrs, hcap;
    bool last_was_value;
    bool headers_done;
    size_t head_bytes;      /* request line + header bytes seen, for the 431 ceiling */
    oi_buf_t body;
    bool keep_alive;
    bool is_head;
    bool responded;
    bool dispatched;
    oi_buf_t resp;          /* serialized response without the Connection line */
    size_t resp_head_len;   /* bytes of resp before the blank line / body */
    uint64_t start_ns;
    void *data;             /* handler slot, borrowed */
};

typedef enum { OI_HTTP__IDLE = 0, OI_HTTP__HEAD, OI_HTTP__BODY } oi_http__state_t;
typedef enum {
    OI_HTTP__TIMER_NONE = 0,
    OI_HTTP__TIMER_HEADER,
    OI_HTTP__TIMER_BODY,
    OI_HTTP__TIMER_IDLE,
    OI_HTTP__TIMER_LINGER
} oi_http__timer_t;

struct oi_http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wreq;
    uv_shutdown_t sreq;
    oi_http_server_t *srv;      /* borrowed */
    oi_http_conn_t *prev, *next;
    http_parser parser;
    char peer[INET6_ADDRSTRLEN];
    oi_http_req_t *cur;         /* owned: request being parsed */
    oi_http_req_t *qhead, *qtail; /* owned: dispatched requests, in arrival order */
    size_t qlen;
    oi_buf_t out;               /* responses waiting for the next uv_write */
    oi_buf_t wbuf;              /* bytes owned by the in-flight uv_write */
    oi_buf_t pending;           /* unparsed input kept while the parser is paused */
    oi_http__state_t state;
    oi_http__timer_t timer_mode;
    uint64_t deadline_ms;       /* loop time by which the request being read must be whole */
    int open_handles;
    bool reading;
    bool writing;
    bool in_read;               /* inside parse: defer flushing to the end of the read */
    bool paused;                /* parser paused on the pipelining limit */
    bool no_more;               /* accept no further requests; close once the queue drains */
    bool failed;                /* an error response was queued */
    bool linger;                /* half-close and drain input before closing */
    bool lingering;
    bool closing;               /* uv_close called */
    int fail_status;            /* set by a parser callback before it aborts */
    char rbuf[OI_HTTP__READ_BUF];
};

struct oi_http_server {
    uv_loop_t *loop;            /* borrowed */
    uv_tcp_t listener;
    bool listener_open;
    bool listening;
    bool closing;
    bool done;                  /* every handle closed and no request in flight */
    bool destroy_pending;
    oi_http_limits_t limits;
    oi_http_on_request_cb on_request;
    void *ud;
    oi_http_conn_t *conns;      /* owned list */
    size_t nconns;
    size_t inflight;
    int port;
    void (*on_closed)(void *ud);
    void *closed_ud;
};

/* http_server.c */
/* Unlinks a connection about to be freed; call oi_http__server_check_closed after. */
void oi_http__server_conn_unlink(oi_http_server_t *s, oi_http_conn_t *c);
void oi_http__server_check_closed(oi_http_server_t *s);

/* http_conn.c */
void oi_http__conn_start(oi_http_server_t *s, oi_http_conn_t *c);
/* Server is closing: finish what is queued, accept nothing more. */
void oi_http__conn_stop(oi_http_conn_t *c);
/* A queued request got its response: move answered heads to the output, write. */
void oi_http__conn_on_response(oi_http_conn_t *c);
/* Closes both handles; the connection is freed in the last close callback. */
void oi_http__conn_close(oi_http_conn_t *c);

/* http_req.c */
oi_http_req_t *oi_http__req_new(oi_http_server_t *s);
void oi_http__req_free(oi_http_req_t **rp);
/* Finishes the head: terminates header strings, splits path/query. false on a bad target. */
bool oi_http__req_finish_head(oi_http_req_t *r);
/* Builds an already-answered request carrying a JSON error response. */
oi_http_req_t *oi_http__req_error(oi_http_server_t *s, int status, const char *code, const char *msg);
/* Appends r's response with its Connection line to out. */
oi_status_t oi_http__req_emit(const oi_http_req_t *r, bool keep_alive, oi_buf_t *out);

#endif
