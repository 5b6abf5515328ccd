/* telnyx_manage.c: Telnyx Lookup, Release, EnsureTrunk (an FQDN connection to our SIP ingress
 * for inbound calls, a credential connection of the same name holding the request's
 * credentials for outbound ones, through sip.telnyx.com) and DeleteTrunk (both). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "oi/crypto.h"
#include "oi/mem.h"
#include "wire.h"

/* The id of e164 in a /phone_numbers answer into op->b ("" when absent). */
static bool take_id(car_op_t *op, const car_http_resp_t *resp, const char *e164)
{
    json_t *root = car_json(resp);
    const char *id = root ? tx_find_number_id(root, e164) : NULL;
    snprintf(op->b, sizeof op->b, "%s", id ? id : "");
    json_decref(root);
    return root != NULL;
}

enum { LK_START = 0, LK_ORDER, LK_NUMBER };

static void lookup_order(car_op_t *op, const car_http_resp_t *resp, const char *e164, const char *order_id)
{
    json_t *root = car_json(resp);
    char id[80], status[32];
    bool readable = tx_parse_order(root, id, sizeof id, status, sizeof status);
    json_decref(root);
    if (!readable)
        car_op_fail(op, OI_CARRIER_ERROR, "telnyx sent an unreadable number order");
    else if (strcmp(status, "failure") == 0)
        car_reply_lookup(op, NULL);
    else if (strcmp(status, "success") == 0)
        tx_find_number(op, e164, LK_NUMBER);
    else
        car_reply_lookup(op, tx_number_new(e164, NULL, order_id));
}

CAR_STEP(tx_lookup)
{
    const Oneinbox__V1__CarrierLookupRequest *r = (const Oneinbox__V1__CarrierLookupRequest *)op->req;
    if (op->state == LK_START) {
        if (r->order_id[0]) {
            char *oid = car_escape(r->order_id);
            char *path = oi_xasprintf("/number_orders/%s", oid);
            tx_send(op, "GET", path, NULL, true, LK_ORDER);
            free(path);
            free(oid);
        } else {
            tx_find_number(op, r->phone_number, LK_NUMBER);
        }
    } else if (!car_ok(resp) && !(op->state == LK_ORDER && resp && resp->status == 404)) {
        car_op_fail_http(op, resp, st, why, tx_error_map);
    } else if (op->state == LK_ORDER) {
        if (resp->status == 404)
            tx_find_number(op, r->phone_number, LK_NUMBER);
        else
            lookup_order(op, resp, r->phone_number, r->order_id);
    } else if (!take_id(op, resp, r->phone_number)) {
        car_op_fail(op, OI_CARRIER_ERROR, "telnyx sent an unreadable number list");
    } else {
        car_reply_lookup(op, op->b[0] ? tx_number_new(r->phone_number, op->b, NULL) : NULL);
    }
}

enum { REL_START = 0, REL_FOUND, REL_DELETED };

static void release_delete(car_op_t *op, const char *id)
{
    char *e = car_escape(id);
    char *path = oi_xasprintf("/phone_numbers/%s", e);
    tx_send(op, "DELETE", path, NULL, true, REL_DELETED);
    free(path);
    free(e);
}

CAR_STEP(tx_release)
{
    const Oneinbox__V1__CarrierReleaseRequest *r = (const Oneinbox__V1__CarrierReleaseRequest *)op->req;
    if (op->state == REL_START) {
        if (r->carrier_number_id[0])
            release_delete(op, r->carrier_number_id);
        else
            tx_find_number(op, r->phone_number, REL_FOUND);
    } else if (op->state == REL_FOUND) {
        if (!car_ok(resp) || !take_id(op, resp, r->phone_number))
            car_op_fail_http(op, resp, st, why, tx_error_map);
        else if (!op->b[0])
            car_reply_empty(op);
        else
            release_delete(op, op->b);
    } else if (car_ok(resp) || (resp && resp->status == 404)) {
        car_reply_empty(op);
    } else {
        car_op_fail_http(op, resp, st, why, tx_error_map);
    }
}

/* --- EnsureTrunk: FQDN connection named after the number, our ingress as its FQDN ------------ */
enum {
    TR_START = 0,
    TR_CONN_LISTED,
    TR_CONN,
    TR_FQDN_LISTED,
    TR_FQDN,
    TR_CRED_LISTED,
    TR_CRED_DELETED,
    TR_CRED_CREATED,
    TR_ROUTED
};
/* where a credential connection's calls go (carriers.md §9) */
#define TELNYX_SIP_HOST "sip.telnyx.com"

#define TREQ(op) ((const Oneinbox__V1__CarrierTrunkRequest *)(op)->req)

static bool take_data_id(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    const char *id = json_string_value(json_object_get(json_object_get(root, "data"), "id"));
    if (id)
        snprintf(op->a, sizeof op->a, "%s", id);
    json_decref(root);
    return id != NULL;
}

static void add_fqdn(car_op_t *op)
{
    char host[128];
    int port;
    if (!car_ingress_parse(op->car->ingress_uri, host, sizeof host, &port)) {
        car_op_fail(op, OI_INTERNAL, "OI_SIP_INGRESS_URI is not a sip: URI");
        return;
    }
    json_t *b = json_pack("{s:s, s:s, s:i, s:s}", "connection_id", op->a, "fqdn", host, "port", port,
                          "dns_record_type", "a");
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    tx_send(op, "POST", "/fqdns", body, false, TR_FQDN);
    free(body);
}

static void route_number(car_op_t *op)
{
    if (!TREQ(op)->carrier_number_id[0]) {
        car_reply_trunk(op, op->a, TELNYX_SIP_HOST);
        return;
    }
    json_t *b = json_pack("{s:s}", "connection_id", op->a);
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    char *id = car_escape(TREQ(op)->carrier_number_id);
    char *path = oi_xasprintf("/phone_numbers/%s", id);
    tx_send(op, "PATCH", path, body, true, TR_ROUTED);
    free(path);
    free(id);
    free(body);
}

/* --- outbound: the credential connection --------------------------------------------------- */

/* GET /<kind>?filter[connection_name][contains]=name (one page of 250), moving to state next. */
static void list_connections(car_op_t *op, const char *kind, const char *name, int next)
{
    char *n = car_escape(name);
    char *path = oi_xasprintf("/%s?filter%%5Bconnection_name%%5D%%5Bcontains%%5D=%s&page%%5Bsize%%5D=250", kind, n);
    tx_send(op, "GET", path, NULL, true, next);
    free(path);
    free(n);
}

static void create_credentials(car_op_t *op)
{
    json_t *b = json_pack("{s:s, s:s, s:s}", "connection_name", TREQ(op)->name, "user_name",
                          TREQ(op)->auth_username, "password", TREQ(op)->auth_password);
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    tx_send(op, "POST", "/credential_connections", body, false, TR_CRED_CREATED);
    oi_crypto_free_secret(body);
}

static void stage_credentials(car_op_t *op)
{
    if (!TREQ(op)->auth_username[0]) {
        route_number(op);
        return;
    }
    if (op->fresh) {
        create_credentials(op);
        return;
    }
    list_connections(op, "credential_connections", TREQ(op)->name, TR_CRED_LISTED);
}

/* Ours already, with these credentials: kept; with others (a cut-off attempt cannot leave
 * that, an operator can): made again. */
static void on_credentials_listed(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    const json_t *arr = json_object_get(root, "data"), *found = NULL;
    for (size_t i = 0; i < json_array_size(arr) && !found; i++) {
        const char *n = json_string_value(json_object_get(json_array_get(arr, i), "connection_name"));
        if (n && strcmp(n, TREQ(op)->name) == 0)
            found = json_array_get(arr, i);
    }
    const char *user = json_string_value(json_object_get(found, "user_name"));
    const char *pass = json_string_value(json_object_get(found, "password"));
    const char *id = json_string_value(json_object_get(found, "id"));
    bool same = user && pass && !strcmp(user, TREQ(op)->auth_username) && !strcmp(pass, TREQ(op)->auth_password);
    if (found && same) {
        route_number(op);
    } else if (found && id) {
        char *eid = car_escape(id);
        char *path = oi_xasprintf("/credential_connections/%s", eid);
        tx_send(op, "DELETE", path, NULL, true, TR_CRED_DELETED);
        free(path);
        free(eid);
    } else {
        create_credentials(op);
    }
    json_decref(root);
}

/* --- inbound: the FQDN connection ------------------------------------------------------------- */

static void create_connection(car_op_t *op)
{
    json_t *b = json_pack("{s:s, s:s, s:{s:s, s:s}}", "connection_name", TREQ(op)->name, "transport_protocol", "UDP",
                          "inbound", "ani_number_format", "+E.164", "dnis_number_format", "+e164");
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    tx_send(op, "POST", "/fqdn_connections", body, false, TR_CONN);
    free(body);
}

/* A retried or resumed call: the FQDN connection of that exact name, if the carrier has it. */
static void find_connection(car_op_t *op)
{
    list_connections(op, "fqdn_connections", TREQ(op)->name, TR_CONN_LISTED);
}

/* data[] member whose `key` equals value: its "id", or NULL. */
static const char *find_id(const json_t *root, const char *key, const char *value)
{
    const json_t *arr = json_object_get(root, "data");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        const char *v = json_string_value(json_object_get(e, key));
        if (v && strcmp(v, value) == 0)
            return json_string_value(json_object_get(e, "id"));
    }
    return NULL;
}

static void on_connections_listed(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    const char *id = find_id(root, "connection_name", TREQ(op)->name);
    if (id)
        snprintf(op->a, sizeof op->a, "%s", id);
    json_decref(root);
    if (TREQ(op)->lookup_only) {
        car_reply_trunk(op, id ? op->a : "", "");
        return;
    }
    if (!id) {
        create_connection(op);
        return;
    }
    char *cid = car_escape(op->a);
    char *path = oi_xasprintf("/fqdns?filter%%5Bconnection_id%%5D=%s&page%%5Bsize%%5D=250", cid);
    tx_send(op, "GET", path, NULL, true, TR_FQDN_LISTED);
    free(path);
    free(cid);
}

static void on_fqdns_listed(car_op_t *op, const car_http_resp_t *resp)
{
    char host[128];
    int port;
    if (!car_ingress_parse(op->car->ingress_uri, host, sizeof host, &port)) {
        car_op_fail(op, OI_INTERNAL, "OI_SIP_INGRESS_URI is not a sip: URI");
        return;
    }
    json_t *root = car_json(resp);
    bool have = find_id(root, "fqdn", host) != NULL;
    json_decref(root);
    if (have)
        stage_credentials(op);
    else
        add_fqdn(op);
}

/* First attempt: create the connection, its FQDN, route the number (3 requests). A retried or
 * resumed one looks for the connection and its FQDN first, so nothing is made twice. */
CAR_STEP(tx_ensure_trunk)
{
    if (op->state == TR_START) {
        if (TREQ(op)->first_attempt && !TREQ(op)->lookup_only)
            create_connection(op);
        else
            find_connection(op);
        return;
    }
    if (!car_ok(resp)) {
        car_op_fail_http(op, resp, st, why, tx_error_map);
    } else if (op->state == TR_CONN_LISTED) {
        on_connections_listed(op, resp);
    } else if (op->state == TR_CONN) {
        if (take_data_id(op, resp)) {
            op->fresh = true; /* nothing of ours can hang off a connection made just now */
            add_fqdn(op);
        }
        else
            car_op_fail(op, OI_CARRIER_ERROR, "telnyx sent an unreadable connection");
    } else if (op->state == TR_FQDN_LISTED) {
        on_fqdns_listed(op, resp);
    } else if (op->state == TR_FQDN) {
        stage_credentials(op);
    } else if (op->state == TR_CRED_LISTED) {
        on_credentials_listed(op, resp);
    } else if (op->state == TR_CRED_DELETED) {
        create_credentials(op);
    } else if (op->state == TR_CRED_CREATED) {
        route_number(op);
    } else {
        car_reply_trunk(op, op->a, TELNYX_SIP_HOST);
    }
}

/* The credential connections named like the trunk, one at a time (state 2 lists, 3 deleted). */
static void delete_credentials_step(car_op_t *op, const car_http_resp_t *resp)
{
    const char *name = ((const Oneinbox__V1__CarrierTrunkDeleteRequest *)op->req)->name;
    if (op->state != 2) {
        list_connections(op, "credential_connections", name, 2);
        return;
    }
    json_t *root = car_json(resp);
    const char *id = find_id(root, "connection_name", name);
    if (id) {
        char *eid = car_escape(id);
        char *path = oi_xasprintf("/credential_connections/%s", eid);
        tx_send(op, "DELETE", path, NULL, true, 3);
        free(path);
        free(eid);
    } else {
        car_reply_empty(op);
    }
    json_decref(root);
}

/* DeleteTrunk: the FQDN connection, then the credential connection of its name. Absent things
 * are success: a retried delete finishes what the last one started. */
CAR_STEP(tx_delete_trunk)
{
    const Oneinbox__V1__CarrierTrunkDeleteRequest *r = (const Oneinbox__V1__CarrierTrunkDeleteRequest *)op->req;
    bool gone = resp && (car_ok(resp) || resp->status == 404);
    if (op->state == 0 && r->trunk_id[0]) {
        char *id = car_escape(r->trunk_id);
        char *path = oi_xasprintf("/fqdn_connections/%s", id);
        tx_send(op, "DELETE", path, NULL, true, 1);
        free(path);
        free(id);
    } else if (op->state == 0 || (op->state == 1 && gone) || (op->state == 3 && gone)) {
        if (r->name[0])
            delete_credentials_step(op, resp);
        else
            car_reply_empty(op);
    } else if (op->state == 2 && resp && car_ok(resp)) {
        delete_credentials_step(op, resp);
    } else {
        car_op_fail_http(op, resp, st, why, tx_error_map);
    }
}
