/* Fuzzes the HTTP/1.1 server: any bytes are sent to a real server on 127.0.0.1 over TCP, in
 * two writes split at the first byte's value, then the client half-closes and reads until
 * the server closes. Handlers answer at once, or later from a timer for paths under /t, so
 * ordering, orphans and error paths all run. The same bytes go through the query helpers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "oi/http_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    uv_timer_t timer;
    oi_http_req_t *req;
} later_t;

static void on_later_closed(uv_handle_t *h) { free(h->data); }

static void on_later(uv_timer_t *t)
{
    later_t *l = t->data;
    oi_http_respond_json(l->req, 202, NULL, "{}");
    uv_close((uv_handle_t *)&l->timer, on_later_closed);
}

static void on_request(oi_http_req_t *req, void *ud)
{
    uv_loop_t *loop = ud;
    char v[64];
    oi_http_query_get(oi_http_req_query(req), "a", v, sizeof v);
    (void)oi_http_req_header(req, "content-type");
    if (strncmp(oi_http_req_path(req), "/t", 2) == 0) {
        later_t *l = calloc(1, sizeof *l);
        l->req = req;
        uv_timer_init(loop, &l->timer);
        l->timer.data = l;
        uv_timer_start(&l->timer, on_later, 1, 0);
        return;
    }
    size_t len;
    const char *body = oi_http_req_body(req, &len);
    oi_http_respond(req, 200, "application/octet-stream", "X-F: 1\r\n", body, len);
}

static void on_closed(void *ud) { *(int *)ud = 1; }

static void fuzz_helpers(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    char out[32];
    oi_http_query_get(s, "a", out, sizeof out);
    oi_http_url_decode(s, strlen(s), out, sizeof out, true);
    free(s);
}

/* Drives the loop until the client sees EOF (or a generous bound of turns). */
static void pump(uv_loop_t *loop, int fd)
{
    char buf[4096];
    for (int turns = 0; turns < 20000; turns++) {
        uv_run(loop, UV_RUN_NOWAIT);
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            return;
        if (r < 0)
            usleep(100);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_helpers(data, size);
    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_http_limits_t lim = {.max_body = 256, .max_header_bytes = 512, .header_timeout_ms = 50,
                            .idle_timeout_ms = 50, .max_pipelined = 2};
    oi_http_server_t *srv = oi_http_server_new(&loop, &lim, on_request, &loop);
    if (srv && oi_http_server_listen(srv, "127.0.0.1", 0) == 0) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)oi_http_server_port(srv))};
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            size_t cut = size ? data[0] % (size + 1) : 0;
            send(fd, data, cut, MSG_NOSIGNAL);
            uv_run(&loop, UV_RUN_NOWAIT);
            send(fd, data + cut, size - cut, MSG_NOSIGNAL);
            shutdown(fd, SHUT_WR);
            pump(&loop, fd);
        }
        if (fd >= 0)
            close(fd);
    }
    int closed = 0;
    oi_http_server_close(srv, on_closed, &closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    oi_http_server_destroy(&srv);
    uv_loop_close(&loop);
    return 0;
}
