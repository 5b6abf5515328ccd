/* route_memo.c: parsed snapshots of numbers with a policy, kept with their near-cache values
 * (see oi/route_memo.h). */
#include "oi/route_memo.h"

#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"
#include "oi/route.h"
#include "oi/route_decide.h"
#include "oi/routing_policy.h"

#define REPLIES_MAX 8 /* branches kept per number: the usual chain, a few rules, after hours */
#define REPLY_OVERHEAD 32 /* what a kept reply costs beyond its bytes, roughly */

typedef struct {
    uint32_t key;
    uint8_t *packed; /* owned: the rendered answer */
    size_t len;
} reply_t;

/* What every call reads first (the schedule's answer this minute, the policy, the replies'
 * keys), then the route it was decoded from. */
typedef struct {
    oi_route_schedule_memo_t schedule;
    oi_policy_t *policy; /* owned */
    size_t n_replies;
    reply_t replies[REPLIES_MAX];
    size_t bytes; /* counted against the near cache */
    oi_route_t route; /* owned, policy_json freed once parsed */
} parsed_t;

struct oi_route_memo {
    oi_near_cache_t *near;
    oi_route_render_fn render;
    parsed_t *unkept; /* owned: the last answer's, when the cache took none (not a live hit) */
};

static void parsed_free(void *ud)
{
    parsed_t *p = ud;
    if (!p)
        return;
    oi_route_cleanup(&p->route);
    oi_policy_free(&p->policy);
    for (size_t i = 0; i < p->n_replies; i++)
        free(p->replies[i].packed);
    free(p);
}

oi_route_memo_t *oi_route_memo_new(oi_near_cache_t *near, oi_route_render_fn render)
{
    oi_route_memo_t *m = oi_xcalloc(1, sizeof *m);
    m->near = near;
    m->render = render;
    oi_near_cache_set_derived_free(near, parsed_free);
    return m;
}

void oi_route_memo_destroy(oi_route_memo_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    parsed_free((*self_p)->unkept);
    OI_FREE(*self_p);
}

bool oi_route_memo_applies(const oi_near_value_t *v)
{
    return v->derived || oi_route_is_snapshot(v->data, v->len);
}

/* v's snapshot parsed, or NULL when it does not decode or its policy does not parse. */
static parsed_t *parse(const oi_near_value_t *v)
{
    parsed_t *p = oi_xcalloc(1, sizeof *p);
    char *tag = NULL;
    if (oi_route_decode(v->data, v->len, &p->route, &tag) != OI_OK) {
        parsed_free(p);
        return NULL;
    }
    free(tag);
    oi_error_t err;
    oi_error_init(&err);
    if (p->route.policy_json && oi_policy_parse(p->route.policy_json, &p->policy, &err) != OI_OK) {
        parsed_free(p);
        return NULL;
    }
    OI_FREE(p->route.policy_json); /* parsed: the text is not needed any more */
    /* the decoded route holds about what its snapshot held */
    p->bytes = sizeof *p + v->len + oi_policy_bytes(p->policy);
    return p;
}

/* p kept with v by the cache, or (v not a live hit) by the memo until its next answer. */
static void keep(oi_route_memo_t *m, const oi_near_value_t *v, parsed_t *p)
{
    if (p == m->unkept)
        return;
    if (oi_near_cache_keep_derived(m->near, v, p, p->bytes))
        return;
    parsed_free(m->unkept);
    m->unkept = p;
}

/* key is not kept yet (the caller looked). */
static const uint8_t *reply_keep(parsed_t *p, uint32_t key, uint8_t *packed, size_t len)
{
    reply_t *r;
    if (p->n_replies < REPLIES_MAX) {
        r = &p->replies[p->n_replies++];
    } else {
        r = &p->replies[REPLIES_MAX - 1]; /* full: the last slot takes turns */
        p->bytes -= r->len + REPLY_OVERHEAD;
        free(r->packed);
    }
    *r = (reply_t){key, packed, len};
    p->bytes += len + REPLY_OVERHEAD;
    return packed;
}

/* What a call reads next (the policy's first lines, the start of each kept reply) asked for at
 * once: with thousands of numbers they are seldom in cache, and one after the other each is a
 * trip to memory (measured: the policy's first line alone was a third of a decision's time). */
static void prefetch(const parsed_t *p)
{
    if (p->policy) {
        __builtin_prefetch(p->policy);
        __builtin_prefetch((const char *)p->policy + 64);
    }
    for (size_t i = 0; i < p->n_replies; i++)
        __builtin_prefetch(p->replies[i].packed);
}

const uint8_t *oi_route_memo_answer(oi_route_memo_t *m, const oi_near_value_t *v, const char *from, int64_t at_ms,
                                     size_t *len)
{
    parsed_t *p = v->derived;
    if (p)
        prefetch(p);
    if (!p) {
        p = parse(v);
        if (!p)
            return NULL;
        keep(m, v, p);
    }
    oi_route_call_t in = {.policy = p->policy, .from = from, .at_ms = at_ms, .schedule_memo = &p->schedule};
    uint32_t key = oi_route_decide_key(&p->route, &in);
    for (size_t i = 0; i < p->n_replies; i++) {
        if (p->replies[i].key == key) {
            *len = p->replies[i].len;
            return p->replies[i].packed;
        }
    }
    Oneinbox__V1__ResolveReply *rep = oi_route_decide(&p->route, &in);
    uint8_t *packed = m->render(rep, len);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    const uint8_t *out = reply_keep(p, key, packed, *len);
    keep(m, v, p); /* counted anew: it grew */
    return out;
}
