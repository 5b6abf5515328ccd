/* provisioning.c: configuration → modules, the method table, readiness and the drain sequence. */
#define OI_LOG_TAG "prov.main"
#include "provisioning.h"
#include "sealed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "announce.h"
#include "calls.h"
#include "engine.h"
#include "job_retention.h"
#include "quarantine.h"
#include "row_cache.h"
#include "drift.h"
#include "integrations.h"
#include "jobs_rpc.h"
#include "numbers_db.h"
#include "oi/clock.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/near_bus.h"
#include "oi/pg.h"
#include "oi/pg_analyze.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "submit_db.h"
#include "waiters.h"

static const oi_pg_stmt_t ANALYZE_GROWN = {"prov_analyze_grown", "SELECT provisioning.analyze_grown($1::int)", 1};

#define DRAIN_POLL_MS 20
#define DRAIN_MARGIN_MS 1000 /* runs still going this close to the grace are left to their leases */

/* Answered from the service's own state: no query, whatever the load. */
static void ping(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    (void)req;
    prov_t *p = ctx->ud;
    if (!oi_pg_pipeline_healthy(p->pg)) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_UNAVAILABLE, "database unreachable");
        prov_call_fail(call, OI_UNAVAILABLE, &e);
        return;
    }
    Oneinbox__V1__Empty empty = ONEINBOX__V1__EMPTY__INIT;
    oi_rpc_call_reply(&call, OI_OK, NULL, &empty.base);
}

/* one row per method of service Provisioning (provisioning.proto); every one runs on the loop */
static const oi_rpc_method_t methods[] = {
    {"Ping", NULL, ping},
    {"RegisterNumber", NULL, prov_rpc_register},
    {"PurchaseNumber", NULL, prov_rpc_purchase},
    {"UpdateNumber", NULL, prov_rpc_update},
    {"DeleteNumber", NULL, prov_rpc_delete},
    {"WaitJob", NULL, prov_rpc_wait_job},
    {"GetJob", NULL, prov_rpc_get_job},
    {"ListJobs", NULL, prov_rpc_list_jobs},
    {"RetryJob", NULL, prov_rpc_retry_job},
    {"CancelJob", NULL, prov_rpc_cancel_job},
    {"GetNumber", NULL, prov_rpc_get_number},
    {"ListNumbers", NULL, prov_rpc_list_numbers},
    {"SearchNumbers", NULL, prov_rpc_search_numbers},
    {"CreateIntegration", NULL, prov_integration_create},
    {"GetIntegration", NULL, prov_integration_get},
    {"ListIntegrations", NULL, prov_integration_list},
    {"DeleteIntegration", NULL, prov_integration_delete},
    {"CheckDrift", NULL, prov_rpc_check_drift},
    {"ListDrift", NULL, prov_rpc_list_drift},
    {"ResolveDrift", NULL, prov_rpc_resolve_drift},
};

const oi_rpc_method_t *prov_methods(size_t *n)
{
    *n = sizeof methods / sizeof methods[0];
    return methods;
}

typedef struct {
    const char *bind;
    int ops_port;
    const char *conninfo;
    int connections;
    int queue_timeout_ms;
    const char *migrations;
    const char *dispatch_endpoints;
    const char *carrier_endpoints;
    const char *redis_host;
    int redis_port;
    uint32_t redis_timeout_ms;
    size_t row_cache_bytes;
} prov_config_t;

static void read_config(oi_config_t *c, prov_t *p, prov_config_t *cfg)
{
    cfg->bind = oi_config_str(c, "OI_RPC_BIND", "tcp://127.0.0.1:7201");
    cfg->ops_port = (int)oi_config_int(c, "OI_OPS_PORT", 9201, 0, 65535);
    cfg->conninfo = oi_config_str_required(c, "OI_PG_CONNINFO");
    cfg->connections = (int)oi_config_int(c, "OI_PG_POOL_SIZE", 4, 1, 64);
    cfg->queue_timeout_ms = (int)oi_config_int(c, "OI_PG_ACQUIRE_TIMEOUT_MS", 2000, 10, 60000);
    cfg->migrations = oi_config_str(c, "OI_MIGRATIONS_DIR", PROV_MIGRATIONS_DEFAULT);
    cfg->dispatch_endpoints = oi_config_str(c, "OI_DISPATCH_ENDPOINTS", "tcp://127.0.0.1:7301");
    cfg->carrier_endpoints = oi_config_str(c, "OI_CARRIER_ENDPOINTS", "tcp://127.0.0.1:7401");
    cfg->redis_host = oi_config_str(c, "OI_REDIS_HOST", "127.0.0.1");
    cfg->redis_port = (int)oi_config_int(c, "OI_REDIS_PORT", 26379, 1, 65535);
    cfg->redis_timeout_ms = (uint32_t)oi_config_int(c, "OI_REDIS_TIMEOUT_MS", 1000, 1, 10000);
    cfg->row_cache_bytes = (size_t)oi_config_int(c, "OI_PROV_ROW_CACHE_BYTES", 16 << 20, 0, (int64_t)1 << 32);
    p->secret_key = oi_config_str_required(c, "OI_SECRET_KEY");
    p->secret_key_previous = oi_config_str(c, "OI_SECRET_KEY_PREVIOUS", "");
    p->purchase_carrier = oi_config_str(c, "OI_PURCHASE_CARRIER", "twilio");
    if (strcmp(p->purchase_carrier, "twilio") != 0 && strcmp(p->purchase_carrier, "telnyx") != 0)
        oi_config_fail(c, "OI_PURCHASE_CARRIER", "must be twilio or telnyx");
    p->rpc_timeout_ms = (uint32_t)oi_config_int(c, "OI_RPC_TIMEOUT_MS", 5000, 100, 600000);
    p->carrier_timeout_ms = (uint32_t)oi_config_int(c, "OI_CARRIER_CALL_TIMEOUT_MS", 30000, 100, 600000);
    p->lease_ms = (int)oi_config_int(c, "OI_JOB_LEASE_MS", 15000, 500, 600000);
    p->sweep_ms = (int)oi_config_int(c, "OI_JOB_SWEEP_MS", p->lease_ms, 100, 600000);
    p->max_attempts = (int)oi_config_int(c, "OI_JOB_MAX_ATTEMPTS", 20, 1, 1000);
    p->backoff_base_ms = (int)oi_config_int(c, "OI_JOB_BACKOFF_BASE_MS", 500, 1, 600000);
    p->backoff_cap_ms = (int)oi_config_int(c, "OI_JOB_BACKOFF_CAP_MS", 30000, 1, 3600000);
    p->pending_max_s = (int)oi_config_int(c, "OI_CARRIER_PENDING_MAX_S", 900, 1, 86400);
    p->lane_cap[PROV_LANE_LOCAL] = (int)oi_config_int(c, "OI_JOB_LOCAL_CONCURRENCY", 512, 1, 100000);
    int carrier_cap = (int)oi_config_int(c, "OI_JOB_CARRIER_CONCURRENCY", 32, 1, 10000);
    p->lane_cap[PROV_LANE_TWILIO] = p->lane_cap[PROV_LANE_TELNYX] = carrier_cap;
    p->search_max = (int)oi_config_int(c, "OI_SEARCH_MAX_INFLIGHT", 64, 1, 10000);
    p->quota_numbers = (int)oi_config_int(c, "OI_QUOTA_NUMBERS", 0, 0, 100000000);
    p->quota_purchases_per_day = (int)oi_config_int(c, "OI_QUOTA_PURCHASES_PER_DAY", 100, 0, 100000000);
    p->retention_days = (int)oi_config_int(c, "OI_JOB_RETENTION_DAYS", 30, 1, 3650);
    p->retention_purge_ms = (int)oi_config_int(c, "OI_JOB_RETENTION_PURGE_MS", 3600000, 100, 86400000);
    p->quarantine_hours = (int)oi_config_int(c, "OI_RELEASE_QUARANTINE_HOURS", 72, 0, 8760);
    p->quarantine_sweep_ms = (int)oi_config_int(c, "OI_RELEASE_QUARANTINE_SWEEP_MS", 300000, 100, 86400000);
    p->drift_check_ms = (int)oi_config_int(c, "OI_DRIFT_CHECK_MS", 3600000, 0, 604800000);
}

static void make_owner(prov_t *p)
{
    char host[64] = "host", rnd[OI_UUID_STR_LEN + 1];
    gethostname(host, sizeof host - 1);
    oi_uuid_new(rnd);
    snprintf(p->owner, sizeof p->owner, "%s/%d/%.8s", host, (int)getpid(), rnd);
}

/* Migrations run once at start on a connection of their own (blocking: the loop is not running). */
static bool migrate(const prov_config_t *cfg)
{
    oi_error_t err;
    oi_error_init(&err);
    oi_pg_pool_t *pool = oi_pg_pool_new(cfg->conninfo, 1, PROV_PG_STATEMENT_TIMEOUT_MS * 6);
    oi_status_t rc = oi_pg_migrate(pool, "provisioning", cfg->migrations, &err);
    oi_pg_pool_destroy(&pool);
    if (rc)
        oi_log_error(&(oi_log_ctx_t){.action = "migrating schema provisioning"}, "%s", err.message);
    return rc == OI_OK;
}

static void on_notify(const char *payload, void *ud)
{
    prov_t *p = ud;
    bool done = strncmp(payload, "done:", 5) == 0;
    oi_metric_inc("oi_provisioning_notifications_total", done ? "kind=\"done\"" : "kind=\"work\"", 1);
    if (done)
        prov_waiters_poke(p->waiters, payload + 5);
    else
        prov_engine_on_notify(p->engine, payload);
}

/* gauges sampled when /metrics is rendered */
static void on_metrics(void *ud)
{
    prov_t *p = ud;
    if (p->draining)
        return;
    oi_metric_set("oi_provisioning_waiters", "", (double)prov_waiters_count(p->waiters));
    for (int i = 0; i < PROV_LANE__COUNT; i++) {
        char labels[32];
        snprintf(labels, sizeof labels, "lane=\"%s\"", prov_lane_name((prov_lane_t)i));
        oi_metric_set("oi_provisioning_jobs_running", labels, prov_engine_running_in(p->engine, (prov_lane_t)i));
    }
}

static void metrics_help(prov_t *p)
{
    oi_metric_help("oi_provisioning_notifications_total", "counter",
                   "NOTIFY oi_jobs received from other replicas (done: a watched job ended; work: new work)");
    oi_metric_inc("oi_provisioning_notifications_total", "kind=\"done\"", 0);
    oi_metric_inc("oi_provisioning_notifications_total", "kind=\"work\"", 0);
    oi_metric_help("oi_provisioning_waiters", "gauge", "calls waiting for a job to end (no thread each)");
    oi_metric_help("oi_provisioning_jobs_running", "gauge", "jobs running here, by lane");
    oi_metrics_on_render(on_metrics, p);
}

static void on_resync(void *ud)
{
    prov_t *p = ud;
    prov_waiters_poke_all(p->waiters); /* an end may have been announced while we did not listen */
    prov_engine_resync(p->engine);
}

static bool open_clients(prov_t *p, const prov_config_t *cfg)
{
    oi_error_t err;
    oi_error_init(&err);
    p->dispatch = oi_rpc_client_new_to(p->loop, cfg->dispatch_endpoints, &oneinbox__v1__dispatch__descriptor, &err);
    if (p->dispatch)
        p->carrier = oi_rpc_client_new_to(p->loop, cfg->carrier_endpoints, &oneinbox__v1__carrier__descriptor, &err);
    if (!p->dispatch || !p->carrier) {
        oi_log_error(&(oi_log_ctx_t){.action = "connecting RPC clients"}, "%s", err.message);
        return false;
    }
    return true;
}

static bool open_modules(prov_t *p, const prov_config_t *cfg)
{
    oi_error_t err;
    oi_error_init(&err);
    p->crypto = oi_crypto_new(p->secret_key, p->secret_key_previous, &err);
    if (!p->crypto) {
        oi_log_error(&(oi_log_ctx_t){.action = "reading OI_SECRET_KEY"}, "%s", err.message);
        return false;
    }
    if (!migrate(cfg))
        return false;
    oi_reseal_start(p->loop, cfg->conninfo, p->secret_key, p->secret_key_previous, PROV_SEALED_COLUMNS,
                    PROV_SEALED_COLUMNS_N);
    p->pg = oi_pg_pipeline_new(p->loop, &(oi_pg_pipeline_config_t){.conninfo = cfg->conninfo,
                                                                    .connections = cfg->connections,
                                                                    .statement_timeout_ms = PROV_PG_STATEMENT_TIMEOUT_MS,
                                                                    .queue_timeout_ms = cfg->queue_timeout_ms,
                                                                    .name = "requests"});
    p->number_reads = prov_number_reads_new(p);
    p->near_bus = oi_near_bus_new(p->loop, cfg->redis_host, cfg->redis_port);
    p->rows = prov_row_cache_new(cfg->row_cache_bytes, p->near_bus, p->owner);
    oi_near_bus_start(p->near_bus);
    p->update_writes = prov_update_writes_new(p);
    p->activations = prov_number_activations_new(p);
    p->registrations = prov_registrations_new(p);
    if (!open_clients(p, cfg))
        return false;
    p->waiters = prov_waiters_new(p->loop);
    p->announcer = prov_announcer_new(p->loop, cfg->redis_host, cfg->redis_port, cfg->redis_timeout_ms, p->owner);
    p->engine = prov_engine_new(p);
    p->listener = oi_pg_listener_new(p->loop, cfg->conninfo, PROV_NOTIFY_CHANNEL, on_notify, on_resync, p);
    p->rpc = oi_rpc_server_new(p->loop, &oneinbox__v1__provisioning__descriptor, methods,
                               sizeof methods / sizeof methods[0], p);
    if (oi_rpc_server_bind(p->rpc, cfg->bind, &err)) {
        oi_log_error(&(oi_log_ctx_t){.action = "binding the RPC socket"}, "%s: %s", cfg->bind, err.message);
        return false;
    }
    prov_engine_start(p->engine);
    p->retention = prov_retention_new(p, p->retention_days, p->retention_purge_ms);
    p->quarantine = prov_quarantine_new(p, p->quarantine_sweep_ms);
    p->drift = prov_drift_new(p, p->drift_check_ms);
    p->analyze = oi_pg_analyze_new(p->loop, p->pg, &ANALYZE_GROWN, OI_PG_ANALYZE_INTERVAL_MS);
    metrics_help(p);
    return true;
}

static oi_ops_readiness_t prov_ready(void *ud, char *detail, size_t n)
{
    prov_t *p = ud;
    if (p->draining) {
        snprintf(detail, n, "draining");
        return OI_OPS_UNREADY;
    }
    if (!oi_pg_pipeline_healthy(p->pg)) {
        snprintf(detail, n, "postgresql unreachable");
        return OI_OPS_UNREADY;
    }
    if (!oi_pg_listener_listening(p->listener)) {
        snprintf(detail, n, "not listening for other replicas' jobs yet");
        return OI_OPS_DEGRADED;
    }
    return OI_OPS_READY;
}

prov_t *prov_start(oi_service_t *svc)
{
    setenv("UV_THREADPOOL_SIZE", "1", 0); /* nothing here runs on the threadpool */
    prov_t *p = oi_xcalloc(1, sizeof *p);
    p->svc = svc;
    p->loop = oi_service_loop(svc);
    make_owner(p);
    prov_config_t cfg;
    read_config(oi_service_config(svc), p, &cfg);
    if (!oi_config_check(oi_service_config(svc)) || !open_modules(p, &cfg))
        return NULL; /* the process exits: the OS reclaims what was opened */
    if (!oi_service_start_ops(svc, cfg.ops_port, prov_ready, p))
        return NULL;
    oi_log_info(&(oi_log_ctx_t){.action = "starting"},
                "serving %s as %s (buys on %s; lanes local %d, carriers %d each)", cfg.bind, p->owner,
                p->purchase_carrier, p->lane_cap[PROV_LANE_LOCAL], p->lane_cap[PROV_LANE_TWILIO]);
    return p;
}

/* --- drain: refuse new calls → runs finish (or are left to their leases) → waits answered →
 *     successes written → clients, listener, pipeline closed → drained ------------------------- */

typedef struct {
    uv_timer_t timer;
    prov_t *p;
    int64_t give_up_ms;        /* monotonic: runs still going then are left to their leases */
    bool rpc_done, engine_closed;
} drain_t;

static void on_drain_timer_closed(uv_handle_t *h) { free(h->data); }

static void on_pg_closed(void *ud)
{
    prov_t *p = ud;
    oi_service_t *svc = p->svc;
    prov_waiters_close(&p->waiters);
    oi_crypto_destroy(&p->crypto);
    prov_row_cache_destroy(&p->rows);
    free(p);
    oi_log_info(&(oi_log_ctx_t){.action = "draining"}, "drained");
    oi_service_drained(svc);
}

static void finish(drain_t *d)
{
    prov_t *p = d->p;
    oi_rpc_client_close(&p->dispatch); /* pending calls fail now: searches answer, left runs are freed */
    oi_rpc_client_close(&p->carrier);
    oi_rpc_server_destroy(&p->rpc);
    oi_pg_listener_close(&p->listener);
    prov_announcer_close(&p->announcer);
    oi_near_bus_close(&p->near_bus);
    uv_close((uv_handle_t *)&d->timer, on_drain_timer_closed);
    oi_pg_coalesce_close(&p->number_reads); /* empty by now: every call was answered */
    oi_pg_coalesce_close(&p->update_writes);
    oi_pg_coalesce_close(&p->activations);
    oi_pg_coalesce_close(&p->registrations);
    oi_pg_pipeline_close(&p->pg, on_pg_closed, p);
}

static void on_drain_poll(uv_timer_t *t)
{
    drain_t *d = t->data;
    prov_t *p = d->p;
    if (!d->engine_closed) {
        if (prov_engine_running(p->engine) > 0 && oi_clock_mono_ms() < d->give_up_ms)
            return;
        prov_waiters_cancel_all(p->waiters); /* what still waits is answered with its job as it is */
        prov_quarantine_close(&p->quarantine);
        prov_drift_close(&p->drift);
        prov_engine_close(&p->engine);       /* writes the successes it holds, leaves the rest to leases */
        prov_retention_close(&p->retention);
        oi_pg_analyze_close(&p->analyze);
        d->engine_closed = true;
    }
    /* the success writes and the answers' reads are done before the pipeline closes */
    if (!d->rpc_done || (oi_pg_pipeline_pending(p->pg) > 0 && oi_clock_mono_ms() < d->give_up_ms + DRAIN_MARGIN_MS))
        return;
    uv_timer_stop(t);
    finish(d);
}

static void on_rpc_drained(void *ud)
{
    drain_t *d = ud;
    d->rpc_done = true;
}

void prov_on_drain(oi_service_t *svc, bool force, void *ud)
{
    prov_t *p = ud;
    if (force || p->draining)
        return; /* the grace timer fired: the loop is closed around whatever is left */
    p->draining = true;
    oi_metrics_off_render(on_metrics, p);
    drain_t *d = oi_xcalloc(1, sizeof *d);
    d->p = p;
    uint32_t grace = oi_service_grace_ms(svc);
    d->give_up_ms = oi_clock_mono_ms() + (grace > 2 * DRAIN_MARGIN_MS ? grace - 2 * DRAIN_MARGIN_MS : grace / 2);
    uv_timer_init(p->loop, &d->timer);
    d->timer.data = d;
    prov_engine_stop(p->engine);
    oi_rpc_server_drain(p->rpc, grace, on_rpc_drained, d);
    uv_timer_start(&d->timer, on_drain_poll, DRAIN_POLL_MS, DRAIN_POLL_MS);
}
