/* near_cache.c: the store of a near cache: a hash table of entries, an LRU list of the ones
 * holding a value, and the fills in progress.
 *
 * An entry is either ready (it holds a value and sits on the LRU list) or pending (no value
 * yet, fills > 0). An invalidation takes the entry out of the table at once: a ready one is
 * freed, a pending one is marked stale and lives on, detached, until its last fill ends (so
 * that fill is refused, while a new begin for the key makes a fresh entry). Invalidating
 * everything bumps the epoch (a ticket of an older epoch is refused) and does the same to every
 * entry. */
#include "oi/near_cache.h"


#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"
#include "oi/hash.h"

#define NEAR_BUCKETS_MIN 1024
#define NEAR_ENTRY_OVERHEAD 96 /* what an entry costs beyond its key, tag and value, roughly */

struct oi_near_entry {
    oi_near_entry_t *hnext;          /* hash chain (while in the table) */
    oi_near_entry_t *prev, *next;    /* LRU, most recent first (while ready) */
    uint64_t hash;
    uint64_t stored_ms;
    uint32_t age_limit_ms;           /* this value's: max_age_ms less its share of the spread */
    char *key;
    char *tag;
    void *data;
    size_t len;
    size_t cost;                     /* bytes counted against max_bytes while ready, derived's too */
    void *derived;                   /* owned (freed by the cache's derived_free) while ready */
    size_t derived_cost;             /* its share of cost */
    uint64_t seq;                    /* the stored value's number (oi_near_value_t.seq) */
    uint32_t fills;
    bool ready, stale, in_table;
};

struct oi_near_cache {
    char *name;
    size_t max_bytes;
    uint32_t max_age_ms;
    oi_near_entry_t **buckets;
    size_t n_buckets, n_entries;
    oi_near_entry_t *lru_head, *lru_tail;
    uint64_t epoch;
    uint64_t next_seq;               /* numbers every value stored, from 1 */
    size_t tickets_out;              /* begun, not ended */
    oi_near_derived_free_fn derived_free;
    bool usable, closing;
    oi_near_stats_t stats;
};

static void cache_free(oi_near_cache_t *c);

static uint64_t hash_of(const char *key, size_t len) { return oi_fnv1a(OI_FNV1A_SEED, key, len); }

oi_near_cache_t *oi_near_cache_new(const char *name, size_t max_bytes, uint32_t max_age_ms)
{
    oi_near_cache_t *c = oi_xcalloc(1, sizeof *c);
    c->name = oi_xstrdup(name ? name : "");
    c->max_bytes = max_bytes;
    c->max_age_ms = max_age_ms;
    c->n_buckets = NEAR_BUCKETS_MIN;
    c->buckets = oi_xcalloc(c->n_buckets, sizeof *c->buckets);
    c->epoch = 1;
    return c;
}

const char *oi_near_cache_name(const oi_near_cache_t *c) { return c->name; }

static void derived_drop(oi_near_cache_t *c, oi_near_entry_t *e)
{
    if (e->derived)
        c->derived_free(e->derived);
    e->derived = NULL;
    e->derived_cost = 0;
}

static void entry_free(oi_near_cache_t *c, oi_near_entry_t *e)
{
    derived_drop(c, e);
    free(e->key);
    free(e->tag);
    free(e->data);
    free(e);
}

/* --- the table ------------------------------------------------------------------------------- */

static oi_near_entry_t **slot_of(oi_near_cache_t *c, const char *key, size_t len, uint64_t h)
{
    oi_near_entry_t **pp = &c->buckets[h & (c->n_buckets - 1)];
    while (*pp && ((*pp)->hash != h || strncmp((*pp)->key, key, len) != 0 || (*pp)->key[len] != '\0'))
        pp = &(*pp)->hnext;
    return pp;
}

static void table_grow(oi_near_cache_t *c)
{
    size_t n = c->n_buckets * 2;
    oi_near_entry_t **b = oi_xcalloc(n, sizeof *b);
    for (size_t i = 0; i < c->n_buckets; i++) {
        oi_near_entry_t *e = c->buckets[i];
        while (e) {
            oi_near_entry_t *next = e->hnext;
            e->hnext = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->n_buckets = n;
}

static void table_remove(oi_near_cache_t *c, oi_near_entry_t *e)
{
    oi_near_entry_t **pp = slot_of(c, e->key, strlen(e->key), e->hash);
    if (*pp == e)
        *pp = e->hnext;
    e->hnext = NULL;
    e->in_table = false;
    c->n_entries--;
}

/* --- the LRU list ---------------------------------------------------------------------------- */

static void lru_unlink(oi_near_cache_t *c, oi_near_entry_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->lru_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->lru_tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(oi_near_cache_t *c, oi_near_entry_t *e)
{
    e->prev = NULL;
    e->next = c->lru_head;
    if (c->lru_head)
        c->lru_head->prev = e;
    else
        c->lru_tail = e;
    c->lru_head = e;
}

/* Drops e's value (it leaves the LRU list and the byte count). */
static void value_drop(oi_near_cache_t *c, oi_near_entry_t *e)
{
    if (!e->ready)
        return;
    lru_unlink(c, e);
    c->stats.bytes -= e->cost;
    derived_drop(c, e);
    e->ready = false;
    free(e->data);
    free(e->tag);
    e->data = NULL;
    e->tag = NULL;
}

/* Takes e out of the table: freed now, or (fills in progress) left detached and stale. */
static void entry_retire(oi_near_cache_t *c, oi_near_entry_t *e)
{
    value_drop(c, e);
    if (e->in_table)
        table_remove(c, e);
    e->stale = true;
    if (e->fills == 0)
        entry_free(c, e);
}

/* Least recently used values out until the bytes fit; spared (if not NULL) stays. */
static void evict_to_fit(oi_near_cache_t *c, const oi_near_entry_t *spared)
{
    while (c->stats.bytes > c->max_bytes && c->lru_tail && c->lru_tail != spared) {
        c->stats.evicted++;
        entry_retire(c, c->lru_tail);
    }
}

/* --- the API --------------------------------------------------------------------------------- */

static void retire_all(oi_near_cache_t *c)
{
    for (size_t i = 0; i < c->n_buckets; i++) {
        while (c->buckets[i])
            entry_retire(c, c->buckets[i]);
    }
    c->epoch++;
    c->stats.flushes++;
}

void oi_near_cache_set_usable(oi_near_cache_t *c, bool usable)
{
    if (c->usable && !usable)
        retire_all(c);
    c->usable = usable;
}

bool oi_near_cache_usable(const oi_near_cache_t *c) { return c->usable; }

bool oi_near_cache_get(oi_near_cache_t *c, const char *key, uint64_t now_ms, oi_near_value_t *out)
{
    size_t len = strlen(key);
    oi_near_entry_t *e = c->usable ? *slot_of(c, key, len, hash_of(key, len)) : NULL;
    if (e && e->ready && c->max_age_ms && now_ms - e->stored_ms > e->age_limit_ms) {
        entry_retire(c, e); /* too old to trust without a fresh read */
        e = NULL;
    }
    if (!e || !e->ready) {
        c->stats.misses++;
        return false;
    }
    c->stats.hits++;
    if (e->derived) /* what the reader will read next, fetched while the LRU list is mended */
        __builtin_prefetch(e->derived);
    if (c->lru_head != e) {
        lru_unlink(c, e);
        lru_push_front(c, e);
    }
    out->tag = e->tag ? e->tag : "";
    out->data = e->data;
    out->len = e->len;
    out->seq = e->seq;
    out->derived = e->derived;
    out->entry = e;
    return true;
}

oi_near_ticket_t oi_near_cache_begin(oi_near_cache_t *c, const char *key)
{
    oi_near_ticket_t t = {NULL, c->epoch};
    if (!c->usable)
        return t;
    size_t len = strlen(key);
    uint64_t h = hash_of(key, len);
    oi_near_entry_t **pp = slot_of(c, key, len, h);
    oi_near_entry_t *e = *pp;
    if (!e) {
        if (c->n_entries >= c->n_buckets)
            table_grow(c);
        e = oi_xcalloc(1, sizeof *e);
        e->key = oi_xstrndup(key, len);
        e->hash = h;
        e->in_table = true;
        e->hnext = c->buckets[h & (c->n_buckets - 1)];
        c->buckets[h & (c->n_buckets - 1)] = e;
        c->n_entries++;
    }
    e->fills++;
    c->tickets_out++;
    t.entry = e;
    return t;
}

/* How old e's new value may grow: between half of max_age_ms and all of it, spread by the key
 * and the value's number. Values stored together (a cache filled by one pass over many keys)
 * would otherwise all expire in the same millisecond, every max_age_ms, and their re-reads come
 * as one burst that stalls everything behind it (dispatch.Resolve over 10,000 numbers: p99
 * 1 ms -> 7 ms, a third of the throughput, in the seconds after each such expiry). */
static uint32_t age_limit(const oi_near_cache_t *c, const oi_near_entry_t *e)
{
    uint32_t half = c->max_age_ms / 2;
    uint64_t mix = (e->hash ^ (e->seq * UINT64_C(0x9E3779B97F4A7C15))) >> 17;
    return c->max_age_ms - (uint32_t)(mix % ((uint64_t)half + 1));
}

static void value_store(oi_near_cache_t *c, oi_near_entry_t *e, const char *tag, const void *data, size_t len,
                        uint64_t now_ms)
{
    value_drop(c, e); /* a newer read of the same, uninvalidated state replaces the older one */
    e->data = oi_xmalloc(len ? len : 1);
    memcpy(e->data, data, len);
    e->len = len;
    e->tag = tag ? oi_xstrdup(tag) : NULL;
    e->stored_ms = now_ms;
    e->seq = ++c->next_seq;
    e->age_limit_ms = age_limit(c, e);
    e->cost = len + strlen(e->key) + (tag ? strlen(tag) : 0) + NEAR_ENTRY_OVERHEAD;
    e->ready = true;
    lru_push_front(c, e);
    c->stats.bytes += e->cost;
    c->stats.stored++;
}

void oi_near_cache_end(oi_near_cache_t *c, oi_near_ticket_t *t, const char *tag, const void *data, size_t len,
                       uint64_t now_ms)
{
    oi_near_entry_t *e = t->entry;
    t->entry = NULL;
    if (!e)
        return;
    e->fills--;
    c->tickets_out--;
    if (c->closing) {
        if (e->fills == 0 && !e->in_table)
            entry_free(c, e);
        if (c->tickets_out == 0)
            cache_free(c);
        return;
    }
    bool keep = data && !e->stale && t->epoch == c->epoch && c->usable;
    if (keep) {
        value_store(c, e, tag, data, len, now_ms);
        evict_to_fit(c, NULL);
        return;
    }
    if (data)
        c->stats.refused++;
    if (e->fills == 0 && !e->ready)
        entry_retire(c, e); /* nobody fills it any more: no empty entry stays behind */
}

void oi_near_cache_invalidate(oi_near_cache_t *c, const char *key, size_t len)
{
    uint64_t h = hash_of(key, len);
    oi_near_entry_t *e = *slot_of(c, key, len, h);
    if (!e)
        return;
    c->stats.invalidated++;
    entry_retire(c, e);
}

void oi_near_cache_invalidate_all(oi_near_cache_t *c) { retire_all(c); }

void oi_near_cache_set_derived_free(oi_near_cache_t *c, oi_near_derived_free_fn free_fn) { c->derived_free = free_fn; }

bool oi_near_cache_keep_derived(oi_near_cache_t *c, const oi_near_value_t *v, void *derived, size_t bytes)
{
    oi_near_entry_t *e = v->entry;
    if (!c->derived_free || !derived || !e || !e->ready || e->seq != v->seq)
        return false; /* not a live hit: nothing to keep it with */
    if (e->derived && e->derived != derived)
        c->derived_free(e->derived);
    e->derived = derived;
    c->stats.bytes = c->stats.bytes - e->derived_cost + bytes;
    e->cost = e->cost - e->derived_cost + bytes;
    e->derived_cost = bytes;
    evict_to_fit(c, e);
    return true;
}

oi_near_stats_t oi_near_cache_stats(const oi_near_cache_t *c)
{
    oi_near_stats_t s = c->stats;
    s.entries = c->n_entries;
    return s;
}

void oi_near_cache_destroy(oi_near_cache_t **self_p)
{
    oi_near_cache_t *c = *self_p;
    *self_p = NULL;
    if (!c)
        return;
    c->closing = true;
    c->usable = false;
    if (c->tickets_out == 0)
        cache_free(c);
}

static void cache_free(oi_near_cache_t *c)
{
    for (size_t i = 0; i < c->n_buckets; i++) {
        oi_near_entry_t *e = c->buckets[i];
        while (e) {
            oi_near_entry_t *next = e->hnext;
            entry_free(c, e);
            e = next;
        }
    }
    free(c->buckets);
    free(c->name);
    free(c);
}
