/* dispatch.c: configuration → modules, the method table, readiness and the drain sequence. */
#define OI_LOG_TAG "dsp.main"
#include "dispatch.h"
#include "policies.h"
#include "oi/route_memo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"
#include "apply.h"
#include "apply_many.h"
#include "cache.h"
#include "failures.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/pg_analyze.h"
#include "oi/reseal.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "outbound.h"
#include "resolve.h"

static const oi_pg_stmt_t ANALYZE_GROWN = {"dsp_analyze_grown", "SELECT dispatch.analyze_grown($1::int)", 1};


#define DRAIN_POLL_MS 10

/* Answers from state, sending nothing: the pipeline reconnects by itself, so its health is
 * PostgreSQL's now. (The blocking pool only learns of a recovery from its own next request,
 * so its health could stay stale while nothing uses it.) */
static bool db_healthy(const dsp_t *d) { return oi_pg_pipeline_healthy(d->pipeline); }

static void ping_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    (void)req;
    const dsp_t *d = ctx->ud;
    if (!db_healthy(d)) {
        oi_error_t err;
        oi_error_init(&err);
        oi_rpc_call_reply(&call, oi_error_set(&err, OI_UNAVAILABLE, "database unreachable"), &err, NULL);
        return;
    }
    Oneinbox__V1__Empty e = ONEINBOX__V1__EMPTY__INIT;
    oi_rpc_call_reply(&call, OI_OK, NULL, &e.base);
}

/* one row per method of service Dispatch (dispatch.proto) */
static const oi_rpc_method_t methods[] = {
    {"Ping", NULL, ping_on_call},
    {"CreateAgent", dsp_agent_create, NULL},
    {"GetAgent", dsp_agent_get, NULL},
    {"ListAgents", dsp_agent_list, NULL},
    {"UpdateAgent", NULL, dsp_agent_update_on_call},
    {"DeleteAgent", NULL, dsp_agent_delete_on_call},
    {"CheckAgents", dsp_agent_check, NULL},
    {"ApplyNumber", NULL, dsp_apply_on_call},
    {"Resolve", NULL, dsp_resolve_on_call},
    {"ReportFailure", NULL, dsp_report_failure_on_call},
    {"OutboundRoute", dsp_outbound_route, NULL},
    {"SuspendOutbound", dsp_outbound_suspend, NULL},
};

const oi_rpc_method_t *dsp_methods(size_t *n)
{
    *n = sizeof methods / sizeof methods[0];
    return methods;
}

typedef struct {
    const char *bind;
    int ops_port;
    const char *conninfo;
    int pool_size;
    const char *redis_host;
    int redis_port;
    uint32_t redis_timeout_ms;
    const char *secret_key;
    const char *secret_key_previous;
    const char *migrations;
    oi_near_config_t near;
} dsp_config_t;

static void read_config(oi_config_t *c, dsp_t *d, dsp_config_t *cfg)
{
    cfg->bind = oi_config_str(c, "OI_RPC_BIND", "tcp://127.0.0.1:7301");
    cfg->ops_port = (int)oi_config_int(c, "OI_OPS_PORT", 9301, 0, 65535);
    cfg->conninfo = oi_config_str_required(c, "OI_PG_CONNINFO");
    cfg->pool_size = (int)oi_config_int(c, "OI_PG_POOL_SIZE", 8, 1, 256);
    cfg->redis_host = oi_config_str(c, "OI_REDIS_HOST", "127.0.0.1");
    cfg->redis_port = (int)oi_config_int(c, "OI_REDIS_PORT", 26379, 1, 65535);
    cfg->redis_timeout_ms = (uint32_t)oi_config_int(c, "OI_REDIS_TIMEOUT_MS", 50, 1, 10000);
    cfg->secret_key = oi_config_str_required(c, "OI_SECRET_KEY");
    cfg->secret_key_previous = oi_config_str(c, "OI_SECRET_KEY_PREVIOUS", "");
    cfg->migrations = oi_config_str(c, "OI_MIGRATIONS_DIR", DSP_MIGRATIONS_DEFAULT);
    d->cache_ttl_s = (uint32_t)oi_config_int(c, "OI_ROUTE_CACHE_TTL_S", 300, 1, 86400);
    d->pg_acquire_ms = (int)oi_config_int(c, "OI_PG_ACQUIRE_TIMEOUT_MS", 2000, 10, 60000);
    oi_near_config_read(c, &cfg->near);
}

static void metrics_help(void)
{
    oi_metric_help("oi_dispatch_resolve_db_queries_total", "counter",
                   "routing snapshots read from PostgreSQL (one per single-flight)");
    oi_metric_inc("oi_dispatch_resolve_db_queries_total", "", 0);
    oi_metric_inc("oi_dispatch_route_cache_hits_total", "", 0);
    oi_metric_inc("oi_dispatch_route_cache_misses_total", "", 0);
    oi_metric_inc("oi_dispatch_route_cache_errors_total", "", 0);
}

static bool open_modules(dsp_t *d, const dsp_config_t *cfg)
{
    oi_error_t err;
    oi_error_init(&err);
    d->crypto = oi_crypto_new(cfg->secret_key, cfg->secret_key_previous, &err);
    if (!d->crypto) {
        oi_log_error(&(oi_log_ctx_t){.action = "reading OI_SECRET_KEY"}, "%s", err.message);
        return false;
    }
    d->pg = oi_pg_pool_new(cfg->conninfo, cfg->pool_size, DSP_PG_STATEMENT_TIMEOUT_MS);
    oi_pg_pool_name(d->pg, "requests");
    if (oi_pg_migrate(d->pg, "dispatch", cfg->migrations, &err)) {
        oi_log_error(&(oi_log_ctx_t){.action = "migrating schema dispatch"}, "%s", err.message);
        return false;
    }
    oi_reseal_start(d->loop, cfg->conninfo, cfg->secret_key, cfg->secret_key_previous, &DSP_SEALED_PASSWORD, 1);
    oi_pg_pipeline_config_t pipeline = {
        .conninfo = cfg->conninfo,
        .connections = cfg->pool_size < DSP_PIPELINE_CONNECTIONS_MAX ? cfg->pool_size : DSP_PIPELINE_CONNECTIONS_MAX,
        .statement_timeout_ms = DSP_PG_STATEMENT_TIMEOUT_MS,
        .queue_timeout_ms = d->pg_acquire_ms, /* a batch waits for a connection as work waits for the pool */
        .name = "loop",
    };
    d->pipeline = oi_pg_pipeline_new(d->loop, &pipeline);
    d->apply_many = dsp_apply_many_new(d->loop, d->pipeline);
    d->analyze = oi_pg_analyze_new(d->loop, d->pipeline, &ANALYZE_GROWN, OI_PG_ANALYZE_INTERVAL_MS);
    metrics_help();
    d->redis = oi_redis_new(d->loop, cfg->redis_host, cfg->redis_port, cfg->redis_timeout_ms);
    d->flights = dsp_flights_new();
    d->policies = dsp_policies_new(DSP_POLICY_SLOTS);
    d->cache = dsp_cache_new(d);
    if (cfg->near.max_bytes > 0) {
        d->near = oi_near_cache_new("routes", cfg->near.max_bytes, cfg->near.max_age_ms);
        d->memo = oi_route_memo_new(d->near, dsp_resolve_pack);
        d->near_bus = oi_near_bus_new(d->loop, cfg->redis_host, cfg->redis_port);
        oi_near_bus_attach(d->near_bus, OI_NEAR_CHANNEL_ROUTES, d->near);
        oi_near_bus_start(d->near_bus);
    }
    size_t n = 0;
    const oi_rpc_method_t *m = dsp_methods(&n);
    d->rpc = oi_rpc_server_new(d->loop, &oneinbox__v1__dispatch__descriptor, m, n, d);
    if (oi_rpc_server_bind(d->rpc, cfg->bind, &err)) {
        oi_log_error(&(oi_log_ctx_t){.action = "binding the RPC socket"}, "%s: %s", cfg->bind, err.message);
        return false;
    }
    return true;
}

dsp_t *dsp_start(oi_service_t *svc)
{
    dsp_t *d = oi_xcalloc(1, sizeof *d);
    d->svc = svc;
    d->loop = oi_service_loop(svc);
    dsp_config_t cfg;
    read_config(oi_service_config(svc), d, &cfg);
    /* one threadpool thread per pooled connection (before the first uv_queue_work sizes it);
     * the loop's own queries go through the pipeline and hold no thread */
    char threads[16];
    snprintf(threads, sizeof threads, "%d", cfg.pool_size);
    setenv("UV_THREADPOOL_SIZE", threads, 0);
    if (!oi_config_check(oi_service_config(svc)) || !open_modules(d, &cfg))
        return NULL; /* the process exits: the OS reclaims what was opened */
    if (!oi_service_start_ops(svc, cfg.ops_port, dsp_ready, d))
        return NULL;
    oi_log_info(&(oi_log_ctx_t){.action = "starting"}, "serving %s (redis %s:%d, cache ttl %us)", cfg.bind,
                cfg.redis_host, cfg.redis_port, d->cache_ttl_s);
    return d;
}

oi_ops_readiness_t dsp_ready(void *ud, char *detail, size_t n)
{
    dsp_t *d = ud;
    if (!db_healthy(d)) {
        snprintf(detail, n, "postgresql unreachable");
        return OI_OPS_UNREADY;
    }
    if (!dsp_cache_usable(d->cache)) {
        snprintf(detail, n, "%s: resolving from postgresql", dsp_cache_state(d->cache));
        return OI_OPS_DEGRADED;
    }
    return OI_OPS_READY;
}

/* --- drain: RPC server → our work in flight → cache → Redis, pipeline → pool ------------ */

typedef struct {
    uv_timer_t timer;
    dsp_t *d;
} drain_t;

static void on_drain_timer_closed(uv_handle_t *h) { free(h->data); }

static void on_pipeline_closed(void *ud)
{
    dsp_t *d = ud;
    oi_pg_pool_destroy(&d->pg);
    oi_crypto_destroy(&d->crypto);
    oi_service_t *svc = d->svc;
    free(d);
    oi_log_info(&(oi_log_ctx_t){.action = "draining"}, "drained");
    oi_service_drained(svc);
}

static void on_cache_closed(void *ud)
{
    dsp_t *d = ud;
    oi_redis_close(&d->redis);
    oi_near_bus_close(&d->near_bus);
    oi_near_cache_destroy(&d->near);
    oi_route_memo_destroy(&d->memo);
    oi_rpc_server_destroy(&d->rpc);
    dsp_flights_destroy(&d->flights);
    dsp_policies_destroy(&d->policies);
    /* nothing of ours is left on the pipeline (busy is 0, the cache has closed) */
    oi_pg_coalesce_close(&d->apply_many);
    oi_pg_pipeline_close(&d->pipeline, on_pipeline_closed, d);
}

static void on_drain_poll(uv_timer_t *t)
{
    drain_t *dr = t->data;
    dsp_t *d = dr->d;
    if (d->busy > 0 || dsp_flights_count(d->flights) > 0)
        return; /* our work still holds calls, connections, pipeline batches or cache references */
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, on_drain_timer_closed);
    oi_pg_analyze_close(&d->analyze); /* a round still out ends when the pipeline answers or closes */
    dsp_cache_close(d->cache, on_cache_closed, d);
    d->cache = NULL;
}

static void on_rpc_drained(void *ud)
{
    dsp_t *d = ud;
    drain_t *dr = oi_xcalloc(1, sizeof *dr);
    dr->d = d;
    dr->timer.data = dr;
    uv_timer_init(d->loop, &dr->timer);
    uv_timer_start(&dr->timer, on_drain_poll, 0, DRAIN_POLL_MS);
}

void dsp_on_drain(oi_service_t *svc, bool force, void *ud)
{
    dsp_t *d = ud;
    (void)svc;
    if (force || d->draining)
        return; /* the grace timer fired: the service closes the loop around what is left */
    d->draining = true;
    oi_log_info(&(oi_log_ctx_t){.action = "draining"}, "stopping the RPC server (%zu in flight)",
                oi_rpc_server_inflight(d->rpc));
    oi_rpc_server_drain(d->rpc, oi_service_grace_ms(svc), on_rpc_drained, d);
}
