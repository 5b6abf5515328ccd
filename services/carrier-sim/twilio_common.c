/* twilio_common.c: helpers shared by the Twilio handlers: params, URIs, pagination. */
#include "handlers.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oi/buf.h"

void sim_tw_not_found(sim_reply_t *out, const char *what)
{
    sim_reply_twilio_error(out, 404, 20404, "The requested resource %s was not found", what);
}

bool sim_tw_bool(const sim_req_t *rq, const char *name, bool def, bool *val, sim_reply_t *out)
{
    const char *v = sim_params_get(rq->params, name);
    *val = def;
    if (!v)
        return true;
    if (!strcasecmp(v, "true")) {
        *val = true;
        return true;
    }
    if (!strcasecmp(v, "false")) {
        *val = false;
        return true;
    }
    sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "%s must be true or false", name);
    return false;
}

bool sim_tw_str(const sim_req_t *rq, const char *name, size_t max, const char **val, sim_reply_t *out)
{
    *val = sim_params_get(rq->params, name);
    if (*val && strlen(*val) > max) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "%s must be at most %zu characters", name, max);
        return false;
    }
    return true;
}

void sim_tw_uri(const sim_state_t *st, char *out, size_t n, const char *fmt, ...)
{
    int w = snprintf(out, n, "/2010-04-01/Accounts/%s", st->cfg.twilio_account_sid);
    if (w < 0 || (size_t)w >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + w, n - (size_t)w, fmt, ap);
    va_end(ap);
}

static void append_encoded(oi_buf_t *b, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (isalnum(*c) || strchr("-_.~", *c))
            oi_buf_append(b, c, 1);
        else
            oi_buf_printf(b, "%%%02X", *c);
    }
}

/* Appends "&Name=value" (percent-encoded) for every filter param the client sent. */
static void keep_filters(oi_buf_t *b, const sim_req_t *rq)
{
    for (size_t i = 0; i < rq->params->n; i++) {
        const sim_param_t *p = &rq->params->items[i];
        if (!strcmp(p->name, "Page") || !strcmp(p->name, "PageSize") || !strcmp(p->name, "PageToken"))
            continue;
        oi_buf_appends(b, "&");
        append_encoded(b, p->name);
        oi_buf_appends(b, "=");
        append_encoded(b, p->value);
    }
}

static json_t *page_link(const char *prefix, const char *path, long page, long size, const sim_req_t *rq,
                         bool token)
{
    oi_buf_t b;
    oi_buf_init(&b, 16384);
    oi_buf_printf(&b, "%s%s?PageSize=%ld&Page=%ld", prefix, path, size, page);
    if (token)
        oi_buf_printf(&b, "&PageToken=PT%ld", page);
    keep_filters(&b, rq);
    json_t *s = json_string(b.data ? b.data : "");
    oi_buf_cleanup(&b);
    return s;
}

/* Reads Page/PageSize/PageToken and slices items; false (reply filled) on bad paging input. */
static bool paging(const sim_req_t *rq, json_t *items, long *page, long *size, json_t **slice, sim_reply_t *out)
{
    if (!sim_params_long(rq->params, "PageSize", 1, 1000, 50, size) ||
        !sim_params_long(rq->params, "Page", 0, 1000000, 0, page)) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "PageSize must be 1-1000 and Page >= 0");
        return false;
    }
    const char *token = sim_params_get(rq->params, "PageToken");
    char expect[32];
    snprintf(expect, sizeof expect, "PT%ld", *page);
    if (token && strcmp(token, expect)) {
        sim_reply_twilio_error(out, 400, 21481, "Invalid PageToken");
        return false;
    }
    *slice = json_array();
    size_t from = (size_t)(*page) * (size_t)(*size);
    for (size_t i = from; i < json_array_size(items) && i < from + (size_t)*size; i++)
        json_array_append(*slice, json_array_get(items, i));
    return true;
}

void sim_tw_page_2010(const sim_req_t *rq, const char *key, const char *path, json_t *items, sim_reply_t *out)
{
    long page, size;
    json_t *slice = NULL;
    if (!paging(rq, items, &page, &size, &slice, out)) {
        json_decref(items);
        return;
    }
    size_t total = json_array_size(items), start = (size_t)page * (size_t)size, got = json_array_size(slice);
    bool more = start + got < total;
    json_t *body = json_object();
    json_object_set_new(body, key, slice);
    json_object_set_new(body, "uri", page_link("", path, page, size, rq, false));
    json_object_set_new(body, "first_page_uri", page_link("", path, 0, size, rq, false));
    json_object_set_new(body, "next_page_uri", more ? page_link("", path, page + 1, size, rq, true) : json_null());
    json_object_set_new(body, "previous_page_uri",
                        page > 0 ? page_link("", path, page - 1, size, rq, true) : json_null());
    json_object_set_new(body, "page", json_integer(page));
    json_object_set_new(body, "page_size", json_integer(size));
    json_object_set_new(body, "start", json_integer((json_int_t)start));
    json_object_set_new(body, "end", json_integer((json_int_t)(got ? start + got - 1 : start)));
    json_decref(items);
    sim_reply_json(out, 200, body);
}

void sim_tw_page_v1(const sim_state_t *st, const sim_req_t *rq, const char *key, const char *path, json_t *items,
                    sim_reply_t *out)
{
    long page, size;
    json_t *slice = NULL;
    if (!paging(rq, items, &page, &size, &slice, out)) {
        json_decref(items);
        return;
    }
    const char *base = st->cfg.base_url;
    size_t total = json_array_size(items), start = (size_t)page * (size_t)size;
    bool more = start + json_array_size(slice) < total;
    json_t *meta = json_object();
    json_object_set_new(meta, "page", json_integer(page));
    json_object_set_new(meta, "page_size", json_integer(size));
    json_object_set_new(meta, "first_page_url", page_link(base, path, 0, size, rq, false));
    json_object_set_new(meta, "previous_page_url",
                        page > 0 ? page_link(base, path, page - 1, size, rq, true) : json_null());
    json_object_set_new(meta, "url", page_link(base, path, page, size, rq, false));
    json_object_set_new(meta, "next_page_url", more ? page_link(base, path, page + 1, size, rq, true) : json_null());
    json_object_set_new(meta, "key", json_string(key));
    json_decref(items);
    sim_reply_json(out, 200, json_pack("{s:o, s:o}", key, slice, "meta", meta));
}
