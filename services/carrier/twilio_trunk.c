/* twilio_trunk.c: EnsureTrunk on Twilio Elastic SIP Trunking: find or create the trunk by
 * friendly name (with its termination domain, <name>.pstn.twilio.com), make sure it originates
 * to our SIP ingress, that a credential list of the same name holding the request's credentials
 * authenticates outbound calls to that domain, and attach the number. The reply's trunk address
 * is the domain.
 *
 * A retried or resumed job's call looks before it creates (every page of the lists), so nothing
 * is duplicated. A first attempt, and every stage on a trunk this call created, skips the
 * looking. A credential list of ours found unattached (a call cut off before attaching it) may
 * lack its credential: it is deleted and made again, with the same credentials. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "oi/crypto.h"
#include "oi/mem.h"
#include "wire.h"

enum {
    TR_LIST = 0,
    TR_LISTED,
    TR_CREATED,
    TR_DOMAIN_SET,
    TR_OU_LISTED,
    TR_OU_CREATED,
    TR_CL_LINKED,
    TR_CL_LISTED,
    TR_CL_DELETED,
    TR_CL_CREATED,
    TR_CR_CREATED,
    TR_CL_ATTACHED,
    TR_PN_FETCHED,
    TR_PN_ATTACHED
};
#define DOMAIN_SUFFIX ".pstn.twilio.com"

#define REQ(op) ((const Oneinbox__V1__CarrierTrunkRequest *)(op)->req)

static void send_to(car_op_t *op, const char *method, const char *path, const char *body, int next)
{
    char *url = oi_xasprintf("%s%s", op->cc->trunking_base, path);
    op->state = next;
    car_op_send(op, method, url, body, strcmp(method, "POST") != 0); /* creates are not retried blindly */
    free(url);
}


/* Asks for the next page of a v1 list (meta.next_page_url, on our configured base); false when
 * it was the last. */
static bool next_page(car_op_t *op, const json_t *root, int state)
{
    const char *next = json_string_value(json_object_get(json_object_get(root, "meta"), "next_page_url"));
    const char *path = next ? strstr(next, "/v1/") : NULL;
    if (!path)
        return false;
    send_to(op, "GET", path, NULL, state);
    return true;
}

/* --- stage 3: the number ------------------------------------------------------------------- */

static void attach_number(car_op_t *op)
{
    char *pn = car_escape(REQ(op)->carrier_number_id);
    char *body = oi_xasprintf("PhoneNumberSid=%s", pn);
    char *path = oi_xasprintf("/v1/Trunks/%s/PhoneNumbers", op->a);
    send_to(op, "POST", path, body, TR_PN_ATTACHED);
    free(path);
    free(body);
    free(pn);
}

/* Is the number already on the trunk? One fetch of the number itself (its trunk_sid), not a
 * listing of the trunk's numbers. */
static void stage_number(car_op_t *op)
{
    if (!REQ(op)->carrier_number_id[0]) {
        car_reply_trunk(op, op->a, op->c);
        return;
    }
    if (op->fresh) {
        attach_number(op);
        return;
    }
    char *pn = car_escape(REQ(op)->carrier_number_id);
    char *path = oi_xasprintf("/IncomingPhoneNumbers/%s.json", pn);
    tw_send_api(op, "GET", path, NULL, TR_PN_FETCHED);
    free(path);
    free(pn);
}

static void on_number_fetched(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    const char *ts = json_string_value(json_object_get(root, "trunk_sid"));
    bool have = ts && strcmp(ts, op->a) == 0;
    json_decref(root);
    if (have)
        car_reply_trunk(op, op->a, op->c);
    else
        attach_number(op);
}

/* --- stage 3: outbound credentials (a credential list on the 2010 API, attached) ------------- */

/* op->b: the credential list's sid. */

static void create_credential_list(car_op_t *op)
{
    char *name = car_escape(REQ(op)->name);
    char *body = oi_xasprintf("FriendlyName=%s", name);
    tw_send_api(op, "POST", "/SIP/CredentialLists.json", body, TR_CL_CREATED);
    free(body);
    free(name);
}

static void on_credential_list_created(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    const char *sid = json_string_value(json_object_get(root, "sid"));
    if (sid)
        snprintf(op->b, sizeof op->b, "%s", sid);
    json_decref(root);
    if (!sid) {
        car_op_fail(op, OI_CARRIER_ERROR, "twilio sent an unreadable credential list");
        return;
    }
    char *user = car_escape(REQ(op)->auth_username);
    char *pass = car_escape(REQ(op)->auth_password);
    char *body = oi_xasprintf("Username=%s&Password=%s", user, pass);
    char *path = oi_xasprintf("/SIP/CredentialLists/%s/Credentials.json", op->b);
    tw_send_api(op, "POST", path, body, TR_CR_CREATED);
    free(path);
    oi_crypto_free_secret(body);
    oi_crypto_free_secret(pass);
    free(user);
}

static void attach_credential_list(car_op_t *op)
{
    char *body = oi_xasprintf("CredentialListSid=%s", op->b);
    char *path = oi_xasprintf("/v1/Trunks/%s/CredentialLists", op->a);
    send_to(op, "POST", path, body, TR_CL_ATTACHED);
    free(path);
    free(body);
}

static void stage_credentials(car_op_t *op)
{
    if (!REQ(op)->auth_username[0]) {
        stage_number(op);
        return;
    }
    if (op->fresh) {
        create_credential_list(op);
        return;
    }
    char *path = oi_xasprintf("/v1/Trunks/%s/CredentialLists?PageSize=1000", op->a);
    send_to(op, "GET", path, NULL, TR_CL_LINKED);
    free(path);
}

static void on_credential_lists_linked(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    bool have = tw_find_sid(root, "credential_lists", "friendly_name", REQ(op)->name) != NULL;
    json_decref(root);
    if (have)
        stage_number(op);
    else
        tw_send_api(op, "GET", "/SIP/CredentialLists.json?PageSize=1000", NULL, TR_CL_LISTED);
}

/* The account's credential lists, page by page (next_page_uri), for one of ours left unattached. */
static void on_credential_lists_listed(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    const char *sid = tw_find_sid(root, "credential_lists", "friendly_name", REQ(op)->name);
    const char *rest = tw_next_page(root, "/SIP/CredentialLists.json");
    if (sid) {
        snprintf(op->b, sizeof op->b, "%s", sid);
        char *path = oi_xasprintf("/SIP/CredentialLists/%s.json", op->b);
        tw_send_api(op, "DELETE", path, NULL, TR_CL_DELETED);
        free(path);
    } else if (rest) {
        tw_send_api(op, "GET", rest, NULL, TR_CL_LISTED);
    } else {
        create_credential_list(op);
    }
    json_decref(root);
}

/* --- stage 2: origination to our SIP ingress ----------------------------------------------- */

static void create_origination(car_op_t *op)
{
    char *uri = car_escape(op->car->ingress_uri);
    char *body = oi_xasprintf("FriendlyName=oneinbox-ingress&SipUrl=%s&Priority=10&Weight=10&Enabled=true", uri);
    char *path = oi_xasprintf("/v1/Trunks/%s/OriginationUrls", op->a);
    send_to(op, "POST", path, body, TR_OU_CREATED);
    free(path);
    free(body);
    free(uri);
}

static void stage_origination(car_op_t *op)
{
    if (op->fresh) {
        create_origination(op);
        return;
    }
    char *path = oi_xasprintf("/v1/Trunks/%s/OriginationUrls?PageSize=1000", op->a);
    send_to(op, "GET", path, NULL, TR_OU_LISTED);
    free(path);
}

static void on_origination_listed(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    bool have = tw_find_sid(root, "origination_urls", "sip_url", op->car->ingress_uri) != NULL;
    json_decref(root);
    if (have)
        stage_credentials(op);
    else
        create_origination(op);
}

/* --- stage 1: the trunk -------------------------------------------------------------------- */

/* op->c: the trunk's termination domain, <name>.pstn.twilio.com (lower case). */
static void domain_of(car_op_t *op)
{
    size_t n = 0;
    for (const char *p = REQ(op)->name; *p && n + sizeof DOMAIN_SUFFIX < sizeof op->c; p++)
        op->c[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    snprintf(op->c + n, sizeof op->c - n, "%s", DOMAIN_SUFFIX);
}

static void create_trunk(car_op_t *op)
{
    domain_of(op);
    char *name = car_escape(REQ(op)->name);
    char *domain = car_escape(op->c);
    char *body = oi_xasprintf("FriendlyName=%s&DomainName=%s", name, domain);
    send_to(op, "POST", "/v1/Trunks", body, TR_CREATED);
    free(body);
    free(domain);
    free(name);
}

/* A trunk found without a termination domain (made before trunks had one) gets its own. */
static void set_domain(car_op_t *op)
{
    domain_of(op);
    char *domain = car_escape(op->c);
    char *body = oi_xasprintf("DomainName=%s", domain);
    char *path = oi_xasprintf("/v1/Trunks/%s", op->a);
    send_to(op, "POST", path, body, TR_DOMAIN_SET);
    free(path);
    free(body);
    free(domain);
}

/* The trunk's sid and domain from a trunk list member or a trunk body. */
static const char *take_trunk(car_op_t *op, const json_t *t)
{
    const char *sid = json_string_value(json_object_get(t, "sid"));
    const char *domain = json_string_value(json_object_get(t, "domain_name"));
    if (sid)
        snprintf(op->a, sizeof op->a, "%s", sid);
    snprintf(op->c, sizeof op->c, "%s", domain ? domain : "");
    return sid;
}

static const json_t *find_trunk(const json_t *root, const char *name)
{
    const json_t *arr = json_object_get(root, "trunks");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *v = json_string_value(json_object_get(json_array_get(arr, i), "friendly_name"));
        if (v && strcmp(v, name) == 0)
            return json_array_get(arr, i);
    }
    return NULL;
}

static void on_trunks_listed(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    const json_t *t = find_trunk(root, REQ(op)->name);
    const char *sid = t ? take_trunk(op, t) : NULL;
    bool paged = !sid && next_page(op, root, TR_LISTED);
    json_decref(root);
    if (paged)
        return;
    if (REQ(op)->lookup_only)
        car_reply_trunk(op, sid ? op->a : "", "");
    else if (sid && !op->c[0] && REQ(op)->auth_username[0])
        set_domain(op);
    else if (sid)
        stage_origination(op);
    else
        create_trunk(op);
}

static void on_trunk_created(car_op_t *op, const car_http_resp_t *resp)
{
    json_t *root = car_json(resp);
    const char *sid = take_trunk(op, root);
    json_decref(root);
    if (!sid) {
        car_op_fail(op, OI_CARRIER_ERROR, "twilio sent an unreadable trunk");
        return;
    }
    op->fresh = true;
    stage_origination(op);
}

CAR_STEP(tw_ensure_trunk)
{
    if (op->state == TR_LIST) {
        if (REQ(op)->first_attempt && !REQ(op)->lookup_only)
            create_trunk(op);
        else
            send_to(op, "GET", "/v1/Trunks?PageSize=1000", NULL, TR_LISTED);
        return;
    }
    if (!car_ok(resp)) {
        car_op_fail_http(op, resp, st, why, tw_error_map);
        return;
    }
    switch (op->state) {
    case TR_LISTED:
        on_trunks_listed(op, resp);
        break;
    case TR_CREATED:
        on_trunk_created(op, resp);
        break;
    case TR_DOMAIN_SET:
        stage_origination(op);
        break;
    case TR_OU_LISTED:
        on_origination_listed(op, resp);
        break;
    case TR_OU_CREATED:
        stage_credentials(op);
        break;
    case TR_CL_LINKED:
        on_credential_lists_linked(op, resp);
        break;
    case TR_CL_LISTED:
        on_credential_lists_listed(op, resp);
        break;
    case TR_CL_DELETED:
        create_credential_list(op);
        break;
    case TR_CL_CREATED:
        on_credential_list_created(op, resp);
        break;
    case TR_CR_CREATED:
        attach_credential_list(op);
        break;
    case TR_CL_ATTACHED:
        stage_number(op);
        break;
    case TR_PN_FETCHED:
        on_number_fetched(op, resp);
        break;
    default:
        car_reply_trunk(op, op->a, op->c);
        break;
    }
}
