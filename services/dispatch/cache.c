/* cache.c: Redis side of the routing cache (see cache.h for the scheme). */
#define OI_LOG_TAG "dsp.cache"
#include "cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/near_bus.h"
#include "oi/near_publisher.h"
#include "oi/pg.h"
#include "route_db.h"

#define KEY_GEN "dsp:gen"
#define RETRY_MS 1000
#define KEY_MAX 640

typedef enum { CACHE_DOWN = 0, CACHE_SYNCING, CACHE_READY, CACHE_RETRY } cache_state_t;

struct dsp_cache {
    dsp_t *d;                 /* borrowed */
    cache_state_t state;
    unsigned epoch;           /* bumped on every state change, so stale sync steps are ignored */
    int outstanding;          /* Redis commands and database reads not yet called back */
    bool closing;
    bool timer_closed;
    uv_timer_t retry;
    oi_near_publisher_t *publisher; /* the invalidations of one loop turn, one PUBLISH */
    void (*on_closed)(void *ud);
    void *on_closed_ud;
};

static const char *const state_names[] = {"redis disconnected", "cache resynchronising", "ready",
                                          "cache generation bump pending"};

static void start_sync(dsp_cache_t *c);

/* Every command goes through here: lengths are always explicit (binary-safe values). */
static void send_cmd(dsp_cache_t *c, int argc, const char **argv, const size_t *lens, oi_redis_cb cb, void *ud)
{
    size_t stack_lens[8];
    size_t *heap_lens = NULL;
    size_t *l = stack_lens;
    if (!lens) {
        if (argc > 8) {
            heap_lens = oi_xcalloc((size_t)argc, sizeof *heap_lens);
            l = heap_lens;
        }
        for (int i = 0; i < argc; i++)
            l[i] = strlen(argv[i]);
        lens = l;
    }
    oi_redis_command(c->d->redis, argc, argv, lens, cb, ud);
    free(heap_lens);
}

/* Tells every replica's near cache (oi/near_bus.h) that these numbers' routing changed: with the
 * other invalidations of this loop turn, in one PUBLISH (after the versions' SETs, sent first on
 * the same connection). */
static void send_publish(dsp_cache_t *c, const char *const *numbers, size_t n, oi_redis_cb cb, void *ud)
{
    oi_near_publisher_add(c->publisher, numbers, n, cb, ud);
}

/* "Every number changed" (OI_NEAR_ALL), now and alone. */
static void send_publish_all(dsp_cache_t *c, oi_redis_cb cb, void *ud)
{
    static const char *const all[] = {OI_NEAR_ALL};
    oi_near_publish(c->d->redis, OI_NEAR_CHANNEL_ROUTES, all, 1, cb, ud);
}

static void on_fire_and_forget(oi_status_t st, const redisReply *reply, void *ud);

/* --- bookkeeping ---------------------------------------------------------------------- */

static void maybe_closed(dsp_cache_t *c)
{
    if (!c->closing || c->outstanding > 0 || !c->timer_closed)
        return;
    void (*cb)(void *) = c->on_closed;
    void *ud = c->on_closed_ud;
    free(c);
    if (cb)
        cb(ud);
}

static void op_begin(dsp_cache_t *c) { c->outstanding++; }

/* false when the cache is closing (and may have been freed): the caller stops. */
static bool op_end(dsp_cache_t *c)
{
    c->outstanding--;
    if (c->closing) {
        maybe_closed(c);
        return false;
    }
    return true;
}

static void set_state(dsp_cache_t *c, cache_state_t s)
{
    if (c->state != s)
        oi_log_info(&(oi_log_ctx_t){.action = "route cache state"}, "%s -> %s", state_names[c->state],
                    state_names[s]);
    c->state = s;
    c->epoch++;
    oi_metric_set("oi_dispatch_route_cache_usable", "", s == CACHE_READY ? 1 : 0);
}

static void on_retry(uv_timer_t *t)
{
    dsp_cache_t *c = t->data;
    if (oi_redis_connected(c->d->redis))
        start_sync(c);
    else
        set_state(c, CACHE_DOWN);
}

static void schedule_retry(dsp_cache_t *c)
{
    set_state(c, CACHE_RETRY);
    if (!c->closing)
        uv_timer_start(&c->retry, on_retry, RETRY_MS, 0);
}

/* --- (re)synchronisation: bump dsp:gen, copy recent failures from PostgreSQL --------------- */

typedef struct {
    dsp_cache_t *c;
    unsigned epoch;
    int pending;      /* APPEND/EXPIRE replies still expected */
    bool failed;
} sync_t;

static void sync_finish(sync_t *s)
{
    dsp_cache_t *c = s->c;
    bool current = s->epoch == c->epoch;
    bool failed = s->failed;
    free(s);
    if (!op_end(c) || !current)
        return;
    if (failed)
        schedule_retry(c);
    else
        set_state(c, CACHE_READY);
}

static void on_sync_cmd(oi_status_t st, const redisReply *reply, void *ud)
{
    sync_t *s = ud;
    if (st || !reply || reply->type == REDIS_REPLY_ERROR)
        s->failed = true;
    if (--s->pending == 0)
        sync_finish(s);
}

/* The failures of the last hour, read from PostgreSQL: copied to Redis as they are. */
static void on_failures_read(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)err;
    sync_t *s = ud;
    dsp_cache_t *c = s->c;
    if (st || c->closing || s->epoch != c->epoch || !oi_redis_connected(c->d->redis)) {
        s->failed = true;
        sync_finish(s);
        return;
    }
    const PGresult *rows = res[n - 1];
    s->pending = 1; /* held until every command is sent */
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", DSP_FAILURE_TTL_S);
    for (int i = 0; i < PQntuples(rows); i++) {
        const char *call = oi_pg_get(rows, i, "call_id"), *agents = oi_pg_get(rows, i, "agents");
        if (!call || !agents)
            continue;
        char key[KEY_MAX];
        snprintf(key, sizeof key, "dsp:f:%s", call);
        const char *append[] = {"APPEND", key, agents};
        const char *expire[] = {"EXPIRE", key, ttl};
        s->pending += 2;
        send_cmd(c, 3, append, NULL, on_sync_cmd, s);
        send_cmd(c, 3, expire, NULL, on_sync_cmd, s);
    }
    if (--s->pending == 0)
        sync_finish(s);
}

static void on_gen_bumped(oi_status_t st, const redisReply *reply, void *ud)
{
    sync_t *s = ud;
    dsp_cache_t *c = s->c;
    if (c->closing || st || !reply || reply->type == REDIS_REPLY_ERROR || s->epoch != c->epoch) {
        s->failed = true;
        sync_finish(s);
        return;
    }
    dsp_failures_recent(c->d->pipeline, on_failures_read, s);
}

static void start_sync(dsp_cache_t *c)
{
    if (c->closing)
        return;
    set_state(c, CACHE_SYNCING);
    sync_t *s = oi_xcalloc(1, sizeof *s);
    s->c = c;
    s->epoch = c->epoch;
    char gen[OI_UUID_STR_LEN + 1];
    oi_uuid_new(gen);
    const char *argv[] = {"SET", KEY_GEN, gen};
    op_begin(c);
    send_cmd(c, 3, argv, NULL, on_gen_bumped, s);
    /* an invalidation may have been lost: every replica's near cache drops everything (a lost
     * publish fails the bump too, on this same connection, and this runs again) */
    op_begin(c);
    send_publish_all(c, on_fire_and_forget, c);
}

static void on_redis_state(bool connected, void *ud)
{
    dsp_cache_t *c = ud;
    if (c->closing)
        return;
    if (connected) {
        start_sync(c);
    } else {
        uv_timer_stop(&c->retry);
        set_state(c, CACHE_DOWN);
    }
}

/* --- lifecycle ------------------------------------------------------------------------- */

dsp_cache_t *dsp_cache_new(dsp_t *d)
{
    dsp_cache_t *c = oi_xcalloc(1, sizeof *c);
    c->d = d;
    uv_timer_init(d->loop, &c->retry);
    c->retry.data = c;
    c->publisher = oi_near_publisher_new(d->loop, d->redis, OI_NEAR_CHANNEL_ROUTES);
    oi_metric_help("oi_dispatch_route_cache_hits_total", "counter", "Resolve answers served from the Redis cache");
    oi_metric_help("oi_dispatch_route_cache_misses_total", "counter", "Resolve lookups that missed the cache");
    oi_metric_help("oi_dispatch_route_cache_errors_total", "counter", "Redis failures on the routing path");
    oi_metric_help("oi_dispatch_route_cache_usable", "gauge", "1 when Resolve may use the Redis cache");
    oi_metric_set("oi_dispatch_route_cache_usable", "", 0);
    oi_redis_on_state(d->redis, on_redis_state, c);
    if (oi_redis_connected(d->redis))
        start_sync(c);
    return c;
}

static void on_timer_closed(uv_handle_t *h)
{
    dsp_cache_t *c = h->data;
    c->timer_closed = true;
    maybe_closed(c);
}

void dsp_cache_close(dsp_cache_t *c, void (*on_closed)(void *ud), void *ud)
{
    c->closing = true;
    c->on_closed = on_closed;
    c->on_closed_ud = ud;
    c->state = CACHE_DOWN;
    oi_near_publisher_close(&c->publisher); /* what it holds is sent: the replies end the close */
    uv_close((uv_handle_t *)&c->retry, on_timer_closed);
}

bool dsp_cache_usable(const dsp_cache_t *c)
{
    return c && !c->closing && c->state == CACHE_READY && oi_redis_connected(c->d->redis);
}

const char *dsp_cache_state(const dsp_cache_t *c)
{
    if (c && c->state == CACHE_READY && !oi_redis_connected(c->d->redis))
        return state_names[CACHE_DOWN];
    return c ? state_names[c->state] : state_names[CACHE_DOWN];
}

/* A lookup that failed: counted, and answered from PostgreSQL. A late lookup loses no write
 * (the connection keeps its commands in order, and every write that fails resynchronises on
 * its own), so it is no reason to drop every replica's caches: under load that turned one slow
 * reply into a flood of database reads. */
static void redis_failed(dsp_cache_t *c, oi_status_t st)
{
    (void)c;
    (void)st;
    oi_metric_inc("oi_dispatch_route_cache_errors_total", "", 1);
}

/* --- lookup ---------------------------------------------------------------------------- */

typedef struct {
    dsp_cache_t *c;
    dsp_cache_lookup_cb cb;
    void *ud;
    bool with_failures;
    char to[24];
} lookup_t;

static const redisReply *elem(const redisReply *r, size_t i)
{
    return r && r->type == REDIS_REPLY_ARRAY && i < r->elements ? r->element[i] : NULL;
}

static bool is_str(const redisReply *r) { return r && r->type == REDIS_REPLY_STRING; }

static void on_fire_and_forget(oi_status_t st, const redisReply *reply, void *ud)
{
    dsp_cache_t *c = ud;
    (void)reply;
    if (!op_end(c))
        return;
    if (st)
        redis_failed(c, st);
}

/* A number's version key lives four snapshot lifetimes (so it outlives every snapshot tagged
 * with it) and then goes: a version that is gone only makes the next lookup a miss, never a
 * stale hit, so numbers long unused (or deleted) leave nothing behind in Redis. */
static void version_ttl(const dsp_cache_t *c, char out[16])
{
    snprintf(out, 16, "%u", 4 * c->d->cache_ttl_s);
}

/* SET NX a new version into ver. Whether or not it wins, a snapshot tagged with it is safe:
 * it matches only if this SET won and no invalidation replaced the version since, and the
 * SET is sent before the database read starts. */
static void fresh_version(dsp_cache_t *c, const char *to, char ver[OI_UUID_STR_LEN + 1])
{
    char kv[KEY_MAX];
    snprintf(kv, sizeof kv, "dsp:rv:%s", to);
    oi_uuid_new(ver);
    char ttl[16];
    version_ttl(c, ttl);
    const char *argv[] = {"SET", kv, ver, "NX", "EX", ttl};
    op_begin(c);
    send_cmd(c, 6, argv, NULL, on_fire_and_forget, c);
}

static void fill_lookup(dsp_cache_t *c, const redisReply *reply, const char *to, bool with_failures,
                        dsp_cache_lookup_t *res)
{
    const redisReply *gen = elem(reply, 0), *ver = elem(reply, 1), *snap = elem(reply, 2);
    if (with_failures && is_str(elem(reply, 3)))
        res->n_failed = oi_route_failures_parse(elem(reply, 3)->str, elem(reply, 3)->len, res->failed, DSP_FAILED_MAX);
    if (!is_str(gen)) {
        /* the generation was evicted or flushed (and the failures with it): resynchronise at
         * once; lookups bypass the cache until that is done */
        if (c->state == CACHE_READY)
            start_sync(c);
        return;
    }
    if (!is_str(ver)) {
        /* a number never versioned (or evicted, or flushed): version it now and cache what
         * the database answers under that version, so the next lookup is already a hit */
        char fresh[OI_UUID_STR_LEN + 1];
        fresh_version(c, to, fresh);
        res->tag = oi_xasprintf("%.*s/%s", (int)gen->len, gen->str, fresh);
        return;
    }
    res->tag = oi_xasprintf("%.*s/%.*s", (int)gen->len, gen->str, (int)ver->len, ver->str);
    if (!is_str(snap))
        return;
    char *tag = NULL;
    if (oi_route_decode((const uint8_t *)snap->str, snap->len, &res->route, &tag) == OI_OK) {
        res->hit = strcmp(tag, res->tag) == 0;
        if (!res->hit)
            oi_route_cleanup(&res->route);
    }
    free(tag);
}

static void on_lookup(oi_status_t st, const redisReply *reply, void *ud)
{
    lookup_t *l = ud;
    dsp_cache_t *c = l->c;
    dsp_cache_lookup_t res;
    memset(&res, 0, sizeof res);
    res.status = st;
    if (!st && (!reply || reply->type != REDIS_REPLY_ARRAY))
        res.status = OI_INTERNAL;
    if (!op_end(c)) {
        res.status = OI_UNAVAILABLE;
        l->cb(&res, l->ud);
        free(l);
        return;
    }
    if (res.status)
        redis_failed(c, res.status);
    else
        fill_lookup(c, reply, l->to, l->with_failures, &res);
    oi_metric_inc(res.hit ? "oi_dispatch_route_cache_hits_total" : "oi_dispatch_route_cache_misses_total", "", 1);
    l->cb(&res, l->ud);
    oi_route_cleanup(&res.route);
    free(res.tag);
    free(l);
}

void dsp_cache_lookup(dsp_cache_t *c, const char *to, const char *call_id, dsp_cache_lookup_cb cb, void *ud)
{
    char kv[KEY_MAX], kr[KEY_MAX], kf[KEY_MAX] = "";
    snprintf(kv, sizeof kv, "dsp:rv:%s", to);
    snprintf(kr, sizeof kr, "dsp:r:%s", to);
    bool with_failures = call_id && *call_id;
    if (with_failures)
        snprintf(kf, sizeof kf, "dsp:f:%s", call_id);
    const char *argv[] = {"MGET", KEY_GEN, kv, kr, kf};
    lookup_t *l = oi_xcalloc(1, sizeof *l);
    l->c = c;
    l->cb = cb;
    l->ud = ud;
    l->with_failures = with_failures;
    snprintf(l->to, sizeof l->to, "%s", to);
    op_begin(c);
    send_cmd(c, with_failures ? 5 : 4, argv, NULL, on_lookup, l);
}

/* --- store, invalidate, failures -------------------------------------------------------- */

void dsp_cache_store(dsp_cache_t *c, const char *to, const char *tag, const oi_route_t *r)
{
    if (!tag || !dsp_cache_usable(c))
        return;
    char kr[KEY_MAX], ttl[16];
    snprintf(kr, sizeof kr, "dsp:r:%s", to);
    snprintf(ttl, sizeof ttl, "%u", c->d->cache_ttl_s);
    size_t len = 0;
    uint8_t *blob = oi_route_encode(r, tag, &len);
    const char *argv[] = {"SET", kr, (const char *)blob, "EX", ttl};
    size_t argvlen[] = {3, strlen(kr), len, 2, strlen(ttl)};
    op_begin(c);
    send_cmd(c, 5, argv, argvlen, on_fire_and_forget, c);
    free(blob);
}

/* Numbers invalidated by one script run (and one publish). */
#define INVALIDATE_CHUNK 1000

typedef struct {
    dsp_cache_t *c;
    dsp_cache_done_cb cb;
    void *ud;
    int pending;
    oi_status_t status;
    bool resync_on_error; /* a lost write must not be trusted away: resync before reuse */
} multi_t;

static void multi_done(multi_t *m)
{
    dsp_cache_t *c = m->c;
    oi_status_t st = m->status;
    dsp_cache_done_cb cb = m->cb;
    void *ud = m->ud;
    bool resync = m->resync_on_error;
    free(m);
    if (op_end(c) && st) {
        redis_failed(c, st);
        if (resync && c->state == CACHE_READY)
            schedule_retry(c);
    }
    if (cb)
        cb(st, ud);
}

static void on_multi_reply(oi_status_t st, const redisReply *reply, void *ud)
{
    multi_t *m = ud;
    if (!st && (!reply || reply->type == REDIS_REPLY_ERROR))
        st = OI_INTERNAL;
    if (st && !m->status)
        m->status = st;
    if (--m->pending == 0)
        multi_done(m);
}

static void on_invalidate_reply(oi_status_t st, const redisReply *reply, void *ud)
{
    multi_t *m = ud;
    if (!st && (!reply || reply->type == REDIS_REPLY_ERROR))
        st = OI_INTERNAL;
    if (st && !m->status)
        m->status = st;
    if (--m->pending > 0)
        return;
    dsp_cache_t *c = m->c;
    /* A failed (or unknown-outcome) invalidation: no snapshot may be trusted until dsp:gen is
     * bumped (and "everything changed" published); this replica bypasses the cache and keeps
     * trying. */
    if (m->status && !c->closing && c->state != CACHE_DOWN)
        schedule_retry(c);
    multi_done(m);
}

/* dsp_cache_invalidate of a single number. */
static void invalidate_one(dsp_cache_t *c, const char *number, multi_t *m)
{
    char kv[KEY_MAX], ver[OI_UUID_STR_LEN + 1], ttl[16];
    snprintf(kv, sizeof kv, "dsp:rv:%s", number);
    oi_uuid_new(ver);
    version_ttl(c, ttl);
    const char *argv[] = {"SET", kv, ver, "EX", ttl};
    op_begin(c);
    m->pending = 2; /* the version (Redis snapshots), then the near caches of every replica */
    send_cmd(c, 5, argv, NULL, on_invalidate_reply, m);
    send_publish(c, &number, 1, on_invalidate_reply, m);
}

/* dsp_cache_invalidate of at most INVALIDATE_CHUNK numbers. */
static void invalidate_some(dsp_cache_t *c, const char *const *numbers, size_t n, dsp_cache_done_cb cb, void *ud)
{
    multi_t *m = oi_xcalloc(1, sizeof *m);
    m->c = c;
    m->cb = cb;
    m->ud = ud;
    /* one atomic command, as MSET was, but each version with its lifetime (MSET takes none);
     * one number (a PATCH) is a plain SET, which is atomic by itself and costs Redis a tenth
     * of running the script */
    static const char script[] =
        "local ttl = ARGV[#ARGV] for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i], 'EX', ttl) end return #KEYS";
    if (n == 1) {
        invalidate_one(c, numbers[0], m);
        return;
    }
    size_t argc = 3 + 2 * n + 1;
    const char **argv = oi_xcalloc(argc, sizeof *argv);
    char **owned = oi_xcalloc(2 * n + 1, sizeof *owned);
    char numkeys[24], ttl[16];
    snprintf(numkeys, sizeof numkeys, "%zu", n);
    version_ttl(c, ttl);
    argv[0] = "EVAL";
    argv[1] = script;
    argv[2] = numkeys;
    for (size_t i = 0; i < n; i++) {
        char ver[OI_UUID_STR_LEN + 1];
        oi_uuid_new(ver);
        owned[2 * i] = oi_xasprintf("dsp:rv:%s", numbers[i]);
        owned[2 * i + 1] = oi_xstrdup(ver);
        argv[3 + i] = owned[2 * i];
        argv[3 + n + i] = owned[2 * i + 1];
    }
    argv[argc - 1] = ttl;
    op_begin(c);
    m->pending = 2; /* the versions (Redis snapshots), then the near caches of every replica */
    send_cmd(c, (int)argc, argv, NULL, on_invalidate_reply, m);
    send_publish(c, numbers, n, on_invalidate_reply, m);
    for (size_t i = 0; i < 2 * n; i++)
        free(owned[i]);
    free(owned);
    free(argv);
}

/* Many numbers (an agent's change touches every number routed to it, 100,000 and more): a chunk
 * at a time, the next once the last is answered, so neither this process nor Redis ever holds
 * the whole list as one command, and Redis serves resolves between chunks. The caller's numbers
 * stay valid until cb (the mutation owns them until it replies). */
typedef struct {
    dsp_cache_t *c;
    const char *const *numbers;
    size_t n, next;
    dsp_cache_done_cb cb;
    void *ud;
} chunked_t;

/* The whole run counts as one operation of the cache (op_begin in dsp_cache_invalidate), so the
 * cache outlives it even when closing. */
static void on_chunk_done(oi_status_t st, void *ud)
{
    chunked_t *k = ud;
    if (!st && k->next < k->n && k->c->closing)
        st = OI_UNAVAILABLE;
    if (st || k->next >= k->n) {
        dsp_cache_t *c = k->c;
        dsp_cache_done_cb cb = k->cb;
        void *cb_ud = k->ud;
        free(k);
        op_end(c);
        if (cb)
            cb(st, cb_ud);
        return;
    }
    size_t from = k->next, take = k->n - from < INVALIDATE_CHUNK ? k->n - from : INVALIDATE_CHUNK;
    k->next += take;
    invalidate_some(k->c, k->numbers + from, take, on_chunk_done, k);
}

void dsp_cache_invalidate(dsp_cache_t *c, const char *const *numbers, size_t n, dsp_cache_done_cb cb, void *ud)
{
    if (n <= INVALIDATE_CHUNK) {
        invalidate_some(c, numbers, n, cb, ud);
        return;
    }
    chunked_t *k = oi_xcalloc(1, sizeof *k);
    *k = (chunked_t){c, numbers, n, 0, cb, ud};
    op_begin(c);
    on_chunk_done(OI_OK, k);
}

void dsp_cache_record_failure(dsp_cache_t *c, const char *call_id, const char *agent_id, dsp_cache_done_cb cb,
                              void *ud)
{
    multi_t *m = oi_xcalloc(1, sizeof *m);
    m->c = c;
    m->cb = cb;
    m->ud = ud;
    m->pending = 2;
    char kf[KEY_MAX], item[OI_ROUTE_ID_MAX + 2], ttl[16];
    snprintf(kf, sizeof kf, "dsp:f:%s", call_id);
    snprintf(item, sizeof item, "%s,", agent_id);
    snprintf(ttl, sizeof ttl, "%d", DSP_FAILURE_TTL_S);
    const char *append[] = {"APPEND", kf, item};
    const char *expire[] = {"EXPIRE", kf, ttl};
    m->resync_on_error = true;
    op_begin(c);
    send_cmd(c, 3, append, NULL, on_multi_reply, m);
    send_cmd(c, 3, expire, NULL, on_multi_reply, m);
}
