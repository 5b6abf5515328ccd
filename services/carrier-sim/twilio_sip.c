/* twilio_sip.c: SIP credential lists and credentials on the 2010 API (carriers.md §4). */
#include "handlers.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static json_t *find_list(sim_state_t *st, const char *sid, sim_reply_t *out)
{
    json_t *cl = json_object_get(st->tw_credlists, sid);
    if (!cl) {
        char what[512];
        sim_tw_uri(st, what, sizeof what, "/SIP/CredentialLists/%s.json", sid);
        sim_tw_not_found(out, what);
    }
    return cl;
}

SIM_HANDLER(sim_tw_cl_create)
{
    const char *fn;
    if (!sim_tw_str(rq, "FriendlyName", 64, &fn, out))
        return;
    if (!fn || !*fn) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "FriendlyName is required");
        return;
    }
    char sid[SIM_SID_LEN + 1], now[40], uri[512], creds[512];
    sim_state_sid(st, "CL", sid, sizeof sid);
    sim_time_rfc2822(rq->now_ms, now, sizeof now);
    sim_tw_uri(st, uri, sizeof uri, "/SIP/CredentialLists/%s.json", sid);
    sim_tw_uri(st, creds, sizeof creds, "/SIP/CredentialLists/%s/Credentials.json", sid);
    json_t *cl = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:s}", "sid", sid, "account_sid",
                           st->cfg.twilio_account_sid, "friendly_name", fn, "date_created", now, "date_updated", now,
                           "subresource_uris", "credentials", creds, "uri", uri);
    json_object_set_new(st->tw_credlists, sid, cl);
    sim_reply_json(out, 201, sim_public(cl));
}

SIM_HANDLER(sim_tw_cl_list)
{
    json_t *items = json_array();
    const char *sid;
    json_t *v;
    json_object_foreach(st->tw_credlists, sid, v) json_array_append_new(items, sim_public(v));
    char path[512];
    sim_tw_uri(st, path, sizeof path, "/SIP/CredentialLists.json");
    sim_tw_page_2010(rq, "credential_lists", path, items, out);
}

SIM_HANDLER(sim_tw_cl_get)
{
    json_t *cl = find_list(st, rq->cap[1], out);
    if (cl)
        sim_reply_json(out, 200, sim_public(cl));
}

/* Deletes every object of set whose field equals value. */
static void delete_where(json_t *set, const char *field, const char *value)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(set, tmp, key, v)
    {
        const char *f = json_string_value(json_object_get(v, field));
        if (f && !strcmp(f, value))
            json_object_del(set, key);
    }
}

SIM_HANDLER(sim_tw_cl_delete)
{
    if (!find_list(st, rq->cap[1], out))
        return;
    delete_where(st->tw_creds, "credential_list_sid", rq->cap[1]);
    delete_where(st->tw_trunk_cls, "sid", rq->cap[1]);
    json_object_del(st->tw_credlists, rq->cap[1]);
    sim_reply_empty(out, 204);
}

/* Twilio's rule: at least 12 characters with a digit, an upper- and a lower-case letter. */
static bool password_ok(const char *p)
{
    bool digit = false, upper = false, lower = false;
    for (const char *c = p; *c; c++) {
        digit |= isdigit((unsigned char)*c) != 0;
        upper |= isupper((unsigned char)*c) != 0;
        lower |= islower((unsigned char)*c) != 0;
    }
    return strlen(p) >= 12 && digit && upper && lower;
}

static bool username_taken(const sim_state_t *st, const char *list, const char *user)
{
    const char *key;
    json_t *v;
    json_object_foreach(st->tw_creds, key, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "credential_list_sid")), list) &&
            !strcmp(json_string_value(json_object_get(v, "username")), user))
            return true;
    }
    return false;
}

SIM_HANDLER(sim_tw_cred_create)
{
    if (!find_list(st, rq->cap[1], out))
        return;
    const char *user, *pass;
    if (!sim_tw_str(rq, "Username", 32, &user, out) || !sim_tw_str(rq, "Password", 256, &pass, out))
        return;
    if (!user || !*user || !pass) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "Username and Password are required");
        return;
    }
    if (!password_ok(pass)) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID,
                               "Password must be at least 12 characters with a digit, an upper- and a "
                               "lower-case letter");
        return;
    }
    if (username_taken(st, rq->cap[1], user)) {
        sim_reply_twilio_error(out, 400, SIM_TW_INVALID, "Username %s already exists in this list", user);
        return;
    }
    char sid[SIM_SID_LEN + 1], now[40], uri[512];
    sim_state_sid(st, "CR", sid, sizeof sid);
    sim_time_rfc2822(rq->now_ms, now, sizeof now);
    sim_tw_uri(st, uri, sizeof uri, "/SIP/CredentialLists/%s/Credentials/%s.json", rq->cap[1], sid);
    /* the password is checked, never stored and never echoed */
    json_t *cr = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "sid", sid, "account_sid",
                           st->cfg.twilio_account_sid, "credential_list_sid", rq->cap[1], "username", user,
                           "date_created", now, "date_updated", now, "uri", uri);
    json_object_set_new(st->tw_creds, sid, cr);
    sim_reply_json(out, 201, sim_public(cr));
}

SIM_HANDLER(sim_tw_cred_list)
{
    if (!find_list(st, rq->cap[1], out))
        return;
    json_t *items = json_array();
    const char *sid;
    json_t *v;
    json_object_foreach(st->tw_creds, sid, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "credential_list_sid")), rq->cap[1]))
            json_array_append_new(items, sim_public(v));
    }
    char path[512];
    sim_tw_uri(st, path, sizeof path, "/SIP/CredentialLists/%s/Credentials.json", rq->cap[1]);
    sim_tw_page_2010(rq, "credentials", path, items, out);
}

SIM_HANDLER(sim_tw_cred_delete)
{
    json_t *cr = json_object_get(st->tw_creds, rq->cap[2]);
    const char *list = json_string_value(json_object_get(cr, "credential_list_sid"));
    if (!cr || strcmp(list, rq->cap[1])) {
        char what[512];
        sim_tw_uri(st, what, sizeof what, "/SIP/CredentialLists/%s/Credentials/%s.json", rq->cap[1], rq->cap[2]);
        sim_tw_not_found(out, what);
        return;
    }
    json_object_del(st->tw_creds, rq->cap[2]);
    sim_reply_empty(out, 204);
}
