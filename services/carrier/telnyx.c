/* telnyx.c: Telnyx operations (API v2): search, number orders (which may stay pending), owned
 * numbers, release. */
#define OI_LOG_TAG "car.telnyx"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "wire.h"

#define PURCHASE_TRIES 3
#define FIND_TRIES 5

static const char *opt(const Oneinbox__V1__OptString *o) { return o ? o->value : NULL; }

/* The owned number's id in a find answer ("" when absent) into op->b; false if unreadable. */
static bool take_number_id(car_op_t *op, const car_http_resp_t *resp, const char *e164)
{
    json_t *root = car_json(resp);
    if (!root)
        return false;
    const char *id = tx_find_number_id(root, e164);
    snprintf(op->b, sizeof op->b, "%s", id ? id : "");
    json_decref(root);
    return true;
}

CAR_STEP(tx_search)
{
    const Oneinbox__V1__CarrierSearchRequest *r = (const Oneinbox__V1__CarrierSearchRequest *)op->req;
    if (op->state == 0) {
        if (r->credentials && r->credentials->secret[0])
            op->secret = r->credentials->secret;
        char *url = tx_search_url(op->cc->api_base, r->country, opt(r->area_code), opt(r->contains), r->limit);
        op->state = 1;
        car_op_send(op, "GET", url, NULL, true);
        free(url);
        return;
    }
    if (!car_ok(resp))
        car_op_fail_http(op, resp, st, why, tx_error_map);
    else
        car_reply_search(op, resp, tx_parse_search);
}

/* --- purchase ------------------------------------------------------------------------------ */
enum { BUY_SEND = 0, BUY_SENT, BUY_POLL, BUY_FOUND, BUY_CHECKED };

static const char *buy_number(const car_op_t *op)
{
    return ((const Oneinbox__V1__CarrierPurchaseRequest *)op->req)->phone_number;
}

/* A readable order: success → find the number id; failure → not available; pending → poll a
 * little, then answer pending with the order id (Lookup finishes it later). */
static void order_outcome(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    char status[32];
    bool readable = tx_parse_order(root, op->a, sizeof op->a, status, sizeof status);
    json_decref(root);
    if (!readable) {
        car_op_fail(op, OI_CARRIER_ERROR, "telnyx sent an unreadable number order");
    } else if (strcmp(status, "success") == 0) {
        tx_find_number(op, buy_number(op), BUY_FOUND);
    } else if (strcmp(status, "failure") == 0) {
        car_op_fail(op, OI_NUMBER_NOT_AVAILABLE, "telnyx could not order %s", buy_number(op));
    } else if (oi_clock_mono_ns() / 1000000 + (uint64_t)op->car->order_poll_ms <
                   op->start_ns / 1000000 + (uint64_t)op->car->order_wait_ms &&
               oi_clock_now_ms() + op->car->order_poll_ms + 200 < op->deadline_ms) {
        op->state = BUY_POLL;
        car_op_wait(op, (uint32_t)op->car->order_poll_ms);
    } else {
        car_reply_number(op, tx_number_new(buy_number(op), NULL, op->a));
    }
}

static void buy_send(car_op_t *op)
{
    const Oneinbox__V1__CarrierPurchaseRequest *r = (const Oneinbox__V1__CarrierPurchaseRequest *)op->req;
    char *body = tx_order_body(r->phone_number, r->reference);
    op->tries++;
    tx_send(op, "POST", "/number_orders", body, false, BUY_SENT);
    free(body);
}

static void on_found(car_op_t *op, const car_http_resp_t *resp)
{
    if (car_ok(resp) && take_number_id(op, resp, buy_number(op)) && op->b[0]) {
        car_reply_number(op, tx_number_new(buy_number(op), op->b, NULL));
    } else if (++op->tries < FIND_TRIES + PURCHASE_TRIES) {
        op->state = BUY_POLL; /* the order succeeded; the number shows up shortly */
        car_op_wait(op, (uint32_t)op->car->order_poll_ms);
    } else {
        car_reply_number(op, tx_number_new(buy_number(op), NULL, op->a));
    }
}

static void on_checked(car_op_t *op, const car_http_resp_t *resp)
{
    if (!car_ok(resp) || !take_number_id(op, resp, buy_number(op))) {
        car_op_fail(op, OI_CARRIER_UNAVAILABLE, "telnyx purchase outcome unknown: lookup failed");
    } else if (op->b[0]) {
        car_reply_number(op, tx_number_new(buy_number(op), op->b, NULL));
    } else if (op->tries >= PURCHASE_TRIES) {
        car_op_fail(op, OI_CARRIER_UNAVAILABLE, "telnyx did not take the order after %d tries", op->tries);
    } else {
        op->state = BUY_SEND;
        car_op_wait(op, 200u * (uint32_t)op->tries);
    }
}

CAR_STEP(tx_purchase)
{
    switch (op->state) {
    case BUY_SEND:
        buy_send(op);
        break;
    case BUY_SENT:
        if (car_ok(resp))
            order_outcome(op, resp);
        else if (resp && !car_http_transient(resp->status))
            car_op_fail_http(op, resp, st, why, tx_error_map);
        else
            tx_find_number(op, buy_number(op), BUY_CHECKED);
        break;
    case BUY_POLL:
        if (!resp && st == OI_OK) { /* the poll timer */
            char *path = oi_xasprintf("/number_orders/%s", op->a);
            tx_send(op, "GET", path, NULL, true, BUY_POLL);
            free(path);
        } else if (car_ok(resp)) {
            order_outcome(op, resp);
        } else {
            car_op_fail_http(op, resp, st, why, tx_error_map);
        }
        break;
    case BUY_FOUND:
        on_found(op, resp);
        break;
    default:
        on_checked(op, resp);
        break;
    }
}
