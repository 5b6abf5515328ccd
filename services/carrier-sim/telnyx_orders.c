/* telnyx_orders.c: Telnyx number orders (carriers.md §7).
 *
 * Ordering an available number buys it at once (it leaves the inventory and is counted as a
 * purchase) and creates its phone_numbers resource. The order stays "pending" (number
 * "purchase-pending") for OI_SIM_TELNYX_PENDING_POLLS GETs of the order and, when a fault gave
 * pending_seconds, until that time has passed; then "success" (number "active"). A number that
 * is not available (taken, owned, unknown) makes its entry "failure"; an order with no
 * successful entry is "failure" at once. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>

#include "oi/e164.h"

#define ORDER_MAX_NUMBERS 20

static bool order_due(const json_t *o, int64_t now_ms)
{
    return json_integer_value(json_object_get(o, "_polls_left")) <= 0 &&
           now_ms >= json_integer_value(json_object_get(o, "_pending_until_ms"));
}

static void order_settle(sim_state_t *st, json_t *o, int64_t now_ms)
{
    char now[40];
    sim_tx_time(now_ms, now, sizeof now);
    json_t *entries = json_object_get(o, "phone_numbers"), *ids = json_object_get(o, "_number_ids");
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "status")), "pending"))
            continue;
        json_object_set_new(e, "status", json_string("success"));
        json_t *num = json_object_get(st->tx_numbers, json_string_value(json_array_get(ids, i)));
        if (num) { /* it may have been released while pending */
            json_object_set_new(num, "status", json_string("active"));
            json_object_set_new(num, "purchased_at", json_string(now));
            json_object_set_new(num, "updated_at", json_string(now));
        }
    }
    json_object_set_new(o, "status", json_string("success"));
    json_object_set_new(o, "updated_at", json_string(now));
}

void sim_tx_orders_tick(sim_state_t *st, int64_t now_ms)
{
    const char *id;
    json_t *o;
    json_object_foreach(st->tx_orders, id, o)
    {
        if (!strcmp(json_string_value(json_object_get(o, "status")), "pending") && order_due(o, now_ms))
            order_settle(st, o, now_ms);
    }
}

/* Validates the body; on success *conn is the connection (or NULL when none was given). */
static bool order_valid(sim_state_t *st, const json_t *body, json_t **conn, sim_reply_t *out)
{
    const json_t *nums = json_object_get(body, "phone_numbers");
    if (!json_is_array(nums) || json_array_size(nums) == 0) {
        sim_tx_bad_field(out, !nums, "phone_numbers", "phone_numbers must be a non-empty array.");
        return false;
    }
    if (json_array_size(nums) > ORDER_MAX_NUMBERS) {
        sim_tx_bad_field(out, false, "phone_numbers", "An order may hold at most 20 numbers.");
        return false;
    }
    size_t i;
    json_t *e;
    json_array_foreach(nums, i, e)
    {
        const char *pn = json_string_value(json_object_get(e, "phone_number"));
        if (!pn || !oi_e164_valid(pn)) {
            char ptr[64];
            snprintf(ptr, sizeof ptr, "/phone_numbers/%zu/phone_number", i);
            sim_reply_telnyx_error(out, 422, "10016", "Phone number must be in +E.164 format",
                                   "The phone number must be in +E.164 format.", ptr, NULL);
            return false;
        }
    }
    const json_t *cid = json_object_get(body, "connection_id"), *ref = json_object_get(body, "customer_reference");
    *conn = NULL;
    if (cid && !json_is_null(cid)) {
        *conn = json_is_string(cid) ? json_object_get(st->tx_conns, json_string_value(cid)) : NULL;
        if (!*conn) {
            sim_tx_bad_field(out, false, "connection_id", "connection_id must be the id of an existing connection.");
            return false;
        }
    }
    if (ref && !json_is_string(ref) && !json_is_null(ref)) {
        sim_tx_bad_field(out, false, "customer_reference", "customer_reference must be a string.");
        return false;
    }
    return true;
}

/* Buys one number: its phone_numbers record; returns the record's id (borrowed) or NULL. */
static const char *buy_one(sim_state_t *st, const char *e164, const json_t *body, json_t *conn, bool pending,
                           const char *now)
{
    sim_number_t *n = sim_inventory_find(st->inv, e164);
    if (!n || n->state != SIM_NUM_AVAILABLE)
        return NULL;
    char id[SIM_NUMID_LEN + 1];
    sim_rng_numid(&st->ids, id, sizeof id);
    json_t *ref = json_object_get(body, "customer_reference");
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:O?, s:O?, s:O?, s:s, s:s, s:[], s:s, s:o?, s:s, s:s}", "id",
                            id, "record_type", "phone_number", "phone_number", e164, "status",
                            pending ? "purchase-pending" : "active", "connection_id",
                            conn ? json_object_get(body, "connection_id") : NULL, "connection_name",
                            conn ? json_object_get(conn, "connection_name") : NULL, "customer_reference", ref,
                            "phone_number_type", "local", "country_iso_alpha2", n->area->iso, "tags",
                            "source_type", "number_order", "purchased_at", pending ? NULL : json_string(now),
                            "created_at", now, "updated_at", now);
    json_object_set_new(st->tx_numbers, id, rec);
    sim_state_number_bought(st, e164);
    return json_string_value(json_object_get(rec, "id"));
}

SIM_HANDLER(sim_tx_order_create)
{
    json_t *conn = NULL;
    if (!sim_tx_need_object(rq, out) || !order_valid(st, rq->json, &conn, out))
        return;
    bool pending = st->cfg.telnyx_pending_polls > 0 || rq->pending_seconds > 0;
    char oid[SIM_UUID_LEN + 1], sub[SIM_UUID_LEN + 1], now[40];
    sim_rng_uuid(&st->ids, oid, sizeof oid);
    sim_rng_uuid(&st->ids, sub, sizeof sub);
    sim_tx_time(rq->now_ms, now, sizeof now);
    json_t *entries = json_array(), *ids = json_array();
    size_t ok = 0, i;
    json_t *e;
    json_array_foreach(json_object_get(rq->json, "phone_numbers"), i, e)
    {
        const char *pn = json_string_value(json_object_get(e, "phone_number"));
        const char *nid = buy_one(st, pn, rq->json, conn, pending, now);
        char eid[SIM_UUID_LEN + 1];
        sim_rng_uuid(&st->ids, eid, sizeof eid);
        ok += nid != NULL;
        json_array_append_new(ids, nid ? json_string(nid) : json_null());
        json_array_append_new(entries, json_pack("{s:s, s:s, s:s, s:[], s:b, s:s}", "id", eid, "record_type",
                                                 "number_order_phone_number", "phone_number", pn,
                                                 "regulatory_requirements", "requirements_met", 1, "status",
                                                 !nid ? "failure" : pending ? "pending" : "success"));
    }
    const char *status = !ok ? "failure" : pending ? "pending" : "success";
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:o, s:O?, s:O?, s:[s], s:b, s:s, s:s, s:o, s:i, s:I}", "id", oid,
                          "record_type", "number_order", "status", status, "phone_numbers_count",
                          (json_int_t)json_array_size(entries), "phone_numbers", entries, "connection_id",
                          json_object_get(rq->json, "connection_id"), "customer_reference",
                          json_object_get(rq->json, "customer_reference"), "sub_number_orders_ids", sub,
                          "requirements_met", 1, "created_at", now, "updated_at", now, "_number_ids", ids,
                          "_polls_left", st->cfg.telnyx_pending_polls, "_pending_until_ms",
                          (json_int_t)(rq->now_ms + (int64_t)rq->pending_seconds * 1000));
    json_object_set_new(st->tx_orders, oid, o);
    sim_tx_data(out, 200, o);
}

SIM_HANDLER(sim_tx_order_get)
{
    json_t *o = json_object_get(st->tx_orders, rq->cap[0]);
    if (!o) {
        sim_tx_not_found(out, "number order");
        return;
    }
    if (!strcmp(json_string_value(json_object_get(o, "status")), "pending")) {
        json_int_t left = json_integer_value(json_object_get(o, "_polls_left"));
        if (left > 0)
            json_object_set_new(o, "_polls_left", json_integer(left - 1));
        else if (order_due(o, rq->now_ms))
            order_settle(st, o, rq->now_ms);
    }
    sim_tx_data(out, 200, o);
}
