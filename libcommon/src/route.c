/* route.c: routing decision and the snapshot codec. Pure: no I/O, no globals. */
#include "oi/route.h"

#include <stdlib.h>
#include <string.h>

#include "oi/ids.h"
#include "oi/mem.h"

#define FRAME_MAGIC "DR3" /* DR1 spelled agent statuses as text, DR2 had no policy: misses now */
#define FRAME_MAGIC_LEN 3
#define FRAME_PARTS 4
#define FRAME_MAX (256 * 1024)

static char *opt_dup(const Oneinbox__V1__OptString *o) { return o && o->value ? oi_xstrdup(o->value) : NULL; }

static void agent_cleanup(oi_agent_state_t *a)
{
    free(a->voicemail);
    memset(a, 0, sizeof *a);
}

void oi_route_cleanup(oi_route_t *r)
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
    free(r->policy_json);
    for (size_t i = 0; i < r->n_policy_agents; i++)
        agent_cleanup(&r->policy_agents[i].state);
    free(r->policy_agents);
    memset(r, 0, sizeof *r);
}

static void agent_copy(oi_agent_state_t *dst, const oi_agent_state_t *src)
{
    *dst = *src;
    dst->voicemail = oi_xstrdup(src->voicemail);
}

void oi_route_copy(oi_route_t *dst, const oi_route_t *src)
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
    dst->version = src->version;
    dst->policy_json = src->policy_json ? oi_xstrdup(src->policy_json) : NULL;
    dst->n_policy_agents = src->n_policy_agents;
    dst->policy_agents = src->n_policy_agents ? oi_xcalloc(src->n_policy_agents, sizeof *dst->policy_agents) : NULL;
    for (size_t i = 0; i < src->n_policy_agents; i++) {
        memcpy(dst->policy_agents[i].id, src->policy_agents[i].id, OI_ROUTE_ID_MAX);
        agent_copy(&dst->policy_agents[i].state, &src->policy_agents[i].state);
    }
}

const oi_agent_state_t *oi_route_policy_agent(const oi_route_t *r, const char *id)
{
    for (size_t i = 0; id && i < r->n_policy_agents; i++)
        if (strcmp(r->policy_agents[i].id, id) == 0)
            return &r->policy_agents[i].state;
    return NULL;
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

/* m and vm describe a (borrowing its strings). */
static void agent_message(const oi_agent_state_t *a, const char *id, Oneinbox__V1__Agent *m,
                          Oneinbox__V1__OptString *vm)
{
    oneinbox__v1__agent__init(m);
    oneinbox__v1__opt_string__init(vm);
    m->id = (char *)id;
    m->status = a->deleted  ? ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_DELETED
                : a->active ? ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_ACTIVE
                            : ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_PAUSED;
    if (a->voicemail) {
        vm->value = a->voicemail;
        m->voicemail_message = vm;
    }
}

static void agent_from_message(const Oneinbox__V1__Agent *m, oi_agent_state_t *a)
{
    a->present = true;
    a->deleted = m->status == ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_DELETED;
    a->active = m->status == ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_ACTIVE;
    a->voicemail = opt_dup(m->voicemail_message);
}

static size_t pack_agent(const oi_agent_state_t *a, const char *id, uint8_t **out)
{
    *out = NULL;
    if (!a->present || !id)
        return 0;
    Oneinbox__V1__Agent m;
    Oneinbox__V1__OptString vm;
    agent_message(a, id, &m, &vm);
    size_t n = oneinbox__v1__agent__get_packed_size(&m);
    *out = oi_xmalloc(n ? n : 1);
    oneinbox__v1__agent__pack(&m, *out);
    return n;
}

static size_t pack_base(const oi_route_t *r, const char *tag, uint8_t **out)
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

static size_t pack_policy(const oi_route_t *r, uint8_t **out)
{
    Oneinbox__V1__RoutePolicy m = ONEINBOX__V1__ROUTE_POLICY__INIT;
    m.version = r->version;
    m.policy_json = r->policy_json ? r->policy_json : (char *)"";
    size_t n_agents = r->n_policy_agents;
    Oneinbox__V1__Agent *agents = n_agents ? oi_xcalloc(n_agents, sizeof *agents) : NULL;
    Oneinbox__V1__Agent **ptrs = n_agents ? oi_xcalloc(n_agents, sizeof *ptrs) : NULL;
    Oneinbox__V1__OptString *vms = n_agents ? oi_xcalloc(n_agents, sizeof *vms) : NULL;
    for (size_t i = 0; i < n_agents; i++) {
        agent_message(&r->policy_agents[i].state, r->policy_agents[i].id, &agents[i], &vms[i]);
        ptrs[i] = &agents[i];
    }
    m.n_agents = n_agents;
    m.agents = ptrs;
    size_t n = oneinbox__v1__route_policy__get_packed_size(&m);
    *out = oi_xmalloc(n ? n : 1);
    oneinbox__v1__route_policy__pack(&m, *out);
    free(agents);
    free(ptrs);
    free(vms);
    return n;
}

uint8_t *oi_route_encode(const oi_route_t *r, const char *tag, size_t *len)
{
    uint8_t *parts[FRAME_PARTS];
    size_t sizes[FRAME_PARTS];
    sizes[0] = pack_base(r, tag, &parts[0]);
    sizes[1] = pack_agent(&r->primary, r->agent_id, &parts[1]);
    sizes[2] = pack_agent(&r->fallback, r->fallback_agent_id, &parts[2]);
    sizes[3] = pack_policy(r, &parts[3]);
    size_t total = FRAME_MAGIC_LEN + FRAME_PARTS * 4;
    for (int i = 0; i < FRAME_PARTS; i++)
        total += sizes[i];
    uint8_t *buf = oi_xmalloc(total);
    memcpy(buf, FRAME_MAGIC, FRAME_MAGIC_LEN);
    size_t off = FRAME_MAGIC_LEN;
    for (int i = 0; i < FRAME_PARTS; i++) {
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


static oi_status_t decode_agent(const uint8_t *p, size_t n, const char *want_id, oi_agent_state_t *a)
{
    if (n == 0)
        return OI_OK; /* absent agent row */
    Oneinbox__V1__Agent *m = oneinbox__v1__agent__unpack(NULL, n, p);
    if (!m)
        return OI_BAD_REQUEST;
    oi_status_t rc = OI_OK;
    if (!want_id || strcmp(m->id, want_id) != 0)
        rc = OI_BAD_REQUEST;
    else
        agent_from_message(m, a);
    oneinbox__v1__agent__free_unpacked(m, NULL);
    return rc;
}

static oi_status_t decode_base(const uint8_t *p, size_t n, oi_route_t *out, char **tag)
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

static oi_status_t decode_policy(const uint8_t *p, size_t n, oi_route_t *out)
{
    Oneinbox__V1__RoutePolicy *m = oneinbox__v1__route_policy__unpack(NULL, n, p);
    if (!m)
        return OI_BAD_REQUEST;
    out->version = m->version;
    out->policy_json = *m->policy_json ? oi_xstrdup(m->policy_json) : NULL;
    out->policy_agents = m->n_agents ? oi_xcalloc(m->n_agents, sizeof *out->policy_agents) : NULL;
    oi_status_t rc = OI_OK;
    for (size_t i = 0; i < m->n_agents && !rc; i++) {
        oi_policy_agent_t *a = &out->policy_agents[i];
        if (!oi_uuid_normalize(m->agents[i]->id, a->id)) {
            rc = OI_BAD_REQUEST;
            break;
        }
        agent_from_message(m->agents[i], &a->state);
        out->n_policy_agents++;
    }
    oneinbox__v1__route_policy__free_unpacked(m, NULL);
    return rc;
}

bool oi_route_is_snapshot(const void *data, size_t len)
{
    return data && len >= FRAME_MAGIC_LEN && memcmp(data, FRAME_MAGIC, FRAME_MAGIC_LEN) == 0;
}

oi_status_t oi_route_decode(const uint8_t *data, size_t len, oi_route_t *out, char **tag)
{
    *tag = NULL;
    if (!data || len < FRAME_MAGIC_LEN + FRAME_PARTS * 4 || len > FRAME_MAX ||
        memcmp(data, FRAME_MAGIC, FRAME_MAGIC_LEN) != 0)
        return OI_BAD_REQUEST;
    const uint8_t *parts[FRAME_PARTS];
    size_t sizes[FRAME_PARTS];
    size_t off = FRAME_MAGIC_LEN;
    for (int i = 0; i < FRAME_PARTS; i++) {
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
    if (!rc)
        rc = decode_policy(parts[3], sizes[3], out);
    if (rc) {
        oi_route_cleanup(out);
        OI_FREE(*tag);
    }
    return rc;
}

/* --- per-call failures ------------------------------------------------------------------ */

size_t oi_route_failures_parse(const char *s, size_t len, char (*ids)[OI_ROUTE_ID_MAX], size_t max)
{
    size_t n = 0;
    size_t i = 0;
    while (s && i < len && n < max) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        char item[OI_ROUTE_ID_MAX + 8];
        size_t ilen = j - i;
        if (ilen > 0 && ilen < sizeof item) {
            memcpy(item, s + i, ilen);
            item[ilen] = '\0';
            char norm[OI_ROUTE_ID_MAX];
            bool dup = false;
            if (oi_uuid_normalize(item, norm)) {
                for (size_t k = 0; k < n && !dup; k++)
                    dup = strcmp(ids[k], norm) == 0;
                if (!dup)
                    memcpy(ids[n++], norm, OI_ROUTE_ID_MAX);
            }
        }
        i = j + 1;
    }
    return n;
}
