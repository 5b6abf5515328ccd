/* auth.c: the auth phase. Admin and internal tokens compare in constant time (the internal one
 * also as a Basic password); API keys are looked up by SHA-256 in a small TTL cache (answers of
 * either kind), then in gateway.api_keys. Keys that turn out unknown spend a per-replica budget
 * (OI_RATE_KEY_LOOKUP_*): once it is spent, only keys seen valid before reach PostgreSQL and the
 * rest are answered 429, so a flood of random keys cannot drive the database; a dashboard JWT (dashboard_jwt.h) is verified, then its workspace is looked
 * up the same way. */
#define OI_LOG_TAG "gw.auth"
#include "auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dashboard_jwt.h"
#include "oi/clock.h"
#include "oi/crypto.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "pipeline.h"

#define AUTH_CACHE_SLOTS 1024

typedef struct {
    char hash[65];
    char key_id[37];
    char workspace_id[37];
    int64_t expires_ms; /* monotonic */
    bool negative;      /* a lookup found no such key */
} auth_entry_t;

struct gw_auth_cache {
    auth_entry_t slots[AUTH_CACHE_SLOTS]; /* direct-mapped by hash prefix */
    uint32_t ttl_ms;
};

gw_auth_cache_t *gw_auth_cache_new(uint32_t ttl_ms)
{
    gw_auth_cache_t *c = oi_xcalloc(1, sizeof *c);
    c->ttl_ms = ttl_ms;
    return c;
}

void gw_auth_cache_destroy(gw_auth_cache_t **self_p)
{
    if (self_p && *self_p)
        OI_FREE(*self_p);
}

static auth_entry_t *slot_for(gw_auth_cache_t *c, const char *hash)
{
    unsigned long h = strtoul((char[9]){hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7], 0},
                              NULL, 16);
    return &c->slots[h % AUTH_CACHE_SLOTS];
}

/* A lookup's answer, trusted for the cache's ttl: the key (key_id NULL: no such key). */
static void cache_put(gw_auth_cache_t *c, const char *hash, const char *key_id, const char *workspace_id)
{
    auth_entry_t *e = slot_for(c, hash);
    if (!key_id && e->hash[0] && !e->negative)
        return; /* an unknown key never pushes out a valid one (nor its right to be checked again) */
    snprintf(e->hash, sizeof e->hash, "%s", hash);
    snprintf(e->key_id, sizeof e->key_id, "%s", key_id ? key_id : "");
    snprintf(e->workspace_id, sizeof e->workspace_id, "%s", workspace_id ? workspace_id : "");
    e->negative = key_id == NULL;
    e->expires_ms = oi_clock_mono_ms() + c->ttl_ms;
}

void gw_auth_cache_forget_key(gw_auth_cache_t *c, const char *key_id)
{
    for (int i = 0; i < AUTH_CACHE_SLOTS; i++)
        if (strcmp(c->slots[i].key_id, key_id) == 0)
            memset(&c->slots[i], 0, sizeof c->slots[i]);
}

const char *gw_auth_bearer(const char *header)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    const char *t = header + 7;
    while (*t == ' ')
        t++;
    return *t ? t : NULL;
}

bool gw_auth_basic_password(const char *header, char *out, size_t cap)
{
    if (!header || strncasecmp(header, "Basic ", 6) != 0 || cap == 0)
        return false;
    const char *b64 = header + 6;
    while (*b64 == ' ')
        b64++;
    unsigned char plain[512];
    size_t n = 0;
    if (sodium_base642bin(plain, sizeof plain - 1, b64, strlen(b64), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return false;
    plain[n] = '\0';
    const char *colon = memchr(plain, ':', n);
    size_t len = colon ? n - (size_t)(colon + 1 - (const char *)plain) : 0;
    bool ok = colon && len > 0 && len < cap && !memchr(colon + 1, '\0', len);
    if (ok)
        memcpy(out, colon + 1, len + 1);
    sodium_memzero(plain, sizeof plain);
    return ok;
}

/* The internal token sent as a Basic password (see gw_auth_basic_password). */
static bool internal_by_basic(gw_req_t *r, const char *header)
{
    char password[256];
    bool ok = gw_auth_basic_password(header, password, sizeof password) &&
              oi_secure_streq(password, r->gw->internal_token);
    sodium_memzero(password, sizeof password);
    return ok;
}

static void unauthorized(gw_req_t *r, const char *msg)
{
    gw_respond_status(r, OI_UNAUTHORIZED, msg);
}

typedef struct {
    char hash[65];
    char key_id[37];
    char workspace_id[37];
    bool found;
} key_lookup_t;

static oi_status_t lookup_key(gw_req_t *r, PGconn *c, void *arg, oi_error_t *err)
{
    key_lookup_t *k = arg;
    PGresult *res = NULL;
    const char *params[] = {k->hash};
    /* the lookup also marks the key used, at most once a minute (the cache spares most lookups) */
    oi_status_t rc = oi_pg_exec(c,
                                "WITH k AS (SELECT id, workspace_id FROM gateway.api_keys WHERE key_hash = $1 AND "
                                "revoked_at IS NULL), u AS (UPDATE gateway.api_keys a SET last_used_at = now() FROM k "
                                "WHERE a.id = k.id AND (a.last_used_at IS NULL OR a.last_used_at < now() - interval "
                                "'1 minute')) SELECT id::text, workspace_id::text FROM k",
                                1, params, &res, err);
    if (rc)
        return rc;
    if (PQntuples(res) == 1) {
        snprintf(k->key_id, sizeof k->key_id, "%s", PQgetvalue(res, 0, 0));
        snprintf(k->workspace_id, sizeof k->workspace_id, "%s", PQgetvalue(res, 0, 1));
        k->found = true;
    }
    PQclear(res);
    return OI_OK;
}

static void accept_key(gw_req_t *r, const char *key_id, const char *workspace_id)
{
    r->caller = GW_CALLER_KEY;
    snprintf(r->api_key_id, sizeof r->api_key_id, "%s", key_id);
    snprintf(r->workspace_id, sizeof r->workspace_id, "%s", workspace_id);
    gw_phase_rate(r);
}

static void on_key_looked_up(gw_req_t *r, oi_status_t st, const oi_error_t *err, void *arg)
{
    key_lookup_t *k = arg;
    if (st) {
        gw_respond_error(r, err);
    } else if (!k->found) {
        cache_put(r->gw->auth, k->hash, NULL, NULL);
        gw_local_bucket_take(&r->gw->key_lookups, &r->gw->rate_key_lookup, oi_clock_mono_ms());
        unauthorized(r, "invalid API key");
    } else {
        cache_put(r->gw->auth, k->hash, k->key_id, k->workspace_id);
        accept_key(r, k->key_id, k->workspace_id);
    }
    free(k);
}

static void auth_with_key(gw_req_t *r, const char *token)
{
    if (strncmp(token, "oi_sk_", 6) != 0 || strlen(token) > 200) {
        unauthorized(r, "invalid API key");
        return;
    }
    char hash[65];
    oi_sha256_hex(token, strlen(token), hash);
    auth_entry_t *e = slot_for(r->gw->auth, hash);
    int64_t now = oi_clock_mono_ms();
    bool seen = strcmp(e->hash, hash) == 0;
    if (seen && e->expires_ms > now) {
        if (e->negative)
            unauthorized(r, "invalid API key");
        else
            accept_key(r, e->key_id, e->workspace_id);
        return;
    }
    /* keys that failed used up the budget: only keys seen valid before are looked up meanwhile */
    if (!(seen && !e->negative) && !gw_local_bucket_ready(&r->gw->key_lookups, &r->gw->rate_key_lookup, now)) {
        oi_error_t busy;
        oi_error_init(&busy);
        oi_error_set(&busy, OI_RATE_LIMITED, "too many unknown API keys tried; retry after 1 s");
        gw_respond_error_with(r, "Retry-After: 1\r\n", &busy);
        return;
    }
    key_lookup_t *k = oi_xcalloc(1, sizeof *k);
    memcpy(k->hash, hash, sizeof hash);
    gw_db(r, lookup_key, k, on_key_looked_up);
}

/* --- dashboard JWTs: verified here, their workspace (by name or id) looked up like a key ------ */

typedef struct {
    char hash[65]; /* cache slot key: sha256 of "jwt-workspace\n" + the claim */
    char claim[256];
    char workspace_id[37];
    bool found;
} ws_lookup_t;

static void accept_jwt(gw_req_t *r, const char *workspace_id)
{
    r->caller = GW_CALLER_JWT;
    snprintf(r->workspace_id, sizeof r->workspace_id, "%s", workspace_id);
    gw_phase_rate(r);
}

static oi_status_t lookup_workspace(gw_req_t *r, PGconn *c, void *arg, oi_error_t *err)
{
    (void)r;
    ws_lookup_t *w = arg;
    PGresult *res = NULL;
    const char *params[] = {w->claim};
    oi_status_t rc = oi_pg_exec(c, "SELECT id::text FROM gateway.workspaces WHERE name = $1 OR id::text = $1 LIMIT 1",
                                1, params, &res, err);
    if (rc)
        return rc;
    if (PQntuples(res) == 1) {
        snprintf(w->workspace_id, sizeof w->workspace_id, "%s", PQgetvalue(res, 0, 0));
        w->found = true;
    }
    PQclear(res);
    return OI_OK;
}

static void on_workspace_looked_up(gw_req_t *r, oi_status_t st, const oi_error_t *err, void *arg)
{
    ws_lookup_t *w = arg;
    if (st) {
        gw_respond_error(r, err);
    } else if (!w->found) {
        unauthorized(r, "invalid token: unknown workspace");
    } else {
        cache_put(r->gw->auth, w->hash, "", w->workspace_id);
        accept_jwt(r, w->workspace_id);
    }
    free(w);
}

static void auth_with_jwt(gw_req_t *r, const char *token)
{
    gw_jwt_claims_t claims;
    oi_error_t err;
    oi_error_init(&err);
    if (gw_jwt_verify(r->gw->jwt, token, oi_clock_now_ms() / 1000, &claims, &err)) {
        unauthorized(r, err.message);
        return;
    }
    snprintf(r->jwt_sub, sizeof r->jwt_sub, "%s", claims.sub);
    ws_lookup_t *w = oi_xcalloc(1, sizeof *w);
    snprintf(w->claim, sizeof w->claim, "%s", claims.workspace);
    char *material = oi_xasprintf("jwt-workspace\n%s", claims.workspace);
    oi_sha256_hex(material, strlen(material), w->hash);
    free(material);
    auth_entry_t *e = slot_for(r->gw->auth, w->hash);
    if (strcmp(e->hash, w->hash) == 0 && e->expires_ms > oi_clock_mono_ms()) {
        accept_jwt(r, e->workspace_id);
        free(w);
        return;
    }
    gw_db(r, lookup_workspace, w, on_workspace_looked_up);
}

void gw_phase_auth(gw_req_t *r)
{
    unsigned flags = r->route->flags;
    if (!(flags & (GW_AUTH_KEY | GW_AUTH_ADMIN | GW_AUTH_INTERNAL))) {
        gw_phase_idempotency(r);
        return;
    }
    const char *header = oi_http_req_header(r->http, "Authorization");
    const char *token = gw_auth_bearer(header);
    if (!token && (flags & GW_AUTH_INTERNAL) && internal_by_basic(r, header)) {
        r->caller = GW_CALLER_INTERNAL;
        gw_phase_idempotency(r);
        return;
    }
    if (!token) {
        unauthorized(r, "missing bearer credentials");
        return;
    }
    if ((flags & GW_AUTH_ADMIN) && oi_secure_streq(token, r->gw->admin_token)) {
        r->caller = GW_CALLER_ADMIN;
        gw_phase_idempotency(r);
        return;
    }
    if ((flags & GW_AUTH_INTERNAL) && oi_secure_streq(token, r->gw->internal_token)) {
        r->caller = GW_CALLER_INTERNAL;
        gw_phase_idempotency(r);
        return;
    }
    if ((flags & GW_AUTH_KEY) && r->gw->jwt && gw_jwt_looks_like(token)) {
        auth_with_jwt(r, token);
        return;
    }
    if (flags & GW_AUTH_KEY) {
        auth_with_key(r, token);
        return;
    }
    unauthorized(r, "invalid credentials");
}

void gw_caller_name(const gw_req_t *r, char *out, size_t n)
{
    switch (r->caller) {
    case GW_CALLER_ADMIN: snprintf(out, n, "admin"); break;
    case GW_CALLER_INTERNAL: snprintf(out, n, "internal"); break;
    case GW_CALLER_KEY: snprintf(out, n, "api_key:%s", r->api_key_id); break;
    case GW_CALLER_JWT: snprintf(out, n, "jwt:%s", r->jwt_sub); break;
    default: snprintf(out, n, "anonymous"); break;
    }
}
