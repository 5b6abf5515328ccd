/* route_memo.c: parsed snapshots of numbers with a policy (see oi/route_memo.h). */
#include "oi/route_memo.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "oi/mem.h"
#include "oi/hash.h"
#include "oi/route.h"
#include "oi/route_decide.h"

#define REPLIES_MAX 8 /* branches kept per number: the usual chain, a few rules, after hours */
#define TO_MAX 24

typedef struct {
    uint32_t key;
    uint8_t *packed;          /* owned: the rendered answer */
    size_t len;
} reply_t;

typedef struct entry {
    struct entry *hnext;
    char to[TO_MAX];
    uint64_t seq;             /* the near cache value this was parsed from */
    unsigned char digest[16]; /* of that value's bytes: a refresh of the same bytes parses nothing */
    bool parsed;
    oi_route_t route;        /* owned, policy_json freed once parsed */
    oi_policy_t *policy;      /* owned */
    oi_route_schedule_memo_t schedule; /* the policy's schedule this minute */
    reply_t replies[REPLIES_MAX];
    size_t n_replies;
} entry_t;

struct oi_route_memo {
    oi_route_render_fn render;
    entry_t **buckets;
    size_t n_buckets;
    entry_t **order;          /* ring of entries by age, for eviction */
    size_t max, head, count;
};

oi_route_memo_t *oi_route_memo_new(size_t max, oi_route_render_fn render)
{
    oi_route_memo_t *m = oi_xcalloc(1, sizeof *m);
    m->render = render;
    m->max = max ? max : 1;
    m->n_buckets = 2 * m->max;
    m->buckets = oi_xcalloc(m->n_buckets, sizeof *m->buckets);
    m->order = oi_xcalloc(m->max, sizeof *m->order);
    return m;
}

static void entry_clear(entry_t *e)
{
    oi_route_cleanup(&e->route);
    oi_policy_free(&e->policy);
    e->schedule = (oi_route_schedule_memo_t){0};
    for (size_t i = 0; i < e->n_replies; i++)
        free(e->replies[i].packed);
    e->n_replies = 0;
}

static void entry_free(entry_t *e)
{
    entry_clear(e);
    free(e);
}

void oi_route_memo_destroy(oi_route_memo_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    oi_route_memo_t *m = *self_p;
    for (size_t i = 0; i < m->n_buckets; i++) {
        for (entry_t *e = m->buckets[i], *next; e; e = next) {
            next = e->hnext;
            entry_free(e);
        }
    }
    free(m->buckets);
    free(m->order);
    OI_FREE(*self_p);
}

size_t oi_route_memo_count(const oi_route_memo_t *m) { return m ? m->count : 0; }

static entry_t **slot_of(oi_route_memo_t *m, const char *to)
{
    entry_t **pp = &m->buckets[oi_fnv1a_str(OI_FNV1A_SEED, to) % m->n_buckets];
    while (*pp && strcmp((*pp)->to, to) != 0)
        pp = &(*pp)->hnext;
    return pp;
}

/* The oldest entry goes: the ring holds every live entry once, the oldest at head. */
static void evict_oldest(oi_route_memo_t *m)
{
    entry_t *old = m->order[m->head];
    entry_t **pp = slot_of(m, old->to);
    *pp = old->hnext;
    entry_free(old);
    m->head = (m->head + 1) % m->max;
    m->count--;
}

static entry_t *entry_add(oi_route_memo_t *m, const char *to)
{
    if (m->count == m->max)
        evict_oldest(m);
    entry_t *e = oi_xcalloc(1, sizeof *e);
    snprintf(e->to, sizeof e->to, "%s", to);
    *slot_of(m, to) = e;
    m->order[(m->head + m->count) % m->max] = e;
    m->count++;
    return e;
}

/* e parsed from the near cache's value v; false when it does not decode or parse. A value with
 * the same bytes as the one e was parsed from (the near cache refreshed it: max age) is taken
 * as it is, replies included. */
static bool entry_fill(entry_t *e, const oi_near_value_t *v)
{
    unsigned char digest[sizeof e->digest];
    crypto_generichash(digest, sizeof digest, v->data, v->len, NULL, 0);
    if (e->parsed && memcmp(digest, e->digest, sizeof digest) == 0) {
        e->seq = v->seq;
        return true;
    }
    entry_clear(e);
    e->seq = 0;
    e->parsed = false;
    memcpy(e->digest, digest, sizeof digest);
    char *tag = NULL;
    if (oi_route_decode(v->data, v->len, &e->route, &tag) != OI_OK)
        return false;
    free(tag);
    oi_error_t err;
    oi_error_init(&err);
    if (e->route.policy_json && oi_policy_parse(e->route.policy_json, &e->policy, &err) != OI_OK)
        return false;
    OI_FREE(e->route.policy_json); /* parsed: the text is not needed any more */
    e->seq = v->seq;
    e->parsed = true;
    return true;
}

/* key is not kept yet (the caller looked). */
static const uint8_t *reply_keep(entry_t *e, uint32_t key, uint8_t *packed, size_t len)
{
    reply_t *r;
    if (e->n_replies < REPLIES_MAX) {
        r = &e->replies[e->n_replies++];
    } else {
        r = &e->replies[REPLIES_MAX - 1]; /* full: the last slot takes turns */
        free(r->packed);
    }
    *r = (reply_t){key, packed, len};
    return packed;
}

const uint8_t *oi_route_memo_answer(oi_route_memo_t *m, const char *to, const oi_near_value_t *v, const char *from,
                                     int64_t at_ms, size_t *len)
{
    if (strlen(to) >= TO_MAX)
        return NULL;
    entry_t *e = *slot_of(m, to);
    if (!e)
        e = entry_add(m, to);
    if (e->seq != v->seq && !entry_fill(e, v))
        return NULL;
    oi_route_call_t in = {.policy = e->policy, .from = from, .at_ms = at_ms, .schedule_memo = &e->schedule};
    uint32_t key = oi_route_decide_key(&e->route, &in);
    for (size_t i = 0; i < e->n_replies; i++) {
        if (e->replies[i].key == key) {
            *len = e->replies[i].len;
            return e->replies[i].packed;
        }
    }
    Oneinbox__V1__ResolveReply *rep = oi_route_decide(&e->route, &in);
    uint8_t *packed = m->render(rep, len);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return reply_keep(e, key, packed, *len);
}
