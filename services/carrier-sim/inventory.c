/* inventory.c: deterministic generation and search of the number stock. */
#include "inventory.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oi/mem.h"
#include "rng.h"

#define PER_AREA_NANP 300
#define PER_AREA_OTHER 200

struct sim_inventory {
    sim_number_t *nums; /* owned */
    size_t n;
};

static const sim_area_t areas[] = {
    {"US", "1", "415", 7, "San Francisco", "CA", "SNFC", "722", "94107", 37.77, -122.39},
    {"US", "1", "212", 7, "New York", "NY", "NWYRCYZN01", "132", "10001", 40.75, -73.99},
    {"US", "1", "312", 7, "Chicago", "IL", "CHICAGO ZONE 01", "358", "60601", 41.88, -87.62},
    {"US", "1", "646", 7, "New York", "NY", "NWYRCYZN01", "132", "10011", 40.74, -74.00},
    {"US", "1", "206", 7, "Seattle", "WA", "SEATTLE", "674", "98101", 47.61, -122.33},
    {"US", "1", "512", 7, "Austin", "TX", "AUSTIN", "558", "78701", 30.27, -97.74},
    {"US", "1", "617", 7, "Boston", "MA", "BOSTON", "128", "02108", 42.36, -71.06},
    {"US", "1", "303", 7, "Denver", "CO", "DENVER", "656", "80202", 39.75, -104.99},
    {"US", "1", "305", 7, "Miami", "FL", "MIAMI", "460", "33130", 25.77, -80.20},
    {"US", "1", "404", 7, "Atlanta", "GA", "ATLANTA", "438", "30303", 33.75, -84.39},
    {"US", "1", "213", 7, "Los Angeles", "CA", "LSAN DA 01", "730", "90012", 34.05, -118.24},
    {"US", "1", "310", 7, "Santa Monica", "CA", "SNMN", "730", "90401", 34.02, -118.49},
    {"US", "1", "702", 7, "Las Vegas", "NV", "LAS VEGAS", "721", "89101", 36.17, -115.14},
    {"US", "1", "602", 7, "Phoenix", "AZ", "PHOENIX", "666", "85004", 33.45, -112.07},
    {"US", "1", "713", 7, "Houston", "TX", "HOUSTON", "560", "77002", 29.76, -95.37},
    {"US", "1", "214", 7, "Dallas", "TX", "DALLAS", "552", "75201", 32.78, -96.80},
    {"US", "1", "215", 7, "Philadelphia", "PA", "PHILA", "228", "19103", 39.95, -75.17},
    {"US", "1", "202", 7, "Washington", "DC", "WSHNGTNZN1", "236", "20001", 38.90, -77.04},
    {"US", "1", "503", 7, "Portland", "OR", "PORTLAND", "672", "97204", 45.52, -122.68},
    {"US", "1", "612", 7, "Minneapolis", "MN", "MINNEAPOLIS", "628", "55401", 44.98, -93.27},
    {"US", "1", "313", 7, "Detroit", "MI", "DETROIT", "340", "48226", 42.33, -83.05},
    {"US", "1", "619", 7, "San Diego", "CA", "SNDG", "732", "92101", 32.72, -117.16},
    {"US", "1", "408", 7, "San Jose", "CA", "SNJS", "722", "95113", 37.34, -121.89},
    {"US", "1", "720", 7, "Denver", "CO", "DENVER", "656", "80205", 39.76, -104.98},
    {"CA", "1", "416", 7, "Toronto", "ON", "TORONTO", "", "M5H 2N2", 43.65, -79.38},
    {"CA", "1", "604", 7, "Vancouver", "BC", "VANCOUVER", "", "V6B 1A1", 49.28, -123.12},
    {"CA", "1", "514", 7, "Montreal", "QC", "MONTREAL", "", "H2Y 1C6", 45.50, -73.57},
    {"GB", "44", "20", 8, "London", "ENG", "LONDON", "", "EC1A 1BB", 51.51, -0.13},
    {"GB", "44", "161", 7, "Manchester", "ENG", "MANCHESTER", "", "M1 1AE", 53.48, -2.24},
    {"DE", "49", "30", 8, "Berlin", "BE", "BERLIN", "", "10115", 52.52, 13.40},
    {"DE", "49", "89", 8, "Munich", "BY", "MUENCHEN", "", "80331", 48.14, 11.58},
    {"AU", "61", "2", 8, "Sydney", "NSW", "SYDNEY", "", "2000", -33.87, 151.21},
    {"AU", "61", "3", 8, "Melbourne", "VIC", "MELBOURNE", "", "3000", -37.81, 144.96},
};

const sim_area_t *sim_areas(size_t *n)
{
    *n = sizeof areas / sizeof areas[0];
    return areas;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t pow10u(int e)
{
    uint64_t v = 1;
    while (e-- > 0)
        v *= 10;
    return v;
}

static size_t dedupe(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || v[k - 1] != v[i])
            v[k++] = v[i];
    return k;
}

/* `want` distinct subscriber numbers whose first digit is 2-9 (no leading 0/1), sorted. */
static void area_subscribers(sim_rng_t *r, int len, uint64_t *out, size_t want)
{
    uint64_t lead = pow10u(len - 1);
    size_t have = 0;
    while (have < want) {
        for (size_t i = have; i < want; i++)
            out[i] = (2 + sim_rng_below(r, 8)) * lead + sim_rng_below(r, lead);
        have = dedupe(out, want); /* on collisions the tail is refilled and sorted again */
    }
}

static unsigned area_caps(sim_rng_t *r, bool nanp)
{
    unsigned caps = SIM_CAP_VOICE;
    uint64_t roll = sim_rng_below(r, 100);
    if (nanp ? roll < 85 : roll < 50)
        caps |= SIM_CAP_SMS;
    if (nanp && (caps & SIM_CAP_SMS) && sim_rng_below(r, 100) < 80)
        caps |= SIM_CAP_MMS;
    if (sim_rng_below(r, 100) < 10)
        caps |= SIM_CAP_FAX;
    return caps;
}

sim_inventory_t *sim_inventory_new(uint64_t seed)
{
    size_t na = sizeof areas / sizeof areas[0], total = 0;
    for (size_t a = 0; a < na; a++)
        total += !strcmp(areas[a].cc, "1") ? PER_AREA_NANP : PER_AREA_OTHER;
    sim_inventory_t *inv = oi_xcalloc(1, sizeof *inv);
    inv->nums = oi_xcalloc(total, sizeof *inv->nums);
    uint64_t *sub = oi_xcalloc(PER_AREA_NANP, sizeof *sub);
    for (size_t a = 0; a < na; a++) {
        const sim_area_t *ar = &areas[a];
        bool nanp = !strcmp(ar->cc, "1");
        size_t want = nanp ? PER_AREA_NANP : PER_AREA_OTHER;
        sim_rng_t r;
        /* one stream per area: adding an area never reshuffles the others */
        sim_rng_seed(&r, seed * 0x100000001b3ULL + a + 1);
        area_subscribers(&r, ar->subscriber_len, sub, want);
        for (size_t i = 0; i < want; i++) {
            sim_number_t *n = &inv->nums[inv->n++];
            snprintf(n->e164, sizeof n->e164, "+%s%s%0*llu", ar->cc, ar->ndc, ar->subscriber_len,
                     (unsigned long long)sub[i]);
            n->area = ar;
            n->caps = area_caps(&r, nanp);
            n->state = SIM_NUM_AVAILABLE;
        }
    }
    free(sub);
    return inv;
}

void sim_inventory_destroy(sim_inventory_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->nums);
    OI_FREE(*self_p);
}

size_t sim_inventory_count(const sim_inventory_t *inv) { return inv->n; }

sim_number_t *sim_inventory_at(sim_inventory_t *inv, size_t i) { return i < inv->n ? &inv->nums[i] : NULL; }

sim_number_t *sim_inventory_find(sim_inventory_t *inv, const char *e164)
{
    if (!e164)
        return NULL;
    for (size_t i = 0; i < inv->n; i++)
        if (!strcmp(inv->nums[i].e164, e164))
            return &inv->nums[i];
    return NULL;
}

static bool area_is(const sim_area_t *a, const char *iso, const char *ndc)
{
    return !strcasecmp(a->iso, iso) && (!ndc || !strcmp(a->ndc, ndc));
}

bool sim_inventory_has_area(const sim_inventory_t *inv, const char *iso, const char *ndc)
{
    (void)inv;
    for (size_t a = 0; a < sizeof areas / sizeof areas[0]; a++)
        if (iso && area_is(&areas[a], iso, ndc))
            return true;
    return false;
}

sim_number_t *sim_inventory_first_in_area(sim_inventory_t *inv, const char *iso, const char *ndc)
{
    for (size_t i = 0; i < inv->n; i++) {
        sim_number_t *n = &inv->nums[i];
        if (n->state == SIM_NUM_AVAILABLE && area_is(n->area, iso, ndc))
            return n;
    }
    return NULL;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* Telnyx digit filters on the national number, or on the subscriber part when an NDC is given. */
static bool digits_match(const sim_number_t *n, const sim_search_t *q)
{
    const char *national = n->e164 + 1 + strlen(n->area->cc);
    const char *base = q->ndc ? national + strlen(n->area->ndc) : national;
    if (q->digits_contains && (!all_digits(q->digits_contains) || !strstr(base, q->digits_contains)))
        return false;
    if (q->digits_starts &&
        (!all_digits(q->digits_starts) || strncmp(base, q->digits_starts, strlen(q->digits_starts))))
        return false;
    if (q->digits_ends) {
        size_t bl = strlen(base), el = strlen(q->digits_ends);
        if (!all_digits(q->digits_ends) || el > bl || strcmp(base + bl - el, q->digits_ends))
            return false;
    }
    return true;
}

static bool number_matches(const sim_number_t *n, const sim_search_t *q)
{
    if (n->state != SIM_NUM_AVAILABLE || !area_is(n->area, q->iso, q->ndc))
        return false;
    if ((n->caps & q->caps) != q->caps)
        return false;
    if (q->locality && strcasecmp(n->area->locality, q->locality))
        return false;
    if (q->region && strcasecmp(n->area->region, q->region))
        return false;
    if (q->contains && !sim_pattern_match(q->contains, n->e164 + 1))
        return false;
    return digits_match(n, q);
}

size_t sim_inventory_search(sim_inventory_t *inv, const sim_search_t *q, sim_number_t **out, size_t cap)
{
    if (!q->iso)
        return 0;
    size_t limit = q->limit && q->limit < cap ? q->limit : cap, k = 0;
    for (size_t i = 0; i < inv->n && k < limit; i++)
        if (number_matches(&inv->nums[i], q))
            out[k++] = &inv->nums[i];
    return k;
}

void sim_number_friendly(const sim_number_t *n, char *out, size_t len)
{
    const sim_area_t *a = n->area;
    const char *sub = n->e164 + 1 + strlen(a->cc) + strlen(a->ndc);
    if (!strcmp(a->cc, "1"))
        snprintf(out, len, "(%s) %.3s-%s", a->ndc, sub, sub + 3);
    else
        snprintf(out, len, "+%s %s %.4s %s", a->cc, a->ndc, sub, sub + 4);
}
