/* wire_telnyx.c: Telnyx API v2 requests and answers. */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"
#include "op.h"
#include "policy.h"

oi_status_t tx_error_map(int status, const char *body, char *msg, size_t n)
{
    json_t *root = body ? json_loads(body, 0, NULL) : NULL;
    const json_t *e = json_array_get(json_object_get(root, "errors"), 0);
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *detail = json_string_value(json_object_get(e, "detail"));
    const char *title = json_string_value(json_object_get(e, "title"));
    if (code || detail || title)
        snprintf(msg, n, "code %s: %.160s", code ? code : "?", detail ? detail : title ? title : "");
    json_decref(root);
    return car_status_for_http(status);
}

static char *append_param(char *url, const char *name, const char *value)
{
    char *v = car_escape(value);
    char *u = oi_xasprintf("%s&%s=%s", url, name, v);
    free(v);
    free(url);
    return u;
}

char *tx_search_url(const char *base, const char *country, const char *area_code, const char *contains, int limit)
{
    char *c = car_escape(country);
    char *url = oi_xasprintf("%s/available_phone_numbers?filter%%5Bcountry_code%%5D=%s&filter%%5Blimit%%5D=%d", base,
                             c, limit > 0 ? limit : 20);
    free(c);
    if (area_code && *area_code)
        url = append_param(url, "filter%5Bnational_destination_code%5D", area_code);
    if (contains && *contains)
        url = append_param(url, "filter%5Bphone_number%5D%5Bcontains%5D", contains);
    return url;
}

static const char *region(const json_t *e, const char *type)
{
    const json_t *list = json_object_get(e, "region_information");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *r = json_array_get(list, i);
        const char *t = json_string_value(json_object_get(r, "region_type"));
        if (t && strcmp(t, type) == 0)
            return json_string_value(json_object_get(r, "region_name"));
    }
    return NULL;
}

static bool has_feature(const json_t *e, const char *name)
{
    const json_t *list = json_object_get(e, "features");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *f = json_string_value(json_object_get(json_array_get(list, i), "name"));
        if (f && strcmp(f, name) == 0)
            return true;
    }
    return false;
}

static Oneinbox__V1__AvailableNumber *tx_available(const json_t *e)
{
    Oneinbox__V1__AvailableNumber *a = oi_xmalloc(sizeof *a);
    oneinbox__v1__available_number__init(a);
    const char *pn = json_string_value(json_object_get(e, "phone_number"));
    const char *loc = region(e, "location");
    a->phone_number = oi_xstrdup(pn);
    a->friendly_name = oi_xstrdup(pn);
    a->locality = oi_xstrdup(loc ? loc : region(e, "rate_center") ? region(e, "rate_center") : "");
    a->region = oi_xstrdup(region(e, "state") ? region(e, "state") : "");
    a->country = oi_xstrdup(region(e, "country_code") ? region(e, "country_code") : "");
    a->voice = has_feature(e, "voice");
    a->sms = has_feature(e, "sms");
    a->mms = has_feature(e, "mms");
    return a;
}

Oneinbox__V1__CarrierSearchReply *tx_parse_search(const json_t *root)
{
    const json_t *list = json_object_get(root, "data");
    if (!json_is_array(list))
        return NULL;
    Oneinbox__V1__CarrierSearchReply *r = oi_xmalloc(sizeof *r);
    oneinbox__v1__carrier_search_reply__init(r);
    r->provider = ONEINBOX__V1__PROVIDER__PROVIDER_TELNYX;
    size_t n = json_array_size(list);
    r->numbers = oi_xcalloc(n + 1, sizeof *r->numbers);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(list, i);
        if (json_string_value(json_object_get(e, "phone_number")))
            r->numbers[r->n_numbers++] = tx_available(e);
    }
    return r;
}

char *tx_order_body(const char *e164, const char *reference)
{
    json_t *body = json_pack("{s:[{s:s}], s:s}", "phone_numbers", "phone_number", e164, "customer_reference",
                             reference ? reference : "");
    char *s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return s;
}

bool tx_parse_order(const json_t *root, char *id, size_t idn, char *status, size_t stn)
{
    const json_t *d = json_object_get(root, "data");
    const char *i = json_string_value(json_object_get(d, "id"));
    const char *s = json_string_value(json_object_get(d, "status"));
    if (!i || !s)
        return false;
    snprintf(id, idn, "%s", i);
    snprintf(status, stn, "%s", s);
    return true;
}

const char *tx_find_number_id(const json_t *root, const char *e164)
{
    const json_t *list = json_object_get(root, "data");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *e = json_array_get(list, i);
        const char *pn = json_string_value(json_object_get(e, "phone_number"));
        const char *st = json_string_value(json_object_get(e, "status"));
        if (pn && strcmp(pn, e164) == 0 && (!st || strcmp(st, "deleted") != 0))
            return json_string_value(json_object_get(e, "id"));
    }
    return NULL;
}

Oneinbox__V1__CarrierNumber *tx_number_new(const char *e164, const char *id, const char *order_id)
{
    Oneinbox__V1__CarrierNumber *n = car_number_new(ONEINBOX__V1__PROVIDER__PROVIDER_TELNYX);
    free(n->phone_number);
    n->phone_number = oi_xstrdup(e164);
    free(n->carrier_number_id);
    n->carrier_number_id = oi_xstrdup(id ? id : "");
    n->voice = true;
    n->capabilities_unknown = true; /* Telnyx's phone_number record lists no features */
    if (order_id) {
        free(n->state);
        n->state = oi_xstrdup("pending");
        free(n->order_id);
        n->order_id = oi_xstrdup(order_id);
    }
    return n;
}
