/* row_cache.c: number rows kept in an oi_near_cache on the numbers channel (row_cache.h), each
 * value the row's version then its columns, in the order of `columns`, as [int32 length or -1]
 * [bytes]. */
#include "row_cache.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/near_cache.h"
#include "oi/pg.h"

static const char *const columns[] = {
    "id",       "workspace_id",      "phone_number",     "friendly_name",     "provider",         "agent_id",
    "status",   "origin",            "inbound_trunk_id", "outbound_trunk_id", "dispatch_rule_id", "inbound_routing",
    "sms_capable", "carrier_number_id", "carrier_trunk_id", "created_at",      "updated_at",       "deleted_at",
    "version",  "release_after",     "trunk_address",    "trunk_username",    "trunk_password_sealed"};
#define N_COLUMNS (sizeof columns / sizeof columns[0])

#define METRIC "oi_provisioning_patch_rows_total"

struct prov_row_cache {
    oi_near_cache_t *rows; /* NULL: keeps nothing */
    oi_metric_series_t *kept, *read, *stale;
};

prov_row_cache_t *prov_row_cache_new(size_t max_bytes, oi_near_bus_t *bus, const char *origin)
{
    prov_row_cache_t *c = oi_xcalloc(1, sizeof *c);
    oi_metric_help(METRIC, "counter",
                   "PATCHes by the row they merged onto first: kept (from the last PATCH of the number here), "
                   "read (none kept), stale (kept, then read again: it had changed)");
    c->kept = oi_metric_counter(METRIC, "source=\"kept\"");
    c->read = oi_metric_counter(METRIC, "source=\"read\"");
    c->stale = oi_metric_counter(METRIC, "source=\"stale\"");
    if (max_bytes) {
        c->rows = oi_near_cache_new("number_rows", max_bytes, 0);
        if (bus)
            oi_near_bus_attach_origin(bus, OI_NEAR_CHANNEL_NUMBERS, c->rows, origin);
        else
            oi_near_cache_set_usable(c->rows, true);
    }
    return c;
}

void prov_row_cache_destroy(prov_row_cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    oi_near_cache_destroy(&(*self_p)->rows);
    OI_FREE(*self_p);
}

static int64_t version_of(const void *data, size_t len)
{
    int64_t v = -1;
    if (len >= sizeof v)
        memcpy(&v, data, sizeof v);
    return v;
}

/* The row as a value (heap, *len set); NULL when a column is missing or the version unreadable. */
static uint8_t *encode(const PGresult *res, int row, size_t *len)
{
    int field[N_COLUMNS];
    size_t total = sizeof(int64_t);
    for (size_t i = 0; i < N_COLUMNS; i++) {
        field[i] = oi_pg_field(res, columns[i], i ? field[i - 1] + 1 : 0); /* the rows come in this order */
        if (field[i] < 0)
            return NULL;
        total += sizeof(int32_t) + (PQgetisnull(res, row, field[i]) ? 0 : (size_t)PQgetlength(res, row, field[i]));
    }
    const char *version = oi_pg_get(res, row, "version");
    if (!version)
        return NULL;
    uint8_t *out = oi_xmalloc(total), *p = out;
    int64_t v = strtoll(version, NULL, 10);
    memcpy(p, &v, sizeof v);
    p += sizeof v;
    for (size_t i = 0; i < N_COLUMNS; i++) {
        bool null = PQgetisnull(res, row, field[i]);
        int32_t n = null ? -1 : PQgetlength(res, row, field[i]);
        memcpy(p, &n, sizeof n);
        p += sizeof n;
        if (n > 0) {
            memcpy(p, PQgetvalue(res, row, field[i]), (size_t)n);
            p += n;
        }
    }
    *len = total;
    return out;
}

/* A one-row result of the value; NULL when it does not decode (or libpq is out of memory). */
static PGresult *decode(const uint8_t *data, size_t len)
{
    PGresAttDesc attrs[N_COLUMNS];
    for (size_t i = 0; i < N_COLUMNS; i++)
        attrs[i] = (PGresAttDesc){.name = (char *)(uintptr_t)columns[i], .typid = 25, .typlen = -1, .atttypmod = -1};
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    if (!res || !PQsetResultAttrs(res, (int)N_COLUMNS, attrs)) {
        PQclear(res);
        return NULL;
    }
    size_t at = sizeof(int64_t);
    for (size_t i = 0; i < N_COLUMNS; i++) {
        int32_t n;
        if (len - at < sizeof n)
            break;
        memcpy(&n, data + at, sizeof n);
        at += sizeof n;
        if (n > 0 && (size_t)n > len - at)
            break;
        if (!PQsetvalue(res, 0, (int)i, n < 0 ? NULL : (char *)(uintptr_t)(data + at), n))
            break;
        at += n > 0 ? (size_t)n : 0;
        if (i == N_COLUMNS - 1 && at == len)
            return res;
    }
    PQclear(res);
    return NULL;
}

void prov_row_cache_put(prov_row_cache_t *c, const PGresult *res, int row)
{
    const char *id = oi_pg_get(res, row, "id"), *ws = oi_pg_get(res, row, "workspace_id");
    if (!c->rows || !id || !ws)
        return;
    size_t len = 0;
    uint8_t *data = encode(res, row, &len);
    if (!data)
        return;
    /* the same version read again replaces it: an activation changes the status, not the version */
    oi_near_value_t kept;
    if (!oi_near_cache_get(c->rows, id, 0, &kept) || version_of(kept.data, kept.len) <= version_of(data, len)) {
        oi_near_ticket_t t = oi_near_cache_begin(c->rows, id);
        oi_near_cache_end(c->rows, &t, ws, data, len, 0);
    }
    free(data);
}

PGresult *prov_row_cache_get(prov_row_cache_t *c, const char *workspace_id, const char *id)
{
    oi_near_value_t v;
    PGresult *res = NULL;
    if (c->rows && oi_near_cache_get(c->rows, id, 0, &v) && strcmp(v.tag, workspace_id) == 0)
        res = decode(v.data, v.len);
    oi_metric_series_inc(res ? c->kept : c->read, 1);
    return res;
}

void prov_row_cache_drop(prov_row_cache_t *c, const char *id)
{
    if (c->rows)
        oi_near_cache_invalidate(c->rows, id, strlen(id));
}

void prov_row_cache_stale(prov_row_cache_t *c, const char *id)
{
    prov_row_cache_drop(c, id);
    oi_metric_series_inc(c->stale, 1);
}
