/* twilio_trunks.c: Elastic SIP Trunking v1 trunks (carriers.md §4). */
#include "handlers.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define DOMAIN_SUFFIX "pstn.twilio.com"

static bool domain_valid(const char *d)
{
    size_t n = strlen(d), sl = strlen(DOMAIN_SUFFIX);
    if (n <= sl || strcmp(d + n - sl, DOMAIN_SUFFIX) || d[n - sl - 1] != '.')
        return false;
    for (const char *c = d; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.')
            return false;
    return true;
}

static bool domain_taken(const sim_state_t *st, const char *domain, const char *except_sid)
{
    const char *sid;
    json_t *v;
    json_object_foreach(st->tw_trunks, sid, v)
    {
        const char *d = json_string_value(json_object_get(v, "domain_name"));
        if (d && !strcmp(d, domain) && (!except_sid || strcmp(sid, except_sid)))
            return true;
    }
    return false;
}

static bool one_of(const char *v, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (!strcmp(v, *allowed))
            return true;
    return false;
}

/* Applies create/update params to a trunk; false (reply filled) on bad input. */
static bool apply_trunk(sim_state_t *st, const sim_req_t *rq, json_t *t, const char *sid, sim_reply_t *out)
{
    static const char *const modes[] = {"disable-all", "enable-all", "sip-only", NULL};
    static const char *const methods[] = {"GET", "POST", NULL};
    const char *fn, *domain, *mode, *dr_url, *dr_method;
    bool secure, cnam;
    json_t *cur_secure = json_object_get(t, "secure"), *cur_cnam = json_object_get(t, "cnam_lookup_enabled");
    if (!sim_tw_str(rq, "FriendlyName", 64, &fn, out) || !sim_tw_str(rq, "DomainName", 255, &domain, out) ||
        !sim_tw_str(rq, "TransferMode", 32, &mode, out) || !sim_tw_str(rq, "DisasterRecoveryUrl", 1024, &dr_url, out) ||
        !sim_tw_str(rq, "DisasterRecoveryMethod", 8, &dr_method, out) ||
        !sim_tw_bool(rq, "Secure", json_is_true(cur_secure), &secure, out) ||
        !sim_tw_bool(rq, "CnamLookupEnabled", json_is_true(cur_cnam), &cnam, out))
        return false;
    if (domain && (!domain_valid(domain) || domain_taken(st, domain, sid))) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID,
                               "DomainName must be unique, of letters, digits and '-', ending in ." DOMAIN_SUFFIX);
        return false;
    }
    if ((mode && !one_of(mode, modes)) || (dr_method && !one_of(dr_method, methods))) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "TransferMode or DisasterRecoveryMethod is invalid");
        return false;
    }
    if (fn)
        json_object_set_new(t, "friendly_name", json_string(fn));
    if (domain)
        json_object_set_new(t, "domain_name", json_string(domain));
    if (mode)
        json_object_set_new(t, "transfer_mode", json_string(mode));
    if (dr_url)
        json_object_set_new(t, "disaster_recovery_url", json_string(dr_url));
    if (dr_method)
        json_object_set_new(t, "disaster_recovery_method", json_string(dr_method));
    json_object_set_new(t, "secure", json_boolean(secure));
    json_object_set_new(t, "cnam_lookup_enabled", json_boolean(cnam));
    char now[32];
    sim_time_iso(rq->now_ms, now, sizeof now);
    json_object_set_new(t, "date_updated", json_string(now));
    return true;
}

SIM_HANDLER(sim_tw_trunk_create)
{
    char sid[SIM_SID_LEN + 1], now[32], url[256], ou[300], cl[300], pn[300];
    sim_state_sid(st, "TK", sid, sizeof sid);
    sim_time_iso(rq->now_ms, now, sizeof now);
    snprintf(url, sizeof url, "%s/v1/Trunks/%s", st->cfg.base_url, sid);
    snprintf(ou, sizeof ou, "%s/OriginationUrls", url);
    snprintf(cl, sizeof cl, "%s/CredentialLists", url);
    snprintf(pn, sizeof pn, "%s/PhoneNumbers", url);
    json_t *t = json_pack("{s:s, s:s, s:n, s:n, s:b, s:b, s:s, s:{s:s, s:s}, s:[], s:n, s:n, s:s, s:s, s:s, "
                          "s:{s:s, s:s, s:s}}",
                          "sid", sid, "account_sid", st->cfg.twilio_account_sid, "friendly_name", "domain_name",
                          "secure", 0, "cnam_lookup_enabled", 0, "transfer_mode", "disable-all", "recording", "mode",
                          "do-not-record", "trim", "do-not-trim", "auth_type_set", "disaster_recovery_url",
                          "disaster_recovery_method", "date_created", now, "date_updated", now, "url", url,
                          "links", "origination_urls", ou, "credential_lists", cl, "phone_numbers", pn);
    if (!apply_trunk(st, rq, t, NULL, out)) {
        json_decref(t);
        return;
    }
    json_object_set_new(st->tw_trunks, sid, t);
    sim_reply_json(out, 201, sim_public(t));
}

SIM_HANDLER(sim_tw_trunk_list)
{
    json_t *items = json_array();
    const char *sid;
    json_t *v;
    json_object_foreach(st->tw_trunks, sid, v) json_array_append_new(items, sim_public(v));
    sim_tw_page_v1(st, rq, "trunks", "/v1/Trunks", items, out);
}

static json_t *find_trunk(sim_state_t *st, const char *sid, sim_reply_t *out)
{
    json_t *t = json_object_get(st->tw_trunks, sid);
    if (!t) {
        char what[512];
        snprintf(what, sizeof what, "/v1/Trunks/%s", sid);
        sim_tw_not_found(out, what);
    }
    return t;
}

SIM_HANDLER(sim_tw_trunk_get)
{
    json_t *t = find_trunk(st, rq->cap[0], out);
    if (t)
        sim_reply_json(out, 200, sim_public(t));
}

SIM_HANDLER(sim_tw_trunk_update)
{
    json_t *t = find_trunk(st, rq->cap[0], out);
    if (t && apply_trunk(st, rq, t, rq->cap[0], out))
        sim_reply_json(out, 200, sim_public(t));
}

SIM_HANDLER(sim_tw_trunk_delete)
{
    if (!find_trunk(st, rq->cap[0], out))
        return;
    const char *key;
    json_t *v;
    void *tmp;
    /* numbers leave the trunk; its origination URLs and list associations go with it */
    json_object_foreach(st->tw_numbers, key, v)
    {
        const char *ts = json_string_value(json_object_get(v, "trunk_sid"));
        if (ts && !strcmp(ts, rq->cap[0]))
            json_object_set_new(v, "trunk_sid", json_null());
    }
    json_object_foreach_safe(st->tw_origs, tmp, key, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "trunk_sid")), rq->cap[0]))
            json_object_del(st->tw_origs, key);
    }
    json_object_foreach_safe(st->tw_trunk_cls, tmp, key, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "trunk_sid")), rq->cap[0]))
            json_object_del(st->tw_trunk_cls, key);
    }
    json_object_del(st->tw_trunks, rq->cap[0]);
    sim_reply_empty(out, 204);
}
