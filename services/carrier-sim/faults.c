/* faults.c: the fault table of the admin API. */
#include "faults.h"

#include <stdio.h>
#include <string.h>

static bool int_field(const json_t *obj, const char *key, long long min, long long max, long long def,
                      long long *out, char *why, size_t n)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return true;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        snprintf(why, n, "%s must be an integer in [%lld, %lld]", key, min, max);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

static bool parse_numbers(const json_t *obj, sim_fault_t *f, char *why, size_t n)
{
    long long status, count, latency, retry, pending;
    if (!int_field(obj, "status", 0, 599, 0, &status, why, n) ||
        !int_field(obj, "count", -1, 1000000, 1, &count, why, n) ||
        !int_field(obj, "latency_ms", 0, 120000, 0, &latency, why, n) ||
        !int_field(obj, "retry_after", 0, 3600, 0, &retry, why, n) ||
        !int_field(obj, "pending_seconds", 0, 3600, 0, &pending, why, n))
        return false;
    if (status != 0 && status < 400) {
        snprintf(why, n, "status must be an error status (400-599) or 0");
        return false;
    }
    if (count == 0) {
        snprintf(why, n, "count must be -1 (until cleared) or >= 1");
        return false;
    }
    f->status = (int)status;
    f->count = (int)count;
    f->latency_ms = (uint32_t)latency;
    f->retry_after = (int)retry;
    f->pending_seconds = (int)pending;
    return true;
}

bool sim_fault_parse(const json_t *obj, sim_fault_t *out, char *why, size_t n)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj)) {
        snprintf(why, n, "body must be a JSON object");
        return false;
    }
    const char *route = json_string_value(json_object_get(obj, "route"));
    if (!route || !*route || strlen(route) >= sizeof out->route) {
        snprintf(why, n, "route is required (a route name, \"twilio.*\", \"telnyx.*\" or \"*\")");
        return false;
    }
    const json_t *timeout = json_object_get(obj, "timeout");
    if (timeout && !json_is_boolean(timeout) && !json_is_null(timeout)) {
        snprintf(why, n, "timeout must be a boolean");
        return false;
    }
    const json_t *body = json_object_get(obj, "body");
    if (body && !json_is_null(body) && !json_is_object(body) && !json_is_string(body)) {
        snprintf(why, n, "body must be an object (sent verbatim) or a string (the error message)");
        return false;
    }
    if (!parse_numbers(obj, out, why, n))
        return false;
    snprintf(out->route, sizeof out->route, "%s", route);
    out->timeout = json_is_true(timeout);
    if (!out->status && !out->latency_ms && !out->timeout && !out->pending_seconds) {
        snprintf(why, n, "a fault needs at least one of status, latency_ms, timeout, pending_seconds");
        return false;
    }
    if (body && !json_is_null(body))
        out->body = json_deep_copy(body);
    return true;
}

void sim_fault_cleanup(sim_fault_t *f)
{
    json_decref(f->body);
    memset(f, 0, sizeof *f);
}

bool sim_faults_add(sim_faults_t *fs, sim_fault_t *f)
{
    if (fs->n == SIM_FAULTS_MAX) {
        sim_fault_cleanup(f);
        return false;
    }
    fs->items[fs->n++] = *f;
    memset(f, 0, sizeof *f);
    return true;
}

bool sim_fault_route_covers(const char *pattern, const char *route)
{
    if (!strcmp(pattern, "*") || !strcmp(pattern, route))
        return true;
    size_t pl = strlen(pattern);
    return pl >= 2 && !strcmp(pattern + pl - 2, ".*") && !strncmp(pattern, route, pl - 1);
}

bool sim_faults_take(sim_faults_t *fs, const char *route, sim_fault_t *out)
{
    for (size_t i = 0; i < fs->n; i++) {
        sim_fault_t *f = &fs->items[i];
        if (!sim_fault_route_covers(f->route, route))
            continue;
        *out = *f;
        json_incref(out->body);
        if (f->count > 0 && --f->count == 0) {
            sim_fault_cleanup(f);
            memmove(&fs->items[i], &fs->items[i + 1], (fs->n - i - 1) * sizeof *f);
            fs->n--;
        }
        return true;
    }
    return false;
}

void sim_faults_clear(sim_faults_t *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        sim_fault_cleanup(&fs->items[i]);
    fs->n = 0;
}

json_t *sim_faults_json(const sim_faults_t *fs)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < fs->n; i++) {
        const sim_fault_t *f = &fs->items[i];
        json_t *o = json_pack("{s:s, s:i, s:i, s:i, s:b, s:i, s:i}", "route", f->route, "status", f->status,
                              "count", f->count, "latency_ms", (int)f->latency_ms, "timeout", f->timeout,
                              "retry_after", f->retry_after, "pending_seconds", f->pending_seconds);
        if (f->body)
            json_object_set(o, "body", f->body);
        json_array_append_new(arr, o);
    }
    return arr;
}
