/* check.c: request validation for oi-dispatch. */
#include "check.h"

#include "oi/routing_policy.h"

#include <stdio.h>
#include <string.h>

#include "oi/e164.h"
#include "oi/ids.h"

#define ADDRESS_MAX 255
#define CRED_MAX 255

static oi_status_t invalid(oi_error_t *err, const char *field, const char *msg)
{
    oi_status_t rc = oi_error_set(err, OI_INVALID, "%s: %s", field, msg);
    oi_error_set_loc(err, field);
    return rc;
}

/* Length of the UTF-8 sequence starting with byte c, 0 if c cannot start one. */
static int utf8_seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if (c >= 0xe0 && c <= 0xef)
        return 3;
    if (c >= 0xf0 && c <= 0xf4)
        return 4;
    return 0;
}

long dsp_text_len(const char *s, bool allow_newline)
{
    if (!s)
        return -1;
    long n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int len = utf8_seq_len(*p);
        if (len == 0)
            return -1;
        if (len == 1 && (*p < 0x20 || *p == 0x7f) && !(allow_newline && (*p == '\n' || *p == '\t' || *p == '\r')))
            return -1;
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return -1;
        }
        /* reject overlongs and surrogates of 3-byte forms and > U+10FFFF */
        if (len == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
            return -1;
        if (len == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
            return -1;
        p += len;
        n++;
    }
    return n;
}

bool dsp_res_id_valid(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > DSP_RES_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == ':' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* What a request may ask for: active or paused (unspecified: the default of the call). */
static bool agent_status_valid(Oneinbox__V1__AgentStatus s)
{
    return s == ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_UNSPECIFIED ||
           s == ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_ACTIVE || s == ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_PAUSED;
}

static oi_status_t check_text(const char *s, const char *field, long min, long max, bool multiline, oi_error_t *err)
{
    long n = dsp_text_len(s, multiline);
    if (n < 0)
        return invalid(err, field, "must be valid UTF-8 text without control characters");
    if (n < min)
        return invalid(err, field, "is too short");
    if (n > max)
        return invalid(err, field, "is too long");
    return OI_OK;
}

static oi_status_t check_voicemail(const Oneinbox__V1__OptString *vm, oi_error_t *err)
{
    if (!vm)
        return OI_OK;
    return check_text(vm->value, "voicemail_message", 0, DSP_VOICEMAIL_MAX, true, err);
}

oi_status_t dsp_check_create_agent(const Oneinbox__V1__CreateAgentRequest *r, oi_error_t *err)
{
    oi_status_t rc = check_text(r->name, "name", 1, DSP_NAME_MAX, false, err);
    if (rc)
        return rc;
    if (!agent_status_valid(r->status))
        return invalid(err, "status", "must be 'active' or 'paused'");
    return check_voicemail(r->voicemail_message, err);
}

oi_status_t dsp_check_uuid(const char *s, const char *field, char *out, oi_error_t *err)
{
    if (!s || !oi_uuid_normalize(s, out))
        return invalid(err, field, "must be a UUID");
    return OI_OK;
}

oi_status_t dsp_check_update_agent(const Oneinbox__V1__UpdateAgentRequest *r, oi_error_t *err)
{
    char id[OI_UUID_STR_LEN + 1];
    oi_status_t rc = dsp_check_uuid(r->id, "id", id, err);
    if (rc)
        return rc;
    if (r->name) {
        rc = check_text(r->name->value, "name", 1, DSP_NAME_MAX, false, err);
        if (rc)
            return rc;
    }
    if (!agent_status_valid(r->status))
        return invalid(err, "status", "must be 'active' or 'paused'");
    return r->set_voicemail_message ? check_voicemail(r->voicemail_message, err) : OI_OK;
}

oi_status_t dsp_check_limit(int limit, int *out, oi_error_t *err)
{
    if (limit == 0) {
        *out = DSP_LIST_DEFAULT;
        return OI_OK;
    }
    if (limit < 1 || limit > DSP_LIST_MAX)
        return invalid(err, "limit", "must be between 1 and 100");
    *out = limit;
    return OI_OK;
}

static oi_status_t check_res_id(const char *s, const char *field, bool required, oi_error_t *err)
{
    if (!required && (!s || !*s))
        return OI_OK;
    if (!dsp_res_id_valid(s))
        return invalid(err, field, "must be 1..128 characters of [A-Za-z0-9._:-]");
    return OI_OK;
}

static oi_status_t check_e164(const char *s, const char *field, oi_error_t *err)
{
    if (!s || !oi_e164_valid(s))
        return invalid(err, field, "must be an E.164 number like +14155550100");
    return OI_OK;
}

static oi_status_t check_provider(Oneinbox__V1__Provider p, oi_error_t *err)
{
    if (p != ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO && p != ONEINBOX__V1__PROVIDER__PROVIDER_TELNYX)
        return invalid(err, "provider", "must be 'twilio' or 'telnyx'");
    return OI_OK;
}

oi_status_t dsp_check_outbound_trunk(const Oneinbox__V1__OutboundTrunk *t, oi_error_t *err)
{
    oi_status_t rc = check_res_id(t->id, "id", true, err);
    if (!rc)
        rc = check_e164(t->phone_number, "phone_number", err);
    if (!rc)
        rc = check_provider(t->provider, err);
    if (!rc)
        rc = check_text(t->trunk_address, "trunk_address", 1, ADDRESS_MAX, false, err);
    if (!rc)
        rc = check_text(t->auth_username, "auth_username", 0, CRED_MAX, false, err);
    if (!rc)
        rc = check_text(t->auth_password, "auth_password", 0, CRED_MAX, false, err);
    return rc;
}

oi_status_t dsp_check_resolve(const Oneinbox__V1__ResolveRequest *r, oi_error_t *err)
{
    oi_status_t rc = check_e164(r->to, "to", err);
    if (!rc && r->from && *r->from)
        rc = check_e164(r->from, "from", err);
    if (!rc && r->call_id && *r->call_id)
        rc = check_text(r->call_id, "call_id", 1, DSP_CALL_ID_MAX, false, err);
    if (!rc && (r->at_unix_ms < 0 || r->at_unix_ms > DSP_AT_MAX_MS))
        rc = invalid(err, "at_unix_ms", "must be a moment between 1970 and 9999");
    return rc;
}

oi_status_t dsp_check_report_failure(const Oneinbox__V1__ReportFailureRequest *r, oi_error_t *err)
{
    char tmp[OI_UUID_STR_LEN + 1];
    oi_status_t rc = check_text(r->call_id, "call_id", 1, DSP_CALL_ID_MAX, false, err);
    if (!rc)
        rc = dsp_check_uuid(r->agent_id, "agent_id", tmp, err);
    if (!rc && r->to && *r->to)
        rc = check_e164(r->to, "to", err);
    return rc;
}

oi_status_t dsp_check_outbound_route(const Oneinbox__V1__OutboundRouteRequest *r, char *agent_out, oi_error_t *err)
{
    oi_status_t rc = check_e164(r->from, "from", err);
    return rc ? rc : dsp_check_uuid(r->agent_id, "agent_id", agent_out, err);
}

/* --- ApplyNumber ------------------------------------------------------------------------ */

/* Re-reports a nested check's problem under prefix ("outbound_trunk.phone_number"). */
static oi_status_t nested(oi_status_t rc, const oi_error_t *inner, const char *prefix, oi_error_t *err)
{
    if (!rc)
        return OI_OK;
    char loc[OI_ERROR_LOC_MAX];
    snprintf(loc, sizeof loc, "%s.%.64s", prefix, inner->loc);
    rc = oi_error_set(err, rc, "%s.%.200s", prefix, inner->message);
    oi_error_set_loc(err, loc);
    return rc;
}

static oi_status_t check_apply_head(const Oneinbox__V1__ApplyNumberRequest *r, oi_error_t *err)
{
    oi_status_t rc = check_res_id(r->number_id, "number_id", true, err);
    if (!rc)
        rc = check_e164(r->phone_number, "phone_number", err);
    if (!rc)
        rc = check_provider(r->provider, err);
    if (!rc && r->version < 1)
        rc = invalid(err, "version", "must be at least 1");
    return rc;
}

/* An AgentCheck.field becomes an error loc: short printable ASCII, empty allowed. */
static bool field_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > DSP_FIELD_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f)
            return false;
    }
    return true;
}

static oi_status_t check_apply_agents(const Oneinbox__V1__ApplyNumberRequest *r, oi_error_t *err)
{
    if (r->n_agents > DSP_APPLY_AGENTS_MAX)
        return invalid(err, "agents", "at most 48 agents");
    char tmp[OI_UUID_STR_LEN + 1], loc[48];
    for (size_t i = 0; i < r->n_agents; i++) {
        const Oneinbox__V1__AgentCheck *a = r->agents[i];
        snprintf(loc, sizeof loc, "agents[%zu].field", i);
        if (!field_valid(a->field))
            return invalid(err, loc, "must be at most 100 printable ASCII characters");
        snprintf(loc, sizeof loc, "agents[%zu].id", i);
        oi_status_t rc = dsp_check_uuid(a->id, a->field && *a->field ? a->field : loc, tmp, err);
        if (rc)
            return rc;
    }
    return OI_OK;
}

static oi_status_t check_apply_outbound(const Oneinbox__V1__ApplyNumberRequest *r, oi_error_t *err)
{
    const Oneinbox__V1__OutboundTrunk *t = r->outbound_trunk;
    if (t && r->delete_outbound_trunk)
        return invalid(err, "delete_outbound_trunk", "cannot be set together with outbound_trunk");
    if (r->rotate_outbound_trunk && !t)
        return invalid(err, "rotate_outbound_trunk", "needs outbound_trunk");
    /* deleting with no id deletes nothing, as an absent routing with no ids does */
    oi_status_t rc = check_res_id(r->outbound_trunk_id, "outbound_trunk_id", t != NULL, err);
    if (rc || !t)
        return rc;
    if (t->id && *t->id && strcmp(t->id, r->outbound_trunk_id) != 0)
        return invalid(err, "outbound_trunk.id", "must be empty or equal to outbound_trunk_id");
    Oneinbox__V1__OutboundTrunk named = *t;
    named.id = r->outbound_trunk_id;
    oi_error_t inner;
    oi_error_init(&inner);
    return nested(dsp_check_outbound_trunk(&named, &inner), &inner, "outbound_trunk", err);
}

/* The routing policy must parse (its own checks: oi/routing_policy.h) and stay small; parsed, it
 * goes to *kept. */
static oi_status_t check_policy(const char *json, oi_policy_t **kept, oi_error_t *err)
{
    if (strlen(json) > DSP_POLICY_MAX)
        return invalid(err, "routing.policy_json", "is too long");
    oi_error_t inner;
    oi_error_init(&inner);
    if (oi_policy_parse(json, kept, &inner))
        return invalid(err, "routing.policy_json", inner.message);
    return OI_OK;
}

static oi_status_t check_apply_routing(const Oneinbox__V1__ApplyNumberRequest *r, oi_policy_t **policy,
                                       oi_error_t *err)
{
    const Oneinbox__V1__NumberRouting *rt = r->routing;
    oi_status_t rc = check_res_id(r->inbound_trunk_id, "inbound_trunk_id", rt != NULL, err);
    if (!rc)
        rc = check_res_id(r->dispatch_rule_id, "dispatch_rule_id", rt != NULL, err);
    if (rc || !rt)
        return rc;
    char tmp[OI_UUID_STR_LEN + 1];
    rc = dsp_check_uuid(rt->agent_id, "routing.agent_id", tmp, err);
    if (!rc && rt->fallback_agent_id)
        rc = dsp_check_uuid(rt->fallback_agent_id->value, "routing.fallback_agent_id", tmp, err);
    if (!rc && rt->voicemail_message)
        rc = check_text(rt->voicemail_message->value, "routing.voicemail_message", 0, DSP_VOICEMAIL_MAX, true, err);
    if (!rc && rt->policy_json && *rt->policy_json)
        rc = check_policy(rt->policy_json, policy, err);
    return rc;
}

oi_status_t dsp_check_apply_number_policy(const Oneinbox__V1__ApplyNumberRequest *r, oi_policy_t **policy,
                                          oi_error_t *err)
{
    *policy = NULL;
    oi_status_t rc = check_apply_head(r, err);
    if (!rc)
        rc = check_apply_agents(r, err);
    if (!rc)
        rc = check_apply_outbound(r, err);
    if (!rc)
        rc = check_apply_routing(r, policy, err);
    if (rc)
        oi_policy_free(policy);
    return rc;
}

oi_status_t dsp_check_apply_number(const Oneinbox__V1__ApplyNumberRequest *r, oi_error_t *err)
{
    oi_policy_t *policy;
    oi_status_t rc = dsp_check_apply_number_policy(r, &policy, err);
    oi_policy_free(&policy);
    return rc;
}
