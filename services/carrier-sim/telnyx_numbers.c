/* telnyx_numbers.c: Telnyx available numbers and owned phone numbers (carriers.md §6, §8). */
#include "handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"

#define SEARCH_MAX 1000

static void bad_param(sim_reply_t *out, const char *param, const char *detail)
{
    sim_reply_telnyx_error(out, 400, "10015", "Bad Request", detail, NULL, param);
}


static bool feature_bit(const char *name, unsigned *caps)
{
    static const struct {
        const char *name;
        unsigned bit;
    } f[] = {{"voice", SIM_CAP_VOICE}, {"sms", SIM_CAP_SMS}, {"mms", SIM_CAP_MMS}, {"fax", SIM_CAP_FAX},
             {"emergency", 0},         {"hd_voice", 0},      {"international_sms", SIM_CAP_SMS},
             {"local_calling", 0}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (!strcmp(name, f[i].name)) {
            *caps |= f[i].bit;
            return true;
        }
    }
    return false;
}

/* filter[features][]=sms (repeated) or filter[features]=sms,voice. */
static bool features(const sim_req_t *rq, unsigned *caps, sim_reply_t *out)
{
    *caps = 0;
    for (size_t i = 0; i < rq->params->n; i++) {
        const sim_param_t *p = &rq->params->items[i];
        if (strcmp(p->name, "filter[features][]") && strcmp(p->name, "filter[features]"))
            continue;
        bool ok = true;
        for (const char *tok = p->value; ok;) {
            const char *comma = strchr(tok, ',');
            size_t len = comma ? (size_t)(comma - tok) : strlen(tok);
            char name[32];
            ok = len < sizeof name;
            if (ok) {
                memcpy(name, tok, len);
                name[len] = '\0';
                ok = feature_bit(name, caps);
            }
            if (!comma)
                break;
            tok = comma + 1;
        }
        if (!ok) {
            bad_param(out, p->name, "Unknown feature.");
            return false;
        }
    }
    return true;
}

static json_t *available_json(const sim_number_t *n)
{
    json_t *features_arr = json_array();
    static const char *names[] = {"voice", "sms", "mms", "fax"};
    for (int b = 0; b < 4; b++)
        if (n->caps & (1u << b))
            json_array_append_new(features_arr, json_pack("{s:s}", "name", names[b]));
    if (!strcmp(n->area->cc, "1"))
        json_array_append_new(features_arr, json_pack("{s:s}", "name", "emergency"));
    const sim_area_t *a = n->area;
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}], "
                     "s:{s:s, s:s, s:s}, s:o}",
                     "record_type", "available_phone_number", "phone_number", n->e164, "vanity_format", "",
                     "best_effort", 0, "quickship", 1, "reservable", 1, "region_information", "region_type",
                     "country_code", "region_name", a->iso, "region_type", "state", "region_name", a->region,
                     "region_type", "rate_center", "region_name", a->rate_center, "region_type", "location",
                     "region_name", a->locality, "cost_information", "upfront_cost", "1.00", "monthly_cost", "1.00",
                     "currency", "USD", "features", features_arr);
}

SIM_HANDLER(sim_tx_search)
{
    const char *cc = sim_params_get(rq->params, "filter[country_code]");
    if (!cc || !*cc) {
        sim_reply_telnyx_error(out, 400, "10004", "Missing required parameter",
                               "filter[country_code] is required.", NULL, "filter[country_code]");
        return;
    }
    long limit;
    sim_search_t q = {.iso = cc};
    if (!sim_tx_int_param(rq, "filter[limit]", 1, SEARCH_MAX, 20, &limit, out) || !features(rq, &q.caps, out))
        return;
    q.ndc = sim_params_get(rq->params, "filter[national_destination_code]");
    q.digits_contains = sim_params_get(rq->params, "filter[phone_number][contains]");
    q.digits_starts = sim_params_get(rq->params, "filter[phone_number][starts_with]");
    q.digits_ends = sim_params_get(rq->params, "filter[phone_number][ends_with]");
    q.locality = sim_params_get(rq->params, "filter[locality]");
    q.region = sim_params_get(rq->params, "filter[administrative_area]");
    q.limit = (size_t)limit;
    const char *type = sim_params_get(rq->params, "filter[phone_number_type]");
    sim_number_t **found = oi_xcalloc(SEARCH_MAX, sizeof *found);
    /* only local numbers are stocked */
    size_t n = type && strcmp(type, "local") ? 0 : sim_inventory_search(st->inv, &q, found, SEARCH_MAX);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, available_json(found[i]));
    free(found);
    sim_reply_json(out, 200,
                   json_pack("{s:o, s:{s:I, s:i}}", "data", arr, "meta", "total_results", (json_int_t)n,
                             "best_effort_results", 0));
}

/* filter[phone_number]: at least 3 digits, digits only (else nothing matches), substring of the
 * number's digits; the other filters compare exactly. */
static bool number_filtered_out(const sim_req_t *rq, const json_t *v)
{
    const char *pn = sim_params_get(rq->params, "filter[phone_number]");
    const char *num = json_string_value(json_object_get(v, "phone_number"));
    if (pn && (!sim_digits(pn) || strlen(pn) < 3 || !strstr(num + 1, pn)))
        return true;
    static const struct {
        const char *param, *field;
    } exact[] = {{"filter[status]", "status"},
                 {"filter[connection_id]", "connection_id"},
                 {"filter[customer_reference]", "customer_reference"},
                 {"filter[country_iso_alpha2]", "country_iso_alpha2"}};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        const char *want = sim_params_get(rq->params, exact[i].param);
        const char *have = json_string_value(json_object_get(v, exact[i].field));
        if (want && (!have || strcmp(want, have)))
            return true;
    }
    return false;
}

SIM_HANDLER(sim_tx_number_list)
{
    long page, size;
    if (!sim_tx_page_params(rq, &page, &size, out))
        return;
    sim_tx_orders_tick(st, rq->now_ms);
    json_t *data = json_array();
    size_t total = 0, from = (size_t)(page - 1) * (size_t)size;
    const char *id;
    json_t *v;
    json_object_foreach(st->tx_numbers, id, v)
    {
        if (number_filtered_out(rq, v))
            continue;
        if (total >= from && total < from + (size_t)size)
            json_array_append_new(data, sim_public(v));
        total++;
    }
    sim_tx_page_reply(out, data, page, size, total);
}

static json_t *find_number(sim_state_t *st, const sim_req_t *rq, sim_reply_t *out)
{
    json_t *rec = json_object_get(st->tx_numbers, rq->cap[0]);
    if (!rec)
        sim_tx_not_found(out, "phone number");
    return rec;
}

SIM_HANDLER(sim_tx_number_get)
{
    sim_tx_orders_tick(st, rq->now_ms);
    json_t *rec = find_number(st, rq, out);
    if (rec)
        sim_tx_data(out, 200, rec);
}

/* connection_id: a known connection's id, or null/"" to clear. */
static bool patch_connection(sim_state_t *st, const json_t *v, json_t *rec, sim_reply_t *out)
{
    if (json_is_null(v) || (json_is_string(v) && !*json_string_value(v))) {
        json_object_set_new(rec, "connection_id", json_null());
        json_object_set_new(rec, "connection_name", json_null());
        return true;
    }
    json_t *conn = json_is_string(v) ? json_object_get(st->tx_conns, json_string_value(v)) : NULL;
    if (!conn) {
        sim_tx_bad_field(out, false, "connection_id", "connection_id must be the id of an existing connection.");
        return false;
    }
    json_object_set(rec, "connection_id", (json_t *)v);
    json_object_set(rec, "connection_name", json_object_get(conn, "connection_name"));
    return true;
}

static bool tags_valid(const json_t *tags)
{
    if (!json_is_array(tags))
        return false;
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) if (!json_is_string(t)) return false;
    return true;
}

SIM_HANDLER(sim_tx_number_update)
{
    json_t *rec = find_number(st, rq, out);
    if (!rec || !sim_tx_need_object(rq, out))
        return;
    const json_t *conn = json_object_get(rq->json, "connection_id");
    const json_t *ref = json_object_get(rq->json, "customer_reference");
    const json_t *tags = json_object_get(rq->json, "tags");
    if (ref && !json_is_string(ref) && !json_is_null(ref)) {
        sim_tx_bad_field(out, false, "customer_reference", "customer_reference must be a string.");
        return;
    }
    if (tags && !tags_valid(tags)) {
        sim_tx_bad_field(out, false, "tags", "tags must be an array of strings.");
        return;
    }
    if (conn && !patch_connection(st, conn, rec, out))
        return;
    if (ref)
        json_object_set(rec, "customer_reference", (json_t *)ref);
    if (tags)
        json_object_set_new(rec, "tags", json_deep_copy(tags));
    char now[40];
    sim_tx_time(rq->now_ms, now, sizeof now);
    json_object_set_new(rec, "updated_at", json_string(now));
    sim_tx_data(out, 200, rec);
}

SIM_HANDLER(sim_tx_release)
{
    json_t *rec = find_number(st, rq, out);
    if (!rec)
        return;
    json_incref(rec);
    json_object_del(st->tx_numbers, rq->cap[0]);
    char now[40];
    sim_tx_time(rq->now_ms, now, sizeof now);
    json_object_set_new(rec, "status", json_string("deleted"));
    json_object_set_new(rec, "updated_at", json_string(now));
    sim_state_number_released(st, json_string_value(json_object_get(rec, "phone_number")));
    sim_tx_data(out, 200, rec);
    json_decref(rec);
}
