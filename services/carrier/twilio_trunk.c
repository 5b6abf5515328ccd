/* twilio_trunk.c: EnsureTrunk on Twilio Elastic SIP Trunking: find or create the trunk by
 * friendly name, make sure it originates to our SIP ingress, attach the number.
 *
 * A retried or resumed job's call looks before it creates (every page of the trunk list), so
 * nothing is duplicated. A first attempt, and every stage on a trunk this call created, skips
 * the looking: three requests instead of six, none of them growing with the account. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "oi/mem.h"
#include "wire.h"

enum { TR_LIST = 0, TR_LISTED, TR_CREATED, TR_OU_LISTED, TR_OU_CREATED, TR_PN_FETCHED, TR_PN_ATTACHED };

#define REQ(op) ((const Oneinbox__V1__CarrierTrunkRequest *)(op)->req)

static void send_to(car_op_t *op, const char *method, const char *path, const char *body, int next)
{
    char *url = oi_xasprintf("%s%s", op->cc->trunking_base, path);
    op->state = next;
    car_op_send(op, method, url, body, strcmp(method, "POST") != 0); /* creates are not retried blindly */
    free(url);
}

/* Finds an array member whose `key` equals value; returns its "sid" or NULL. */
static const char *find_sid(const json_t *root, const char *list, const char *key, const char *value)
{
    const json_t *arr = json_object_get(root, list);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        const char *v = json_string_value(json_object_get(e, key));
        if (v && strcmp(v, value) == 0)
            return json_string_value(json_object_get(e, "sid"));
    }
    return NULL;
}

/* Asks for the next page of a v1 list (meta.next_page_url, on our configured base); false when
 * it was the last. */
static bool next_page(car_op_t *op, const json_t *root, int state)
{
    const char *next = json_string_value(json_object_get(json_object_get(root, "meta"), "next_page_url"));
    const char *path = next ? strstr(next, "/v1/") : NULL;
    if (!path)
        return false;
    send_to(op, "GET", path, NULL, state);
    return true;
}

/* --- stage 3: the number ------------------------------------------------------------------- */

static void attach_number(car_op_t *op)
{
    char *pn = car_escape(REQ(op)->carrier_number_id);
    char *body = oi_xasprintf("PhoneNumberSid=%s", pn);
    char *path = oi_xasprintf("/v1/Trunks/%s/PhoneNumbers", op->a);
    send_to(op, "POST", path, body, TR_PN_ATTACHED);
    free(path);
    free(body);
    free(pn);
}

/* Is the number already on the trunk? One fetch of the number itself (its trunk_sid), not a
 * listing of the trunk's numbers. */
static void stage_number(car_op_t *op)
{
    if (!REQ(op)->carrier_number_id[0]) {
        car_reply_trunk(op, op->a);
        return;
    }
    if (op->fresh) {
        attach_number(op);
        return;
    }
    char *acct = car_escape(op->account);
    char *pn = car_escape(REQ(op)->carrier_number_id);
    char *url = oi_xasprintf("%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json", op->cc->api_base, acct, pn);
    op->state = TR_PN_FETCHED;
    car_op_send(op, "GET", url, NULL, true);
    free(url);
    free(pn);
    free(acct);
}

static void on_number_fetched(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    const char *ts = json_string_value(json_object_get(root, "trunk_sid"));
    bool have = ts && strcmp(ts, op->a) == 0;
    json_decref(root);
    if (have)
        car_reply_trunk(op, op->a);
    else
        attach_number(op);
}

/* --- stage 2: origination to our SIP ingress ----------------------------------------------- */

static void create_origination(car_op_t *op)
{
    char *uri = car_escape(op->car->ingress_uri);
    char *body = oi_xasprintf("FriendlyName=oneinbox-ingress&SipUrl=%s&Priority=10&Weight=10&Enabled=true", uri);
    char *path = oi_xasprintf("/v1/Trunks/%s/OriginationUrls", op->a);
    send_to(op, "POST", path, body, TR_OU_CREATED);
    free(path);
    free(body);
    free(uri);
}

static void stage_origination(car_op_t *op)
{
    if (op->fresh) {
        create_origination(op);
        return;
    }
    char *path = oi_xasprintf("/v1/Trunks/%s/OriginationUrls?PageSize=1000", op->a);
    send_to(op, "GET", path, NULL, TR_OU_LISTED);
    free(path);
}

static void on_origination_listed(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    bool have = find_sid(root, "origination_urls", "sip_url", op->car->ingress_uri) != NULL;
    json_decref(root);
    if (have)
        stage_number(op);
    else
        create_origination(op);
}

/* --- stage 1: the trunk -------------------------------------------------------------------- */

static void create_trunk(car_op_t *op)
{
    char *name = car_escape(REQ(op)->name);
    char *body = oi_xasprintf("FriendlyName=%s", name);
    send_to(op, "POST", "/v1/Trunks", body, TR_CREATED);
    free(body);
    free(name);
}

static void on_trunks_listed(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    const char *sid = find_sid(root, "trunks", "friendly_name", REQ(op)->name);
    if (sid)
        snprintf(op->a, sizeof op->a, "%s", sid);
    bool paged = !sid && next_page(op, root, TR_LISTED);
    json_decref(root);
    if (paged)
        return;
    if (REQ(op)->lookup_only)
        car_reply_trunk(op, sid ? op->a : "");
    else if (sid)
        stage_origination(op);
    else
        create_trunk(op);
}

static void on_trunk_created(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    const char *sid = json_string_value(json_object_get(root, "sid"));
    if (sid)
        snprintf(op->a, sizeof op->a, "%s", sid);
    json_decref(root);
    if (!sid) {
        car_op_fail(op, OI_CARRIER_ERROR, "twilio sent an unreadable trunk");
        return;
    }
    op->fresh = true;
    stage_origination(op);
}

CAR_STEP(tw_ensure_trunk)
{
    if (op->state == TR_LIST) {
        if (REQ(op)->first_attempt && !REQ(op)->lookup_only)
            create_trunk(op);
        else
            send_to(op, "GET", "/v1/Trunks?PageSize=1000", NULL, TR_LISTED);
        return;
    }
    if (!car_ok(resp)) {
        car_op_fail_http(op, resp, st, why, tw_error_map);
        return;
    }
    switch (op->state) {
    case TR_LISTED:
        on_trunks_listed(op, resp);
        break;
    case TR_CREATED:
        on_trunk_created(op, resp);
        break;
    case TR_OU_LISTED:
        on_origination_listed(op, resp);
        break;
    case TR_OU_CREATED:
        stage_number(op);
        break;
    case TR_PN_FETCHED:
        on_number_fetched(op, resp);
        break;
    default:
        car_reply_trunk(op, op->a);
        break;
    }
}
