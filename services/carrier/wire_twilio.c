/* wire_twilio.c: Twilio REST 2010-04-01 requests and answers. */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oi/buf.h"
#include "oi/mem.h"
#include "op.h"

json_t *car_json_get_ci(const json_t *obj, const char *key)
{
    const char *k;
    json_t *v;
    if (!json_is_object(obj))
        return NULL;
    json_object_foreach((json_t *)obj, k, v)
        if (strcasecmp(k, key) == 0)
            return v;
    return NULL;
}

void car_digits(const char *e164, char *out, size_t n)
{
    size_t j = 0;
    for (const char *p = e164 ? e164 : ""; *p && j + 1 < n; p++)
        if (*p >= '0' && *p <= '9')
            out[j++] = *p;
    out[j] = 0;
}

Oneinbox__V1__CarrierNumber *car_number_new(Oneinbox__V1__Provider provider)
{
    Oneinbox__V1__CarrierNumber *n = oi_xmalloc(sizeof *n);
    oneinbox__v1__carrier_number__init(n);
    n->provider = provider;
    n->carrier_number_id = oi_xstrdup("");
    n->phone_number = oi_xstrdup("");
    n->state = oi_xstrdup("active");
    n->order_id = oi_xstrdup("");
    return n;
}

static const char *str_or(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : dflt;
}

oi_status_t tw_error_map(int status, const char *body, char *msg, size_t n)
{
    json_t *root = body ? json_loads(body, 0, NULL) : NULL;
    json_int_t code = json_integer_value(json_object_get(root, "code"));
    const char *m = json_string_value(json_object_get(root, "message"));
    if (code || m)
        snprintf(msg, n, "code %lld: %.160s", (long long)code, m ? m : "");
    json_decref(root);
    if (code == 21421 || code == 21422)
        return OI_NUMBER_NOT_AVAILABLE;
    if (code == 21452)
        return OI_NO_NUMBERS_FOUND;
    return car_status_for_http(status);
}

char *tw_search_url(const char *base, const char *sid, const char *country, const char *area_code,
                    const char *contains, int limit)
{
    char *c = car_escape(country), *s = car_escape(sid);
    char *url = oi_xasprintf("%s/2010-04-01/Accounts/%s/AvailablePhoneNumbers/%s/Local.json?PageSize=%d", base, s,
                             c, limit > 0 ? limit : 20);
    free(c);
    free(s);
    if (area_code && *area_code) {
        char *a = car_escape(area_code), *u = oi_xasprintf("%s&AreaCode=%s", url, a);
        free(a);
        free(url);
        url = u;
    }
    if (contains && *contains) {
        char *a = car_escape(contains), *u = oi_xasprintf("%s&Contains=%s", url, a);
        free(a);
        free(url);
        url = u;
    }
    return url;
}

static Oneinbox__V1__AvailableNumber *tw_available(const json_t *e)
{
    Oneinbox__V1__AvailableNumber *a = oi_xmalloc(sizeof *a);
    oneinbox__v1__available_number__init(a);
    a->phone_number = oi_xstrdup(str_or(e, "phone_number", ""));
    a->friendly_name = oi_xstrdup(str_or(e, "friendly_name", ""));
    a->locality = oi_xstrdup(str_or(e, "locality", ""));
    a->region = oi_xstrdup(str_or(e, "region", ""));
    a->country = oi_xstrdup(str_or(e, "iso_country", ""));
    const json_t *caps = json_object_get(e, "capabilities");
    a->voice = json_is_true(car_json_get_ci(caps, "voice"));
    a->sms = json_is_true(car_json_get_ci(caps, "sms"));
    a->mms = json_is_true(car_json_get_ci(caps, "mms"));
    return a;
}

Oneinbox__V1__CarrierSearchReply *tw_parse_search(const json_t *root)
{
    const json_t *list = json_object_get(root, "available_phone_numbers");
    if (!json_is_array(list))
        return NULL;
    Oneinbox__V1__CarrierSearchReply *r = oi_xmalloc(sizeof *r);
    oneinbox__v1__carrier_search_reply__init(r);
    r->provider = ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO;
    size_t n = json_array_size(list);
    r->numbers = oi_xcalloc(n + 1, sizeof *r->numbers);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(list, i);
        if (json_is_object(e) && json_string_value(json_object_get(e, "phone_number")))
            r->numbers[r->n_numbers++] = tw_available(e);
    }
    return r;
}

Oneinbox__V1__CarrierNumber *tw_parse_number(const json_t *obj)
{
    const char *sid = json_string_value(json_object_get(obj, "sid"));
    if (!sid)
        return NULL;
    Oneinbox__V1__CarrierNumber *n = car_number_new(ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO);
    free(n->carrier_number_id);
    n->carrier_number_id = oi_xstrdup(sid);
    free(n->phone_number);
    n->phone_number = oi_xstrdup(str_or(obj, "phone_number", ""));
    const json_t *caps = json_object_get(obj, "capabilities");
    n->sms = json_is_true(car_json_get_ci(caps, "sms"));
    n->voice = json_is_true(car_json_get_ci(caps, "voice"));
    return n;
}

const json_t *tw_find_number(const json_t *root, const char *e164)
{
    const json_t *list = json_object_get(root, "incoming_phone_numbers");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *e = json_array_get(list, i);
        const char *pn = json_string_value(json_object_get(e, "phone_number"));
        if (pn && strcmp(pn, e164) == 0)
            return e;
    }
    return NULL;
}
