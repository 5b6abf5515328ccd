/* test_row_cache.c: the rows a PATCH may merge onto without reading first: kept whole (NULLs
 * and all), per workspace, never replaced by an older version, dropped on demand, bounded. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "oi/metrics.h"
#include "oi/pg.h"
#include "row_cache.h"

#define WS "0b6a7b2e-1111-4c2d-9e0f-000000000001"
#define OTHER_WS "0b6a7b2e-1111-4c2d-9e0f-000000000002"
#define ID "5f2d2c1e-2222-4c2d-9e0f-000000000001"

static const char *const names[] = {
    "ord",      "id",          "workspace_id",     "phone_number",      "friendly_name",    "provider",
    "agent_id", "status",      "origin",           "inbound_trunk_id",  "outbound_trunk_id", "dispatch_rule_id",
    "inbound_routing", "sms_capable", "carrier_number_id", "carrier_trunk_id", "created_at", "updated_at",
    "deleted_at", "version",   "release_after",    "trunk_address",     "trunk_username",   "trunk_password_sealed"};
#define N_NAMES (int)(sizeof names / sizeof names[0])

/* A row as the PATCH statements return it ("ord" first), NULL where value is NULL. */
static PGresult *row_of(const char *id, const char *ws, const char *version, const char *name)
{
    PGresAttDesc attrs[N_NAMES];
    for (int i = 0; i < N_NAMES; i++)
        attrs[i] = (PGresAttDesc){.name = (char *)names[i], .typid = 25, .typlen = -1, .atttypmod = -1};
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    cr_assert(PQsetResultAttrs(res, N_NAMES, attrs));
    for (int i = 0; i < N_NAMES; i++) {
        const char *v = strcmp(names[i], "ord") == 0           ? "3"
                        : strcmp(names[i], "id") == 0           ? id
                        : strcmp(names[i], "workspace_id") == 0 ? ws
                        : strcmp(names[i], "version") == 0      ? version
                        : strcmp(names[i], "friendly_name") == 0 ? name
                        : strcmp(names[i], "status") == 0       ? "active"
                        : strcmp(names[i], "inbound_routing") == 0 ? "{\"voicemail_message\": \"caf\xc3\xa9\"}"
                        : strcmp(names[i], "friendly_name") == 0 ? name
                                                                 : NULL;
        cr_assert(PQsetvalue(res, 0, i, (char *)v, v ? (int)strlen(v) : -1));
    }
    return res;
}

static void put(prov_row_cache_t *c, const char *id, const char *ws, const char *version, const char *name)
{
    PGresult *res = row_of(id, ws, version, name);
    prov_row_cache_put(c, res, 0);
    PQclear(res);
}

/* id's row is kept for ws. */
static void assert_kept(prov_row_cache_t *c, const char *ws, const char *id)
{
    PGresult *got = prov_row_cache_get(c, ws, id);
    cr_assert_not_null(got);
    PQclear(got);
}

Test(row_cache, keeps_a_row_whole_with_its_nulls)
{
    prov_row_cache_t *c = prov_row_cache_new(1 << 20, NULL, NULL);
    put(c, ID, WS, "7", "");
    PGresult *got = prov_row_cache_get(c, WS, ID);
    cr_assert_not_null(got);
    cr_assert_eq(PQntuples(got), 1);
    cr_assert_str_eq(oi_pg_get(got, 0, "id"), ID);
    cr_assert_str_eq(oi_pg_get(got, 0, "version"), "7");
    cr_assert_str_eq(oi_pg_get(got, 0, "status"), "active");
    cr_assert_str_eq(oi_pg_get(got, 0, "friendly_name"), ""); /* empty is not NULL */
    cr_assert_str_eq(oi_pg_get(got, 0, "inbound_routing"), "{\"voicemail_message\": \"caf\xc3\xa9\"}");
    cr_assert_null(oi_pg_get(got, 0, "agent_id"));
    cr_assert_null(oi_pg_get(got, 0, "trunk_password_sealed"));
    cr_assert(PQfnumber(got, "trunk_address") >= 0, "the trunk columns are there, NULL");
    PQclear(got);
    prov_row_cache_destroy(&c);
    cr_assert_null(c);
}

Test(row_cache, answers_only_the_workspace_that_owns_the_row)
{
    prov_row_cache_t *c = prov_row_cache_new(1 << 20, NULL, NULL);
    put(c, ID, WS, "1", "a");
    cr_assert_null(prov_row_cache_get(c, OTHER_WS, ID));
    cr_assert_null(prov_row_cache_get(c, WS, "5f2d2c1e-2222-4c2d-9e0f-000000000009"));
    assert_kept(c, WS, ID);
    prov_row_cache_destroy(&c);
}

Test(row_cache, a_newer_version_replaces_an_older_never_the_reverse)
{
    prov_row_cache_t *c = prov_row_cache_new(1 << 20, NULL, NULL);
    put(c, ID, WS, "5", "five");
    put(c, ID, WS, "9", "nine");
    put(c, ID, WS, "7", "seven"); /* a read that left before the write of 9 came back after it */
    PGresult *got = prov_row_cache_get(c, WS, ID);
    cr_assert_str_eq(oi_pg_get(got, 0, "friendly_name"), "nine");
    PQclear(got);
    put(c, ID, WS, "9", "nine, read again"); /* the same version read again (an activation) wins */
    got = prov_row_cache_get(c, WS, ID);
    cr_assert_str_eq(oi_pg_get(got, 0, "friendly_name"), "nine, read again");
    PQclear(got);
    prov_row_cache_destroy(&c);
}

Test(row_cache, a_dropped_or_stale_row_is_read_again)
{
    prov_row_cache_t *c = prov_row_cache_new(1 << 20, NULL, NULL);
    put(c, ID, WS, "2", "x");
    prov_row_cache_drop(c, ID);
    cr_assert_null(prov_row_cache_get(c, WS, ID));
    put(c, ID, WS, "3", "y");
    double stale = oi_metric_get("oi_provisioning_patch_rows_total", "source=\"stale\"");
    prov_row_cache_stale(c, ID);
    cr_assert_null(prov_row_cache_get(c, WS, ID));
    cr_assert_eq(oi_metric_get("oi_provisioning_patch_rows_total", "source=\"stale\""), stale + 1);
    put(c, ID, WS, "1", "older than the dropped one, but nothing is kept now");
    assert_kept(c, WS, ID);
    prov_row_cache_destroy(&c);
}

Test(row_cache, a_row_without_the_columns_is_not_kept)
{
    prov_row_cache_t *c = prov_row_cache_new(1 << 20, NULL, NULL);
    PGresAttDesc attrs[] = {{.name = "id", .typid = 25, .typlen = -1, .atttypmod = -1},
                            {.name = "workspace_id", .typid = 25, .typlen = -1, .atttypmod = -1},
                            {.name = "version", .typid = 25, .typlen = -1, .atttypmod = -1}};
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    cr_assert(PQsetResultAttrs(res, 3, attrs));
    cr_assert(PQsetvalue(res, 0, 0, ID, -1 + (int)sizeof ID));
    cr_assert(PQsetvalue(res, 0, 1, WS, -1 + (int)sizeof WS));
    cr_assert(PQsetvalue(res, 0, 2, "4", 1));
    prov_row_cache_put(c, res, 0);
    PQclear(res);
    cr_assert_null(prov_row_cache_get(c, WS, ID));
    prov_row_cache_destroy(&c);
}

Test(row_cache, stays_within_its_bytes_and_zero_keeps_nothing)
{
    prov_row_cache_t *c = prov_row_cache_new(16 << 10, NULL, NULL);
    char id[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "5f2d2c1e-2222-4c2d-9e0f-%012d", i);
        put(c, id, WS, "1", "a name");
    }
    int kept = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "5f2d2c1e-2222-4c2d-9e0f-%012d", i);
        PGresult *got = prov_row_cache_get(c, WS, id);
        kept += got != NULL;
        PQclear(got);
    }
    cr_assert(kept > 10 && kept < 100, "%d rows of ~400 bytes in 16 KiB", kept);
    snprintf(id, sizeof id, "5f2d2c1e-2222-4c2d-9e0f-%012d", 999);
    PGresult *newest = prov_row_cache_get(c, WS, id);
    cr_assert_not_null(newest, "the least recently used go first");
    PQclear(newest);
    prov_row_cache_destroy(&c);

    prov_row_cache_t *off = prov_row_cache_new(0, NULL, NULL);
    put(off, ID, WS, "1", "a");
    cr_assert_null(prov_row_cache_get(off, WS, ID));
    prov_row_cache_stale(off, ID);
    prov_row_cache_destroy(&off);
}
