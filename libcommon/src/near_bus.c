/* near_bus.c: one subscriber connection feeding the near caches of a process, and the
 * publishing side of the protocol. */
#define OI_LOG_TAG "common.near"
#include "oi/near_bus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/buf.h"
#include "oi/config.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"

#define NEAR_BUS_CACHES_MAX 8
#define NEAR_PUBLISH_MAX ((size_t)1 << 20)

struct oi_near_bus {
    oi_redis_t *redis;
    struct {
        const char *channel;
        oi_near_cache_t *cache;
        const char *origin; /* NULL: hears every message */
    } caches[NEAR_BUS_CACHES_MAX];
    size_t n_caches;
    const char *channels[NEAR_BUS_CACHES_MAX]; /* distinct, for SUBSCRIBE */
    size_t n_channels;
    char *host;
    int port;
    uv_loop_t *loop;
};

void oi_near_config_read(oi_config_t *c, oi_near_config_t *out)
{
    out->max_bytes = (size_t)oi_config_int(c, "OI_NEAR_CACHE_BYTES", 12 << 20, 0, (int64_t)1 << 32);
    out->max_age_ms = (uint32_t)oi_config_int(c, "OI_NEAR_CACHE_MAX_AGE_MS", 10000, 0, 3600000);
}

/* The caches' counters, copied into the registry when /metrics is rendered (the ops port runs
 * on the same loop). */
static void bus_metrics(void *ud)
{
    oi_near_bus_t *b = ud;
    oi_metric_set("oi_near_bus_live", "", oi_near_bus_live(b) ? 1 : 0);
    for (size_t i = 0; i < b->n_caches; i++) {
        oi_near_stats_t st = oi_near_cache_stats(b->caches[i].cache);
        char l[64];
        snprintf(l, sizeof l, "cache=\"%s\"", oi_near_cache_name(b->caches[i].cache));
        oi_metric_set("oi_near_cache_hits_total", l, (double)st.hits);
        oi_metric_set("oi_near_cache_misses_total", l, (double)st.misses);
        oi_metric_set("oi_near_cache_stored_total", l, (double)st.stored);
        oi_metric_set("oi_near_cache_refused_total", l, (double)st.refused);
        oi_metric_set("oi_near_cache_invalidated_total", l, (double)st.invalidated);
        oi_metric_set("oi_near_cache_evicted_total", l, (double)st.evicted);
        oi_metric_set("oi_near_cache_flushes_total", l, (double)st.flushes);
        oi_metric_set("oi_near_cache_entries", l, (double)st.entries);
        oi_metric_set("oi_near_cache_bytes", l, (double)st.bytes);
    }
}

static void bus_metrics_help(void)
{
    oi_metric_help("oi_near_bus_live", "gauge", "1 while the near caches hear their invalidation channel");
    oi_metric_help("oi_near_cache_hits_total", "counter", "answers served from a near cache");
    oi_metric_help("oi_near_cache_misses_total", "counter", "lookups that went to the source");
    oi_metric_help("oi_near_cache_stored_total", "counter", "answers kept after a read of the source");
    oi_metric_help("oi_near_cache_refused_total", "counter", "reads not kept: their key changed meanwhile");
    oi_metric_help("oi_near_cache_invalidated_total", "counter", "answers dropped on a change announced by their source");
    oi_metric_help("oi_near_cache_evicted_total", "counter", "answers dropped for room");
    oi_metric_help("oi_near_cache_flushes_total", "counter", "times everything was dropped (channel lost, \"*\")");
    oi_metric_help("oi_near_cache_entries", "gauge", "keys held (with a value or being read)");
    oi_metric_help("oi_near_cache_bytes", "gauge", "bytes of keys, tags and values held");
}

oi_near_bus_t *oi_near_bus_new(uv_loop_t *loop, const char *redis_host, int redis_port)
{
    oi_near_bus_t *b = oi_xcalloc(1, sizeof *b);
    b->loop = loop;
    b->host = oi_xstrdup(redis_host);
    b->port = redis_port;
    bus_metrics_help();
    oi_metrics_on_render(bus_metrics, b);
    return b;
}

void oi_near_bus_attach(oi_near_bus_t *b, const char *channel, oi_near_cache_t *c)
{
    oi_near_bus_attach_origin(b, channel, c, NULL);
}

void oi_near_bus_attach_origin(oi_near_bus_t *b, const char *channel, oi_near_cache_t *c, const char *origin)
{
    if (b->n_caches == NEAR_BUS_CACHES_MAX || b->redis)
        abort(); /* a programmer error: a fixed, small set of caches, attached before start */
    b->caches[b->n_caches].channel = channel;
    b->caches[b->n_caches].origin = origin;
    b->caches[b->n_caches++].cache = c;
    for (size_t i = 0; i < b->n_channels; i++)
        if (strcmp(b->channels[i], channel) == 0)
            return;
    b->channels[b->n_channels++] = channel;
}

/* The message begins with "@<origin>". */
static bool written_by(const char *payload, size_t len, const char *origin)
{
    size_t n = strlen(origin);
    return len > n && payload[0] == '@' && memcmp(payload + 1, origin, n) == 0 &&
           (len == n + 1 || payload[n + 1] == ' ');
}

/* "[@origin ]k1 k2 …": each key of the message, or everything for "*". */
static void on_message(const char *channel, const char *payload, size_t len, void *ud)
{
    oi_near_bus_t *b = ud;
    for (size_t i = 0; i < b->n_caches; i++) {
        if (strcmp(b->caches[i].channel, channel) != 0)
            continue;
        if (b->caches[i].origin && written_by(payload, len, b->caches[i].origin))
            continue;
        oi_near_cache_t *c = b->caches[i].cache;
        size_t at = 0;
        while (at < len) {
            while (at < len && payload[at] == ' ')
                at++;
            size_t start = at;
            while (at < len && payload[at] != ' ')
                at++;
            if (at == start)
                break;
            if (payload[start] == '@')
                continue; /* the writer's name */
            if (at - start == 1 && payload[start] == '*')
                oi_near_cache_invalidate_all(c);
            else
                oi_near_cache_invalidate(c, payload + start, at - start);
        }
    }
}

static void on_live(bool live, void *ud)
{
    oi_near_bus_t *b = ud;
    for (size_t i = 0; i < b->n_caches; i++)
        oi_near_cache_set_usable(b->caches[i].cache, live);
    if (live)
        oi_log_info(&(oi_log_ctx_t){.action = "subscribing to invalidations"}, "near caches live");
    else
        oi_log_warn(&(oi_log_ctx_t){.action = "subscribing to invalidations"},
                    "lost the invalidation channel: near caches bypassed until it is back");
}

void oi_near_bus_start(oi_near_bus_t *b)
{
    if (b->redis || b->n_channels == 0)
        return;
    b->redis = oi_redis_new(b->loop, b->host, b->port, 1000);
    oi_redis_subscribe(b->redis, b->channels, b->n_channels, on_message, on_live, b);
}

void oi_near_bus_sync(oi_near_bus_t *b)
{
    if (b)
        oi_redis_poll(b->redis);
}

bool oi_near_bus_live(const oi_near_bus_t *b) { return b && oi_redis_live(b->redis); }

void oi_near_bus_close(oi_near_bus_t **self_p)
{
    oi_near_bus_t *b = *self_p;
    *self_p = NULL;
    if (!b)
        return;
    oi_metrics_off_render(bus_metrics, b);
    for (size_t i = 0; i < b->n_caches; i++)
        oi_near_cache_set_usable(b->caches[i].cache, false);
    oi_redis_close(&b->redis);
    free(b->host);
    free(b);
}

void oi_near_publish(oi_redis_t *r, const char *channel, const char *const *keys, size_t n, oi_redis_cb cb, void *ud)
{
    if (n == 0) {
        cb(OI_OK, NULL, ud);
        return;
    }
    oi_buf_t msg;
    oi_buf_init(&msg, NEAR_PUBLISH_MAX);
    oi_status_t rc = OI_OK;
    for (size_t i = 0; i < n && rc == OI_OK; i++) {
        if (i)
            rc = oi_buf_append(&msg, " ", 1);
        if (rc == OI_OK)
            rc = oi_buf_appends(&msg, keys[i]);
    }
    if (rc != OI_OK) { /* too many to list: everything */
        oi_buf_reset(&msg);
        oi_buf_appends(&msg, OI_NEAR_ALL);
    }
    const char *argv[] = {"PUBLISH", channel, msg.data};
    size_t lens[] = {7, strlen(channel), msg.len};
    oi_redis_command(r, 3, argv, lens, cb, ud);
    oi_buf_cleanup(&msg);
}
