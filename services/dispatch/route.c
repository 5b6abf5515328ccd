/* route.c: routing decision and the snapshot codec. Pure: no I/O, no globals. */
#include "route.h"

#include <stdlib.h>
#include <string.h>

#include "oi/ids.h"
#include "oi/mem.h"

#define FRAME_MAGIC "DR2" /* DR1 spelled agent statuses as text: such snapshots are misses now */
#define FRAME_MAGIC_LEN 3
#define FRAME_MAX (64 * 1024)

static char *dup_or_empty(const char *s) { return oi_xstrdup(s ? s : ""); }

static void agent_cleanup(dsp_agent_state_t *a)
{
    free(a->voicemail);
    memset(a, 0, sizeof *a);
}

void dsp_route_cleanup(dsp_route_t *r)
{
    if (!r)
        return;
    free(r->rule_id);
    free(r->workspace_id);
    free(r->number_id);
    free(r->inbound_trunk_id);
    free(r->provider);
    free(r->agent_id);
    free(r->fallback_agent_id);
    free(r->voicemail);
    agent_cleanup(&r->primary);
    agent_cleanup(&r->fallback);
    memset(r, 0, sizeof *r);
}

static void agent_copy(dsp_agent_state_t *dst, const dsp_agent_state_t *src)
{
    *dst = *src;
    dst->voicemail = oi_xstrdup(src->voicemail);
}

void dsp_route_copy(dsp_route_t *dst, const dsp_route_t *src)
{
    dst->rule_id = oi_xstrdup(src->rule_id);
    dst->workspace_id = oi_xstrdup(src->workspace_id);
    dst->number_id = oi_xstrdup(src->number_id);
    dst->inbound_trunk_id = oi_xstrdup(src->inbound_trunk_id);
    dst->provider = src->provider ? oi_xstrdup(src->provider) : NULL;
    dst->agent_id = oi_xstrdup(src->agent_id);
    dst->fallback_agent_id = oi_xstrdup(src->fallback_agent_id);
    dst->voicemail = oi_xstrdup(src->voicemail);
    agent_copy(&dst->primary, &src->primary);
    agent_copy(&dst->fallback, &src->fallback);
}

/* --- decision --------------------------------------------------------------------------- */

static bool failed_for_call(const char *id, const char *const *failed, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (failed[i] && strcmp(failed[i], id) == 0)
            return true;
    }
    return false;
}

static bool agent_usable(const char *id, const dsp_agent_state_t *a, const char *const *failed, size_t n)
{
    return id && *id && a->present && !a->deleted && a->active && !failed_for_call(id, failed, n);
}

/* A default voicemail only counts for an agent that still exists (paused is fine). */
static const char *agent_voicemail(const dsp_agent_state_t *a)
{
    return a->present && !a->deleted ? a->voicemail : NULL;
}

static Oneinbox__V1__OptString *opt_new(const char *s)
{
    if (!s)
        return NULL;
    Oneinbox__V1__OptString *o = oi_xmalloc(sizeof *o);
    oneinbox__v1__opt_string__init(o);
    o->value = oi_xstrdup(s);
    return o;
}

/* The primary was skipped: say why (deleted/unknown beats paused beats failed). */
static const char *why_primary_unusable(const dsp_route_t *r)
{
    if (!r->primary.present || r->primary.deleted)
        return "fallback_primary_deleted";
    if (!r->primary.active)
        return "fallback_primary_paused";
    return "fallback_primary_failed";
}

Oneinbox__V1__ResolveReply *dsp_route_decide(const dsp_route_t *r, const char *const *failed, size_t n_failed)
{
    Oneinbox__V1__ResolveReply *rep = oi_xmalloc(sizeof *rep);
    oneinbox__v1__resolve_reply__init(rep);
    rep->number_id = dup_or_empty(r->number_id);
    rep->dispatch_rule_id = dup_or_empty(r->rule_id);
    rep->inbound_trunk_id = dup_or_empty(r->inbound_trunk_id);
    rep->provider = dup_or_empty(r->provider);
    rep->workspace_id = dup_or_empty(r->workspace_id);
    rep->fallback_agent_id = opt_new(r->fallback_agent_id);

    const char *reason;
    const char *agent = NULL;
    const char *voicemail = r->voicemail;
    if (agent_usable(r->agent_id, &r->primary, failed, n_failed)) {
        reason = "primary";
        agent = r->agent_id;
        if (!voicemail)
            voicemail = agent_voicemail(&r->primary);
    } else if (agent_usable(r->fallback_agent_id, &r->fallback, failed, n_failed)) {
        reason = why_primary_unusable(r);
        agent = r->fallback_agent_id;
        if (!voicemail)
            voicemail = agent_voicemail(&r->fallback);
    } else {
        reason = "voicemail_no_agent";
        if (!voicemail)
            voicemail = agent_voicemail(&r->primary);
        if (!voicemail)
            voicemail = agent_voicemail(&r->fallback);
    }
    rep->reason = oi_xstrdup(reason);
    rep->agent_id = opt_new(agent);
    rep->voicemail_message = opt_new(voicemail);
    return rep;
}

/* --- snapshot codec --------------------------------------------------------------------- */

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xff);
    p[1] = (uint8_t)((v >> 8) & 0xff);
    p[2] = (uint8_t)((v >> 16) & 0xff);
    p[3] = (uint8_t)((v >> 24) & 0xff);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t pack_agent(const dsp_agent_state_t *a, const char *id, uint8_t **out)
{
    *out = NULL;
    if (!a->present || !id)
        return 0;
    Oneinbox__V1__Agent m = ONEINBOX__V1__AGENT__INIT;
    Oneinbox__V1__OptString vm = ONEINBOX__V1__OPT_STRING__INIT;
    m.id = (char *)id;
    m.status = a->deleted  ? ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_DELETED
               : a->active ? ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_ACTIVE
                           : ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_PAUSED;
    if (a->voicemail) {
        vm.value = a->voicemail;
        m.voicemail_message = &vm;
    }
    size_t n = oneinbox__v1__agent__get_packed_size(&m);
    *out = oi_xmalloc(n ? n : 1);
    oneinbox__v1__agent__pack(&m, *out);
    return n;
}

static size_t pack_base(const dsp_route_t *r, const char *tag, uint8_t **out)
{
    Oneinbox__V1__ResolveReply m = ONEINBOX__V1__RESOLVE_REPLY__INIT;
    Oneinbox__V1__OptString agent = ONEINBOX__V1__OPT_STRING__INIT, fb = ONEINBOX__V1__OPT_STRING__INIT,
                            vm = ONEINBOX__V1__OPT_STRING__INIT;
    m.number_id = r->number_id;
    m.dispatch_rule_id = r->rule_id;
    m.inbound_trunk_id = r->inbound_trunk_id ? r->inbound_trunk_id : (char *)"";
    m.provider = r->provider ? r->provider : (char *)"";
    m.workspace_id = r->workspace_id;
    m.reason = (char *)tag;
    agent.value = r->agent_id;
    m.agent_id = &agent;
    if (r->fallback_agent_id) {
        fb.value = r->fallback_agent_id;
        m.fallback_agent_id = &fb;
    }
    if (r->voicemail) {
        vm.value = r->voicemail;
        m.voicemail_message = &vm;
    }
    size_t n = oneinbox__v1__resolve_reply__get_packed_size(&m);
    *out = oi_xmalloc(n ? n : 1);
    oneinbox__v1__resolve_reply__pack(&m, *out);
    return n;
}

uint8_t *dsp_route_encode(const dsp_route_t *r, const char *tag, size_t *len)
{
    uint8_t *parts[3];
    size_t sizes[3];
    sizes[0] = pack_base(r, tag, &parts[0]);
    sizes[1] = pack_agent(&r->primary, r->agent_id, &parts[1]);
    sizes[2] = pack_agent(&r->fallback, r->fallback_agent_id, &parts[2]);
    size_t total = FRAME_MAGIC_LEN + 3 * 4 + sizes[0] + sizes[1] + sizes[2];
    uint8_t *buf = oi_xmalloc(total);
    memcpy(buf, FRAME_MAGIC, FRAME_MAGIC_LEN);
    size_t off = FRAME_MAGIC_LEN;
    for (int i = 0; i < 3; i++) {
        put_u32(buf + off, (uint32_t)sizes[i]);
        off += 4;
        if (sizes[i])
            memcpy(buf + off, parts[i], sizes[i]);
        off += sizes[i];
        free(parts[i]);
    }
    *len = total;
    return buf;
}

static char *opt_dup(const Oneinbox__V1__OptString *o) { return o && o->value ? oi_xstrdup(o->value) : NULL; }

static oi_status_t decode_agent(const uint8_t *p, size_t n, const char *want_id, dsp_agent_state_t *a)
{
    if (n == 0)
        return OI_OK; /* absent agent row */
    Oneinbox__V1__Agent *m = oneinbox__v1__agent__unpack(NULL, n, p);
    if (!m)
        return OI_BAD_REQUEST;
    oi_status_t rc = OI_OK;
    if (!want_id || strcmp(m->id, want_id) != 0) {
        rc = OI_BAD_REQUEST;
    } else {
        a->present = true;
        a->deleted = m->status == ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_DELETED;
        a->active = m->status == ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_ACTIVE;
        a->voicemail = opt_dup(m->voicemail_message);
    }
    oneinbox__v1__agent__free_unpacked(m, NULL);
    return rc;
}

static oi_status_t decode_base(const uint8_t *p, size_t n, dsp_route_t *out, char **tag)
{
    Oneinbox__V1__ResolveReply *m = oneinbox__v1__resolve_reply__unpack(NULL, n, p);
    if (!m)
        return OI_BAD_REQUEST;
    oi_status_t rc = OI_OK;
    if (!m->agent_id || !m->agent_id->value || !*m->dispatch_rule_id) {
        rc = OI_BAD_REQUEST;
    } else {
        out->rule_id = oi_xstrdup(m->dispatch_rule_id);
        out->workspace_id = oi_xstrdup(m->workspace_id);
        out->number_id = oi_xstrdup(m->number_id);
        out->inbound_trunk_id = oi_xstrdup(m->inbound_trunk_id);
        out->provider = oi_xstrdup(m->provider);
        out->agent_id = oi_xstrdup(m->agent_id->value);
        out->fallback_agent_id = opt_dup(m->fallback_agent_id);
        out->voicemail = opt_dup(m->voicemail_message);
        *tag = oi_xstrdup(m->reason);
    }
    oneinbox__v1__resolve_reply__free_unpacked(m, NULL);
    return rc;
}

oi_status_t dsp_route_decode(const uint8_t *data, size_t len, dsp_route_t *out, char **tag)
{
    *tag = NULL;
    if (!data || len < FRAME_MAGIC_LEN + 12 || len > FRAME_MAX || memcmp(data, FRAME_MAGIC, FRAME_MAGIC_LEN) != 0)
        return OI_BAD_REQUEST;
    const uint8_t *parts[3];
    size_t sizes[3];
    size_t off = FRAME_MAGIC_LEN;
    for (int i = 0; i < 3; i++) {
        if (len - off < 4)
            return OI_BAD_REQUEST;
        sizes[i] = get_u32(data + off);
        off += 4;
        if (sizes[i] > len - off)
            return OI_BAD_REQUEST;
        parts[i] = data + off;
        off += sizes[i];
    }
    if (off != len || sizes[0] == 0)
        return OI_BAD_REQUEST;
    oi_status_t rc = decode_base(parts[0], sizes[0], out, tag);
    if (!rc)
        rc = decode_agent(parts[1], sizes[1], out->agent_id, &out->primary);
    if (!rc)
        rc = decode_agent(parts[2], sizes[2], out->fallback_agent_id, &out->fallback);
    if (rc) {
        dsp_route_cleanup(out);
        OI_FREE(*tag);
    }
    return rc;
}

/* --- per-call failures ------------------------------------------------------------------ */

size_t dsp_failures_parse(const char *s, size_t len, char (*ids)[DSP_ID_MAX], size_t max)
{
    size_t n = 0;
    size_t i = 0;
    while (s && i < len && n < max) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        char item[DSP_ID_MAX + 8];
        size_t ilen = j - i;
        if (ilen > 0 && ilen < sizeof item) {
            memcpy(item, s + i, ilen);
            item[ilen] = '\0';
            char norm[DSP_ID_MAX];
            bool dup = false;
            if (oi_uuid_normalize(item, norm)) {
                for (size_t k = 0; k < n && !dup; k++)
                    dup = strcmp(ids[k], norm) == 0;
                if (!dup)
                    memcpy(ids[n++], norm, DSP_ID_MAX);
            }
        }
        i = j + 1;
    }
    return n;
}
