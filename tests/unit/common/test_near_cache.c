/* test_near_cache.c: the near cache's store: hits, fills that raced an invalidation, epochs,
 * bounds. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/near_cache.h"

TestSuite(near_cache);

static oi_near_cache_t *live_cache(size_t max_bytes, uint32_t max_age_ms)
{
    oi_near_cache_t *c = oi_near_cache_new("t", max_bytes, max_age_ms);
    oi_near_cache_set_usable(c, true);
    return c;
}

static void fill(oi_near_cache_t *c, const char *key, const char *tag, const char *value, uint64_t now)
{
    oi_near_ticket_t t = oi_near_cache_begin(c, key);
    oi_near_cache_end(c, &t, tag, value, strlen(value), now);
}

static bool get_str(oi_near_cache_t *c, const char *key, uint64_t now, char *out, size_t n)
{
    oi_near_value_t v;
    if (!oi_near_cache_get(c, key, now, &v))
        return false;
    snprintf(out, n, "%s|%.*s", v.tag, (int)v.len, (const char *)v.data);
    return true;
}

Test(near_cache, a_filled_key_is_served_with_its_tag_until_invalidated)
{
    oi_near_cache_t *c = live_cache(1 << 20, 0);
    char got[64];
    cr_assert_not(get_str(c, "n1", 0, got, sizeof got));
    fill(c, "n1", "ws1", "{\"id\":1}", 0);
    cr_assert(get_str(c, "n1", 5, got, sizeof got));
    cr_assert_str_eq(got, "ws1|{\"id\":1}");
    oi_near_cache_invalidate(c, "n1 and more", 2); /* keys arrive as (pointer, length) */
    cr_assert_not(get_str(c, "n1", 6, got, sizeof got));
    oi_near_stats_t s = oi_near_cache_stats(c);
    cr_assert_eq(s.hits, 1);
    cr_assert_eq(s.invalidated, 1);
    cr_assert_eq(s.entries, 0);
    cr_assert_eq(s.bytes, 0);
    oi_near_cache_destroy(&c);
}

Test(near_cache, a_read_that_raced_a_change_never_lands)
{
    oi_near_cache_t *c = live_cache(1 << 20, 0);
    char got[64];
    oi_near_ticket_t t = oi_near_cache_begin(c, "n1");
    oi_near_cache_invalidate(c, "n1", 2); /* the source changed while we read it */
    oi_near_ticket_t later = oi_near_cache_begin(c, "n1"); /* a read that began after the change */
    oi_near_cache_end(c, &t, "ws", "old", 3, 0);
    cr_assert_not(get_str(c, "n1", 0, got, sizeof got), "the raced read was kept");
    oi_near_cache_end(c, &later, "ws", "new", 3, 0);
    cr_assert(get_str(c, "n1", 0, got, sizeof got));
    cr_assert_str_eq(got, "ws|new");
    cr_assert_eq(oi_near_cache_stats(c).refused, 1);
    oi_near_cache_destroy(&c);
}

Test(near_cache, invalidating_everything_refuses_every_fill_in_progress)
{
    oi_near_cache_t *c = live_cache(1 << 20, 0);
    char got[64];
    fill(c, "a", "", "1", 0);
    oi_near_ticket_t t = oi_near_cache_begin(c, "b");
    oi_near_cache_invalidate_all(c);
    oi_near_cache_end(c, &t, "", "2", 1, 0);
    cr_assert_not(get_str(c, "a", 0, got, sizeof got));
    cr_assert_not(get_str(c, "b", 0, got, sizeof got));
    cr_assert_eq(oi_near_cache_stats(c).entries, 0);
    oi_near_cache_destroy(&c);
}

Test(near_cache, not_usable_serves_nothing_keeps_nothing_and_forgets_what_it_had)
{
    oi_near_cache_t *c = oi_near_cache_new("t", 1 << 20, 0);
    char got[64];
    fill(c, "a", "", "1", 0); /* never usable yet: the ticket is empty */
    cr_assert_not(get_str(c, "a", 0, got, sizeof got));
    oi_near_cache_set_usable(c, true);
    fill(c, "a", "", "1", 0);
    oi_near_ticket_t t = oi_near_cache_begin(c, "b");
    oi_near_cache_set_usable(c, false); /* the subscription was lost: messages may be missed */
    oi_near_cache_set_usable(c, true);
    oi_near_cache_end(c, &t, "", "2", 1, 0);
    cr_assert_not(get_str(c, "a", 0, got, sizeof got));
    cr_assert_not(get_str(c, "b", 0, got, sizeof got), "a read begun before the outage was kept");
    oi_near_cache_destroy(&c);
}

Test(near_cache, failed_reads_leave_nothing_behind)
{
    oi_near_cache_t *c = live_cache(1 << 20, 0);
    oi_near_ticket_t a = oi_near_cache_begin(c, "k");
    oi_near_ticket_t b = oi_near_cache_begin(c, "k");
    oi_near_cache_end(c, &a, NULL, NULL, 0, 0);
    cr_assert_eq(oi_near_cache_stats(c).entries, 1, "b still fills it");
    oi_near_cache_end(c, &b, NULL, NULL, 0, 0);
    cr_assert_eq(oi_near_cache_stats(c).entries, 0);
    oi_near_cache_destroy(&c);
}

/* A value is served until at least half of max_age_ms, never past it; values stored together
 * do not all expire together. */
Test(near_cache, old_values_are_read_again_not_all_at_once)
{
    oi_near_cache_t *c = live_cache(1 << 20, 1000);
    char key[16], got[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        fill(c, key, "", "v", 100);
    }
    int at[3] = {600, 850, 1101}, served[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 1000; i++) {
            snprintf(key, sizeof key, "k%d", i);
            served[k] += get_str(c, key, (uint64_t)at[k], got, sizeof got);
        }
    }
    cr_expect_eq(served[0], 1000, "half of max age: every value");
    cr_expect(served[1] > 100 && served[1] < 900, "three quarters: some (%d)", served[1]);
    cr_expect_eq(served[2], 0, "past max age: none (%d)", served[2]);
    oi_near_cache_destroy(&c);
}

Test(near_cache, the_least_recently_used_go_first_when_bytes_run_out)
{
    oi_near_cache_t *c = live_cache(3 * 200, 0); /* room for about three 100-byte values */
    char value[101], got[160], key[16];
    memset(value, 'x', 100);
    value[100] = '\0';
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "k%d", i);
        fill(c, key, "", value, 0);
    }
    cr_assert(get_str(c, "k0", 0, got, sizeof got)); /* k0 is now the most recent */
    fill(c, "k3", "", value, 0);
    oi_near_stats_t s = oi_near_cache_stats(c);
    cr_assert_geq(s.evicted, 1);
    cr_assert_leq(s.bytes, 600);
    cr_assert(get_str(c, "k0", 0, got, sizeof got), "the recently used one was evicted");
    cr_assert(get_str(c, "k3", 0, got, sizeof got));
    cr_assert_not(get_str(c, "k1", 0, got, sizeof got), "the least recently used one stayed");
    oi_near_cache_destroy(&c);
}

Test(near_cache, many_keys_grow_the_table)
{
    oi_near_cache_t *c = live_cache(64 << 20, 0);
    char key[32], got[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        fill(c, key, "t", key, 0);
    }
    for (int i = 0; i < 20000; i += 997) {
        snprintf(key, sizeof key, "key-%d", i);
        cr_assert(get_str(c, key, 0, got, sizeof got), "%s", key);
    }
    cr_assert_eq(oi_near_cache_stats(c).entries, 20000);
    oi_near_cache_destroy(&c);
}

Test(near_cache, destroyed_with_reads_in_flight_it_waits_for_them)
{
    oi_near_cache_t *c = live_cache(1 << 20, 0);
    oi_near_cache_t *keep = c;
    oi_near_ticket_t t = oi_near_cache_begin(c, "k");
    oi_near_ticket_t u = oi_near_cache_begin(c, "j");
    oi_near_cache_invalidate(c, "j", 1); /* detached, still filling */
    oi_near_cache_destroy(&c);
    cr_assert_null(c);
    oi_near_cache_end(keep, &t, "", "v", 1, 0);
    oi_near_cache_end(keep, &u, "", "v", 1, 0); /* the last one: freed now (ASan sees any leak) */
}

Test(near_cache, every_stored_value_has_its_own_sequence_number)
{
    oi_near_cache_t *c = live_cache(1 << 20, 0);
    oi_near_value_t a, b, b2;
    fill(c, "n1", "ws", "one", 0);
    fill(c, "n2", "ws", "two", 0);
    cr_assert(oi_near_cache_get(c, "n1", 1, &a));
    cr_assert(oi_near_cache_get(c, "n2", 1, &b));
    cr_expect_neq(a.seq, 0);
    cr_expect_neq(a.seq, b.seq);
    cr_assert(oi_near_cache_get(c, "n2", 2, &b2));
    cr_expect_eq(b.seq, b2.seq); /* the same value read again */
    fill(c, "n2", "ws", "two again", 3);
    cr_assert(oi_near_cache_get(c, "n2", 4, &b2));
    cr_expect_neq(b.seq, b2.seq); /* a new value, even of the same key */
    oi_near_cache_destroy(&c);
}

/* --- derived forms ------------------------------------------------------------------------------ */

static int derived_freed;
static void count_free(void *derived)
{
    derived_freed++;
    free(derived);
}

static void *keep_on(oi_near_cache_t *c, const char *key, uint64_t now, size_t bytes)
{
    oi_near_value_t v;
    cr_assert(oi_near_cache_get(c, key, now, &v));
    char *d = strdup(key);
    cr_assert(oi_near_cache_keep_derived(c, &v, d, bytes));
    return d;
}

/* A derived form is found with its value and freed whenever the value goes: replaced, invalidated,
 * too old, everything invalidated, the cache unusable or destroyed. */
Test(near_cache, a_derived_form_lives_and_goes_with_its_value)
{
    derived_freed = 0;
    oi_near_cache_t *c = live_cache(1 << 20, 1000);
    oi_near_cache_set_derived_free(c, count_free);
    fill(c, "n1", "", "v1", 0);
    void *d = keep_on(c, "n1", 0, 100);
    oi_near_value_t v;
    cr_assert(oi_near_cache_get(c, "n1", 1, &v));
    cr_expect_eq(v.derived, d);
    fill(c, "n1", "", "v2", 2); /* replaced */
    cr_expect_eq(derived_freed, 1);
    cr_assert(oi_near_cache_get(c, "n1", 2, &v));
    cr_expect_null(v.derived);
    keep_on(c, "n1", 2, 100);
    oi_near_cache_invalidate(c, "n1", 2);
    cr_expect_eq(derived_freed, 2);
    fill(c, "n1", "", "v3", 10);
    keep_on(c, "n1", 10, 100);
    cr_expect_not(oi_near_cache_get(c, "n1", 5000, &v)); /* too old */
    cr_expect_eq(derived_freed, 3);
    fill(c, "n1", "", "v4", 5000);
    keep_on(c, "n1", 5000, 100);
    oi_near_cache_invalidate_all(c);
    cr_expect_eq(derived_freed, 4);
    fill(c, "n1", "", "v5", 5000);
    keep_on(c, "n1", 5000, 100);
    oi_near_cache_set_usable(c, false);
    cr_expect_eq(derived_freed, 5);
    oi_near_cache_set_usable(c, true);
    fill(c, "n1", "", "v6", 5000);
    keep_on(c, "n1", 5000, 100);
    oi_near_cache_destroy(&c);
    cr_expect_eq(derived_freed, 6);
}

/* Its bytes count: kept anew when it grows, a different form replaces (frees) the first, and
 * room is made from other values, never its own. Nothing is kept without a live hit. */
Test(near_cache, a_derived_form_counts_against_the_bytes)
{
    derived_freed = 0;
    oi_near_cache_t *c = live_cache(1000, 0);
    oi_near_cache_set_derived_free(c, count_free);
    fill(c, "n1", "", "v1", 0);
    fill(c, "n2", "", "v2", 0);
    size_t base = oi_near_cache_stats(c).bytes;
    void *d = keep_on(c, "n2", 0, 100);
    cr_expect_eq(oi_near_cache_stats(c).bytes, base + 100);
    oi_near_value_t v;
    cr_assert(oi_near_cache_get(c, "n2", 0, &v));
    cr_expect(oi_near_cache_keep_derived(c, &v, d, 300)); /* the same, grown */
    cr_expect_eq(oi_near_cache_stats(c).bytes, base + 300);
    cr_expect_eq(derived_freed, 0);
    keep_on(c, "n2", 0, 200); /* another form */
    cr_expect_eq(derived_freed, 1);
    cr_expect_eq(oi_near_cache_stats(c).bytes, base + 200);
    keep_on(c, "n2", 0, 950); /* past the bound: n1 goes, n2 stays */
    cr_expect_not(oi_near_cache_get(c, "n1", 0, &v));
    cr_expect(oi_near_cache_get(c, "n2", 0, &v));
    cr_expect_eq(oi_near_cache_stats(c).evicted, 1);
    oi_near_value_t stale = v;
    fill(c, "n2", "", "v2b", 0);
    char *mine = strdup("x");
    cr_expect_not(oi_near_cache_keep_derived(c, &stale, mine, 10), "an older value's hit");
    oi_near_value_t none = {0};
    cr_expect_not(oi_near_cache_keep_derived(c, &none, mine, 10), "no hit at all");
    free(mine);
    oi_near_cache_destroy(&c);
}
