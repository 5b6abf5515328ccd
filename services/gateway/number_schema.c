/* number_schema.c: PhoneNumberCreate, PhoneNumberPurchase, the PATCH body and the search query. */
#include "number_schema.h"

#include "oi/proto_enum.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/http_server.h"
#include "oi/mem.h"
#include "oi/routing_policy.h"
#include "query.h"

#define SIP_FIELD_MAX 255

static const char *const providers[] = {"twilio", "telnyx", NULL};

static Oneinbox__V1__OptString *opt(gw_opts_t *o, const char *value)
{
    if (!value || o->n >= GW_OPT_SLOTS)
        return NULL;
    Oneinbox__V1__OptString *s = &o->slots[o->n++];
    oneinbox__v1__opt_string__init(s);
    s->value = (char *)value;
    return s;
}

/* The policy member m of the inbound_routing object at l, checked; its canonical JSON is kept
 * in o (NULL when absent, null or invalid). */
static const char *policy_member(oi_validation_t *v, const oi_loc_t *l, json_t *obj, gw_opts_t *o,
                                 oi_policy_member_t m, bool *present)
{
    json_t *canon = oi_policy_check_member(v, l, obj, m, present, NULL);
    if (!canon)
        return NULL;
    free(o->policy[m]);
    o->policy[m] = json_dumps(canon, JSON_COMPACT);
    json_decref(canon);
    return o->policy[m];
}

static void opts_cleanup(gw_opts_t *o)
{
    for (int m = 0; m < OI_POLICY__MEMBERS; m++)
        OI_FREE(o->policy[m]);
}

static char *uuid_slot(gw_opts_t *o) { return o->nuuids < 6 ? o->uuids[o->nuuids++] : o->uuids[5]; }

/* InboundRouting-Input: agent_id required uuid; fallback {agent_id uuid|null}|null;
 * voicemail_message string|null. Fills ir; false when absent/null/invalid (*present tells). */
static bool parse_routing(oi_validation_t *v, const oi_loc_t *loc, json_t *body, gw_opts_t *o,
                          Oneinbox__V1__InboundRouting *ir, bool *present)
{
    bool is_null = false;
    size_t before = oi_validation_count(v);
    json_t *obj = oi_v_subobject(v, loc, body, "inbound_routing", OI_V_NULLABLE, present, &is_null);
    if (!obj)
        return false;
    oi_loc_t l = oi_loc_key(loc, "inbound_routing");
    oneinbox__v1__inbound_routing__init(ir);
    char *agent = uuid_slot(o);
    if (oi_v_uuid(v, &l, obj, "agent_id", OI_V_REQUIRED, NULL, agent))
        ir->agent_id = agent;
    bool fb_null = false;
    json_t *fb = oi_v_subobject(v, &l, obj, "fallback", OI_V_NULLABLE, NULL, &fb_null);
    if (fb) {
        oi_loc_t fl = oi_loc_key(&l, "fallback");
        char *fallback = uuid_slot(o);
        if (oi_v_uuid(v, &fl, fb, "agent_id", OI_V_NULLABLE, NULL, fallback))
            ir->fallback_agent_id = opt(o, fallback);
    }
    ir->voicemail_message = opt(o, oi_v_string(v, &l, obj, "voicemail_message", OI_V_NULLABLE, 0, 0, NULL));
    ir->fallbacks = opt(o, policy_member(v, &l, obj, o, OI_POLICY_FALLBACKS, NULL));
    ir->schedule = opt(o, policy_member(v, &l, obj, o, OI_POLICY_SCHEDULE, NULL));
    ir->caller_rules = opt(o, policy_member(v, &l, obj, o, OI_POLICY_CALLER_RULES, NULL));
    return oi_validation_count(v) == before;
}

/* The three SIP fields of a provider_config object: nullable strings of min..255 characters. */
static void parse_sip_fields(oi_validation_t *v, const oi_loc_t *l, json_t *pc, gw_opts_t *o, size_t min,
                             Oneinbox__V1__ProviderConfig *out)
{
    out->trunk_address = opt(o, oi_v_string(v, l, pc, "trunk_address", OI_V_NULLABLE, min, SIP_FIELD_MAX, NULL));
    out->auth_username = opt(o, oi_v_string(v, l, pc, "auth_username", OI_V_NULLABLE, min, SIP_FIELD_MAX, NULL));
    out->auth_password = opt(o, oi_v_string(v, l, pc, "auth_password", OI_V_NULLABLE, min, SIP_FIELD_MAX, NULL));
}

/* SipProviderConfig: three nullable strings ≤255; extra keys kept (extra="allow"). */
static void parse_provider_config(oi_validation_t *v, const oi_loc_t *loc, json_t *body, gw_register_msg_t *m)
{
    oneinbox__v1__provider_config__init(&m->pc);
    json_t *pc = oi_v_subobject(v, loc, body, "provider_config", 0, NULL, NULL);
    if (!pc)
        return;
    oi_loc_t l = oi_loc_key(loc, "provider_config");
    parse_sip_fields(v, &l, pc, &m->o, 0, &m->pc);
    json_t *extra = json_deep_copy(pc);
    json_object_del(extra, "trunk_address");
    json_object_del(extra, "auth_username");
    json_object_del(extra, "auth_password");
    m->extra_json = json_dumps(extra, JSON_COMPACT);
    json_decref(extra);
    m->pc.extra_json = m->extra_json;
    m->req.provider_config = &m->pc;
}

bool gw_register_parse(oi_validation_t *v, json_t *body, gw_register_msg_t *m)
{
    memset(m, 0, sizeof *m);
    oneinbox__v1__register_number_request__init(&m->req);
    oi_loc_t loc = oi_loc_root("body");
    if (!oi_v_object(v, &loc, body))
        return false;
    size_t before = oi_validation_count(v);
    const char *phone = oi_v_e164(v, &loc, body, "phone_number", OI_V_REQUIRED, NULL);
    m->req.phone_number = (char *)(phone ? phone : "");
    m->req.friendly_name = opt(&m->o, oi_v_string(v, &loc, body, "friendly_name", OI_V_NULLABLE, 0, 0, NULL));
    const char *provider = oi_v_enum(v, &loc, body, "provider", OI_V_REQUIRED, providers, NULL);
    int pv = ONEINBOX__V1__PROVIDER__PROVIDER_UNSPECIFIED;
    if (provider)
        oi_enum_parse(&oneinbox__v1__provider__descriptor, provider, &pv);
    m->req.provider = (Oneinbox__V1__Provider)pv;
    char *agent = uuid_slot(&m->o);
    oi_v_uuid(v, &loc, body, "agent_id", OI_V_REQUIRED, NULL, agent);
    m->req.agent_id = agent;
    parse_provider_config(v, &loc, body, m);
    bool routing_present = false;
    if (parse_routing(v, &loc, body, &m->o, &m->ir, &routing_present))
        m->req.inbound_routing = &m->ir;
    char *cred = uuid_slot(&m->o);
    if (oi_v_uuid(v, &loc, body, "credential_id", OI_V_NULLABLE, NULL, cred))
        m->req.credential_id = opt(&m->o, cred);
    return oi_validation_count(v) == before;
}

void gw_register_msg_cleanup(gw_register_msg_t *m)
{
    free(m->extra_json);
    m->extra_json = NULL;
    opts_cleanup(&m->o);
}

void gw_purchase_msg_cleanup(gw_purchase_msg_t *m) { opts_cleanup(&m->o); }

void gw_update_msg_cleanup(gw_update_msg_t *m) { opts_cleanup(&m->o); }

static bool is_us_ca(const char *country) { return !strcmp(country, "US") || !strcmp(country, "CA"); }

static bool all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* Twilio's Contains: 2..16 of [0-9A-Za-z*%] with an optional leading + or trailing $. */
static bool contains_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '*' || c == '%' || (c == '+' && i == 0) || (c == '$' && i == n - 1)))
            return false;
    }
    return true;
}

static void value_error(oi_validation_t *v, const oi_loc_t *base, const char *key, json_t *input, const char *msg)
{
    oi_loc_t l = oi_loc_key(base, key);
    char full[200];
    snprintf(full, sizeof full, "Value error, %s", msg);
    oi_validation_add(v, &l, "value_error", full, input, json_pack("{ss}", "error", msg));
}

/* Normalises a 2-letter country to upper case; false if not letters. */
static bool country_norm(const char *in, char out[3])
{
    if (strlen(in) != 2 || !isalpha((unsigned char)in[0]) || !isalpha((unsigned char)in[1]))
        return false;
    out[0] = (char)toupper((unsigned char)in[0]);
    out[1] = (char)toupper((unsigned char)in[1]);
    out[2] = '\0';
    return true;
}

static void check_search_filters(oi_validation_t *v, const oi_loc_t *loc, json_t *holder, const char *country,
                                 const char *area_code, const char *contains)
{
    if (area_code && !is_us_ca(country))
        value_error(v, loc, "area_code", json_object_get(holder, "area_code"),
                    "area_code is only supported for US and CA numbers");
    else if (area_code && !all_digits(area_code, 3))
        value_error(v, loc, "area_code", json_object_get(holder, "area_code"), "area_code must be 3 digits");
    if (contains && !contains_ok(contains))
        value_error(v, loc, "contains", json_object_get(holder, "contains"),
                    "contains must be 1-16 characters of digits, letters, * or %");
}

bool gw_purchase_parse(oi_validation_t *v, json_t *body, gw_purchase_msg_t *m)
{
    memset(m, 0, sizeof *m);
    oneinbox__v1__purchase_number_request__init(&m->req);
    oi_loc_t loc = oi_loc_root("body");
    if (!oi_v_object(v, &loc, body))
        return false;
    size_t before = oi_validation_count(v);
    m->req.phone_number = opt(&m->o, oi_v_e164(v, &loc, body, "phone_number", OI_V_NULLABLE, NULL));
    bool country_present = false;
    const char *country = oi_v_string(v, &loc, body, "country", 0, 2, 2, &country_present);
    snprintf(m->country, sizeof m->country, "US");
    if (country && !country_norm(country, m->country))
        value_error(v, &loc, "country", json_object_get(body, "country"), "country must be an ISO 3166 alpha-2 code");
    m->req.country = m->country;
    const char *area = oi_v_string(v, &loc, body, "area_code", OI_V_NULLABLE, 0, 0, NULL);
    const char *contains = oi_v_string(v, &loc, body, "contains", OI_V_NULLABLE, 0, 0, NULL);
    check_search_filters(v, &loc, body, m->country, area, contains);
    m->req.area_code = opt(&m->o, area);
    m->req.contains = opt(&m->o, contains);
    m->req.friendly_name = opt(&m->o, oi_v_string(v, &loc, body, "friendly_name", OI_V_NULLABLE, 0, 0, NULL));
    char *agent = uuid_slot(&m->o);
    oi_v_uuid(v, &loc, body, "agent_id", OI_V_REQUIRED, NULL, agent);
    m->req.agent_id = agent;
    if (parse_routing(v, &loc, body, &m->o, &m->ir, NULL))
        m->req.inbound_routing = &m->ir;
    return oi_validation_count(v) == before;
}

/* InboundRoutingUpdate: every field optional; presence matters (merge semantics). */
static void parse_routing_update(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, gw_update_msg_t *m)
{
    oi_loc_t l = oi_loc_key(loc, "inbound_routing");
    Oneinbox__V1__InboundRoutingUpdate *u = &m->iru;
    char *agent = uuid_slot(&m->o);
    if (oi_v_uuid(v, &l, obj, "agent_id", OI_V_NULLABLE, NULL, agent))
        u->agent_id = opt(&m->o, agent);
    bool fb_present = false, fb_null = false;
    json_t *fb = oi_v_subobject(v, &l, obj, "fallback", OI_V_NULLABLE, &fb_present, &fb_null);
    u->set_fallback = fb_present;
    if (fb) {
        oi_loc_t fl = oi_loc_key(&l, "fallback");
        char *fallback = uuid_slot(&m->o);
        if (oi_v_uuid(v, &fl, fb, "agent_id", OI_V_NULLABLE, NULL, fallback))
            u->fallback_agent_id = opt(&m->o, fallback);
    }
    bool vm_present = false;
    const char *vm = oi_v_string(v, &l, obj, "voicemail_message", OI_V_NULLABLE, 0, 0, &vm_present);
    u->set_voicemail_message = vm_present;
    u->voicemail_message = opt(&m->o, vm);
    bool set[OI_POLICY__MEMBERS] = {false, false, false};
    u->fallbacks = opt(&m->o, policy_member(v, &l, obj, &m->o, OI_POLICY_FALLBACKS, &set[OI_POLICY_FALLBACKS]));
    u->schedule = opt(&m->o, policy_member(v, &l, obj, &m->o, OI_POLICY_SCHEDULE, &set[OI_POLICY_SCHEDULE]));
    u->caller_rules = opt(&m->o, policy_member(v, &l, obj, &m->o, OI_POLICY_CALLER_RULES, &set[OI_POLICY_CALLER_RULES]));
    u->set_fallbacks = set[OI_POLICY_FALLBACKS];
    u->set_schedule = set[OI_POLICY_SCHEDULE];
    u->set_caller_rules = set[OI_POLICY_CALLER_RULES];
}

/* PATCH provider_config: the SIP fields to rotate (each given replaces the stored one; null or
 * absent keeps it; an empty string is refused). Nothing given: no rotation. */
static void parse_rotation(oi_validation_t *v, const oi_loc_t *loc, json_t *body, gw_update_msg_t *m)
{
    oneinbox__v1__provider_config__init(&m->pc);
    json_t *pc = oi_v_subobject(v, loc, body, "provider_config", OI_V_NULLABLE, NULL, NULL);
    if (!pc)
        return;
    oi_loc_t l = oi_loc_key(loc, "provider_config");
    parse_sip_fields(v, &l, pc, &m->o, 1, &m->pc);
    if (m->pc.trunk_address || m->pc.auth_username || m->pc.auth_password)
        m->req.provider_config = &m->pc;
}

bool gw_update_parse(oi_validation_t *v, json_t *body, gw_update_msg_t *m)
{
    memset(m, 0, sizeof *m);
    oneinbox__v1__update_number_request__init(&m->req);
    oneinbox__v1__inbound_routing_update__init(&m->iru);
    oi_loc_t loc = oi_loc_root("body");
    if (!oi_v_object(v, &loc, body))
        return false;
    size_t before = oi_validation_count(v);
    bool fn_present = false;
    const char *fname = oi_v_string(v, &loc, body, "friendly_name", OI_V_NULLABLE, 0, 0, &fn_present);
    m->req.set_friendly_name = fn_present;
    m->req.friendly_name = opt(&m->o, fname);
    char *agent = uuid_slot(&m->o);
    if (oi_v_uuid(v, &loc, body, "agent_id", OI_V_NULLABLE, NULL, agent))
        m->req.agent_id = opt(&m->o, agent);
    bool ir_present = false, ir_null = false;
    json_t *ir = oi_v_subobject(v, &loc, body, "inbound_routing", OI_V_NULLABLE, &ir_present, &ir_null);
    m->req.set_inbound_routing = ir_present;
    m->req.clear_inbound_routing = ir_null;
    if (ir) {
        parse_routing_update(v, &loc, ir, m);
        m->req.inbound_routing = &m->iru;
    }
    parse_rotation(v, &loc, body, m);
    return oi_validation_count(v) == before;
}


bool gw_search_parse(oi_validation_t *v, const char *query, gw_search_query_t *q)
{
    memset(q, 0, sizeof *q);
    size_t before = oi_validation_count(v);
    oi_loc_t loc = oi_loc_root("query");
    char raw[64];
    bool present = false;
    snprintf(q->country, sizeof q->country, "US");
    json_t *holder = json_object();
    present = gw_query_param(v, query, "country", raw, sizeof raw);
    if (present) {
        json_object_set_new(holder, "country", json_string(raw));
        if (!country_norm(raw, q->country)) {
            oi_loc_t l = oi_loc_key(&loc, "country");
            oi_validation_add(v, &l, strlen(raw) > 2 ? "string_too_long" : "string_too_short",
                              strlen(raw) > 2 ? "String should have at most 2 characters"
                                              : "String should have at least 2 characters",
                              json_object_get(holder, "country"), NULL);
        }
    }
    q->has_area_code = gw_query_param(v, query, "area_code", q->area_code, sizeof q->area_code);
    q->has_contains = gw_query_param(v, query, "contains", q->contains, sizeof q->contains);
    if (q->has_area_code)
        json_object_set_new(holder, "area_code", json_string(q->area_code));
    if (q->has_contains)
        json_object_set_new(holder, "contains", json_string(q->contains));
    check_search_filters(v, &loc, holder, q->country, q->has_area_code ? q->area_code : NULL,
                         q->has_contains ? q->contains : NULL);
    json_decref(holder);
    q->limit = 20;
    if (gw_query_param(v, query, "limit", raw, sizeof raw))
        oi_v_query_int(v, "limit", raw, 1, 100, &q->limit);
    return oi_validation_count(v) == before;
}
