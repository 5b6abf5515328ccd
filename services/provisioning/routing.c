/* routing.c: inbound routing value, JSON and proto conversions. */
#include "routing.h"

#include <stdlib.h>
#include <string.h>

#include "oi/json_dump.h"
#include "oi/buf.h"
#include "oi/mem.h"

void prov_routing_cleanup(prov_routing_t *r)
{
    if (!r)
        return;
    OI_FREE(r->agent_id);
    OI_FREE(r->fallback_agent_id);
    OI_FREE(r->voicemail_message);
    for (int m = 0; m < OI_POLICY__MEMBERS; m++)
        OI_FREE(r->policy[m]);
    r->present = false;
}

void prov_routing_copy(prov_routing_t *out, const prov_routing_t *in)
{
    out->present = in->present;
    out->agent_id = oi_xstrdup(in->agent_id);
    out->fallback_agent_id = oi_xstrdup(in->fallback_agent_id);
    out->voicemail_message = oi_xstrdup(in->voicemail_message);
    for (int m = 0; m < OI_POLICY__MEMBERS; m++)
        out->policy[m] = oi_xstrdup(in->policy[m]);
}

char *prov_routing_member_canonical(const char *text)
{
    json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    char *canon = j ? oi_json_dump(j) : NULL;
    json_decref(j);
    return canon;
}

void prov_routing_from_proto(prov_routing_t *out, const Oneinbox__V1__InboundRouting *in)
{
    memset(out, 0, sizeof *out);
    if (!in)
        return;
    out->present = true;
    out->agent_id = oi_xstrdup(in->agent_id ? in->agent_id : "");
    if (in->fallback_agent_id && in->fallback_agent_id->value && in->fallback_agent_id->value[0])
        out->fallback_agent_id = oi_xstrdup(in->fallback_agent_id->value);
    if (in->voicemail_message && in->voicemail_message->value)
        out->voicemail_message = oi_xstrdup(in->voicemail_message->value);
    const Oneinbox__V1__OptString *members[OI_POLICY__MEMBERS] = {in->fallbacks, in->schedule, in->caller_rules};
    for (int m = 0; m < OI_POLICY__MEMBERS; m++)
        if (members[m] && members[m]->value && members[m]->value[0])
            out->policy[m] = prov_routing_member_canonical(members[m]->value);
}

oi_status_t prov_routing_from_json_text(prov_routing_t *out, const char *text, oi_error_t *err)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return OI_OK;
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!j)
        return oi_error_set(err, OI_INTERNAL, "stored inbound_routing is not JSON");
    oi_status_t rc = OI_OK;
    if (json_is_null(j))
        goto out;
    const char *agent = json_string_value(json_object_get(j, "agent_id"));
    if (!json_is_object(j) || !agent) {
        rc = oi_error_set(err, OI_INTERNAL, "stored inbound_routing has no agent_id");
        goto out;
    }
    out->present = true;
    out->agent_id = oi_xstrdup(agent);
    const char *fb = json_string_value(json_object_get(json_object_get(j, "fallback"), "agent_id"));
    if (fb && fb[0])
        out->fallback_agent_id = oi_xstrdup(fb);
    out->voicemail_message = oi_xstrdup(json_string_value(json_object_get(j, "voicemail_message")));
    for (int m = 0; m < OI_POLICY__MEMBERS; m++) {
        json_t *member = json_object_get(j, oi_policy_member_name((oi_policy_member_t)m));
        if (member && !json_is_null(member))
            out->policy[m] = oi_json_dump(member);
    }
out:
    json_decref(j);
    return rc;
}

#define ROUTING_JSON_MAX (16u << 20) /* far above what a checked routing comes to */

/* `,"name":text` for every policy member set, then the closing brace: the members are canonical
 * JSON already (routing.h), so they are copied, never parsed again. */
static char *with_members(oi_buf_t *b, const prov_routing_t *r)
{
    for (int m = 0; m < OI_POLICY__MEMBERS; m++) {
        if (!r->policy[m])
            continue;
        oi_buf_appends(b, b->len > 1 ? ",\"" : "\"");
        oi_buf_appends(b, oi_policy_member_name((oi_policy_member_t)m));
        oi_buf_appends(b, "\":");
        oi_buf_appends(b, r->policy[m]);
    }
    oi_buf_append(b, "}", 1);
    return oi_buf_steal(b, NULL);
}

char *prov_routing_to_json_text(const prov_routing_t *r)
{
    if (!r || !r->present)
        return NULL;
    json_t *fb = r->fallback_agent_id ? json_pack("{s:s}", "agent_id", r->fallback_agent_id) : json_null();
    json_t *vm = r->voicemail_message ? json_string(r->voicemail_message) : json_null();
    json_t *j = json_pack("{s:s, s:o, s:o}", "agent_id", r->agent_id ? r->agent_id : "", "fallback", fb,
                          "voicemail_message", vm);
    char *head = oi_json_dump(j);
    json_decref(j);
    oi_buf_t b;
    oi_buf_init(&b, ROUTING_JSON_MAX);
    oi_buf_append(&b, head, strlen(head) - 1); /* without its closing brace */
    free(head);
    return with_members(&b, r);
}

char *prov_routing_policy_json(const prov_routing_t *r)
{
    if (!r || !r->present || (!r->policy[0] && !r->policy[1] && !r->policy[2]))
        return NULL;
    oi_buf_t b;
    oi_buf_init(&b, ROUTING_JSON_MAX);
    oi_buf_append(&b, "{", 1);
    return with_members(&b, r);
}

static Oneinbox__V1__OptString *opt_string(const char *v)
{
    if (!v)
        return NULL;
    Oneinbox__V1__OptString *o = oi_xmalloc(sizeof *o);
    oneinbox__v1__opt_string__init(o);
    o->value = oi_xstrdup(v);
    return o;
}

Oneinbox__V1__InboundRouting *prov_routing_to_proto(const prov_routing_t *r)
{
    if (!r || !r->present)
        return NULL;
    Oneinbox__V1__InboundRouting *m = oi_xmalloc(sizeof *m);
    oneinbox__v1__inbound_routing__init(m);
    m->agent_id = oi_xstrdup(r->agent_id ? r->agent_id : "");
    m->fallback_agent_id = opt_string(r->fallback_agent_id);
    m->voicemail_message = opt_string(r->voicemail_message);
    m->fallbacks = opt_string(r->policy[OI_POLICY_FALLBACKS]);
    m->schedule = opt_string(r->policy[OI_POLICY_SCHEDULE]);
    m->caller_rules = opt_string(r->policy[OI_POLICY_CALLER_RULES]);
    return m;
}

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool prov_routing_equal(const prov_routing_t *a, const prov_routing_t *b)
{
    if (a->present != b->present)
        return false;
    if (!a->present)
        return true;
    for (int m = 0; m < OI_POLICY__MEMBERS; m++)
        if (!str_eq(a->policy[m], b->policy[m]))
            return false;
    return str_eq(a->agent_id, b->agent_id) && str_eq(a->fallback_agent_id, b->fallback_agent_id) &&
           str_eq(a->voicemail_message, b->voicemail_message);
}
