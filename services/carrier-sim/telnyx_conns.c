/* telnyx_conns.c: credential connections, FQDN connections and FQDNs (carriers.md §9). */
#include "handlers.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* A stored connection of the given record_type, or NULL (404 filled). */
static json_t *find_conn(sim_state_t *st, const char *id, const char *type, sim_reply_t *out)
{
    json_t *c = json_object_get(st->tx_conns, id);
    const char *t = json_string_value(json_object_get(c, "record_type"));
    if (!c || !t || strcmp(t, type)) {
        sim_tx_not_found(out, type);
        return NULL;
    }
    return c;
}

static const char *required_str(const json_t *body, const char *field, sim_reply_t *out)
{
    const json_t *v = json_object_get(body, field);
    if (!json_is_string(v) || !*json_string_value(v)) {
        char detail[96];
        snprintf(detail, sizeof detail, "%s is required.", field);
        sim_tx_bad_field(out, !v, field, detail);
        return NULL;
    }
    return json_string_value(v);
}

/* 4-32 alphanumerics with a letter among the first five. */
static bool user_name_ok(const char *u)
{
    size_t n = strlen(u);
    bool letter = false;
    if (n < 4 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)u[i]))
            return false;
        letter |= i < 5 && isalpha((unsigned char)u[i]);
    }
    return letter;
}

static void deleted_reply(sim_state_t *st, json_t *set, const char *id, sim_reply_t *out)
{
    json_t *c = json_incref(json_object_get(set, id));
    json_object_del(set, id);
    sim_tx_data(out, 200, c);
    json_decref(c);
    (void)st;
}

/* Numbers routed to a deleted connection lose it. */
static void unroute(sim_state_t *st, const char *conn_id)
{
    const char *id;
    json_t *v;
    json_object_foreach(st->tx_numbers, id, v)
    {
        const char *c = json_string_value(json_object_get(v, "connection_id"));
        if (c && !strcmp(c, conn_id)) {
            json_object_set_new(v, "connection_id", json_null());
            json_object_set_new(v, "connection_name", json_null());
        }
    }
}

static json_t *conn_new(sim_state_t *st, const sim_req_t *rq, const char *type, const char *name)
{
    char id[SIM_NUMID_LEN + 1], now[40];
    sim_rng_numid(&st->ids, id, sizeof id);
    sim_tx_time(rq->now_ms, now, sizeof now);
    json_t *active = json_object_get(rq->json, "active");
    return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}", "id", id, "record_type", type, "connection_name", name,
                     "active", !json_is_false(active), "created_at", now, "updated_at", now);
}

static void copy_object_field(json_t *dst, const json_t *src, const char *field)
{
    const json_t *v = json_object_get(src, field);
    if (json_is_object(v))
        json_object_set_new(dst, field, json_deep_copy(v));
}

SIM_HANDLER(sim_tx_cred_conn_create)
{
    if (!sim_tx_need_object(rq, out))
        return;
    const char *name = required_str(rq->json, "connection_name", out);
    const char *user = name ? required_str(rq->json, "user_name", out) : NULL;
    const char *pass = user ? required_str(rq->json, "password", out) : NULL;
    if (!pass)
        return;
    if (!user_name_ok(user)) {
        sim_tx_bad_field(out, false, "user_name", "user_name must be 4-32 alphanumerics with a letter in the first 5.");
        return;
    }
    if (strlen(pass) < 8 || strlen(pass) > 128) {
        sim_tx_bad_field(out, false, "password", "password must be 8-128 characters.");
        return;
    }
    json_t *c = conn_new(st, rq, "credential_connection", name);
    json_object_set_new(c, "user_name", json_string(user));
    json_object_set_new(c, "password", json_string(pass)); /* Telnyx echoes it (carriers.md §9) */
    const json_t *pref = json_object_get(rq->json, "sip_uri_calling_preference");
    json_object_set_new(c, "sip_uri_calling_preference",
                        json_is_string(pref) ? json_deep_copy(pref) : json_string("disabled"));
    copy_object_field(c, rq->json, "inbound");
    copy_object_field(c, rq->json, "outbound");
    json_object_set_new(st->tx_conns, json_string_value(json_object_get(c, "id")), c);
    sim_tx_data(out, 201, c);
}

SIM_HANDLER(sim_tx_cred_conn_get)
{
    json_t *c = find_conn(st, rq->cap[0], "credential_connection", out);
    if (c)
        sim_tx_data(out, 200, c);
}

SIM_HANDLER(sim_tx_cred_conn_delete)
{
    if (!find_conn(st, rq->cap[0], "credential_connection", out))
        return;
    unroute(st, rq->cap[0]);
    deleted_reply(st, st->tx_conns, rq->cap[0], out);
}

SIM_HANDLER(sim_tx_fqdn_conn_create)
{
    if (!sim_tx_need_object(rq, out))
        return;
    const char *name = required_str(rq->json, "connection_name", out);
    if (!name)
        return;
    const json_t *tp = json_object_get(rq->json, "transport_protocol");
    const char *proto = json_is_string(tp) ? json_string_value(tp) : "UDP";
    if ((tp && !json_is_string(tp)) || (strcmp(proto, "UDP") && strcmp(proto, "TCP") && strcmp(proto, "TLS"))) {
        sim_tx_bad_field(out, false, "transport_protocol", "transport_protocol must be UDP, TCP or TLS.");
        return;
    }
    json_t *c = conn_new(st, rq, "fqdn_connection", name);
    json_object_set_new(c, "transport_protocol", json_string(proto));
    copy_object_field(c, rq->json, "inbound");
    copy_object_field(c, rq->json, "outbound");
    json_object_set_new(st->tx_conns, json_string_value(json_object_get(c, "id")), c);
    sim_tx_data(out, 201, c);
}

SIM_HANDLER(sim_tx_fqdn_conn_get)
{
    json_t *c = find_conn(st, rq->cap[0], "fqdn_connection", out);
    if (c)
        sim_tx_data(out, 200, c);
}

/* GET /v2/<type>s?filter[connection_name][contains]=…&page[number]=&page[size]= */
static void conn_list(sim_state_t *st, const sim_req_t *rq, const char *want, sim_reply_t *out)
{
    long page, size;
    if (!sim_tx_page_params(rq, &page, &size, out))
        return;
    const char *part = sim_params_get(rq->params, "filter[connection_name][contains]");
    json_t *data = json_array();
    size_t total = 0;
    const char *id;
    json_t *c;
    json_object_foreach(st->tx_conns, id, c)
    {
        const char *type = json_string_value(json_object_get(c, "record_type"));
        const char *name = json_string_value(json_object_get(c, "connection_name"));
        if (!type || strcmp(type, want) || (part && (!name || !strstr(name, part))))
            continue;
        if (sim_tx_page_wants(page, size, total))
            json_array_append_new(data, sim_public(c));
        total++;
    }
    sim_tx_page_reply(out, data, page, size, total);
}

SIM_HANDLER(sim_tx_fqdn_conn_list) { conn_list(st, rq, "fqdn_connection", out); }

SIM_HANDLER(sim_tx_cred_conn_list) { conn_list(st, rq, "credential_connection", out); }

SIM_HANDLER(sim_tx_fqdn_conn_delete)
{
    if (!find_conn(st, rq->cap[0], "fqdn_connection", out))
        return;
    const char *id;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(st->tx_fqdns, tmp, id, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "connection_id")), rq->cap[0]))
            json_object_del(st->tx_fqdns, id);
    }
    unroute(st, rq->cap[0]);
    deleted_reply(st, st->tx_conns, rq->cap[0], out);
}

static bool hostname_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-')
        return false;
    for (const char *c = h; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.')
            return false;
    return true;
}

SIM_HANDLER(sim_tx_fqdn_create)
{
    if (!sim_tx_need_object(rq, out))
        return;
    const char *cid = required_str(rq->json, "connection_id", out);
    const char *fqdn = cid ? required_str(rq->json, "fqdn", out) : NULL;
    const char *type = fqdn ? required_str(rq->json, "dns_record_type", out) : NULL;
    if (!type)
        return;
    json_t *conn = json_object_get(st->tx_conns, cid);
    if (!conn || strcmp(json_string_value(json_object_get(conn, "record_type")), "fqdn_connection")) {
        sim_tx_bad_field(out, false, "connection_id", "connection_id must be the id of an FQDN connection.");
        return;
    }
    if (!hostname_ok(fqdn) || (strcmp(type, "a") && strcmp(type, "srv"))) {
        sim_tx_bad_field(out, false, hostname_ok(fqdn) ? "dns_record_type" : "fqdn",
                         "fqdn must be a host name and dns_record_type a or srv.");
        return;
    }
    const json_t *port = json_object_get(rq->json, "port");
    if (port && !json_is_null(port) &&
        (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)) {
        sim_tx_bad_field(out, false, "port", "port must be an integer in 1-65535.");
        return;
    }
    json_int_t p = json_is_integer(port) ? json_integer_value(port) : 5060;
    char id[SIM_NUMID_LEN + 1], now[40];
    sim_rng_numid(&st->ids, id, sizeof id);
    sim_tx_time(rq->now_ms, now, sizeof now);
    json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "id", id, "record_type", "fqdn",
                          "connection_id", cid, "fqdn", fqdn, "port", p, "dns_record_type", type, "created_at", now,
                          "updated_at", now);
    json_object_set_new(st->tx_fqdns, id, f);
    sim_tx_data(out, 201, f);
}

SIM_HANDLER(sim_tx_fqdn_get)
{
    json_t *f = json_object_get(st->tx_fqdns, rq->cap[0]);
    if (!f) {
        sim_tx_not_found(out, "fqdn");
        return;
    }
    sim_tx_data(out, 200, f);
}

/* GET /v2/fqdns?filter[connection_id]=…&filter[fqdn]=…&page[number]=&page[size]= */
SIM_HANDLER(sim_tx_fqdn_list)
{
    long page, size;
    if (!sim_tx_page_params(rq, &page, &size, out))
        return;
    const char *conn = sim_params_get(rq->params, "filter[connection_id]");
    const char *host = sim_params_get(rq->params, "filter[fqdn]");
    json_t *data = json_array();
    size_t total = 0;
    const char *id;
    json_t *f;
    json_object_foreach(st->tx_fqdns, id, f)
    {
        const char *fc = json_string_value(json_object_get(f, "connection_id"));
        const char *fh = json_string_value(json_object_get(f, "fqdn"));
        if ((conn && (!fc || strcmp(fc, conn))) || (host && (!fh || strcmp(fh, host))))
            continue;
        if (sim_tx_page_wants(page, size, total))
            json_array_append_new(data, sim_public(f));
        total++;
    }
    sim_tx_page_reply(out, data, page, size, total);
}

SIM_HANDLER(sim_tx_fqdn_delete)
{
    if (!json_object_get(st->tx_fqdns, rq->cap[0])) {
        sim_tx_not_found(out, "fqdn");
        return;
    }
    deleted_reply(st, st->tx_fqdns, rq->cap[0], out);
}
