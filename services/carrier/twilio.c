/* twilio.c: Twilio operations (REST 2010-04-01 numbers, Elastic SIP Trunking v1). */
#define OI_LOG_TAG "car.twilio"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "wire.h"

#define PURCHASE_TRIES 3

static const char *opt(const Oneinbox__V1__OptString *o) { return o ? o->value : NULL; }

static char *numbers_url(const car_op_t *op, const char *suffix)
{
    char *path = oi_xasprintf("/IncomingPhoneNumbers%s", suffix);
    char *url = tw_api_url(op, path);
    free(path);
    return url;
}

static void get_by_number(car_op_t *op, const char *e164, int next_state)
{
    char *pn = car_escape(e164);
    char *q = oi_xasprintf(".json?PhoneNumber=%s", pn);
    char *url = numbers_url(op, q);
    op->state = next_state;
    car_op_send(op, "GET", url, NULL, true);
    free(url);
    free(q);
    free(pn);
}

/* The owned number in a lookup answer, or NULL. */
static Oneinbox__V1__CarrierNumber *found_number(const car_http_resp_t *resp, const char *e164)
{
    json_t *root = car_json(resp);
    Oneinbox__V1__CarrierNumber *n = tw_parse_number(tw_find_number(root, e164));
    json_decref(root);
    return n;
}

CAR_STEP(tw_search)
{
    const Oneinbox__V1__CarrierSearchRequest *r = (const Oneinbox__V1__CarrierSearchRequest *)op->req;
    if (op->state == 0) {
        if (r->credentials && r->credentials->secret[0]) {
            op->account = r->credentials->account_id;
            op->secret = r->credentials->secret;
        }
        char *url = tw_search_url(op->cc->api_base, op->account, r->country, opt(r->area_code), opt(r->contains),
                                  r->limit);
        op->state = 1;
        car_op_send(op, "GET", url, NULL, true);
        free(url);
        return;
    }
    if (!car_ok(resp))
        car_op_fail_http(op, resp, st, why, tw_error_map);
    else
        car_reply_search(op, resp, tw_parse_search);
}

/* --- purchase: POST once; on a transient failure look the number up before trying again ---- */
enum { BUY_SEND = 0, BUY_SENT, BUY_CHECKED };

static void buy_send(car_op_t *op)
{
    const Oneinbox__V1__CarrierPurchaseRequest *r = (const Oneinbox__V1__CarrierPurchaseRequest *)op->req;
    char *pn = car_escape(r->phone_number), *fn = car_escape(r->friendly_name[0] ? r->friendly_name : r->reference);
    char *body = oi_xasprintf("PhoneNumber=%s&FriendlyName=%s", pn, fn);
    char *url = numbers_url(op, ".json");
    op->state = BUY_SENT;
    op->tries++;
    car_op_send(op, "POST", url, body, false);
    free(url);
    free(body);
    free(fn);
    free(pn);
}

CAR_STEP(tw_purchase)
{
    const Oneinbox__V1__CarrierPurchaseRequest *r = (const Oneinbox__V1__CarrierPurchaseRequest *)op->req;
    if (op->state == BUY_SEND) {
        buy_send(op);
    } else if (op->state == BUY_SENT) {
        if (car_ok(resp)) {
            json_t *root = car_json(resp);
            Oneinbox__V1__CarrierNumber *n = tw_parse_number(root);
            json_decref(root);
            if (n)
                car_reply_number(op, n);
            else
                car_op_fail(op, OI_CARRIER_ERROR, "twilio sent an unreadable purchase answer");
        } else if (resp && !car_http_transient(resp->status)) {
            car_op_fail_http(op, resp, st, why, tw_error_map);
        } else {
            oi_log_warn(&(oi_log_ctx_t){.request_id = op->request_id}, "purchase of %s got no clear answer (%s): "
                        "looking it up before buying again", r->phone_number, resp ? "HTTP error" : why);
            get_by_number(op, r->phone_number, BUY_CHECKED);
        }
    } else {
        if (!car_ok(resp)) {
            car_op_fail(op, OI_CARRIER_UNAVAILABLE, "twilio purchase outcome unknown: lookup failed");
            return;
        }
        Oneinbox__V1__CarrierNumber *n = found_number(resp, r->phone_number);
        if (n) {
            car_reply_number(op, n);
        } else if (op->tries >= PURCHASE_TRIES) {
            car_op_fail(op, OI_CARRIER_UNAVAILABLE, "twilio did not complete the purchase after %d tries", op->tries);
        } else {
            op->state = BUY_SEND;
            car_op_wait(op, 200u * (uint32_t)op->tries + randombytes_uniform(200));
        }
    }
}

CAR_STEP(tw_lookup)
{
    const Oneinbox__V1__CarrierLookupRequest *r = (const Oneinbox__V1__CarrierLookupRequest *)op->req;
    if (op->state == 0) {
        get_by_number(op, r->phone_number, 1);
        return;
    }
    if (!car_ok(resp))
        car_op_fail_http(op, resp, st, why, tw_error_map);
    else
        car_reply_lookup(op, found_number(resp, r->phone_number));
}

/* --- release: DELETE by sid (found by number when not given); 404 means already gone -------- */
enum { REL_START = 0, REL_FOUND, REL_DELETED };

static void release_delete(car_op_t *op, const char *sid)
{
    char *s = car_escape(sid);
    char *suffix = oi_xasprintf("/%s.json", s);
    char *url = numbers_url(op, suffix);
    op->state = REL_DELETED;
    car_op_send(op, "DELETE", url, NULL, true);
    free(url);
    free(suffix);
    free(s);
}

CAR_STEP(tw_release)
{
    const Oneinbox__V1__CarrierReleaseRequest *r = (const Oneinbox__V1__CarrierReleaseRequest *)op->req;
    if (op->state == REL_START) {
        if (r->carrier_number_id[0])
            release_delete(op, r->carrier_number_id);
        else
            get_by_number(op, r->phone_number, REL_FOUND);
    } else if (op->state == REL_FOUND) {
        if (!car_ok(resp)) {
            car_op_fail_http(op, resp, st, why, tw_error_map);
            return;
        }
        Oneinbox__V1__CarrierNumber *n = found_number(resp, r->phone_number);
        if (!n) {
            car_reply_empty(op);
            return;
        }
        snprintf(op->a, sizeof op->a, "%s", n->carrier_number_id);
        protobuf_c_message_free_unpacked(&n->base, NULL);
        release_delete(op, op->a);
    } else if (car_ok(resp) || (resp && resp->status == 404)) {
        car_reply_empty(op);
    } else {
        car_op_fail_http(op, resp, st, why, tw_error_map);
    }
}

/* DeleteTrunk: the trunk, then the credential list of its name (2010 API, every page looked
 * at). Absent things are success: a retried delete finishes what the last one started. */
static void on_trunk_lists(car_op_t *op, const car_http_resp_t *resp)
{
    const char *name = ((const Oneinbox__V1__CarrierTrunkDeleteRequest *)op->req)->name;
    json_t *root = car_json(resp);
    const char *sid = tw_find_sid(root, "credential_lists", "friendly_name", name);
    const char *rest = tw_next_page(root, "/SIP/CredentialLists.json");
    if (sid) {
        char *id = car_escape(sid);
        char *path = oi_xasprintf("/SIP/CredentialLists/%s.json", id);
        tw_send_api(op, "DELETE", path, NULL, 3);
        free(path);
        free(id);
    } else if (rest) {
        tw_send_api(op, "GET", rest, NULL, 2);
    } else {
        car_reply_empty(op);
    }
    json_decref(root);
}

CAR_STEP(tw_delete_trunk)
{
    const Oneinbox__V1__CarrierTrunkDeleteRequest *r = (const Oneinbox__V1__CarrierTrunkDeleteRequest *)op->req;
    bool gone = resp && (car_ok(resp) || resp->status == 404);
    if (op->state == 0 && r->trunk_id[0]) {
        char *t = car_escape(r->trunk_id);
        char *url = oi_xasprintf("%s/v1/Trunks/%s", op->cc->trunking_base, t);
        op->state = 1;
        car_op_send(op, "DELETE", url, NULL, true);
        free(url);
        free(t);
    } else if (op->state == 0 || (op->state == 1 && gone) || (op->state == 3 && gone)) {
        if (r->name[0])
            tw_send_api(op, "GET", "/SIP/CredentialLists.json?PageSize=1000", NULL, 2);
        else
            car_reply_empty(op);
    } else if (op->state == 2 && resp && car_ok(resp)) {
        on_trunk_lists(op, resp);
    } else {
        car_op_fail_http(op, resp, st, why, tw_error_map);
    }
}
