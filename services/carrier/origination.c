/* origination.c: ListOrigination, where each trunk of the request sends inbound calls (carrier
 * drift), one trunk after another.
 *
 * Twilio: GET /v1/Trunks/{sid}/OriginationUrls (404: no such trunk). Telnyx: GET
 * /fqdn_connections/{id} (404: no such connection), then GET /fqdns?filter[connection_id]=id.
 * The reply is built in op->result as the answers come; state 2i+1 and 2i+2 are trunk i's
 * requests. */
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "oi/mem.h"
#include "wire.h"

#define OREQ(op) ((const Oneinbox__V1__CarrierOriginationRequest *)(op)->req)
#define OREPLY(op) ((Oneinbox__V1__CarrierOriginationReply *)(op)->result)

static void reply_begin(car_op_t *op)
{
    const Oneinbox__V1__CarrierOriginationRequest *q = OREQ(op);
    Oneinbox__V1__CarrierOriginationReply *r = oi_xmalloc(sizeof *r);
    oneinbox__v1__carrier_origination_reply__init(r);
    r->provider = q->provider;
    r->ingress_uri = oi_xstrdup(op->car->ingress_uri);
    r->n_trunks = q->n_trunk_ids;
    r->trunks = oi_xcalloc(q->n_trunk_ids ? q->n_trunk_ids : 1, sizeof *r->trunks);
    for (size_t i = 0; i < q->n_trunk_ids; i++) {
        r->trunks[i] = oi_xmalloc(sizeof *r->trunks[i]);
        oneinbox__v1__carrier_trunk_origination__init(r->trunks[i]);
        r->trunks[i]->trunk_id = oi_xstrdup(q->trunk_ids[i]);
    }
    op->result = &r->base;
}

/* The trunk whose answers are coming now. */
static Oneinbox__V1__CarrierTrunkOrigination *current(car_op_t *op)
{
    return OREPLY(op)->trunks[(op->state - 1) / 2];
}

static void add_uri(Oneinbox__V1__CarrierTrunkOrigination *t, const char *uri)
{
    t->uris = oi_xrealloc(t->uris, (t->n_uris + 1) * sizeof *t->uris);
    t->uris[t->n_uris++] = oi_xstrdup(uri);
}

/* Asks about trunk i (first of its requests), or replies when every trunk is known. */
typedef void (*ask_fn)(car_op_t *op, const char *trunk_id, int next);

static void next_trunk(car_op_t *op, size_t i, ask_fn ask)
{
    if (i >= OREPLY(op)->n_trunks) {
        car_op_done(op, op->result);
        return;
    }
    ask(op, OREPLY(op)->trunks[i]->trunk_id, (int)(2 * i + 1));
}

/* A 404 says the trunk is gone; other failures fail the call (the check concludes nothing). */
static bool answered(car_op_t *op, const car_http_resp_t *resp, oi_status_t st, const char *why,
                     oi_status_t (*map)(int, const char *, char *, size_t), bool *gone)
{
    *gone = !st && resp && resp->status == 404;
    if (*gone || car_ok(resp))
        return true;
    car_op_fail_http(op, resp, st, why, map);
    return false;
}

/* --- Twilio --------------------------------------------------------------------------------- */

static void tw_ask(car_op_t *op, const char *trunk_id, int next)
{
    char *sid = car_escape(trunk_id);
    char *url = oi_xasprintf("%s/v1/Trunks/%s/OriginationUrls?PageSize=1000", op->cc->trunking_base, sid);
    op->state = next;
    car_op_send(op, "GET", url, NULL, true);
    free(url);
    free(sid);
}

CAR_STEP(tw_list_origination)
{
    if (op->state == 0) {
        reply_begin(op);
        next_trunk(op, 0, tw_ask);
        return;
    }
    bool gone;
    if (!answered(op, resp, st, why, tw_error_map, &gone))
        return;
    Oneinbox__V1__CarrierTrunkOrigination *t = current(op);
    t->found = !gone;
    json_t *root = gone ? NULL : car_json(resp);
    const json_t *list = json_object_get(root, "origination_urls");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *u = json_array_get(list, i);
        const char *sip = json_string_value(json_object_get(u, "sip_url"));
        if (!sip || !json_is_true(json_object_get(u, "enabled")))
            continue;
        add_uri(t, sip);
        if (strcmp(sip, op->car->ingress_uri) == 0)
            t->reaches_ingress = true;
    }
    json_decref(root);
    next_trunk(op, (size_t)(op->state + 1) / 2, tw_ask);
}

/* --- Telnyx ---------------------------------------------------------------------------------- */

static void tx_ask(car_op_t *op, const char *trunk_id, int next)
{
    char *id = car_escape(trunk_id);
    char *path = oi_xasprintf("/fqdn_connections/%s", id);
    tx_send(op, "GET", path, NULL, true, next);
    free(path);
    free(id);
}

static void tx_ask_fqdns(car_op_t *op)
{
    char *id = car_escape(current(op)->trunk_id);
    char *path = oi_xasprintf("/fqdns?filter%%5Bconnection_id%%5D=%s&page%%5Bsize%%5D=250", id);
    tx_send(op, "GET", path, NULL, true, op->state + 1);
    free(path);
    free(id);
}

static void tx_take_fqdns(car_op_t *op, const car_http_resp_t *resp)
{
    char host[128];
    int port = 0;
    bool ingress = car_ingress_parse(op->car->ingress_uri, host, sizeof host, &port);
    Oneinbox__V1__CarrierTrunkOrigination *t = current(op);
    json_t *root = car_json(resp);
    const json_t *list = json_object_get(root, "data");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *f = json_array_get(list, i);
        const char *fqdn = json_string_value(json_object_get(f, "fqdn"));
        json_int_t fport = json_is_integer(json_object_get(f, "port")) ? json_integer_value(json_object_get(f, "port"))
                                                                          : 5060;
        if (!fqdn)
            continue;
        char *uri = oi_xasprintf("sip:%s:%lld", fqdn, (long long)fport);
        add_uri(t, uri);
        free(uri);
        if (ingress && strcmp(fqdn, host) == 0 && fport == port)
            t->reaches_ingress = true;
    }
    json_decref(root);
}

CAR_STEP(tx_list_origination)
{
    if (op->state == 0) {
        reply_begin(op);
        next_trunk(op, 0, tx_ask);
        return;
    }
    bool gone;
    if (!answered(op, resp, st, why, tx_error_map, &gone))
        return;
    if (op->state % 2 == 1) { /* the connection */
        current(op)->found = !gone;
        if (!gone) {
            tx_ask_fqdns(op);
            return;
        }
    } else if (!gone) { /* its FQDNs */
        tx_take_fqdns(op, resp);
    }
    next_trunk(op, (size_t)(op->state + 1) / 2, tx_ask);
}
