/* render.c: one function per API shape. */
#include "render.h"

#include "query.h"

#include "oi/json_dump.h"
#include "oi/buf.h"
#include "oi/mem.h"
#include "oi/proto_enum.h"
#include "oi/routing_policy.h"
#include "oi/secret_names.h"
#include "oi/status.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

json_t *gw_json_str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

/* OptString: NULL pointer = absent → JSON null */
static json_t *opt_or_null(const Oneinbox__V1__OptString *o) { return o ? json_string(o->value) : json_null(); }
static json_t *nonempty_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }
static json_t *opt_nonempty_or_null(const Oneinbox__V1__OptString *o)
{
    return o && o->value[0] ? json_string(o->value) : json_null();
}

void gw_render_memo_cleanup(gw_render_memo_t *m)
{
    for (int i = 0; i < OI_POLICY__MEMBERS; i++) {
        OI_FREE(m->text[i]);
        json_decref(m->value[i]);
        m->value[i] = NULL;
    }
}

/* Policy member m, when set: its canonical JSON as stored (absent when unset, so a number
 * using none of them keeps the seeds' exact shape); through memo when given. */
static void put_policy_member(json_t *o, oi_policy_member_t m, const Oneinbox__V1__OptString *text,
                              gw_render_memo_t *memo)
{
    if (!text || !text->value[0])
        return;
    json_t *v;
    if (memo && memo->text[m] && strcmp(memo->text[m], text->value) == 0) {
        v = json_incref(memo->value[m]);
    } else {
        v = json_loads(text->value, 0, NULL);
        if (memo && v) {
            free(memo->text[m]);
            json_decref(memo->value[m]);
            memo->text[m] = oi_xstrdup(text->value);
            memo->value[m] = json_incref(v);
        }
    }
    if (v)
        json_object_set_new(o, oi_policy_member_name(m), v);
}

static json_t *render_routing(const Oneinbox__V1__InboundRouting *ir, gw_render_memo_t *memo)
{
    if (!ir)
        return json_null();
    json_t *fallback = ir->fallback_agent_id ? json_pack("{ss}", "agent_id", ir->fallback_agent_id->value) : json_null();
    json_t *o = json_pack("{ssso so}", "agent_id", ir->agent_id, "fallback", fallback, "voicemail_message",
                          opt_or_null(ir->voicemail_message));
    put_policy_member(o, OI_POLICY_FALLBACKS, ir->fallbacks, memo);
    put_policy_member(o, OI_POLICY_SCHEDULE, ir->schedule, memo);
    put_policy_member(o, OI_POLICY_CALLER_RULES, ir->caller_rules, memo);
    return o;
}

json_t *gw_render_number(const Oneinbox__V1__PhoneNumber *n) { return gw_render_number_in(n, NULL); }

json_t *gw_render_number_in(const Oneinbox__V1__PhoneNumber *n, gw_render_memo_t *memo)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(n->id));
    json_object_set_new(o, "phone_number", json_string(n->phone_number));
    json_object_set_new(o, "friendly_name", opt_or_null(n->friendly_name));
    json_object_set_new(o, "provider", json_string(oi_enum_str(&oneinbox__v1__provider__descriptor, (int)n->provider)));
    json_object_set_new(o, "agent_id", json_string(n->agent_id));
    json_object_set_new(o, "status", json_string(n->status && *n->status ? n->status : "active"));
    json_object_set_new(o, "inbound_trunk_id", opt_nonempty_or_null(n->inbound_trunk_id));
    json_object_set_new(o, "outbound_trunk_id", opt_nonempty_or_null(n->outbound_trunk_id));
    json_object_set_new(o, "dispatch_rule_id", opt_nonempty_or_null(n->dispatch_rule_id));
    json_object_set_new(o, "inbound_routing", render_routing(n->inbound_routing, memo));
    json_object_set_new(o, "sms_capable", n->sms_capable ? json_boolean(n->sms_capable->value) : json_null());
    json_object_set_new(o, "created_at", json_string(n->created_at));
    json_object_set_new(o, "updated_at", json_string(n->updated_at));
    /* when a quarantined number's carrier release starts (POST .../restore until then) */
    json_object_set_new(o, "release_at", n->release_at && *n->release_at ? json_string(n->release_at) : json_null());
    return o;
}

json_t *gw_render_agent(const Oneinbox__V1__Agent *a)
{
    return json_pack("{ss ss ss so ss ss}", "id", a->id, "name", a->name, "status",
                     oi_enum_str(&oneinbox__v1__agent_status__descriptor, (int)a->status), "voicemail_message",
                     opt_or_null(a->voicemail_message), "created_at", a->created_at, "updated_at",
                     a->updated_at);
}

json_t *gw_render_integration(const Oneinbox__V1__Integration *i)
{
    json_t *meta = i->metadata_json && *i->metadata_json ? json_loads(i->metadata_json, 0, NULL) : NULL;
    if (!json_is_object(meta)) {
        json_decref(meta);
        meta = json_object();
    }
    oi_json_strip_secrets(meta); /* what oi-provisioning keeps holds none; a row from before might */
    return json_pack("{ss ss ss so ss ss}", "id", i->id, "name", i->name, "provider",
                     oi_enum_str(&oneinbox__v1__provider__descriptor, (int)i->provider), "metadata", meta,
                     "created_at", i->created_at, "updated_at", i->updated_at);
}

json_t *gw_render_job(const Oneinbox__V1__Job *j)
{
    oi_status_t failure = oi_status_valid((int)j->error_status) ? (oi_status_t)j->error_status : OI_INTERNAL;
    json_t *error = failure != OI_OK ? json_pack("{ssss}", "code", oi_status_code(failure), "message",
                                                 j->error_message ? j->error_message : "")
                                     : json_null();
    json_t *events = json_array();
    for (size_t i = 0; i < j->n_events; i++) {
        const Oneinbox__V1__JobEvent *e = j->events[i];
        json_array_append_new(events, json_pack("{ss ss ss so}", "at", e->at, "step", e->step, "state",
                                                oi_enum_str(&oneinbox__v1__job_state__descriptor, (int)e->state),
                                                "error", nonempty_or_null(e->error)));
    }
    return json_pack("{ss ss ss ss si so so ss ss so}", "id", j->id, "kind",
                     oi_enum_str(&oneinbox__v1__job_kind__descriptor, (int)j->kind), "status",
                     oi_enum_str(&oneinbox__v1__job_state__descriptor, (int)j->state), "step",
                     j->step, "attempts", j->attempts, "error", error, "result",
                     j->result && j->result->id && *j->result->id ? gw_render_number(j->result) : json_null(),
                     "created_at", j->created_at, "updated_at", j->updated_at, "events", events);
}

json_t *gw_render_available(const Oneinbox__V1__AvailableNumber *a)
{
    return json_pack("{ss ss ss ss ss s{sbsbsb}}", "phone_number", a->phone_number, "friendly_name", a->friendly_name,
                     "locality", a->locality, "region", a->region, "country", a->country, "capabilities", "voice",
                     a->voice, "sms", a->sms, "mms", a->mms);
}

static json_t *render_step(const Oneinbox__V1__RouteStep *s)
{
    if (s->kind == ONEINBOX__V1__STEP_KIND__STEP_KIND_VOICEMAIL)
        return json_pack("{ssso}", "type", "voicemail", "voicemail_message", opt_or_null(s->voicemail_message));
    json_t *on = json_array();
    for (unsigned b = 1; b <= OI_TRIGGER_NO_ANSWER; b <<= 1)
        if (s->on & b)
            json_array_append_new(on, json_string(oi_trigger_name(b)));
    return json_pack("{ssssssso}", "type", "agent", "agent_id", s->agent_id, "role", s->role, "on", on);
}

json_t *gw_render_resolve(const Oneinbox__V1__ResolveReply *r)
{
    json_t *provider = r->provider && *r->provider ? json_string(r->provider) : json_null();
    json_t *steps = json_array();
    for (size_t i = 0; i < r->n_steps; i++)
        json_array_append_new(steps, render_step(r->steps[i]));
    return json_pack("{ss so so so ss ss ss so sI so}", "number_id", r->number_id, "agent_id", opt_or_null(r->agent_id),
                     "fallback_agent_id", opt_or_null(r->fallback_agent_id), "voicemail_message",
                     opt_or_null(r->voicemail_message), "dispatch_rule_id", r->dispatch_rule_id,
                     "inbound_trunk_id", r->inbound_trunk_id, "reason", r->reason, "provider", provider,
                     "version", (json_int_t)r->version, "steps", steps);
}

uint8_t *gw_render_resolve_body(const Oneinbox__V1__ResolveReply *r, size_t *len)
{
    json_t *j = gw_render_resolve(r);
    char *body = oi_json_dump(j);
    json_decref(j);
    *len = strlen(body);
    return (uint8_t *)body;
}

/* name=value, the value percent-encoded (gw_query_encode_append: a space is %20 and a '+' is %2B,
 * never ambiguous); after the first pair, '&' first. */
static void form_pair(oi_buf_t *b, const char *name, const char *value)
{
    if (b->len)
        oi_buf_append(b, "&", 1);
    oi_buf_appends(b, name);
    oi_buf_append(b, "=", 1);
    gw_query_encode_append(b, value);
}

uint8_t *gw_render_resolve_form(const Oneinbox__V1__ResolveReply *r, size_t *len)
{
    oi_buf_t b;
    oi_buf_init(&b, 1 << 24); /* far above any decision: its message came in a body of ≤ 1 MiB */
    char version[24];
    snprintf(version, sizeof version, "%lld", (long long)r->version);
    const struct {
        const char *name, *value;
    } pairs[] = {
        {"number_id", r->number_id},
        {"agent_id", r->agent_id ? r->agent_id->value : NULL},
        {"fallback_agent_id", r->fallback_agent_id ? r->fallback_agent_id->value : NULL},
        {"voicemail_message", r->voicemail_message ? r->voicemail_message->value : NULL},
        {"dispatch_rule_id", r->dispatch_rule_id},
        {"inbound_trunk_id", r->inbound_trunk_id},
        {"reason", r->reason},
        {"provider", r->provider && *r->provider ? r->provider : NULL},
        {"version", version},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (pairs[i].value)
            form_pair(&b, pairs[i].name, pairs[i].value);
    return (uint8_t *)oi_buf_steal(&b, len);
}

json_t *gw_render_trace(const Oneinbox__V1__ResolveReply *r)
{
    json_t *trace = json_array();
    for (size_t i = 0; i < r->n_trace; i++)
        json_array_append_new(trace, json_pack("{sssbss}", "check", r->trace[i]->check, "matched",
                                               r->trace[i]->matched, "detail", r->trace[i]->detail));
    return trace;
}

json_t *gw_render_outbound(const Oneinbox__V1__OutboundRouteReply *r)
{
    return json_pack("{ss ss ss ss ss ss ss}", "outbound_trunk_id", r->outbound_trunk_id, "workspace_id",
                     r->workspace_id, "phone_number", r->phone_number, "provider", r->provider, "trunk_address",
                     r->trunk_address, "auth_username", r->auth_username, "auth_password", r->auth_password);
}
