/* twilio_trunk_links.c: a trunk's OriginationUrls, CredentialLists and PhoneNumbers (carriers.md §4). */
#include "handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Subresource of trunk cap[0] in set, keyed by cap[1]; NULL (404 filled) when absent. */
static json_t *find_child(sim_state_t *st, json_t *set, const sim_req_t *rq, const char *key, const char *kind,
                          sim_reply_t *out)
{
    json_t *c = json_object_get(set, key);
    const char *ts = json_string_value(json_object_get(c, "trunk_sid"));
    if (!c || !ts || strcmp(ts, rq->cap[0])) {
        char what[512];
        snprintf(what, sizeof what, "/v1/Trunks/%s/%s/%s", rq->cap[0], kind, rq->cap[1]);
        sim_tw_not_found(out, what);
        return NULL;
    }
    (void)st;
    return c;
}

static json_t *children_of(const json_t *set, const char *trunk)
{
    json_t *items = json_array();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)set, key, v)
    {
        const char *ts = json_string_value(json_object_get(v, "trunk_sid"));
        if (ts && !strcmp(ts, trunk))
            json_array_append_new(items, sim_public(v));
    }
    return items;
}

static bool int_in(const char *v, long min, long max, long *out)
{
    if (!v)
        return false;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        return false;
    *out = n;
    return true;
}

SIM_HANDLER(sim_tw_ou_create)
{
    if (!find_trunk(st, rq->cap[0], out))
        return;
    const char *fn, *sip;
    long prio, weight;
    bool enabled = false;
    if (!sim_tw_str(rq, "FriendlyName", 64, &fn, out) || !sim_tw_str(rq, "SipUrl", 1024, &sip, out))
        return;
    const char *en = sim_params_get(rq->params, "Enabled");
    if (!fn || !*fn || !sip || strncmp(sip, "sip:", 4) || !en ||
        !int_in(sim_params_get(rq->params, "Priority"), 0, 65535, &prio) ||
        !int_in(sim_params_get(rq->params, "Weight"), 1, 65535, &weight) ||
        !sim_tw_bool(rq, "Enabled", false, &enabled, out)) {
        if (!out->status)
            sim_reply_twilio_error(out, 400, SIM_TW_INVALID,
                                   "FriendlyName, SipUrl (sip:), Priority (0-65535), Weight (1-65535) and "
                                   "Enabled are required");
        return;
    }
    char sid[SIM_SID_LEN + 1], now[32], url[512];
    sim_state_sid(st, "OU", sid, sizeof sid);
    sim_time_iso(rq->now_ms, now, sizeof now);
    snprintf(url, sizeof url, "%s/v1/Trunks/%s/OriginationUrls/%s", st->cfg.base_url, rq->cap[0], sid);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:s, s:s, s:s}", "sid", sid, "trunk_sid",
                          rq->cap[0], "account_sid", st->cfg.twilio_account_sid, "friendly_name", fn, "sip_url", sip,
                          "priority", (json_int_t)prio, "weight", (json_int_t)weight, "enabled", enabled,
                          "date_created", now, "date_updated", now, "url", url);
    json_object_set_new(st->tw_origs, sid, o);
    sim_reply_json(out, 201, sim_public(o));
}

SIM_HANDLER(sim_tw_ou_list)
{
    if (!find_trunk(st, rq->cap[0], out))
        return;
    char path[512];
    snprintf(path, sizeof path, "/v1/Trunks/%s/OriginationUrls", rq->cap[0]);
    sim_tw_page_v1(st, rq, "origination_urls", path, children_of(st->tw_origs, rq->cap[0]), out);
}

SIM_HANDLER(sim_tw_ou_get)
{
    json_t *o = find_child(st, st->tw_origs, rq, rq->cap[1], "OriginationUrls", out);
    if (o)
        sim_reply_json(out, 200, sim_public(o));
}

SIM_HANDLER(sim_tw_ou_delete)
{
    if (!find_child(st, st->tw_origs, rq, rq->cap[1], "OriginationUrls", out))
        return;
    json_object_del(st->tw_origs, rq->cap[1]);
    sim_reply_empty(out, 204);
}

SIM_HANDLER(sim_tw_tcl_attach)
{
    if (!find_trunk(st, rq->cap[0], out))
        return;
    const char *cl_sid = sim_params_get(rq->params, "CredentialListSid");
    json_t *cl = cl_sid ? json_object_get(st->tw_credlists, cl_sid) : NULL;
    if (!cl_sid || !*cl_sid) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "CredentialListSid is required");
        return;
    }
    if (!cl) {
        char what[512];
        sim_tw_uri(st, what, sizeof what, "/SIP/CredentialLists/%s.json", cl_sid);
        sim_tw_not_found(out, what);
        return;
    }
    char key[2 * SIM_CAP_LEN + 2], now[32], url[512];
    snprintf(key, sizeof key, "%s/%s", rq->cap[0], cl_sid);
    if (json_object_get(st->tw_trunk_cls, key)) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "Credential list %s is already associated with trunk %s",
                               cl_sid, rq->cap[0]);
        return;
    }
    sim_time_iso(rq->now_ms, now, sizeof now);
    snprintf(url, sizeof url, "%s/v1/Trunks/%s/CredentialLists/%s", st->cfg.base_url, rq->cap[0], cl_sid);
    json_t *a = json_pack("{s:s, s:s, s:s, s:O, s:s, s:s, s:s}", "sid", cl_sid, "trunk_sid", rq->cap[0],
                          "account_sid", st->cfg.twilio_account_sid, "friendly_name",
                          json_object_get(cl, "friendly_name"), "date_created", now, "date_updated", now, "url", url);
    json_object_set_new(st->tw_trunk_cls, key, a);
    sim_reply_json(out, 201, sim_public(a));
}

SIM_HANDLER(sim_tw_tcl_list)
{
    if (!find_trunk(st, rq->cap[0], out))
        return;
    char path[512];
    snprintf(path, sizeof path, "/v1/Trunks/%s/CredentialLists", rq->cap[0]);
    sim_tw_page_v1(st, rq, "credential_lists", path, children_of(st->tw_trunk_cls, rq->cap[0]), out);
}

SIM_HANDLER(sim_tw_tcl_detach)
{
    char key[2 * SIM_CAP_LEN + 2];
    snprintf(key, sizeof key, "%s/%s", rq->cap[0], rq->cap[1]);
    if (!find_child(st, st->tw_trunk_cls, rq, key, "CredentialLists", out))
        return;
    json_object_del(st->tw_trunk_cls, key);
    sim_reply_empty(out, 204);
}

/* The trunk view of a number: its fields plus url and links.phone_number. */
static json_t *trunk_number_json(const sim_state_t *st, const json_t *rec, const char *trunk)
{
    const char *sid = json_string_value(json_object_get(rec, "sid"));
    char url[512], link[512];
    snprintf(url, sizeof url, "%s/v1/Trunks/%s/PhoneNumbers/%s", st->cfg.base_url, trunk, sid);
    snprintf(link, sizeof link, "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json", st->cfg.base_url,
             st->cfg.twilio_account_sid, sid);
    json_t *o = sim_public(rec);
    json_object_set_new(o, "url", json_string(url));
    json_object_set_new(o, "links", json_pack("{s:s}", "phone_number", link));
    return o;
}

SIM_HANDLER(sim_tw_tpn_attach)
{
    if (!find_trunk(st, rq->cap[0], out))
        return;
    const char *pn_sid = sim_params_get(rq->params, "PhoneNumberSid");
    if (!pn_sid || !*pn_sid) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "PhoneNumberSid is required");
        return;
    }
    json_t *rec = json_object_get(st->tw_numbers, pn_sid);
    if (!rec) {
        char what[512];
        sim_tw_uri(st, what, sizeof what, "/IncomingPhoneNumbers/%s.json", pn_sid);
        sim_tw_not_found(out, what);
        return;
    }
    char now[40];
    sim_time_rfc2822(rq->now_ms, now, sizeof now);
    json_object_set_new(rec, "trunk_sid", json_string(rq->cap[0]));
    json_object_set_new(rec, "voice_application_sid", json_null());
    json_object_set_new(rec, "date_updated", json_string(now));
    sim_reply_json(out, 201, trunk_number_json(st, rec, rq->cap[0]));
}

SIM_HANDLER(sim_tw_tpn_list)
{
    if (!find_trunk(st, rq->cap[0], out))
        return;
    json_t *items = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(st->tw_numbers, key, v)
    {
        const char *ts = json_string_value(json_object_get(v, "trunk_sid"));
        if (ts && !strcmp(ts, rq->cap[0]))
            json_array_append_new(items, trunk_number_json(st, v, rq->cap[0]));
    }
    char path[512];
    snprintf(path, sizeof path, "/v1/Trunks/%s/PhoneNumbers", rq->cap[0]);
    sim_tw_page_v1(st, rq, "phone_numbers", path, items, out);
}

SIM_HANDLER(sim_tw_tpn_detach)
{
    json_t *rec = find_child(st, st->tw_numbers, rq, rq->cap[1], "PhoneNumbers", out);
    if (!rec)
        return;
    json_object_set_new(rec, "trunk_sid", json_null());
    sim_reply_empty(out, 204);
}
