/* decide.c: the routing decision (pure: the time and the caller come in; no I/O). Every field of
 * the reply is heap-built, so protobuf_c_message_free_unpacked frees it whole. */
#include "oi/route_decide.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/e164.h"
#include "oi/mem.h"
#include "oi/phone_region.h"
#include "oi/tz.h"

#define FAILED_TRIGGERS (OI_TRIGGER_ERROR | OI_TRIGGER_BUSY | OI_TRIGGER_NO_ANSWER)
#define CANDIDATES_MAX (2 + OI_POLICY_FALLBACKS_MAX)

typedef struct {
    const char *id;
    const oi_agent_state_t *state; /* NULL: not in the snapshot (unknown agent) */
    const char *role;
    unsigned on;                    /* triggers that pass the call to it (0 for a first step) */
} cand_t;

typedef struct {
    const oi_route_t *r;
    const oi_route_call_t *in;
    Oneinbox__V1__ResolveReply *rep;
} dec_t;

static const oi_agent_state_t absent_agent = {0};

/* --- reply building ------------------------------------------------------------------------------ */

static Oneinbox__V1__OptString *opt_new(const char *s)
{
    if (!s)
        return NULL;
    Oneinbox__V1__OptString *o = oi_xmalloc(sizeof *o);
    oneinbox__v1__opt_string__init(o);
    o->value = oi_xstrdup(s);
    return o;
}

static void trace(dec_t *d, const char *check, bool matched, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void trace(dec_t *d, const char *check, bool matched, const char *fmt, ...)
{
    if (!d->in->explain)
        return;
    Oneinbox__V1__TraceCheck *t = oi_xmalloc(sizeof *t);
    oneinbox__v1__trace_check__init(t);
    t->check = oi_xstrdup(check);
    t->matched = matched;
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    t->detail = oi_xstrdup(detail);
    Oneinbox__V1__ResolveReply *rep = d->rep;
    rep->trace = oi_xrealloc(rep->trace, (rep->n_trace + 1) * sizeof *rep->trace);
    rep->trace[rep->n_trace++] = t;
}

static void step_push(dec_t *d, Oneinbox__V1__RouteStep *s)
{
    Oneinbox__V1__ResolveReply *rep = d->rep;
    rep->steps = oi_xrealloc(rep->steps, (rep->n_steps + 1) * sizeof *rep->steps);
    rep->steps[rep->n_steps++] = s;
}

static void step_agent(dec_t *d, const cand_t *c)
{
    Oneinbox__V1__RouteStep *s = oi_xmalloc(sizeof *s);
    oneinbox__v1__route_step__init(s);
    s->kind = ONEINBOX__V1__STEP_KIND__STEP_KIND_AGENT;
    s->agent_id = oi_xstrdup(c->id);
    s->role = oi_xstrdup(c->role);
    s->on = c->on;
    step_push(d, s);
}

static void step_voicemail(dec_t *d, const char *message)
{
    Oneinbox__V1__RouteStep *s = oi_xmalloc(sizeof *s);
    oneinbox__v1__route_step__init(s);
    s->kind = ONEINBOX__V1__STEP_KIND__STEP_KIND_VOICEMAIL;
    s->agent_id = oi_xstrdup("");
    s->role = oi_xstrdup("voicemail");
    s->voicemail_message = opt_new(message);
    step_push(d, s);
}

/* --- agents ---------------------------------------------------------------------------------------- */

static bool failed_for_call(const dec_t *d, const char *id)
{
    for (size_t i = 0; i < d->in->n_failed; i++)
        if (d->in->failed[i] && strcmp(d->in->failed[i], id) == 0)
            return true;
    return false;
}

/* Why c cannot take the call (an OI_TRIGGER_* set), 0 when it can. */
static unsigned trigger_of(const dec_t *d, const cand_t *c)
{
    const oi_agent_state_t *a = c->state ? c->state : &absent_agent;
    if (!c->id || !*c->id || !a->present || a->deleted)
        return OI_TRIGGER_DELETED;
    if (!a->active)
        return OI_TRIGGER_PAUSED;
    return failed_for_call(d, c->id) ? FAILED_TRIGGERS : 0;
}

static const char *trigger_words(unsigned t)
{
    return t == 0 ? "can take the call" : t == OI_TRIGGER_DELETED ? "deleted or unknown"
                                      : t == OI_TRIGGER_PAUSED    ? "paused"
                                                                  : "failed earlier in this call";
}

/* The first candidate that can take the call, walking the chain; n when none. *first gets the
 * first candidate's trigger. */
static size_t walk(dec_t *d, const cand_t *c, size_t n, unsigned *first)
{
    unsigned before = 0;
    *first = 0;
    for (size_t i = 0; i < n; i++) {
        char check[64];
        snprintf(check, sizeof check, "agent %s", c[i].role);
        if (i > 0 && !(c[i].on & before)) {
            trace(d, check, false, "%s skipped: its triggers do not include why the agent before it was passed",
                  c[i].id);
            continue;
        }
        unsigned t = trigger_of(d, &c[i]);
        trace(d, check, t == 0, "%s %s", c[i].id, trigger_words(t));
        if (i == 0)
            *first = t;
        if (t == 0)
            return i;
        before = t;
    }
    return n;
}

/* A default voicemail only counts for an agent that still exists (paused is fine). */
static const char *agent_voicemail(const oi_agent_state_t *a)
{
    return a && a->present && !a->deleted ? a->voicemail : NULL;
}

static const char *voicemail_message(const dec_t *d, const cand_t *chosen)
{
    const oi_route_t *r = d->r;
    if (r->voicemail)
        return r->voicemail;
    const char *vm = chosen ? agent_voicemail(chosen->state) : NULL;
    if (!vm)
        vm = agent_voicemail(&r->primary);
    return vm ? vm : agent_voicemail(&r->fallback);
}

/* Chooses along the chain c, then lists the steps from the chosen one on: the chosen agent, the
 * later ones that can take a call, then voicemail. Returns the chosen index (n: none). */
static size_t route_chain(dec_t *d, const cand_t *c, size_t n, unsigned *first)
{
    size_t k = walk(d, c, n, first);
    const cand_t *chosen = k < n ? &c[k] : NULL;
    if (chosen) {
        d->rep->agent_id = opt_new(chosen->id);
        step_agent(d, chosen);
        for (size_t j = k + 1; j < n; j++)
            if (trigger_of(d, &c[j]) == 0)
                step_agent(d, &c[j]);
    }
    const char *vm = voicemail_message(d, chosen);
    d->rep->voicemail_message = opt_new(vm);
    step_voicemail(d, vm);
    return k;
}

static cand_t policy_cand(const dec_t *d, const char *id, const char *role, unsigned on)
{
    return (cand_t){.id = id, .state = oi_route_policy_agent(d->r, id), .role = role, .on = on};
}

/* --- caller rules ---------------------------------------------------------------------------------- */

typedef struct {
    char e164[OI_E164_MAX + 1];
    bool known;                 /* a number, not withheld or unparseable */
    char region[3];
    bool region_tried;
} caller_t;

static const char *caller_region(caller_t *c)
{
    if (!c->region_tried) {
        c->region_tried = true;
        if (!c->known || !oi_phone_region(c->e164, c->region))
            c->region[0] = '\0';
    }
    return c->region;
}

/* why (explain only, else NULL) says what was compared. */
static bool rule_matches(const oi_policy_rule_t *rule, caller_t *c, char *why, size_t cap)
{
    const char *who = c->known ? c->e164 : "withheld";
    bool m = false;
    switch (rule->kind) {
    case OI_MATCH_NUMBERS:
        for (size_t i = 0; c->known && i < rule->n_numbers && !m; i++)
            m = strcmp(rule->numbers[i], c->e164) == 0;
        if (why && m)
            snprintf(why, cap, "caller %s is listed", who);
        else if (why)
            snprintf(why, cap, "caller %s is not among the %zu numbers", who, rule->n_numbers);
        return m;
    case OI_MATCH_PREFIX:
        m = c->known && strncmp(c->e164, rule->prefix, strlen(rule->prefix)) == 0;
        if (why)
            snprintf(why, cap, "caller %s %s with %s", who, m ? "starts" : "does not start", rule->prefix);
        return m;
    case OI_MATCH_COUNTRY: {
        const char *region = caller_region(c);
        m = strcmp(region, rule->country) == 0;
        if (why)
            snprintf(why, cap, "caller %s is from %s, rule wants %s", who, *region ? region : "no known country",
                     rule->country);
        return m;
    }
    case OI_MATCH_ANONYMOUS:
    default:
        if (why)
            snprintf(why, cap, "caller %s", c->known ? "gives a number" : "is withheld or not a number");
        return !c->known;
    }
}

static const char *region_of(void *ud) { return caller_region(ud); }

/* The first matching rule, or NULL: from the policy's index, or rule by rule when explaining. */
static const oi_policy_rule_t *caller_rule(dec_t *d, const oi_policy_t *p)
{
    caller_t c = {0};
    const char *from = d->in->from;
    c.known = from && *from && oi_e164_normalize(from, c.e164);
    if (!d->in->explain) {
        int i = oi_policy_first_rule(p, c.known ? c.e164 : NULL, region_of, &c);
        return i >= 0 ? &p->rules[i] : NULL;
    }
    for (size_t i = 0; i < p->n_rules; i++) {
        char check[48], why[160];
        bool m = rule_matches(&p->rules[i], &c, d->in->explain ? why : NULL, sizeof why);
        if (d->in->explain) {
            snprintf(check, sizeof check, "caller_rules[%zu]", i);
            trace(d, check, m, "%s", why);
        }
        if (m)
            return &p->rules[i];
    }
    return NULL;
}

/* A policy's own destination: agent_id ("" = none) with role, then voicemail; or voicemail. */
static void to_agent_or_voicemail(dec_t *d, const char *agent_id, const char *role)
{
    if (!agent_id[0]) {
        const char *vm = voicemail_message(d, NULL);
        d->rep->voicemail_message = opt_new(vm);
        step_voicemail(d, vm);
        return;
    }
    cand_t c = policy_cand(d, agent_id, role, 0);
    unsigned first;
    route_chain(d, &c, 1, &first);
}

static void apply_rule(dec_t *d, const oi_policy_rule_t *rule)
{
    if (rule->action == OI_ACTION_REJECT) {
        d->rep->reason = oi_xstrdup("rejected");
        return;
    }
    d->rep->reason = oi_xstrdup("caller_rule");
    to_agent_or_voicemail(d, rule->action == OI_ACTION_ROUTE ? rule->agent_id : "", "caller_rule");
}

/* --- schedule -------------------------------------------------------------------------------------- */

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static const char *const day_words[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

/* NULL while open; else the reason ("closed_date", "after_hours"). */
static const char *schedule_closed(dec_t *d, const oi_policy_schedule_t *s)
{
    oi_tz_local_t t;
    if (!oi_tz_local(s->time_zone, d->in->at_ms, &t)) {
        trace(d, "schedule", false, "time zone %s unknown here: treated as open", s->time_zone);
        return NULL;
    }
    char when[160];
    when[0] = '\0'; /* written only when explaining: no 160-byte clear on every call */
    if (d->in->explain)
        snprintf(when, sizeof when, "%s %04d-%02d-%02d %02d:%02d %s (UTC%+03d:%02d)", day_words[t.weekday % 7], t.year,
             t.month, t.day, t.minute_of_day / 60, t.minute_of_day % 60, s->time_zone, t.utc_offset_minutes / 60,
             abs(t.utc_offset_minutes) % 60);
    int ymd = t.year * 10000 + t.month * 100 + t.day;
    if (s->n_closed && bsearch(&ymd, s->closed, s->n_closed, sizeof s->closed[0], cmp_int)) {
        trace(d, "schedule", true, "%s: a closed date", when);
        return "closed_date";
    }
    for (size_t i = 0; i < s->n_open; i++) {
        const oi_policy_window_t *w = &s->open[i];
        if ((w->days & (1u << t.weekday)) && t.minute_of_day >= w->from && t.minute_of_day < w->to) {
            trace(d, "schedule", false, "%s: open (window %zu)", when, i);
            return NULL;
        }
    }
    trace(d, "schedule", true, "%s: outside the open hours", when);
    return "after_hours";
}

static void apply_after_hours(dec_t *d, const oi_policy_schedule_t *s, const char *reason)
{
    d->rep->reason = oi_xstrdup(reason);
    to_agent_or_voicemail(d, s->after_hours_agent, "after_hours");
}

/* --- the usual chain ------------------------------------------------------------------------------- */

static const char *why_primary_passed(unsigned t)
{
    if (t == OI_TRIGGER_DELETED)
        return "fallback_primary_deleted";
    if (t == OI_TRIGGER_PAUSED)
        return "fallback_primary_paused";
    return "fallback_primary_failed";
}

static void apply_chain(dec_t *d, const oi_policy_t *p)
{
    static const char *const roles[] = {"fallbacks[0]", "fallbacks[1]", "fallbacks[2]", "fallbacks[3]",
                                        "fallbacks[4]"};
    const oi_route_t *r = d->r;
    cand_t c[CANDIDATES_MAX];
    size_t n = 0;
    c[n++] = (cand_t){.id = r->agent_id, .state = &r->primary, .role = "primary", .on = 0};
    if (r->fallback_agent_id)
        c[n++] = (cand_t){.id = r->fallback_agent_id, .state = &r->fallback, .role = "fallback", .on = OI_TRIGGER_ALL};
    for (size_t i = 0; p && i < p->n_fallbacks; i++)
        c[n++] = policy_cand(d, p->fallbacks[i].agent_id, roles[i], p->fallbacks[i].on);
    unsigned first = 0;
    size_t k = route_chain(d, c, n, &first);
    d->rep->reason = oi_xstrdup(k == 0 ? "primary" : k < n ? why_primary_passed(first) : "voicemail_no_agent");
}

uint32_t oi_route_decide_key(const oi_route_t *r, const oi_route_call_t *in)
{
    const oi_policy_t *p = in->policy;
    if (!p || in->explain || in->n_failed)
        return OI_ROUTE_KEY_NONE;
    dec_t d = {.r = r, .in = in, .rep = NULL};
    const oi_policy_rule_t *rule = p->n_rules ? caller_rule(&d, p) : NULL;
    if (rule)
        return 1 + (uint32_t)(rule - p->rules);
    if (!p->has_schedule)
        return 0;
    int64_t minute = 0;
    oi_route_schedule_memo_t *memo = oi_tz_minute(in->at_ms, &minute) ? in->schedule_memo : NULL;
    minute++; /* kept as minute + 1: 0 is "nothing known" */
    if (memo && memo->minute == minute)
        return memo->key;
    const char *closed = schedule_closed(&d, &p->schedule);
    uint32_t key = !closed ? 0
                   : strcmp(closed, "closed_date") == 0 ? OI_ROUTE_KEY_CLOSED_DATE
                                                         : OI_ROUTE_KEY_AFTER_HOURS;
    if (memo)
        *memo = (oi_route_schedule_memo_t){minute, key};
    return key;
}

Oneinbox__V1__ResolveReply *oi_route_decide(const oi_route_t *r, const oi_route_call_t *in)
{
    Oneinbox__V1__ResolveReply *rep = oi_xmalloc(sizeof *rep);
    oneinbox__v1__resolve_reply__init(rep);
    rep->number_id = oi_xstrdup(r->number_id ? r->number_id : "");
    rep->dispatch_rule_id = oi_xstrdup(r->rule_id ? r->rule_id : "");
    rep->inbound_trunk_id = oi_xstrdup(r->inbound_trunk_id ? r->inbound_trunk_id : "");
    rep->provider = oi_xstrdup(r->provider ? r->provider : "");
    rep->workspace_id = oi_xstrdup(r->workspace_id ? r->workspace_id : "");
    rep->fallback_agent_id = opt_new(r->fallback_agent_id);
    rep->version = r->version;
    dec_t d = {.r = r, .in = in, .rep = rep};
    const oi_policy_t *p = in->policy;
    rep->per_call = p && (p->n_rules > 0 || p->has_schedule);
    const oi_policy_rule_t *rule = p && p->n_rules ? caller_rule(&d, p) : NULL;
    if (rule) {
        apply_rule(&d, rule);
        return rep;
    }
    const char *closed = p && p->has_schedule ? schedule_closed(&d, &p->schedule) : NULL;
    if (closed)
        apply_after_hours(&d, &p->schedule, closed);
    else
        apply_chain(&d, p);
    return rep;
}
