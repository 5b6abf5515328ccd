/* oi/near_cache.h: answers kept in this process's memory, dropped the moment their source says
 * they changed.
 *
 * A near cache maps a key ("<number id>", "<phone number>") to a value (an encoded answer) and
 * a tag (e.g. the workspace that owns it). Its source publishes the keys it changes on a Redis
 * channel after each commit and before it acknowledges the change (oi_near_publish); a bus
 * (oi/near_bus.h) hands them to the caches listening on that channel. So when a writer's
 * change is acknowledged, every replica either already dropped the old value or is about to
 * read the message that drops it, and a reader syncs the bus before it serves a hit.
 *
 * Filling is done in two steps around the read of the source: oi_near_cache_begin before the
 * read, oi_near_cache_end with what it returned. The value is kept only if no invalidation of
 * its key (nor of everything) arrived in between: a read that raced a change never lands. While
 * the bus is not subscribed (not usable), nothing is served or kept: messages could be missed.
 *
 * Bounds: max_bytes of keys, tags and values (least recently used first out) and max_age_ms per
 * value (a safety net for a writer that could not publish; 0 = none). Each value's own limit lies
 * between half of max_age_ms and all of it, spread over the keys, so values stored together are
 * not all read again at once. Pure: no I/O, the clock is passed in. One thread (the loop's). */
#ifndef OI_NEAR_CACHE_H
#define OI_NEAR_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct oi_near_cache oi_near_cache_t;
typedef struct oi_near_entry oi_near_entry_t;

/* A fill in progress: from oi_near_cache_begin to exactly one oi_near_cache_end. */
typedef struct {
    oi_near_entry_t *entry; /* NULL: the cache is not usable now; end does nothing */
    uint64_t epoch;
} oi_near_ticket_t;

/* A hit: borrowed until the next call on the cache. seq numbers the stored value: unique for the
 * cache's life, so what a reader derived from a value (a parsed form) can be kept beside the
 * cache and checked against it. */
typedef struct {
    const char *tag;
    const void *data;
    size_t len;
    uint64_t seq;
    void *derived;          /* what a reader kept with this value (oi_near_cache_keep_derived) */
    oi_near_entry_t *entry; /* the value's own, for oi_near_cache_keep_derived */
} oi_near_value_t;

/* Frees a derived form (oi_near_cache_keep_derived). */
typedef void (*oi_near_derived_free_fn)(void *derived);

typedef struct {
    uint64_t hits, misses, stored, refused, invalidated, evicted, flushes;
    size_t entries, bytes;
} oi_near_stats_t;

/* name: for metrics and logs ("numbers"). Starts not usable. */
oi_near_cache_t *oi_near_cache_new(const char *name, size_t max_bytes, uint32_t max_age_ms);
/* Frees the cache, or (tickets still out) makes it refuse everything and frees it when the
 * last of them is ended. */
void oi_near_cache_destroy(oi_near_cache_t **self_p);
const char *oi_near_cache_name(const oi_near_cache_t *c);

/* The bus says whether invalidations reach this process. Becoming unusable drops every value
 * and refuses every fill in progress. */
void oi_near_cache_set_usable(oi_near_cache_t *c, bool usable);
bool oi_near_cache_usable(const oi_near_cache_t *c);

/* The value of key, if kept and younger than max_age_ms at now_ms. */
bool oi_near_cache_get(oi_near_cache_t *c, const char *key, uint64_t now_ms, oi_near_value_t *out);
/* Before reading key's value from its source. */
oi_near_ticket_t oi_near_cache_begin(oi_near_cache_t *c, const char *key);
/* After the read: keeps (tag, data) unless key was invalidated since begin; data NULL = the
 * read failed, nothing to keep. Either way the ticket is spent. */
void oi_near_cache_end(oi_near_cache_t *c, oi_near_ticket_t *t, const char *tag, const void *data, size_t len,
                       uint64_t now_ms);

/* A reader's parsed form of a value can live with it: kept with the value, found by the next
 * hit on the same value (oi_near_value_t.derived) without a lookup of its own, and freed with
 * free_fn when the value goes (replaced, invalidated, evicted, too old, the cache destroyed).
 * Its bytes count against max_bytes like the value's. One free_fn per cache, set before the
 * first keep. */
void oi_near_cache_set_derived_free(oi_near_cache_t *c, oi_near_derived_free_fn free_fn);
/* Keeps derived with v (a hit of the last oi_near_cache_get, no other call on the cache since),
 * counting `bytes` for it: a different derived form kept before is freed, the same one just
 * counted anew (it grew). Room is made from the least recently used values, never v's, so v and
 * derived stay valid after the call. false (derived stays the caller's) when v is no such hit or
 * no free_fn is set. */
bool oi_near_cache_keep_derived(oi_near_cache_t *c, const oi_near_value_t *v, void *derived, size_t bytes);

/* key (len bytes, not NUL-terminated) changed at its source. */
void oi_near_cache_invalidate(oi_near_cache_t *c, const char *key, size_t len);
/* Everything may have changed. */
void oi_near_cache_invalidate_all(oi_near_cache_t *c);

oi_near_stats_t oi_near_cache_stats(const oi_near_cache_t *c);

#endif
