/* state.c: the simulator's world: inventory, resources, counters, faults. */
#include "state.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "oi/mem.h"

static void resources_init(sim_state_t *st)
{
    json_t **all[] = {&st->tw_numbers, &st->tw_credlists, &st->tw_creds, &st->tw_trunks,
                      &st->tw_origs,   &st->tw_trunk_cls, &st->tx_numbers, &st->tx_orders,
                      &st->tx_conns,   &st->tx_fqdns,     &st->purchases,  &st->releases,
                      &st->calls};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        json_decref(*all[i]);
        *all[i] = json_object();
    }
}

static void resources_free(sim_state_t *st)
{
    json_t **all[] = {&st->tw_numbers, &st->tw_credlists, &st->tw_creds, &st->tw_trunks,
                      &st->tw_origs,   &st->tw_trunk_cls, &st->tx_numbers, &st->tx_orders,
                      &st->tx_conns,   &st->tx_fqdns,     &st->purchases,  &st->releases,
                      &st->calls};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        json_decref(*all[i]);
        *all[i] = NULL;
    }
}

sim_state_t *sim_state_new(const sim_config_t *cfg)
{
    sim_state_t *st = oi_xcalloc(1, sizeof *st);
    st->cfg = *cfg;
    sim_state_reset(st);
    return st;
}

void sim_state_reset(sim_state_t *st)
{
    sim_inventory_destroy(&st->inv);
    st->inv = sim_inventory_new(st->cfg.seed);
    /* a stream apart from the inventory's, so ids do not depend on the area table */
    sim_rng_seed(&st->ids, st->cfg.seed ^ 0x5eed1d5ULL);
    resources_init(st);
    sim_faults_clear(&st->faults);
}

void sim_state_destroy(sim_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sim_state_t *st = *self_p;
    sim_inventory_destroy(&st->inv);
    resources_free(st);
    sim_faults_clear(&st->faults);
    OI_FREE(*self_p);
}

void sim_state_bump(json_t *counter, const char *key)
{
    json_int_t n = json_integer_value(json_object_get(counter, key));
    json_object_set_new(counter, key, json_integer(n + 1));
}

void sim_state_sid(sim_state_t *st, const char *prefix, char *out, size_t n)
{
    sim_rng_sid(&st->ids, prefix, out, n);
}

static bool has_number(const json_t *set, const char *e164)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)set, key, v)
    {
        const char *pn = json_string_value(json_object_get(v, "phone_number"));
        if (pn && !strcmp(pn, e164))
            return true;
    }
    return false;
}

bool sim_state_owned(const sim_state_t *st, const char *e164)
{
    return has_number(st->tw_numbers, e164) || has_number(st->tx_numbers, e164);
}

void sim_state_number_bought(sim_state_t *st, const char *e164)
{
    sim_number_t *n = sim_inventory_find(st->inv, e164);
    if (n)
        n->state = SIM_NUM_OWNED;
    sim_state_bump(st->purchases, e164);
}

void sim_state_number_released(sim_state_t *st, const char *e164)
{
    sim_number_t *n = sim_inventory_find(st->inv, e164);
    if (n && n->state == SIM_NUM_OWNED)
        n->state = SIM_NUM_AVAILABLE;
    sim_state_bump(st->releases, e164);
}

json_t *sim_state_owned_json(const sim_state_t *st)
{
    json_t *arr = json_array();
    const json_t *sets[] = {st->tw_numbers, st->tx_numbers};
    for (size_t i = 0; i < 2; i++) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)sets[i], key, v)
        {
            json_t *pn = json_object_get(v, "phone_number");
            if (pn)
                json_array_append(arr, pn);
        }
    }
    return arr;
}

void sim_time_rfc2822(int64_t unix_ms, char *out, size_t n)
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    /* spelled out instead of strftime("%a %b") so the locale can never change it */
    snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void sim_time_iso(int64_t unix_ms, char *out, size_t n)
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}
