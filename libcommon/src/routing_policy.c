/* routing_policy.c: checking a policy member (422 shape, canonical form) and parsing the
 * canonical form back into oi_policy_t. One checker serves both: parsing runs the checks again
 * into a throwaway validation and reads the canonical JSON they produce. */
#include "oi/routing_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/e164.h"
#include "oi/ids.h"
#include "oi/mem.h"
#include "oi/phone_region.h"
#include "oi/tz.h"

static const char *const member_names[] = {"fallbacks", "schedule", "caller_rules"};
static const char *const trigger_names[] = {"paused", "deleted", "error", "busy", "no_answer"};
static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const action_names[] = {"route", "voicemail", "reject", NULL}; /* NULL-ended: oi_v_enum */
static const char *const match_names[] = {"numbers", "prefix", "country", "anonymous"};

const char *oi_policy_member_name(oi_policy_member_t m) { return m < OI_POLICY__MEMBERS ? member_names[m] : ""; }

const char *oi_trigger_name(unsigned bit)
{
    for (unsigned i = 0; i < 5; i++)
        if (bit == 1u << i)
            return trigger_names[i];
    return "";
}

/* --- error helpers (pydantic's types and messages) ---------------------------------------------- */

static void value_error(oi_validation_t *v, const oi_loc_t *l, json_t *input, const char *msg)
{
    char full[256];
    snprintf(full, sizeof full, "Value error, %s", msg);
    oi_validation_add(v, l, "value_error", full, input, json_pack("{ss}", "error", msg));
}

static int index_of(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* Unknown members of a policy object are refused: a typo must not silently route calls. */
static bool only_keys(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *const *keys, int n)
{
    const char *k;
    json_t *m;
    bool ok = true;
    json_object_foreach(obj, k, m) {
        if (index_of(k, keys, n) < 0) {
            oi_loc_t l = oi_loc_key(loc, k);
            oi_validation_add(v, &l, "extra_forbidden", "Extra inputs are not permitted", m, NULL);
            ok = false;
        }
    }
    return ok;
}

/* obj[key] as a list of at most max items (JSON null only with OI_V_NULLABLE). */
static json_t *list_member(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key, int flags,
                           size_t max, bool *present, bool *is_null)
{
    json_t *m = oi_v_member(v, loc, obj, key, flags, present, is_null);
    if (!m || json_is_null(m))
        return NULL;
    oi_loc_t l = oi_loc_key(loc, key);
    if (!json_is_array(m)) {
        oi_validation_add(v, &l, "list_type", "Input should be a valid list", m, NULL);
        return NULL;
    }
    if (json_array_size(m) > max) {
        char msg[128];
        snprintf(msg, sizeof msg, "List should have at most %zu item%s after validation, not %zu", max,
                 max == 1 ? "" : "s", json_array_size(m));
        oi_validation_add(v, &l, "too_long", msg, m,
                          json_pack("{sssIsI}", "field_type", "List", "max_length", (json_int_t)max, "actual_length",
                                    (json_int_t)json_array_size(m)));
        return NULL;
    }
    return m;
}

/* A list item that must be one of names; returns its index or -1 (error recorded). */
static int enum_item(oi_validation_t *v, const oi_loc_t *l, json_t *item, const char *const *names, int n)
{
    int i = json_is_string(item) ? index_of(json_string_value(item), names, n) : -1;
    if (i >= 0)
        return i;
    char expected[160] = "";
    size_t len = 0;
    for (int k = 0; k < n; k++)
        len += (size_t)snprintf(expected + len, sizeof expected - len, "%s'%s'", k == 0 ? "" : k == n - 1 ? " or " : ", ",
                                names[k]);
    char msg[200];
    snprintf(msg, sizeof msg, "Input should be %s", expected);
    if (!json_is_string(item))
        oi_validation_add(v, l, "string_type", "Input should be a valid string", item, NULL);
    else
        oi_validation_add(v, l, "enum", msg, item, json_pack("{ss}", "expected", expected));
    return -1;
}

/* obj[key]: a list of up to n of names (loc: each item), none twice counted; empty → value_error
 * with empty_msg. The set as bits (bit k = names[k]); errors recorded in v. */
static unsigned name_set(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key, int flags,
                         const char *const *names, int n, const char *empty_msg, bool *given)
{
    json_t *list = list_member(v, loc, obj, key, flags, (size_t)n, NULL, NULL);
    *given = list != NULL;
    unsigned bits = 0;
    if (!list)
        return 0;
    oi_loc_t l = oi_loc_key(loc, key);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        oi_loc_t il = oi_loc_index(&l, (int)i);
        int k = enum_item(v, &il, item, names, n);
        if (k >= 0)
            bits |= 1u << k;
    }
    if (json_array_size(list) == 0)
        value_error(v, &l, list, empty_msg);
    return bits;
}

/* The names of bits, in names' order (canonical form). */
static json_t *names_of(unsigned bits, const char *const *names, int n)
{
    json_t *out = json_array();
    for (int k = 0; k < n; k++)
        if (bits & (1u << k))
            json_array_append_new(out, json_string(names[k]));
    return out;
}

/* --- fallbacks ------------------------------------------------------------------------------------ */

static json_t *check_triggers(oi_validation_t *v, const oi_loc_t *loc, json_t *item)
{
    size_t before = oi_validation_count(v);
    bool given = false;
    unsigned bits = name_set(v, loc, item, "on", OI_V_NULLABLE, trigger_names, 5,
                             "on must name at least one trigger (omit it for all of them)", &given);
    if (oi_validation_count(v) != before)
        return NULL;
    return names_of(given ? bits : OI_TRIGGER_ALL, trigger_names, 5);
}

static json_t *check_fallbacks(oi_validation_t *v, const oi_loc_t *loc, json_t *list)
{
    static const char *const keys[] = {"agent_id", "on"};
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        oi_loc_t l = oi_loc_index(loc, (int)i);
        if (!oi_v_object(v, &l, item))
            continue;
        only_keys(v, &l, item, keys, 2);
        char id[37];
        bool ok = oi_v_uuid(v, &l, item, "agent_id", OI_V_REQUIRED, NULL, id);
        json_t *on = check_triggers(v, &l, item);
        if (ok && on)
            json_array_append_new(out, json_pack("{ssso}", "agent_id", id, "on", on));
        else
            json_decref(on);
    }
    return out;
}

/* --- schedule -------------------------------------------------------------------------------------- */

/* "HH:MM", 00:00..23:59, or "24:00" when end_of_day; minutes or -1. */
static int parse_hhmm(const char *s, bool end_of_day)
{
    if (strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h == 24 && m == 0 && end_of_day)
        return 1440;
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

static int hhmm_member(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key, bool end)
{
    const char *s = oi_v_string(v, loc, obj, key, OI_V_REQUIRED, 0, 0, NULL);
    if (!s)
        return -1;
    int t = parse_hhmm(s, end);
    if (t < 0) {
        oi_loc_t l = oi_loc_key(loc, key);
        value_error(v, &l, json_object_get(obj, key),
                    end ? "time must be HH:MM between 00:00 and 24:00" : "time must be HH:MM between 00:00 and 23:59");
    }
    return t;
}

static json_t *check_window(oi_validation_t *v, const oi_loc_t *l, json_t *w)
{
    static const char *const keys[] = {"days", "from", "to"};
    if (!oi_v_object(v, l, w))
        return NULL;
    size_t before = oi_validation_count(v);
    only_keys(v, l, w, keys, 3);
    bool given = false;
    unsigned bits =
        name_set(v, l, w, "days", OI_V_REQUIRED, day_names, 7, "days must name at least one day", &given);
    int from = hhmm_member(v, l, w, "from", false), to = hhmm_member(v, l, w, "to", true);
    if (from >= 0 && to >= 0 && from >= to) {
        oi_loc_t tl = oi_loc_key(l, "to");
        value_error(v, &tl, json_object_get(w, "to"),
                    "to must be later than from (split a window that crosses midnight in two)");
    }
    if (oi_validation_count(v) != before)
        return NULL;
    return json_pack("{sosOsO}", "days", names_of(bits, day_names, 7), "from", json_object_get(w, "from"), "to",
                     json_object_get(w, "to"));
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* "YYYY-MM-DD" → yyyymmdd, or -1. */
static int parse_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap(y)))
        return -1;
    return y * 10000 + m * 100 + d;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static json_t *check_closed(oi_validation_t *v, const oi_loc_t *loc, json_t *sched)
{
    json_t *list = list_member(v, loc, sched, "closed_dates", OI_V_NULLABLE, OI_POLICY_CLOSED_MAX, NULL, NULL);
    int dates[OI_POLICY_CLOSED_MAX];
    size_t n = 0;
    oi_loc_t l = oi_loc_key(loc, "closed_dates");
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d) {
        oi_loc_t il = oi_loc_index(&l, (int)i);
        int x = json_is_string(d) ? parse_date(json_string_value(d)) : -1;
        if (x < 0)
            value_error(v, &il, d, "a closed date must be a calendar date YYYY-MM-DD");
        else
            dates[n++] = x;
    }
    qsort(dates, n, sizeof dates[0], cmp_int);
    json_t *out = json_array();
    for (size_t k = 0; k < n; k++) {
        if (k > 0 && dates[k] == dates[k - 1])
            continue;
        char s[16];
        snprintf(s, sizeof s, "%04d-%02d-%02d", dates[k] / 10000, dates[k] / 100 % 100, dates[k] % 100);
        json_array_append_new(out, json_string(s));
    }
    return out;
}

static json_t *check_after_hours(oi_validation_t *v, const oi_loc_t *loc, json_t *sched)
{
    static const char *const keys[] = {"agent_id", "voicemail"};
    bool present = false;
    json_t *ah = oi_v_subobject(v, loc, sched, "after_hours", OI_V_NULLABLE, &present, NULL);
    if (!ah)
        return present && !json_is_null(json_object_get(sched, "after_hours")) ? NULL : json_pack("{sb}", "voicemail", 1);
    oi_loc_t l = oi_loc_key(loc, "after_hours");
    if (!only_keys(v, &l, ah, keys, 2))
        return NULL;
    json_t *agent = json_object_get(ah, "agent_id"), *vm = json_object_get(ah, "voicemail");
    if ((agent != NULL) == (vm != NULL)) {
        value_error(v, &l, ah, "after_hours takes exactly one of agent_id or voicemail");
        return NULL;
    }
    if (vm) {
        if (!json_is_true(vm)) {
            oi_loc_t vl = oi_loc_key(&l, "voicemail");
            value_error(v, &vl, vm, "voicemail must be true (or give agent_id instead)");
            return NULL;
        }
        return json_pack("{sb}", "voicemail", 1);
    }
    char id[37];
    if (!oi_v_uuid(v, &l, ah, "agent_id", OI_V_REQUIRED, NULL, id))
        return NULL;
    return json_pack("{ss}", "agent_id", id);
}

static json_t *check_schedule(oi_validation_t *v, const oi_loc_t *loc, json_t *sched)
{
    static const char *const keys[] = {"time_zone", "open", "closed_dates", "after_hours"};
    size_t before = oi_validation_count(v);
    only_keys(v, loc, sched, keys, 4);
    const char *zone = oi_v_string(v, loc, sched, "time_zone", OI_V_REQUIRED, 1, OI_POLICY_ZONE_MAX, NULL);
    if (zone && !oi_tz_valid(zone)) {
        oi_loc_t l = oi_loc_key(loc, "time_zone");
        value_error(v, &l, json_object_get(sched, "time_zone"), "time_zone must be an IANA time zone such as Europe/London");
    }
    json_t *open = list_member(v, loc, sched, "open", OI_V_REQUIRED, OI_POLICY_WINDOWS_MAX, NULL, NULL);
    json_t *windows = json_array();
    oi_loc_t ol = oi_loc_key(loc, "open");
    size_t i;
    json_t *w;
    json_array_foreach(open, i, w) {
        oi_loc_t il = oi_loc_index(&ol, (int)i);
        json_t *cw = check_window(v, &il, w);
        if (cw)
            json_array_append_new(windows, cw);
    }
    json_t *closed = check_closed(v, loc, sched);
    json_t *after = check_after_hours(v, loc, sched);
    if (oi_validation_count(v) != before) {
        json_decref(windows);
        json_decref(closed);
        json_decref(after);
        return NULL;
    }
    return json_pack("{sssososo}", "time_zone", zone, "open", windows, "closed_dates", closed, "after_hours", after);
}

/* --- caller rules ---------------------------------------------------------------------------------- */

static bool prefix_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    for (size_t i = 2; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static json_t *check_numbers(oi_validation_t *v, const oi_loc_t *loc, json_t *match)
{
    json_t *list = list_member(v, loc, match, "numbers", OI_V_REQUIRED, OI_POLICY_NUMBERS_MAX, NULL, NULL);
    if (!list)
        return NULL;
    oi_loc_t l = oi_loc_key(loc, "numbers");
    if (json_array_size(list) == 0) {
        value_error(v, &l, list, "numbers must hold at least one number");
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(list, i, n) {
        oi_loc_t il = oi_loc_index(&l, (int)i);
        char e164[OI_E164_MAX + 1];
        if (!json_is_string(n) || !oi_e164_normalize(json_string_value(n), e164))
            value_error(v, &il, n, "a number must be E.164, such as +14155550100");
        else
            json_array_append_new(out, json_string(e164));
    }
    return out;
}

static json_t *check_match(oi_validation_t *v, const oi_loc_t *loc, json_t *rule)
{
    json_t *match = oi_v_subobject(v, loc, rule, "match", OI_V_REQUIRED, NULL, NULL);
    if (!match)
        return NULL;
    oi_loc_t l = oi_loc_key(loc, "match");
    if (!only_keys(v, &l, match, match_names, 4))
        return NULL;
    if (json_object_size(match) != 1) {
        value_error(v, &l, match, "match takes exactly one of numbers, prefix, country or anonymous");
        return NULL;
    }
    if (json_object_get(match, "numbers")) {
        json_t *nums = check_numbers(v, &l, match);
        return nums ? json_pack("{so}", "numbers", nums) : NULL;
    }
    json_t *anon = json_object_get(match, "anonymous");
    if (anon) {
        if (json_is_true(anon))
            return json_pack("{sb}", "anonymous", 1);
        oi_loc_t al = oi_loc_key(&l, "anonymous");
        value_error(v, &al, anon, "anonymous must be true");
        return NULL;
    }
    bool is_prefix = json_object_get(match, "prefix") != NULL;
    const char *key = is_prefix ? "prefix" : "country";
    const char *s = oi_v_string(v, &l, match, key, OI_V_REQUIRED, 0, 0, NULL);
    if (!s)
        return NULL;
    oi_loc_t kl = oi_loc_key(&l, key);
    if (is_prefix ? !prefix_valid(s) : !oi_phone_region_known(s)) {
        value_error(v, &kl, json_object_get(match, key),
                    is_prefix ? "prefix must be + and 1 to 15 digits, such as +44"
                              : "country must be an ISO 3166 alpha-2 code in upper case, such as GB");
        return NULL;
    }
    return json_pack("{ss}", key, s);
}

static json_t *check_rule(oi_validation_t *v, const oi_loc_t *l, json_t *rule)
{
    static const char *const keys[] = {"match", "action", "agent_id"};
    if (!oi_v_object(v, l, rule))
        return NULL;
    size_t before = oi_validation_count(v);
    only_keys(v, l, rule, keys, 3);
    json_t *match = check_match(v, l, rule);
    const char *action = oi_v_enum(v, l, rule, "action", OI_V_REQUIRED, action_names, NULL);
    bool agent_present = false, agent_null = false;
    oi_v_member(v, l, rule, "agent_id", OI_V_NULLABLE, &agent_present, &agent_null);
    char id[37] = "";
    bool route = action && strcmp(action, "route") == 0;
    oi_loc_t al = oi_loc_key(l, "agent_id");
    if (route && (!agent_present || agent_null))
        oi_validation_add(v, &al, "missing", "Field required", NULL, NULL);
    else if (route)
        oi_v_uuid(v, l, rule, "agent_id", OI_V_REQUIRED, NULL, id);
    else if (action && agent_present && !agent_null)
        value_error(v, &al, json_object_get(rule, "agent_id"), "agent_id is only for the route action");
    if (oi_validation_count(v) != before) {
        json_decref(match);
        return NULL;
    }
    json_t *out = json_pack("{soss}", "match", match, "action", action);
    if (route)
        json_object_set_new(out, "agent_id", json_string(id));
    return out;
}

static json_t *check_rules(oi_validation_t *v, const oi_loc_t *loc, json_t *list)
{
    json_t *out = json_array();
    size_t i;
    json_t *rule;
    json_array_foreach(list, i, rule) {
        oi_loc_t l = oi_loc_index(loc, (int)i);
        json_t *r = check_rule(v, &l, rule);
        if (r)
            json_array_append_new(out, r);
    }
    return out;
}

json_t *oi_policy_check_member(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, oi_policy_member_t m,
                               bool *present, bool *is_null)
{
    const char *key = oi_policy_member_name(m);
    size_t before = oi_validation_count(v);
    oi_loc_t l = oi_loc_key(loc, key);
    json_t *out = NULL;
    if (m == OI_POLICY_SCHEDULE) {
        json_t *s = oi_v_subobject(v, loc, obj, key, OI_V_NULLABLE, present, is_null);
        out = s ? check_schedule(v, &l, s) : NULL;
    } else {
        size_t max = m == OI_POLICY_FALLBACKS ? OI_POLICY_FALLBACKS_MAX : OI_POLICY_RULES_MAX;
        json_t *list = list_member(v, loc, obj, key, OI_V_NULLABLE, max, present, is_null);
        if (list)
            out = m == OI_POLICY_FALLBACKS ? check_fallbacks(v, &l, list) : check_rules(v, &l, list);
    }
    if (oi_validation_count(v) != before) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* --- parsing the canonical form ---------------------------------------------------------------------- */

static unsigned bits_of(json_t *list, const char *const *names, int n)
{
    unsigned bits = 0;
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        int k = index_of(json_string_value(x), names, n);
        if (k >= 0)
            bits |= 1u << k;
    }
    return bits;
}

static void copy_id(char dst[37], json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    snprintf(dst, 37, "%s", s ? s : "");
}

static void parse_fallbacks(oi_policy_t *p, json_t *list)
{
    size_t i;
    json_t *f;
    json_array_foreach(list, i, f) {
        oi_policy_fallback_t *x = &p->fallbacks[p->n_fallbacks++];
        copy_id(x->agent_id, f, "agent_id");
        x->on = bits_of(json_object_get(f, "on"), trigger_names, 5);
    }
}

static void parse_schedule(oi_policy_t *p, json_t *s)
{
    oi_policy_schedule_t *x = &p->schedule;
    p->has_schedule = true;
    snprintf(x->time_zone, sizeof x->time_zone, "%s", json_string_value(json_object_get(s, "time_zone")));
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(s, "open"), i, w) {
        oi_policy_window_t *o = &x->open[x->n_open++];
        o->days = bits_of(json_object_get(w, "days"), day_names, 7);
        o->from = parse_hhmm(json_string_value(json_object_get(w, "from")), false);
        o->to = parse_hhmm(json_string_value(json_object_get(w, "to")), true);
    }
    json_t *closed = json_object_get(s, "closed_dates");
    x->closed = json_array_size(closed) ? oi_xcalloc(json_array_size(closed), sizeof *x->closed) : NULL;
    json_array_foreach(closed, i, w)
        x->closed[x->n_closed++] = parse_date(json_string_value(w));
    copy_id(x->after_hours_agent, json_object_get(s, "after_hours"), "agent_id");
}

static void parse_rule(oi_policy_rule_t *r, json_t *rule)
{
    json_t *m = json_object_get(rule, "match");
    r->action = (oi_rule_action_t)index_of(json_string_value(json_object_get(rule, "action")), action_names, 3);
    copy_id(r->agent_id, rule, "agent_id");
    json_t *nums = json_object_get(m, "numbers");
    if (nums) {
        r->kind = OI_MATCH_NUMBERS;
        r->n_numbers = json_array_size(nums);
        r->numbers = oi_xcalloc(r->n_numbers, sizeof *r->numbers);
        size_t i;
        json_t *n;
        json_array_foreach(nums, i, n)
            snprintf(r->numbers[i], sizeof r->numbers[i], "%s", json_string_value(n));
    } else if (json_object_get(m, "prefix")) {
        r->kind = OI_MATCH_PREFIX;
        snprintf(r->prefix, sizeof r->prefix, "%s", json_string_value(json_object_get(m, "prefix")));
    } else if (json_object_get(m, "country")) {
        r->kind = OI_MATCH_COUNTRY;
        snprintf(r->country, sizeof r->country, "%s", json_string_value(json_object_get(m, "country")));
    } else {
        r->kind = OI_MATCH_ANONYMOUS;
    }
}

static int cmp_number(const void *a, const void *b)
{
    uint64_t x = ((const oi_policy_number_t *)a)->digits, y = ((const oi_policy_number_t *)b)->digits;
    return x < y ? -1 : x > y;
}

/* "+4420…" → 4420…; false unless E.164 ("+", then 2 to 15 digits, the first not 0). */
static bool e164_digits(const char *e164, uint64_t *out)
{
    if (e164[0] != '+' || e164[1] < '1' || e164[1] > '9')
        return false;
    uint64_t v = 0;
    size_t n = 0;
    for (const char *c = e164 + 1; *c; c++, n++) {
        if (*c < '0' || *c > '9' || n == 15)
            return false;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *out = v;
    return n >= 2;
}

static void index_key(oi_policy_key_t *k, const char *text, size_t rule)
{
    snprintf(k->text, sizeof k->text, "%s", text);
    k->len = (uint16_t)strlen(k->text);
    k->rule = (uint16_t)rule;
}

/* The number's bit in the sieve: a multiplicative hash's top 8 bits. */
static void sieve_bit(uint64_t digits, size_t *word, uint64_t *mask)
{
    unsigned bit = (unsigned)((digits * UINT64_C(0x9E3779B97F4A7C15)) >> 56);
    *word = bit / 64 % OI_POLICY_SIEVE_WORDS;
    *mask = UINT64_C(1) << (bit % 64);
}

static void sieve_add(oi_policy_index_t *x, uint64_t digits)
{
    size_t w;
    uint64_t m;
    sieve_bit(digits, &w, &m);
    x->number_sieve[w] |= m;
}

static bool sieve_has(const oi_policy_index_t *x, uint64_t digits)
{
    size_t w;
    uint64_t m;
    sieve_bit(digits, &w, &m);
    return (x->number_sieve[w] & m) != 0;
}

/* A country key also knows its calling code; an unknown code lets every caller through. */
static void index_country(oi_policy_index_t *x, const char *iso2, size_t rule)
{
    oi_policy_key_t *k = &x->countries[x->n_countries++];
    index_key(k, iso2, rule);
    int code = oi_phone_country_code(iso2);
    k->code = code > 0 && code < 1000 ? (uint16_t)code : 0;
    if (!k->code) {
        x->lead_digits = 0x3FF;
        return;
    }
    while (code >= 10)
        code /= 10;
    x->lead_digits |= (uint16_t)(1u << code);
}

/* p->index from p->rules: a number listed twice keeps its first rule (sorted stably by rule
 * order first, then deduplicated). */
static void build_index(oi_policy_t *p)
{
    oi_policy_index_t *x = &p->index;
    x->anonymous = -1;
    size_t numbers = 0;
    for (size_t i = 0; i < p->n_rules; i++)
        numbers += p->rules[i].n_numbers;
    x->numbers = numbers ? oi_xcalloc(numbers, sizeof *x->numbers) : NULL;
    x->prefixes = p->n_rules ? oi_xcalloc(p->n_rules, sizeof *x->prefixes) : NULL;
    x->countries = p->n_rules ? oi_xcalloc(p->n_rules, sizeof *x->countries) : NULL;
    for (size_t i = 0; i < p->n_rules; i++) {
        const oi_policy_rule_t *r = &p->rules[i];
        for (size_t j = 0; j < r->n_numbers; j++) {
            if (!e164_digits(r->numbers[j], &x->numbers[x->n_numbers].digits))
                continue; /* checked E.164 before: never */
            sieve_add(x, x->numbers[x->n_numbers].digits);
            x->numbers[x->n_numbers++].rule = (uint16_t)i;
        }
        if (r->kind == OI_MATCH_PREFIX) {
            index_key(&x->prefixes[x->n_prefixes++], r->prefix, i);
            x->lead_digits |= (uint16_t)(1u << (r->prefix[1] - '0')); /* "+" then 1-9: checked */
        } else if (r->kind == OI_MATCH_COUNTRY)
            index_country(x, r->country, i);
        else if (r->kind == OI_MATCH_ANONYMOUS && x->anonymous < 0)
            x->anonymous = (int)i;
    }
    if (x->n_numbers > 1)
        qsort(x->numbers, x->n_numbers, sizeof *x->numbers, cmp_number);
    size_t kept = 0; /* equal numbers: the smallest rule stays */
    for (size_t i = 0; i < x->n_numbers; i++) {
        if (kept && x->numbers[kept - 1].digits == x->numbers[i].digits) {
            if (x->numbers[i].rule < x->numbers[kept - 1].rule)
                x->numbers[kept - 1].rule = x->numbers[i].rule;
            continue;
        }
        x->numbers[kept++] = x->numbers[i];
    }
    x->n_numbers = kept;
}

/* Whether e164 ("+" and digits) starts with the calling code (1 to 3 digits). */
static bool has_code(const char *e164, unsigned code)
{
    unsigned v = 0;
    for (const char *c = e164 + 1; c < e164 + 4 && *c >= '0' && *c <= '9'; c++) {
        v = v * 10 + (unsigned)(*c - '0');
        if (v == code)
            return true;
    }
    return false;
}

int oi_policy_first_rule(const oi_policy_t *p, const char *e164, const char *(*region_of)(void *), void *ud)
{
    const oi_policy_index_t *x = &p->index;
    if (p->n_rules == 0)
        return -1;
    if (!e164)
        return x->anonymous;
    int best = -1;
    oi_policy_number_t key;
    const oi_policy_number_t *hit = NULL;
    /* not E.164: in no list (they hold E.164) */
    if (x->n_numbers && e164_digits(e164, &key.digits) && sieve_has(x, key.digits))
        hit = bsearch(&key, x->numbers, x->n_numbers, sizeof *x->numbers, cmp_number);
    if (hit)
        best = hit->rule;
    /* prefixes and calling codes follow a "+": nothing else can match them */
    unsigned lead = e164[0] == '+' && e164[1] ? (unsigned)(e164[1] - '0') : 10;
    if (lead > 9 || !(x->lead_digits & (1u << lead)))
        return best;
    for (size_t i = 0; i < x->n_prefixes && (best < 0 || x->prefixes[i].rule < best); i++) {
        if (strncmp(e164, x->prefixes[i].text, x->prefixes[i].len) == 0) {
            best = x->prefixes[i].rule;
            break;
        }
    }
    const char *region = NULL; /* asked once, and only of a caller some country's code fits */
    for (size_t i = 0; i < x->n_countries && (best < 0 || x->countries[i].rule < best); i++) {
        const oi_policy_key_t *k = &x->countries[i];
        if (k->code && !has_code(e164, k->code))
            continue;
        if (!region)
            region = region_of(ud);
        if (strcmp(region, k->text) == 0) {
            best = k->rule;
            break;
        }
    }
    return best;
}

/* Runs every member through its checker; canonical (checked) members go into canon. */
static bool recheck(json_t *doc, json_t *canon, char *why, size_t cap)
{
    oi_validation_t *v = oi_validation_new();
    oi_loc_t loc = oi_loc_root("policy");
    for (int m = 0; m < OI_POLICY__MEMBERS; m++) {
        json_t *c = oi_policy_check_member(v, &loc, doc, (oi_policy_member_t)m, NULL, NULL);
        if (c)
            json_object_set_new(canon, member_names[m], c);
    }
    bool ok = oi_validation_count(v) == 0;
    if (!ok) {
        char *text = oi_validation_render(v);
        snprintf(why, cap, "%s", text);
        free(text);
    }
    oi_validation_destroy(&v);
    return ok;
}

oi_status_t oi_policy_parse(const char *json_text, oi_policy_t **out, oi_error_t *err)
{
    *out = NULL;
    oi_policy_t *p = oi_xcalloc(1, sizeof *p);
    if (!json_text || !*json_text) {
        *out = p;
        return OI_OK;
    }
    json_t *doc = json_loads(json_text, JSON_REJECT_DUPLICATES, NULL);
    json_t *canon = json_object();
    char why[512] = "not a JSON object";
    bool ok = json_is_object(doc) && recheck(doc, canon, why, sizeof why);
    if (ok) {
        parse_fallbacks(p, json_object_get(canon, "fallbacks"));
        json_t *s = json_object_get(canon, "schedule");
        if (s)
            parse_schedule(p, s);
        size_t i;
        json_t *r, *rules = json_object_get(canon, "caller_rules");
        p->rules = json_array_size(rules) ? oi_xcalloc(json_array_size(rules), sizeof *p->rules) : NULL;
        json_array_foreach(rules, i, r)
            parse_rule(&p->rules[p->n_rules++], r);
        build_index(p);
    }
    json_decref(doc);
    json_decref(canon);
    if (!ok) {
        oi_policy_free(&p);
        return oi_error_set(err, OI_BAD_REQUEST, "invalid routing policy: %s", why);
    }
    *out = p;
    return OI_OK;
}

void oi_policy_free(oi_policy_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    oi_policy_t *p = *self_p;
    for (size_t i = 0; i < p->n_rules; i++)
        free(p->rules[i].numbers);
    free(p->rules);
    free(p->schedule.closed);
    free(p->index.numbers);
    free(p->index.prefixes);
    free(p->index.countries);
    OI_FREE(*self_p);
}

size_t oi_policy_bytes(const oi_policy_t *p)
{
    if (!p)
        return 0;
    size_t n = sizeof *p + p->n_rules * sizeof *p->rules + p->schedule.n_closed * sizeof *p->schedule.closed;
    for (size_t i = 0; i < p->n_rules; i++)
        n += p->rules[i].n_numbers * sizeof *p->rules[i].numbers;
    n += p->index.n_numbers * sizeof *p->index.numbers;
    return n + (p->index.n_prefixes + p->index.n_countries) * sizeof(oi_policy_key_t);
}

bool oi_policy_empty(const oi_policy_t *p) { return !p || (!p->n_fallbacks && !p->has_schedule && !p->n_rules); }

/* member "fallbacks"/"caller_rules" with index i, or NULL for the schedule's after_hours */
static size_t agent_put(const char **ids, char (*fields)[64], size_t n, size_t max, const char *id, const char *member,
                        size_t i)
{
    if (n >= max || !id[0])
        return n;
    ids[n] = id;
    if (fields && member)
        snprintf(fields[n], 64, "inbound_routing.%s[%zu].agent_id", member, i);
    else if (fields)
        snprintf(fields[n], 64, "inbound_routing.schedule.after_hours.agent_id");
    return n + 1;
}

size_t oi_policy_agents(const oi_policy_t *p, const char **ids, char (*fields)[64], size_t max)
{
    size_t n = 0;
    if (!p)
        return 0;
    for (size_t i = 0; i < p->n_fallbacks; i++)
        n = agent_put(ids, fields, n, max, p->fallbacks[i].agent_id, "fallbacks", i);
    for (size_t i = 0; i < p->n_rules; i++)
        if (p->rules[i].action == OI_ACTION_ROUTE)
            n = agent_put(ids, fields, n, max, p->rules[i].agent_id, "caller_rules", i);
    if (p->has_schedule)
        n = agent_put(ids, fields, n, max, p->schedule.after_hours_agent, NULL, 0);
    return n;
}
