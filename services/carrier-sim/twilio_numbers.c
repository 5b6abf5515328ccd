/* twilio_numbers.c: Twilio 2010 API available and incoming phone numbers (carriers.md §2-3). */
#include "handlers.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oi/e164.h"
#include "oi/mem.h"

#define SEARCH_MAX 1000
#define MAGIC_UNAVAILABLE "+15005550000"
#define MAGIC_INVALID "+15005550001"
#define MAGIC_OK "+15005550006"
#define MAGIC_AREA_NONE "533"
#define MAGIC_AREA_OK "500"

static json_t *caps_json(unsigned caps, bool upper)
{
    return json_pack("{s:b, s:b, s:b, s:b}", "voice", (caps & SIM_CAP_VOICE) != 0, upper ? "SMS" : "sms",
                     (caps & SIM_CAP_SMS) != 0, upper ? "MMS" : "mms", (caps & SIM_CAP_MMS) != 0, "fax",
                     (caps & SIM_CAP_FAX) != 0);
}

static json_t *available_json(const sim_state_t *st, const sim_number_t *n)
{
    char friendly[40], lat[24], lon[24];
    sim_number_friendly(n, friendly, sizeof friendly);
    snprintf(lat, sizeof lat, "%.6f", n->area->latitude);
    snprintf(lon, sizeof lon, "%.6f", n->area->longitude);
    const sim_area_t *a = n->area;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "friendly_name", friendly,
                          "phone_number", n->e164, "lata", a->lata, "rate_center", a->rate_center, "locality",
                          a->locality, "region", a->region, "postal_code", a->postal_code, "iso_country", a->iso,
                          "latitude", lat, "longitude", lon, "address_requirements", "none", "beta", 0);
    json_object_set_new(o, "capabilities", caps_json(n->caps, st->cfg.twilio_caps_upper));
    return o;
}

/* Capability filters: SmsEnabled, MmsEnabled, VoiceEnabled, FaxEnabled (true = required). */
static bool search_caps(const sim_req_t *rq, unsigned *caps, sim_reply_t *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } f[] = {{"VoiceEnabled", SIM_CAP_VOICE}, {"SmsEnabled", SIM_CAP_SMS}, {"MmsEnabled", SIM_CAP_MMS},
             {"FaxEnabled", SIM_CAP_FAX}};
    *caps = 0;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        bool on;
        if (!sim_tw_bool(rq, f[i].name, false, &on, out))
            return false;
        *caps |= on ? f[i].bit : 0;
    }
    return true;
}

static bool area_code_valid(const char *ac)
{
    return ac && strlen(ac) == 3 && ac[0] >= '2' && ac[0] <= '9' && isdigit((unsigned char)ac[1]) &&
           isdigit((unsigned char)ac[2]);
}

static bool nanp(const char *iso) { return !strcasecmp(iso, "US") || !strcasecmp(iso, "CA"); }

/* Reads every search filter into q (pattern storage in pat). false with the reply filled. */
static bool search_query(const sim_req_t *rq, sim_search_t *q, sim_pattern_t *pat, sim_reply_t *out)
{
    const char *iso = rq->cap[1], *ac = sim_params_get(rq->params, "AreaCode");
    const char *contains = sim_params_get(rq->params, "Contains");
    *q = (sim_search_t){.iso = iso};
    if (ac) {
        if (!nanp(iso)) {
            sim_reply_twilio_error(out, 400, 21457, "AreaCode is only supported for US and CA numbers");
            return false;
        }
        if (!area_code_valid(ac)) {
            sim_reply_twilio_error(out, 400, 21451, "Invalid area code");
            return false;
        }
        q->ndc = ac;
    }
    if (contains) {
        if (!sim_pattern_compile(contains, pat)) {
            sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "Contains must be 2-16 characters of [0-9A-Za-z*%%]");
            return false;
        }
        q->contains = pat;
    }
    q->region = sim_params_get(rq->params, "InRegion");
    q->locality = sim_params_get(rq->params, "InLocality");
    return search_caps(rq, &q->caps, out);
}

SIM_HANDLER(sim_tw_search)
{
    const char *iso = rq->cap[1], *type = rq->cap[2];
    if (strlen(iso) != 2 || !sim_inventory_has_area(st->inv, iso, NULL)) {
        char what[512];
        sim_tw_uri(st, what, sizeof what, "/AvailablePhoneNumbers/%s.json", iso);
        sim_tw_not_found(out, what);
        return;
    }
    sim_search_t q;
    sim_pattern_t pat;
    if (!search_query(rq, &q, &pat, out))
        return;
    long size = 50;
    const char *ps = sim_params_get(rq->params, "PageSize");
    char *end = NULL;
    if (ps)
        size = strtol(ps, &end, 10);
    if (ps && (end == ps || *end || size < 1 || size > SEARCH_MAX)) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "PageSize must be between 1 and 1000");
        return;
    }
    q.limit = (size_t)size;
    sim_number_t **found = oi_xcalloc(SEARCH_MAX, sizeof *found);
    /* only local numbers are stocked: the other types answer an empty list, as Twilio does */
    size_t n = strcmp(type, "Local") ? 0 : sim_inventory_search(st->inv, &q, found, SEARCH_MAX);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, available_json(st, found[i]));
    free(found);
    char uri[512];
    sim_tw_uri(st, uri, sizeof uri, "/AvailablePhoneNumbers/%s/%s.json", iso, type);
    sim_reply_json(out, 200, json_pack("{s:s, s:o}", "uri", uri, "available_phone_numbers", arr));
}

/* Finds an owned number record by E.164; NULL when not owned by the Twilio account. */
static json_t *owned_by_number(const sim_state_t *st, const char *e164)
{
    const char *sid;
    json_t *v;
    json_object_foreach(st->tw_numbers, sid, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "phone_number")), e164))
            return v;
    }
    return NULL;
}

/* Applies the optional update params to a record; false (reply filled) on bad input. */
static bool apply_update(sim_state_t *st, const sim_req_t *rq, json_t *rec, sim_reply_t *out)
{
    const char *fn, *trunk, *voice_url, *app, *sms_url;
    if (!sim_tw_str(rq, "FriendlyName", 64, &fn, out) || !sim_tw_str(rq, "TrunkSid", 34, &trunk, out) ||
        !sim_tw_str(rq, "VoiceUrl", 1024, &voice_url, out) ||
        !sim_tw_str(rq, "VoiceApplicationSid", 34, &app, out) || !sim_tw_str(rq, "SmsUrl", 1024, &sms_url, out))
        return false;
    if (trunk && *trunk && !json_object_get(st->tw_trunks, trunk)) {
        char what[80];
        snprintf(what, sizeof what, "/v1/Trunks/%s", trunk);
        sim_tw_not_found(out, what);
        return false;
    }
    if (fn)
        json_object_set_new(rec, "friendly_name", json_string(fn));
    if (voice_url)
        json_object_set_new(rec, "voice_url", *voice_url ? json_string(voice_url) : json_null());
    if (sms_url)
        json_object_set_new(rec, "sms_url", *sms_url ? json_string(sms_url) : json_null());
    if (app) {
        json_object_set_new(rec, "voice_application_sid", *app ? json_string(app) : json_null());
        if (*app) /* an application and a trunk exclude each other (carriers.md §3) */
            json_object_set_new(rec, "trunk_sid", json_null());
    }
    if (trunk) {
        json_object_set_new(rec, "trunk_sid", *trunk ? json_string(trunk) : json_null());
        if (*trunk)
            json_object_set_new(rec, "voice_application_sid", json_null());
    }
    char now[40];
    sim_time_rfc2822(rq->now_ms, now, sizeof now);
    json_object_set_new(rec, "date_updated", json_string(now));
    return true;
}

static json_t *number_record(sim_state_t *st, const char *e164, const char *friendly, unsigned caps,
                             int64_t now_ms)
{
    char sid[SIM_SID_LEN + 1], now[40], uri[512];
    sim_state_sid(st, "PN", sid, sizeof sid);
    sim_time_rfc2822(now_ms, now, sizeof now);
    sim_tw_uri(st, uri, sizeof uri, "/IncomingPhoneNumbers/%s.json", sid);
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:o, s:n, s:n, s:s, s:n, s:n, s:s, s:s, s:s, s:b, s:s, s:s, "
                            "s:s, s:s}",
                            "sid", sid, "account_sid", st->cfg.twilio_account_sid, "phone_number", e164,
                            "friendly_name", friendly, "capabilities", caps_json(caps, false), "trunk_sid",
                            "voice_url", "voice_method", "POST", "voice_application_sid", "sms_url", "status",
                            "in-use", "type", "local", "origin", "twilio", "beta", 0, "api_version", "2010-04-01",
                            "date_created", now, "date_updated", now, "uri", uri);
    json_object_set_new(rec, "subresource_uris", json_object());
    return rec;
}

/* Resolves the number to buy from PhoneNumber / AreaCode; false (reply filled) when refused.
 * *e164 points into static or inventory storage; *n is NULL for magic numbers. */
static bool pick_number(sim_state_t *st, const char *pn, const char *ac, const char **e164, sim_number_t **n,
                        sim_reply_t *out)
{
    *n = NULL;
    if (pn) {
        if (!strcmp(pn, MAGIC_UNAVAILABLE) || !strcmp(pn, MAGIC_INVALID) || !oi_e164_valid(pn)) {
            bool invalid = strcmp(pn, MAGIC_UNAVAILABLE) != 0;
            sim_reply_twilio_error(out, 400, invalid ? 21421 : 21422,
                                   invalid ? "PhoneNumber is invalid" : "PhoneNumber is not available");
            return false;
        }
        if (!strcmp(pn, MAGIC_OK)) {
            *e164 = MAGIC_OK;
            return true;
        }
        *n = sim_inventory_find(st->inv, pn);
        if (!*n || (*n)->state != SIM_NUM_AVAILABLE) {
            sim_reply_twilio_error(out, 400, 21422, "PhoneNumber is not available");
            return false;
        }
        *e164 = (*n)->e164;
        return true;
    }
    if (!area_code_valid(ac)) {
        sim_reply_twilio_error(out, 400, 21451, "Invalid area code");
        return false;
    }
    if (!strcmp(ac, MAGIC_AREA_OK)) {
        *e164 = MAGIC_OK;
        return true;
    }
    *n = sim_inventory_first_in_area(st->inv, "US", ac);
    if (!*n)
        *n = sim_inventory_first_in_area(st->inv, "CA", ac);
    if (!*n || !strcmp(ac, MAGIC_AREA_NONE)) {
        sim_reply_twilio_error(out, 400, 21452, "No phone numbers found in area code %s", ac);
        return false;
    }
    *e164 = (*n)->e164;
    return true;
}

SIM_HANDLER(sim_tw_buy)
{
    const char *pn = sim_params_get(rq->params, "PhoneNumber"), *ac = sim_params_get(rq->params, "AreaCode");
    if ((pn == NULL) == (ac == NULL)) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "Exactly one of PhoneNumber or AreaCode is required");
        return;
    }
    json_t *mine = pn ? owned_by_number(st, pn) : NULL;
    if (mine) { /* already on this account: 201 again, status in-use (carriers.md §3) */
        sim_reply_json(out, 201, sim_public(mine));
        return;
    }
    const char *e164 = NULL;
    sim_number_t *n = NULL;
    if (!pick_number(st, pn, ac, &e164, &n, out))
        return;
    if (!n && sim_state_owned(st, e164)) { /* magic number owned by the Telnyx account */
        sim_reply_twilio_error(out, 400, 21422, "PhoneNumber is not available");
        return;
    }
    if (!n && (mine = owned_by_number(st, e164))) {
        sim_reply_json(out, 201, sim_public(mine));
        return;
    }
    char friendly[40] = "(500) 555-0006";
    if (n)
        sim_number_friendly(n, friendly, sizeof friendly);
    json_t *rec = number_record(st, e164, friendly, n ? n->caps : SIM_CAP_VOICE | SIM_CAP_SMS | SIM_CAP_MMS,
                                rq->now_ms);
    if (!apply_update(st, rq, rec, out)) {
        json_decref(rec);
        return;
    }
    json_object_set(st->tw_numbers, json_string_value(json_object_get(rec, "sid")), rec);
    sim_state_number_bought(st, e164);
    sim_reply_json(out, 201, sim_public(rec));
    json_decref(rec);
}

SIM_HANDLER(sim_tw_number_list)
{
    const char *pn = sim_params_get(rq->params, "PhoneNumber"), *fn = sim_params_get(rq->params, "FriendlyName");
    sim_pattern_t pat;
    bool have_pat = false;
    if (pn) {
        /* partial numbers and '*' are allowed; a leading '+' anchors at the start */
        have_pat = sim_pattern_compile(pn, &pat);
        if (!have_pat) {
            sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "PhoneNumber filter is not a valid pattern");
            return;
        }
    }
    json_t *items = json_array();
    const char *sid;
    json_t *v;
    json_object_foreach(st->tw_numbers, sid, v)
    {
        const char *num = json_string_value(json_object_get(v, "phone_number"));
        if (have_pat && !sim_pattern_match(&pat, num + 1))
            continue;
        if (fn && strcmp(fn, json_string_value(json_object_get(v, "friendly_name"))))
            continue;
        json_array_append_new(items, sim_public(v));
    }
    char path[512];
    sim_tw_uri(st, path, sizeof path, "/IncomingPhoneNumbers.json");
    sim_tw_page_2010(rq, "incoming_phone_numbers", path, items, out);
}

static json_t *find_number(sim_state_t *st, const sim_req_t *rq, sim_reply_t *out)
{
    json_t *rec = json_object_get(st->tw_numbers, rq->cap[1]);
    if (!rec) {
        char what[512];
        sim_tw_uri(st, what, sizeof what, "/IncomingPhoneNumbers/%s.json", rq->cap[1]);
        sim_tw_not_found(out, what);
    }
    return rec;
}

SIM_HANDLER(sim_tw_number_get)
{
    json_t *rec = find_number(st, rq, out);
    if (rec)
        sim_reply_json(out, 200, sim_public(rec));
}

SIM_HANDLER(sim_tw_number_update)
{
    json_t *rec = find_number(st, rq, out);
    if (rec && apply_update(st, rq, rec, out))
        sim_reply_json(out, 200, sim_public(rec));
}

SIM_HANDLER(sim_tw_release)
{
    json_t *rec = find_number(st, rq, out);
    if (!rec)
        return;
    char *e164 = oi_xstrdup(json_string_value(json_object_get(rec, "phone_number")));
    json_object_del(st->tw_numbers, rq->cap[1]);
    sim_state_number_released(st, e164);
    free(e164);
    sim_reply_empty(out, 204);
}
