/* replies.c: the RPC answers both drivers build. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "oi/mem.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "wire.h"

void car_reply_empty(car_op_t *op)
{
    Oneinbox__V1__Empty e = ONEINBOX__V1__EMPTY__INIT;
    car_op_done(op, &e.base);
}

void car_reply_trunk(car_op_t *op, const char *trunk_id, const char *trunk_address)
{
    Oneinbox__V1__CarrierTrunk t = ONEINBOX__V1__CARRIER_TRUNK__INIT;
    t.provider = op->cc->provider;
    t.trunk_id = (char *)trunk_id;
    t.trunk_address = (char *)trunk_address;
    car_op_done(op, &t.base);
}

void car_reply_lookup(car_op_t *op, Oneinbox__V1__CarrierNumber *n)
{
    Oneinbox__V1__CarrierLookupReply r = ONEINBOX__V1__CARRIER_LOOKUP_REPLY__INIT;
    r.found = n != NULL;
    r.number = n;
    car_op_done(op, &r.base);
    if (n)
        protobuf_c_message_free_unpacked(&n->base, NULL);
}

void car_reply_number(car_op_t *op, Oneinbox__V1__CarrierNumber *n)
{
    car_op_done(op, &n->base);
    protobuf_c_message_free_unpacked(&n->base, NULL);
}

void car_reply_search(car_op_t *op, const car_http_resp_t *resp,
                      Oneinbox__V1__CarrierSearchReply *(*parse)(const json_t *))
{
    json_t *root = car_json(resp);
    Oneinbox__V1__CarrierSearchReply *r = root ? parse(root) : NULL;
    json_decref(root);
    if (!r) {
        car_op_fail(op, OI_CARRIER_ERROR, "%s sent an unreadable search answer", op->cc->name);
        return;
    }
    car_op_done(op, &r->base);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

bool car_ingress_parse(const char *uri, char *host, size_t n, int *port)
{
    const char *p = uri;
    if (strncmp(p, "sips:", 5) == 0)
        p += 5;
    else if (strncmp(p, "sip:", 4) == 0)
        p += 4;
    const char *at = strchr(p, '@');
    if (at)
        p = at + 1;
    size_t len = strcspn(p, ":;>");
    if (len == 0 || len >= n)
        return false;
    memcpy(host, p, len);
    host[len] = 0;
    *port = 5060;
    if (p[len] == ':') {
        char *end = NULL;
        long v = strtol(p + len + 1, &end, 10);
        if (v < 1 || v > 65535)
            return false;
        *port = (int)v;
    }
    return true;
}

bool car_ok(const car_http_resp_t *resp) { return resp && resp->status >= 200 && resp->status < 300; }

void tx_send(car_op_t *op, const char *method, const char *path, const char *body, bool retry, int next)
{
    char *url = oi_xasprintf("%s%s", op->cc->api_base, path);
    op->state = next;
    car_op_send(op, method, url, body, retry);
    free(url);
}

void tx_find_number(car_op_t *op, const char *e164, int next)
{
    char digits[32], path[96];
    car_digits(e164, digits, sizeof digits);
    snprintf(path, sizeof path, "/phone_numbers?filter%%5Bphone_number%%5D=%s&page%%5Bsize%%5D=20", digits);
    tx_send(op, "GET", path, NULL, true, next);
}
