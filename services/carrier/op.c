/* op.c: carrier operation lifecycle: start, send, wait, finish with metrics. */
#define OI_LOG_TAG "car.op"
#include "op.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"

static void op_exchange_done(const car_http_resp_t *resp, oi_status_t st, const char *why, void *ud)
{
    car_op_t *op = ud;
    op->step(op, resp, st, why);
}

void car_op_send(car_op_t *op, const char *method, const char *url, const char *body, bool retry)
{
    car_http_req_t req = {.method = method, .url = url, .body = body, .body_len = body ? strlen(body) : 0};
    char auth[600];
    if (op->cc->kind == CAR_TWILIO) {
        req.basic_user = op->account;
        req.basic_password = op->secret;
        req.headers[0] = "Accept: application/json";
        if (body)
            req.headers[1] = "Content-Type: application/x-www-form-urlencoded";
    } else {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", op->secret);
        req.headers[0] = auth;
        req.headers[1] = "Accept: application/json";
        if (body)
            req.headers[2] = "Content-Type: application/json";
    }
    car_exchange_start(op->car, op->cc, &req, retry, op->deadline_ms, op_exchange_done, op);
}

static void op_timer_fired(uv_timer_t *t)
{
    car_op_t *op = t->data;
    op->step(op, NULL, OI_OK, NULL);
}

void car_op_wait(car_op_t *op, uint32_t ms) { uv_timer_start(&op->timer, op_timer_fired, ms, 0); }

static void op_closed(uv_handle_t *h)
{
    car_op_t *op = h->data;
    if (op->result)
        protobuf_c_message_free_unpacked(op->result, NULL);
    free(op);
}

static void op_observe(const car_op_t *op, oi_status_t st)
{
    char labels[160];
    snprintf(labels, sizeof labels, "carrier=\"%s\",op=\"%s\",outcome=\"%s\"", op->cc ? op->cc->name : "none",
             op->op_name, oi_status_code(st));
    oi_metric_inc("oi_carrier_calls_total", labels, 1);
    snprintf(labels, sizeof labels, "carrier=\"%s\",op=\"%s\"", op->cc ? op->cc->name : "none", op->op_name);
    oi_metric_observe("oi_carrier_call_duration_seconds", labels, (double)(oi_clock_mono_ns() - op->start_ns) / 1e9);
}

static void op_free(car_op_t *op)
{
    uv_timer_stop(&op->timer);
    uv_close((uv_handle_t *)&op->timer, op_closed);
}

void car_op_done(car_op_t *op, const ProtobufCMessage *reply)
{
    op_observe(op, OI_OK);
    oi_rpc_call_reply(&op->call, OI_OK, NULL, reply);
    op_free(op);
}

void car_op_fail(car_op_t *op, oi_status_t st, const char *fmt, ...)
{
    oi_error_t err;
    oi_error_init(&err);
    char msg[OI_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    oi_error_set(&err, st, "%s", msg);
    op_observe(op, st);
    oi_log_info(&(oi_log_ctx_t){.request_id = op->request_id, .action = op->op_name}, "%s %s failed: %s %s",
                op->cc ? op->cc->name : "?", op->op_name, oi_status_code(st), msg);
    oi_rpc_call_reply(&op->call, st, &err, NULL);
    op_free(op);
}

void car_op_fail_http(car_op_t *op, const car_http_resp_t *resp, oi_status_t st, const char *why,
                      oi_status_t (*driver_map)(int status, const char *body, char *msg, size_t n))
{
    if (!resp) {
        car_op_fail(op, st ? st : OI_CARRIER_UNAVAILABLE, "%s", why ? why : "carrier unavailable");
        return;
    }
    if (resp->status == 0) {
        car_op_fail(op, OI_CARRIER_UNAVAILABLE, "%s did not answer: %s", op->cc->name,
                    resp->timed_out ? "timed out" : resp->error ? resp->error : "transport error");
        return;
    }
    char msg[OI_ERROR_MSG_MAX] = "";
    oi_status_t mapped = driver_map(resp->status, resp->body, msg, sizeof msg);
    car_op_fail(op, mapped, "%s answered HTTP %d%s%s", op->cc->name, resp->status, msg[0] ? ": " : "", msg);
}

void car_op_start(car_t *car, oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req,
                  Oneinbox__V1__Provider provider, const char *op_name, car_step_fn twilio, car_step_fn telnyx)
{
    car_op_t *op = oi_xcalloc(1, sizeof *op);
    op->car = car;
    op->call = call;
    op->req = req;
    op->op_name = op_name;
    op->start_ns = oi_clock_mono_ns();
    snprintf(op->request_id, sizeof op->request_id, "%s", ctx->request_id);
    int64_t now = oi_clock_now_ms();
    op->deadline_ms = ctx->deadline_ms > now ? ctx->deadline_ms - 50 : now + 5000;
    uv_timer_init(car->loop, &op->timer);
    op->timer.data = op;
    op->cc = car_carrier(car, provider);
    if (!op->cc) {
        car_op_fail(op, OI_CARRIER_ERROR, "unknown carrier %d", (int)provider);
        return;
    }
    op->account = op->cc->account;
    op->secret = op->cc->secret;
    op->step = op->cc->kind == CAR_TWILIO ? twilio : telnyx;
    op->step(op, NULL, OI_OK, NULL);
}

char *car_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s ? s : "", 0);
    char *out = oi_xstrdup(e ? e : "");
    curl_free(e);
    return out;
}

json_t *car_json(const car_http_resp_t *resp)
{
    if (!resp || !resp->body_len)
        return NULL;
    return json_loadb(resp->body, resp->body_len, 0, NULL);
}
