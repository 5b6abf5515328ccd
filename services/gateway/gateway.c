/* gateway.c: configuration → modules, and the drain sequence. */
#define OI_LOG_TAG "gw.main"
#include "gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access_metrics.h"
#include "auth.h"
#include "dashboard_jwt.h"
#include "health.h"
#include "audit_pending.h"
#include "audit_writer.h"
#include "idem_db.h"
#include "pipeline.h"
#include "purge.h"
#include "render.h"
#include "oi/log.h"
#include "oi/mem.h"


#define TOKEN_MIN_LEN 16

typedef struct {
    const char *host;
    int port;
    int ops_port;
    const char *conninfo;
    int pool_size;
    const char *provisioning;
    const char *dispatch;
    const char *carrier;
    const char *migrations;
    const char *redis_host;
    int redis_port;
    oi_near_config_t near;
    const char *secret_key;
    const char *secret_key_previous;
    int idem_ttl_hours;
    int idem_purge_ms;
    int audit_retention_days;
    gw_jwt_config_t jwt;
    oi_http_limits_t http;
} gw_config_t;

/* Token buckets (rate_limit.h): requests/s and burst; 0 turns one off. */
static void read_rates(oi_config_t *c, gw_t *gw)
{
    enum { MAX = 100000000 };
    gw->rate_key.rps = (double)oi_config_int(c, "OI_RATE_KEY_RPS", 100, 0, MAX);
    gw->rate_key.burst = (double)oi_config_int(c, "OI_RATE_KEY_BURST", 200, 1, MAX);
    gw->rate_workspace.rps = (double)oi_config_int(c, "OI_RATE_WORKSPACE_RPS", 1000, 0, MAX);
    gw->rate_workspace.burst = (double)oi_config_int(c, "OI_RATE_WORKSPACE_BURST", 2000, 1, MAX);
    gw->rate_purchase.rps = (double)oi_config_int(c, "OI_RATE_PURCHASE_RPS", 10, 0, MAX);
    gw->rate_purchase.burst = (double)oi_config_int(c, "OI_RATE_PURCHASE_BURST", 20, 1, MAX);
    gw->rate_key_lookup.rps = (double)oi_config_int(c, "OI_RATE_KEY_LOOKUP_RPS", 50, 0, MAX);
    gw->rate_key_lookup.burst = (double)oi_config_int(c, "OI_RATE_KEY_LOOKUP_BURST", 100, 1, MAX);
}

static void read_config(oi_config_t *c, gw_t *gw, gw_config_t *cfg)
{
    cfg->host = oi_config_str(c, "OI_HTTP_HOST", "127.0.0.1");
    cfg->port = (int)oi_config_int(c, "OI_HTTP_PORT", 8080, 1, 65535);
    cfg->ops_port = (int)oi_config_int(c, "OI_OPS_PORT", 9080, 0, 65535);
    cfg->conninfo = oi_config_str_required(c, "OI_PG_CONNINFO");
    cfg->pool_size = (int)oi_config_int(c, "OI_PG_POOL_SIZE", 8, 1, 256);
    cfg->provisioning = oi_config_str(c, "OI_PROVISIONING_ENDPOINTS", "tcp://127.0.0.1:7201");
    cfg->dispatch = oi_config_str(c, "OI_DISPATCH_ENDPOINTS", "tcp://127.0.0.1:7301");
    cfg->carrier = oi_config_str(c, "OI_CARRIER_ENDPOINTS", "tcp://127.0.0.1:7401");
    cfg->migrations = oi_config_str(c, "OI_MIGRATIONS_DIR", GW_MIGRATIONS_DEFAULT);
    cfg->redis_host = oi_config_str(c, "OI_REDIS_HOST", "127.0.0.1");
    cfg->redis_port = (int)oi_config_int(c, "OI_REDIS_PORT", 26379, 1, 65535);
    oi_near_config_read(c, &cfg->near);
    cfg->http.body_timeout_ms = (uint32_t)oi_config_int(c, "OI_HTTP_BODY_TIMEOUT_MS", 10000, 100, 600000);
    cfg->http.idle_timeout_ms = (uint32_t)oi_config_int(c, "OI_HTTP_IDLE_TIMEOUT_MS", 60000, 100, 3600000);
    cfg->http.max_connections = (uint32_t)oi_config_int(c, "OI_HTTP_MAX_CONNECTIONS", 4096, 1, 1000000);
    cfg->secret_key = oi_config_str_required(c, "OI_SECRET_KEY");
    cfg->secret_key_previous = oi_config_str(c, "OI_SECRET_KEY_PREVIOUS", "");
    cfg->jwt.public_key_file = oi_config_str(c, "OI_JWT_PUBLIC_KEY_FILE", "");
    cfg->jwt.jwks_file = oi_config_str(c, "OI_JWT_JWKS_FILE", "");
    cfg->jwt.issuer = oi_config_str(c, "OI_JWT_ISSUER", "");
    cfg->jwt.audience = oi_config_str(c, "OI_JWT_AUDIENCE", "");
    cfg->jwt.workspace_claim = oi_config_str(c, "OI_JWT_WORKSPACE_CLAIM", "workspace_id");
    cfg->jwt.leeway_s = (int)oi_config_int(c, "OI_JWT_LEEWAY_S", 30, 0, 600);
    if (cfg->jwt.public_key_file[0] && cfg->jwt.jwks_file[0])
        oi_config_fail(c, "OI_JWT_JWKS_FILE", "set OI_JWT_PUBLIC_KEY_FILE or OI_JWT_JWKS_FILE, not both");
    cfg->idem_ttl_hours = (int)oi_config_int(c, "OI_IDEMPOTENCY_TTL_HOURS", 24, 1, 24 * 365);
    cfg->idem_purge_ms = (int)oi_config_int(c, "OI_IDEMPOTENCY_PURGE_MS", 300000, 100, 86400000);
    cfg->audit_retention_days = (int)oi_config_int(c, "OI_AUDIT_RETENTION_DAYS", 365, 1, 36500);
    gw->admin_token = oi_config_str_required(c, "OI_ADMIN_TOKEN");
    gw->internal_token = oi_config_str_required(c, "OI_INTERNAL_TOKEN");
    if (*gw->admin_token && strlen(gw->admin_token) < TOKEN_MIN_LEN)
        oi_config_fail(c, "OI_ADMIN_TOKEN", "must be at least 16 characters");
    if (*gw->internal_token && strlen(gw->internal_token) < TOKEN_MIN_LEN)
        oi_config_fail(c, "OI_INTERNAL_TOKEN", "must be at least 16 characters");
    read_rates(c, gw);
    gw->sync_wait_ms = (uint32_t)oi_config_int(c, "OI_SYNC_WAIT_MS", 20000, 0, 600000);
    gw->rpc_timeout_ms = (uint32_t)oi_config_int(c, "OI_RPC_TIMEOUT_MS", 5000, 100, 600000);
    gw_openapi_load_assets(oi_config_str(c, "OI_DOCS_ASSETS_DIR", OI_SOURCE_DIR "/tools/docs/node_modules/redoc/bundles"));
}

static bool connect_clients(gw_t *gw, const gw_config_t *cfg)
{
    oi_error_t err;
    oi_error_init(&err);
    gw->provisioning = oi_rpc_client_new_to(gw->loop, cfg->provisioning, gw_peer_service(GW_PEER_PROVISIONING), &err);
    gw->dispatch = oi_rpc_client_new_to(gw->loop, cfg->dispatch, gw_peer_service(GW_PEER_DISPATCH), &err);
    gw->carrier = oi_rpc_client_new_to(gw->loop, cfg->carrier, gw_peer_service(GW_PEER_CARRIER), &err);
    if (!gw->provisioning || !gw->dispatch || !gw->carrier) {
        oi_log_error(&(oi_log_ctx_t){.action = "connecting to services"}, "%s", err.message);
        return false;
    }
    return true;
}

/* Reads answered from memory: a number's GET and a number's routing, each dropped when its owner
 * (oi-provisioning, oi-dispatch) announces a change (oi/near_bus.h). The numbers and the JSON
 * routing answers get the budget (OI_NEAR_CACHE_BYTES) each, the SIP edge's form answers half of
 * it: they are half as long (~320 bytes against ~650), so both routing caches hold as many
 * numbers (about 15,000 at the default). Two and a half budgets in all keep a gateway whose caches
 * are full within its memory bound (three full 16 MB caches took it past 64 MB of RSS). With half
 * a budget the JSON cache held some 7,800 answers: 10,000 numbers resolved at random missed a
 * quarter of the time. */
static void open_near_caches(gw_t *gw, const gw_config_t *cfg)
{
    if (cfg->near.max_bytes == 0)
        return;
    size_t half = cfg->near.max_bytes / 2;
    gw->near_numbers = oi_near_cache_new("numbers", cfg->near.max_bytes, cfg->near.max_age_ms);
    gw->near_routes = oi_near_cache_new("routes", cfg->near.max_bytes, cfg->near.max_age_ms);
    gw->route_memo = oi_route_memo_new(gw->near_routes, gw_render_resolve_body);
    gw->near_routes_form = oi_near_cache_new("routes_form", half, cfg->near.max_age_ms);
    gw->route_memo_form = oi_route_memo_new(gw->near_routes_form, gw_render_resolve_form);
    gw->near_bus = oi_near_bus_new(gw->loop, cfg->redis_host, cfg->redis_port);
    oi_near_bus_attach(gw->near_bus, OI_NEAR_CHANNEL_NUMBERS, gw->near_numbers);
    oi_near_bus_attach(gw->near_bus, OI_NEAR_CHANNEL_ROUTES, gw->near_routes);
    oi_near_bus_attach(gw->near_bus, OI_NEAR_CHANNEL_ROUTES, gw->near_routes_form);
    oi_near_bus_start(gw->near_bus);
}

#define IDEM_PURGE_SQL                                                                                  \
    "DELETE FROM gateway.idempotency_keys WHERE ctid = ANY (ARRAY(SELECT ctid FROM gateway.idempotency_keys " \
    "WHERE created_at < now() - $1::text::interval LIMIT 1000))"
/* UUIDv7: the first 48 bits are the Unix milliseconds, so the ids below the cutoff's are older */
#define AUDIT_PURGE_SQL                                                                                 \
    "DELETE FROM gateway.audit_events WHERE id = ANY (ARRAY(SELECT id FROM gateway.audit_events WHERE id < " \
    "(lpad(to_hex((extract(epoch FROM now() - $1::text::interval) * 1000)::bigint), 12, '0') || "      \
    "'00000000000000000000')::uuid ORDER BY id LIMIT 1000))"

gw_t *gw_start(oi_service_t *svc)
{
    gw_t *gw = oi_xcalloc(1, sizeof *gw);
    gw->loop = oi_service_loop(svc);
    gw_config_t cfg = {0};
    read_config(oi_service_config(svc), gw, &cfg);
    if (!oi_config_check(oi_service_config(svc))) {
        free(gw);
        return NULL;
    }
    /* SQL runs on the threadpool with a pooled connection each: as many threads as connections */
    char threads[16];
    snprintf(threads, sizeof threads, "%d", cfg.pool_size);
    setenv("UV_THREADPOOL_SIZE", threads, 0);
    gw->pg = oi_pg_pool_new(cfg.conninfo, cfg.pool_size, 10000);
    oi_pg_pool_name(gw->pg, "requests");
    oi_error_t err;
    oi_error_init(&err);
    if (oi_pg_migrate(gw->pg, "gateway", cfg.migrations, &err)) {
        oi_log_error(&(oi_log_ctx_t){.action = "migrating schema gateway"}, "%s", err.message);
        oi_pg_pool_destroy(&gw->pg);
        free(gw);
        return NULL;
    }
    gw->crypto = oi_crypto_new(cfg.secret_key, cfg.secret_key_previous, &err);
    if (!gw->crypto) {
        oi_log_error(&(oi_log_ctx_t){.action = "reading OI_SECRET_KEY"}, "%s", err.message);
        return NULL;
    }
    oi_reseal_start(gw->loop, cfg.conninfo, cfg.secret_key, cfg.secret_key_previous, GW_SEALED_ANSWERS,
                    GW_SEALED_ANSWER_COLUMNS);
    if ((cfg.jwt.public_key_file[0] || cfg.jwt.jwks_file[0]) && !(gw->jwt = gw_jwt_new(&cfg.jwt, &err))) {
        oi_log_error(&(oi_log_ctx_t){.action = "loading the dashboard JWT keys"}, "%s", err.message);
        return NULL;
    }
    if (!connect_clients(gw, &cfg))
        return NULL;
    char age[32];
    snprintf(age, sizeof age, "%d hours", cfg.idem_ttl_hours);
    gw->idem_purge = gw_purge_new(gw, cfg.conninfo, "idempotency records", IDEM_PURGE_SQL, age, cfg.idem_purge_ms);
    snprintf(age, sizeof age, "%d days", cfg.audit_retention_days);
    gw->audit_purge = gw_purge_new(gw, cfg.conninfo, "audit events", AUDIT_PURGE_SQL, age, cfg.idem_purge_ms);
    gw->idem_db = gw_idem_db_new(gw->loop, cfg.conninfo);
    gw->audit_writer = gw_audit_writer_new(gw->loop, cfg.conninfo);
    gw->audit_pending = gw_audit_pending_new(gw, cfg.conninfo);
    gw_audit_writer_on_draft(gw->audit_writer, gw_audit_pending_watch_retried, gw->audit_pending);
    open_near_caches(gw, &cfg);
    gw->redis = oi_redis_new(gw->loop, cfg.redis_host, cfg.redis_port, GW_REDIS_TIMEOUT_MS);
    gw->rate = gw_rate_new(gw->redis);
    gw->auth = gw_auth_cache_new(5000);
    gw->health = gw_health_new(gw);
    gw->access = gw_access_metrics_new();
    gw->http = oi_http_server_new(gw->loop, &cfg.http, gw_http_on_request, gw);
    int rc = oi_http_server_listen(gw->http, cfg.host, cfg.port);
    if (rc) {
        oi_log_error(&(oi_log_ctx_t){.action = "listening"}, "cannot listen on %s:%d: %s", cfg.host, cfg.port,
                     uv_strerror(rc));
        return NULL;
    }
    if (!oi_service_start_ops(svc, cfg.ops_port, gw_health_ready, gw))
        return NULL;
    oi_log_info(&(oi_log_ctx_t){.action = "starting"}, "listening on http://%s:%d", cfg.host, cfg.port);
    return gw;
}

typedef struct {
    oi_service_t *svc;
    gw_t *gw;
} drain_t;

static void on_http_closed(void *ud)
{
    drain_t *d = ud;
    gw_t *gw = d->gw;
    gw_health_close(&gw->health);
    gw_purge_close(&gw->idem_purge);
    gw_purge_close(&gw->audit_purge);
    gw_audit_writer_close(&gw->audit_writer);
    gw_idem_db_close(&gw->idem_db);
    gw_audit_pending_close(&gw->audit_pending); /* before the clients that fail its waits */
    oi_rpc_client_close(&gw->provisioning);
    oi_rpc_client_close(&gw->dispatch);
    oi_rpc_client_close(&gw->carrier);
    oi_http_server_destroy(&gw->http);
    oi_pg_pool_destroy(&gw->pg);
    gw_auth_cache_destroy(&gw->auth);
    oi_redis_close(&gw->redis); /* no request is left to wait on a rate check */
    gw_rate_destroy(&gw->rate);
    oi_crypto_destroy(&gw->crypto);
    gw_jwt_destroy(&gw->jwt);
    oi_near_bus_close(&gw->near_bus);
    oi_near_cache_destroy(&gw->near_numbers); /* requests still filling them end later: freed then */
    oi_near_cache_destroy(&gw->near_routes);
    oi_route_memo_destroy(&gw->route_memo);
    oi_near_cache_destroy(&gw->near_routes_form);
    oi_route_memo_destroy(&gw->route_memo_form);
    gw_access_metrics_destroy(&gw->access);
    oi_service_drained(d->svc);
    free(gw);
    free(d);
}

void gw_on_drain(oi_service_t *svc, bool force, void *ud)
{
    gw_t *gw = ud;
    if (force || gw->draining)
        return; /* the grace timer fired: the loop is closed around whatever is left */
    gw->draining = true;
    drain_t *d = oi_xcalloc(1, sizeof *d);
    d->svc = svc;
    d->gw = gw;
    oi_http_server_close(gw->http, on_http_closed, d);
}
