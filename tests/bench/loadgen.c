/* loadgen: closed-loop load generator for the benchmarks (not a test: it prints figures).
 *
 *   bench_loadgen zmq  <endpoints> <numbers-file> <concurrency> <seconds>
 *       dispatch.Resolve over ZeroMQ, `to` drawn round-robin from numbers-file (one E.164 a line)
 *   bench_loadgen http <host> <port> <paths-file> <concurrency> <seconds> [bearer-token]
 *       GET over keep-alive HTTP/1.1 connections, paths drawn round-robin from paths-file
 *
 * <seconds> 0 means one pass over the file, each item once (the cold-cache figure).
 * Prints one line: mode, requests, errors, req/s, p50/p99/p999 latency in ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "oi/clock.h"
#include "oi/mem.h"
#include "oi/rpc.h"
#include "oneinbox/v1/dispatch.pb-c.h"

typedef struct {
    char **items;
    size_t n;
    size_t next;
    double *lat_ms;
    size_t n_lat, cap_lat;
    long errors;
    uint64_t stop_ns;
    bool once; /* one pass over items instead of until stop_ns */
    uv_loop_t *loop;
} bench_t;

static bool more(const bench_t *b) { return b->once ? b->next < b->n : oi_clock_mono_ns() < b->stop_ns; }

static void record(bench_t *b, uint64_t start_ns, bool ok)
{
    if (!ok)
        b->errors++;
    if (b->n_lat == b->cap_lat) {
        b->cap_lat = b->cap_lat ? b->cap_lat * 2 : 65536;
        b->lat_ms = oi_xrealloc(b->lat_ms, b->cap_lat * sizeof(double));
    }
    b->lat_ms[b->n_lat++] = (double)(oi_clock_mono_ns() - start_ns) / 1e6;
}

static const char *next_item(bench_t *b) { return b->items[b->next++ % b->n]; }

static int cmp_double(const void *a, const void *c)
{
    double x = *(const double *)a, y = *(const double *)c;
    return x < y ? -1 : x > y;
}

static void report(bench_t *b, const char *mode, double secs)
{
    qsort(b->lat_ms, b->n_lat, sizeof(double), cmp_double);
    double p50 = b->n_lat ? b->lat_ms[b->n_lat / 2] : 0;
    double p99 = b->n_lat ? b->lat_ms[(size_t)((double)b->n_lat * 0.99)] : 0;
    double p999 = b->n_lat ? b->lat_ms[(size_t)((double)b->n_lat * 0.999)] : 0;
    printf("%-6s requests=%zu errors=%ld rps=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f\n", mode, b->n_lat, b->errors,
           (double)b->n_lat / secs, p50, p99, p999);
    fflush(stdout);
}

static void bench_free(bench_t *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->items[i]);
    free(b->items);
    free(b->lat_ms);
}

static bool load_lines(const char *path, bench_t *b)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512];
    size_t cap = 1024;
    b->items = oi_xcalloc(cap, sizeof(char *));
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        if (b->n == cap) {
            cap *= 2;
            b->items = oi_xrealloc(b->items, cap * sizeof(char *));
        }
        b->items[b->n++] = oi_xstrdup(line);
    }
    fclose(f);
    return b->n > 0;
}

/* --- zmq mode ------------------------------------------------------------------------------ */

typedef struct {
    bench_t *b;
    oi_rpc_client_t *client;
    uint64_t start_ns;
    int *in_flight;
} zslot_t;

/* The client's poll handle keeps the loop alive: close it once the last call has come back. */
typedef struct {
    uv_timer_t timer;
    oi_rpc_client_t **client;
    int in_flight;
} zdone_t;

static void on_done_check(uv_timer_t *t)
{
    zdone_t *d = t->data;
    if (d->in_flight > 0)
        return;
    oi_rpc_client_close(d->client);
    uv_close((uv_handle_t *)&d->timer, NULL);
}

static void zmq_send(zslot_t *s);

static void on_resolved(oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    zslot_t *s = ud;
    (void)err;
    (void)reply;
    (*s->in_flight)--;
    record(s->b, s->start_ns, st == OI_OK);
    if (more(s->b))
        zmq_send(s);
}

static void zmq_send(zslot_t *s)
{
    Oneinbox__V1__ResolveRequest req = ONEINBOX__V1__RESOLVE_REQUEST__INIT;
    req.to = (char *)next_item(s->b);
    req.from = "+15550000000";
    s->start_ns = oi_clock_mono_ns();
    if (oi_rpc_client_call(s->client, &oneinbox__v1__dispatch__descriptor, "Resolve", NULL, NULL, &req.base, 5000,
                           on_resolved, s) != 0)
        record(s->b, s->start_ns, false);
    else
        (*s->in_flight)++;
}

static int run_zmq(bench_t *b, const char *endpoints, int conc)
{
    oi_error_t err;
    oi_error_init(&err);
    oi_rpc_client_t *c = oi_rpc_client_new_to(b->loop, endpoints, &oneinbox__v1__dispatch__descriptor, &err);
    if (!c) {
        fprintf(stderr, "loadgen: %s\n", err.message);
        return 1;
    }
    zdone_t done = {.client = &c};
    uv_timer_init(b->loop, &done.timer);
    done.timer.data = &done;
    zslot_t *slots = oi_xcalloc((size_t)conc, sizeof *slots);
    for (int i = 0; i < conc; i++) {
        slots[i].b = b;
        slots[i].client = c;
        slots[i].in_flight = &done.in_flight;
        if (more(b))
            zmq_send(&slots[i]);
    }
    uv_timer_start(&done.timer, on_done_check, 20, 20);
    uv_run(b->loop, UV_RUN_DEFAULT);
    free(slots);
    return 0;
}

/* --- http mode ----------------------------------------------------------------------------- */

typedef struct {
    bench_t *b;
    uv_tcp_t tcp;
    uv_connect_t conn;
    uv_write_t wr;
    char req[1024];
    char rbuf[65536];
    size_t rlen;
    uint64_t start_ns;
    const char *token;
} hslot_t;

static void http_send(hslot_t *s);

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    hslot_t *s = h->data;
    buf->base = s->rbuf + s->rlen;
    buf->len = sizeof s->rbuf - s->rlen;
}

/* true when one whole response (head + Content-Length body) is buffered */
static bool response_complete(hslot_t *s, int *status)
{
    s->rbuf[s->rlen < sizeof s->rbuf ? s->rlen : sizeof s->rbuf - 1] = '\0';
    char *end = strstr(s->rbuf, "\r\n\r\n");
    if (!end)
        return false;
    long clen = 0;
    char *cl = strcasestr(s->rbuf, "\r\nContent-Length:");
    if (cl && cl < end)
        clen = strtol(cl + 17, NULL, 10);
    size_t total = (size_t)(end - s->rbuf) + 4 + (size_t)clen;
    if (s->rlen < total)
        return false;
    *status = (int)strtol(s->rbuf + 9, NULL, 10);
    memmove(s->rbuf, s->rbuf + total, s->rlen - total);
    s->rlen -= total;
    return true;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    hslot_t *s = st->data;
    if (n < 0) {
        record(s->b, s->start_ns, false);
        uv_close((uv_handle_t *)st, NULL);
        return;
    }
    s->rlen += (size_t)n;
    int status = 0;
    if (!response_complete(s, &status))
        return;
    record(s->b, s->start_ns, status == 200);
    if (more(s->b))
        http_send(s);
    else
        uv_close((uv_handle_t *)st, NULL);
}

static void on_written(uv_write_t *w, int status) { (void)w; (void)status; }

static void http_send(hslot_t *s)
{
    int n = snprintf(s->req, sizeof s->req, "GET %s HTTP/1.1\r\nHost: bench\r\n%s%s%s\r\n", next_item(s->b),
                     s->token ? "Authorization: Bearer " : "", s->token ? s->token : "", s->token ? "\r\n" : "");
    uv_buf_t buf = uv_buf_init(s->req, (unsigned)n);
    s->start_ns = oi_clock_mono_ns();
    uv_write(&s->wr, (uv_stream_t *)&s->tcp, &buf, 1, on_written);
}

static void on_connected(uv_connect_t *c, int status)
{
    hslot_t *s = c->data;
    if (status) {
        fprintf(stderr, "loadgen: connect: %s\n", uv_strerror(status));
        uv_close((uv_handle_t *)&s->tcp, NULL);
        return;
    }
    uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    if (more(s->b))
        http_send(s);
    else
        uv_close((uv_handle_t *)&s->tcp, NULL);
}

static int run_http(bench_t *b, const char *host, int port, int conc, const char *token)
{
    struct sockaddr_in addr;
    uv_ip4_addr(host, port, &addr);
    hslot_t *slots = oi_xcalloc((size_t)conc, sizeof *slots);
    for (int i = 0; i < conc; i++) {
        hslot_t *s = &slots[i];
        s->b = b;
        s->token = token;
        uv_tcp_init(b->loop, &s->tcp);
        uv_tcp_nodelay(&s->tcp, 1);
        s->tcp.data = s;
        s->conn.data = s;
        uv_tcp_connect(&s->conn, &s->tcp, (const struct sockaddr *)&addr, on_connected);
    }
    uv_run(b->loop, UV_RUN_DEFAULT);
    free(slots);
    return 0;
}

int main(int argc, char **argv)
{
    bench_t b = {.loop = uv_default_loop()};
    if (argc >= 6 && !strcmp(argv[1], "zmq")) {
        if (!load_lines(argv[3], &b))
            return 2;
        int conc = (int)strtol(argv[4], NULL, 10);
        double secs = strtod(argv[5], NULL);
        b.stop_ns = oi_clock_mono_ns() + (uint64_t)(secs * 1e9);
        b.once = secs <= 0;
        uint64_t t0 = oi_clock_mono_ns();
        int rc = run_zmq(&b, argv[2], conc);
        report(&b, "zmq", (double)(oi_clock_mono_ns() - t0) / 1e9);
        oi_rpc_zctx_term();
        bench_free(&b);
        return rc;
    }
    if (argc >= 7 && !strcmp(argv[1], "http")) {
        if (!load_lines(argv[4], &b))
            return 2;
        int conc = (int)strtol(argv[5], NULL, 10);
        double secs = strtod(argv[6], NULL);
        b.stop_ns = oi_clock_mono_ns() + (uint64_t)(secs * 1e9);
        b.once = secs <= 0;
        uint64_t t0 = oi_clock_mono_ns();
        int rc = run_http(&b, argv[2], (int)strtol(argv[3], NULL, 10), conc, argc > 7 ? argv[7] : NULL);
        report(&b, "http", (double)(oi_clock_mono_ns() - t0) / 1e9);
        bench_free(&b);
        return rc;
    }
    fprintf(stderr, "usage: %s zmq <endpoints> <numbers-file> <concurrency> <seconds>\n"
                    "       %s http <host> <port> <paths-file> <concurrency> <seconds> [token]\n",
            argv[0], argv[0]);
    return 2;
}
