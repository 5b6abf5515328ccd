/* exchange.c: retries, the per-carrier concurrency limit and the circuit breaker around one
 * HTTP request. */
#define OI_LOG_TAG "car.exchange"
#include "exchange.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"

struct car_exchange {
    car_exchange_t *next_waiting;
    car_t *car;
    car_carrier_t *cc;
    char *method, *url, *body, *user, *password;
    char *headers[CAR_HTTP_MAX_HEADERS];
    size_t body_len;
    bool retry;
    int attempt;
    int64_t deadline_ms;
    uv_timer_t timer; /* backoff, and deferred early answers */
    bool cut_by_deadline; /* this attempt's timeout is the caller's deadline, not the carrier's limit */
    oi_status_t early_status;
    const char *early_why;
    car_exchange_cb cb;
    void *ud;
};

static void ex_attempt(car_exchange_t *ex);

static void ex_closed(uv_handle_t *h)
{
    car_exchange_t *ex = h->data;
    free(ex->method);
    free(ex->url);
    free(ex->body);
    free(ex->user);
    if (ex->password)
        sodium_memzero(ex->password, strlen(ex->password));
    free(ex->password);
    for (int i = 0; i < CAR_HTTP_MAX_HEADERS; i++)
        free(ex->headers[i]);
    free(ex);
}

static void ex_finish(car_exchange_t *ex, const car_http_resp_t *resp, oi_status_t st, const char *why)
{
    ex->cb(resp, st, why, ex->ud);
    uv_close((uv_handle_t *)&ex->timer, ex_closed);
}

static void ex_early_fire(uv_timer_t *t)
{
    car_exchange_t *ex = t->data;
    ex_finish(ex, NULL, ex->early_status, ex->early_why);
}

/* Answers on the next loop turn (callers never see their cb run inside their own call). */
static void ex_fail_soon(car_exchange_t *ex, oi_status_t st, const char *why)
{
    ex->early_status = st;
    ex->early_why = why;
    uv_timer_start(&ex->timer, ex_early_fire, 0, 0);
}

static void slot_release(car_carrier_t *cc)
{
    cc->inflight--;
    car_exchange_t *next = cc->wait_head;
    if (!next)
        return;
    cc->wait_head = next->next_waiting;
    if (!cc->wait_head)
        cc->wait_tail = NULL;
    cc->waiting--;
    ex_attempt(next);
}

static void ex_retry_fire(uv_timer_t *t) { ex_attempt(t->data); }

static void ex_on_response(const car_http_resp_t *resp, void *ud)
{
    car_exchange_t *ex = ud;
    car_carrier_t *cc = ex->cc;
    int64_t now = oi_clock_now_ms();
    bool transient = car_http_transient(resp->status);
    /* a carrier slower than this caller could wait is slow, not failing: only its own limit
     * (OI_CARRIER_TIMEOUT_MS), errors and refusals count towards the breaker */
    if (!(resp->timed_out && ex->cut_by_deadline))
        car_breaker_record(&cc->breaker, transient, now);
    else
        car_breaker_release_probe(&cc->breaker);
    slot_release(cc);
    if (transient && ex->retry && ex->attempt < ex->car->max_attempts && !ex->car->draining) {
        int64_t delay = car_backoff_ms(ex->attempt, ex->car->backoff_base_ms, ex->car->backoff_cap_ms,
                                       resp->retry_after_s, randombytes_random());
        if (now + delay + 50 < ex->deadline_ms) {
            oi_log_debug(NULL, "%s %s: HTTP %d, retry %d in %lld ms", cc->name, ex->method, resp->status,
                         ex->attempt + 1, (long long)delay);
            uv_timer_start(&ex->timer, ex_retry_fire, (uint64_t)delay, 0);
            return;
        }
    }
    ex_finish(ex, resp, OI_OK, NULL);
}

static void ex_send(car_exchange_t *ex)
{
    car_carrier_t *cc = ex->cc;
    int64_t left = ex->deadline_ms - oi_clock_now_ms();
    uint32_t timeout = ex->car->request_timeout_ms;
    ex->cut_by_deadline = left < (int64_t)timeout;
    if (ex->cut_by_deadline)
        timeout = (uint32_t)left;
    car_http_req_t req = {.method = ex->method,
                          .url = ex->url,
                          .body = ex->body,
                          .body_len = ex->body_len,
                          .basic_user = ex->user,
                          .basic_password = ex->password,
                          .timeout_ms = timeout};
    for (int i = 0; i < CAR_HTTP_MAX_HEADERS; i++)
        req.headers[i] = ex->headers[i];
    cc->inflight++;
    ex->attempt++;
    car_http_send(ex->car->http, &req, ex_on_response, ex);
}

static void ex_attempt(car_exchange_t *ex)
{
    car_carrier_t *cc = ex->cc;
    if (ex->deadline_ms - oi_clock_now_ms() < 20) {
        ex_fail_soon(ex, OI_CARRIER_UNAVAILABLE, "deadline reached before the carrier answered");
        return;
    }
    if (cc->inflight >= cc->max_inflight) {
        if (cc->waiting >= ex->car->max_waiting) {
            ex_fail_soon(ex, OI_CARRIER_UNAVAILABLE, "too many carrier requests waiting");
            return;
        }
        ex->next_waiting = NULL;
        if (cc->wait_tail)
            cc->wait_tail->next_waiting = ex;
        else
            cc->wait_head = ex;
        cc->wait_tail = ex;
        cc->waiting++;
        return;
    }
    if (!car_breaker_allow(&cc->breaker, oi_clock_now_ms())) {
        ex_fail_soon(ex, OI_CARRIER_UNAVAILABLE, "carrier circuit breaker is open");
        return;
    }
    ex_send(ex);
}

void car_exchange_start(car_t *car, car_carrier_t *cc, const car_http_req_t *req, bool retry, int64_t deadline_ms,
                        car_exchange_cb cb, void *ud)
{
    car_exchange_t *ex = oi_xcalloc(1, sizeof *ex);
    ex->car = car;
    ex->cc = cc;
    ex->method = oi_xstrdup(req->method);
    ex->url = oi_xstrdup(req->url);
    ex->body = req->body ? oi_xstrndup(req->body, req->body_len) : NULL;
    ex->body_len = req->body_len;
    ex->user = oi_xstrdup(req->basic_user);
    ex->password = oi_xstrdup(req->basic_password);
    for (int i = 0; i < CAR_HTTP_MAX_HEADERS && req->headers[i]; i++)
        ex->headers[i] = oi_xstrdup(req->headers[i]);
    ex->retry = retry;
    ex->deadline_ms = deadline_ms;
    ex->cb = cb;
    ex->ud = ud;
    uv_timer_init(car->loop, &ex->timer);
    ex->timer.data = ex;
    ex_attempt(ex);
}
