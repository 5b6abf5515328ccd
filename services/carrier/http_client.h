/* http_client.h: HTTP requests from the service loop through one libcurl multi handle.
 *
 * The multi handle is driven by libuv (socket and timer callbacks), so no call blocks the loop
 * and no thread is started per request; connections are kept and reused between requests. */
#ifndef CAR_HTTP_CLIENT_H
#define CAR_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct car_http car_http_t;

#define CAR_HTTP_MAX_HEADERS 6

/* Everything is copied by car_http_send. */
typedef struct {
    const char *method;                          /* GET POST PATCH DELETE */
    const char *url;
    const char *headers[CAR_HTTP_MAX_HEADERS];   /* "Name: value", NULL-terminated if fewer */
    const char *body;                            /* may be NULL */
    size_t body_len;
    const char *basic_user, *basic_password;     /* HTTP Basic when basic_user != NULL */
    uint32_t timeout_ms;
} car_http_req_t;

typedef struct {
    int status;           /* HTTP status; 0 when no response came (transport error, timeout) */
    bool timed_out;
    const char *error;    /* transport error text when status == 0 */
    const char *body;     /* NUL-terminated, borrowed for the callback */
    size_t body_len;
    int retry_after_s;    /* Retry-After in seconds, -1 when absent */
} car_http_resp_t;

typedef void (*car_http_cb)(const car_http_resp_t *resp, void *ud);

car_http_t *car_http_new(uv_loop_t *loop, size_t max_body);
/* cb runs exactly once, on the loop, never from inside car_http_send. */
void car_http_send(car_http_t *h, const car_http_req_t *req, car_http_cb cb, void *ud);
size_t car_http_inflight(const car_http_t *h);
/* Fails what is in flight (status 0), then frees once every handle is closed. */
void car_http_destroy(car_http_t **self_p);

#endif
