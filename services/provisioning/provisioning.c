/* provisioning.c: configuration → modules, the method table, readiness and the drain sequence. */
#define OI_LOG_TAG "prov.main"
#include "provisioning.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "integrations.h"
#include "jobs_rpc.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "remote.h"
#include "runner.h"


#define DRAIN_POLL_MS 20

oi_status_t prov_db_acquire(prov_t *p, PGconn **out, oi_error_t *err)
{
    return oi_pg_pool_acquire(p->pg, p->pg_acquire_ms, out, err);
}

void prov_db_release(prov_t *p, PGconn **c) { oi_pg_pool_release(p->pg, c); }

oi_status_t prov_db_acquire_runner(prov_t *p, PGconn **out, oi_error_t *err)
{
    return oi_pg_pool_acquire(p->pg_jobs, p->pg_acquire_ms, out, err);
}

void prov_db_release_runner(prov_t *p, PGconn **c) { oi_pg_pool_release(p->pg_jobs, c); }

static oi_status_t ping(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                        oi_error_t *err)
{
    (void)req;
    prov_t *p = ctx->ud;
    PGconn *c = NULL;
    oi_status_t rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = oi_pg_exec(c, "SELECT 1", 0, NULL, NULL, err);
    prov_db_release(p, &c);
    if (rc)
        return oi_error_set(err, OI_UNAVAILABLE, "database unreachable");
    Oneinbox__V1__Empty *e = oi_xmalloc(sizeof *e);
    oneinbox__v1__empty__init(e);
    *reply = &e->base;
    return OI_OK;
}

#define M(name, msg, fn) {"provisioning." name, &oneinbox__v1__##msg##__descriptor, fn, NULL}
static const oi_rpc_method_t methods[] = {
    M("Ping", empty, ping),
    M("RegisterNumber", register_number_request, prov_rpc_register),
    M("PurchaseNumber", purchase_number_request, prov_rpc_purchase),
    M("UpdateNumber", update_number_request, prov_rpc_update),
    M("DeleteNumber", number_id_request, prov_rpc_delete),
    M("WaitJob", job_id_request, prov_rpc_wait_job),
    M("GetJob", job_id_request, prov_rpc_get_job),
    M("ListJobs", list_jobs_request, prov_rpc_list_jobs),
    M("RetryJob", job_id_request, prov_rpc_retry_job),
    M("CancelJob", job_id_request, prov_rpc_cancel_job),
    M("GetNumber", number_id_request, prov_rpc_get_number),
    M("ListNumbers", list_numbers_request, prov_rpc_list_numbers),
    M("SearchNumbers", search_numbers_request, prov_rpc_search_numbers),
    M("CreateIntegration", create_integration_request, prov_integration_create),
    M("GetIntegration", integration_id_request, prov_integration_get),
    M("ListIntegrations", list_request, prov_integration_list),
    M("DeleteIntegration", integration_id_request, prov_integration_delete),
};
#undef M

typedef struct {
    const char *bind;
    int ops_port;
    const char *conninfo;
    int pool_size;
    const char *migrations;
} prov_config_t;

static void read_config(oi_config_t *c, prov_t *p, prov_config_t *cfg)
{
    cfg->bind = oi_config_str(c, "OI_RPC_BIND", "tcp://127.0.0.1:7201");
    cfg->ops_port = (int)oi_config_int(c, "OI_OPS_PORT", 9201, 0, 65535);
    cfg->conninfo = oi_config_str_required(c, "OI_PG_CONNINFO");
    cfg->pool_size = (int)oi_config_int(c, "OI_PG_POOL_SIZE", 8, 1, 256);
    cfg->migrations = oi_config_str(c, "OI_MIGRATIONS_DIR", PROV_MIGRATIONS_DEFAULT);
    p->secret_key = oi_config_str_required(c, "OI_SECRET_KEY");
    p->dispatch_endpoints = oi_config_str(c, "OI_DISPATCH_ENDPOINTS", "tcp://127.0.0.1:7301");
    p->carrier_endpoints = oi_config_str(c, "OI_CARRIER_ENDPOINTS", "tcp://127.0.0.1:7401");
    p->purchase_carrier = oi_config_str(c, "OI_PURCHASE_CARRIER", "twilio");
    if (strcmp(p->purchase_carrier, "twilio") != 0 && strcmp(p->purchase_carrier, "telnyx") != 0)
        oi_config_fail(c, "OI_PURCHASE_CARRIER", "must be twilio or telnyx");
    p->pg_acquire_ms = (int)oi_config_int(c, "OI_PG_ACQUIRE_TIMEOUT_MS", 2000, 10, 60000);
    p->rpc_timeout_ms = (uint32_t)oi_config_int(c, "OI_RPC_TIMEOUT_MS", 5000, 100, 600000);
    p->workers = (int)oi_config_int(c, "OI_JOB_WORKERS", 16, 1, 64);
    p->lease_ms = (int)oi_config_int(c, "OI_JOB_LEASE_MS", 15000, 500, 600000);
    p->max_attempts = (int)oi_config_int(c, "OI_JOB_MAX_ATTEMPTS", 5, 1, 100);
    p->poll_ms = (int)oi_config_int(c, "OI_JOB_POLL_MS", 500, 10, 60000);
    p->backoff_base_ms = (int)oi_config_int(c, "OI_JOB_BACKOFF_BASE_MS", 500, 1, 600000);
    p->backoff_cap_ms = (int)oi_config_int(c, "OI_JOB_BACKOFF_CAP_MS", 30000, 1, 3600000);
    p->pending_max_s = (int)oi_config_int(c, "OI_CARRIER_PENDING_MAX_S", 900, 1, 86400);
}

static void make_owner(prov_t *p)
{
    char host[64] = "host", rnd[OI_UUID_STR_LEN + 1];
    gethostname(host, sizeof host - 1);
    oi_uuid_new(rnd);
    snprintf(p->owner, sizeof p->owner, "%s/%d/%.8s", host, (int)getpid(), rnd);
}

static bool open_modules(prov_t *p, const prov_config_t *cfg)
{
    oi_error_t err;
    oi_error_init(&err);
    p->crypto = oi_crypto_new(p->secret_key, &err);
    if (!p->crypto) {
        oi_log_error(&(oi_log_ctx_t){.action = "reading OI_SECRET_KEY"}, "%s", err.message);
        return false;
    }
    p->pg = oi_pg_pool_new(cfg->conninfo, cfg->pool_size, PROV_PG_STATEMENT_TIMEOUT_MS);
    oi_pg_pool_name(p->pg, "requests");
    if (oi_pg_migrate(p->pg, "provisioning", cfg->migrations, &err)) {
        oi_log_error(&(oi_log_ctx_t){.action = "migrating schema provisioning"}, "%s", err.message);
        return false;
    }
    /* a worker holds its connection while it drains the queue: one each, plus the heartbeat */
    p->pg_jobs = oi_pg_pool_new(cfg->conninfo, p->workers + 1, PROV_PG_STATEMENT_TIMEOUT_MS);
    oi_pg_pool_name(p->pg_jobs, "runners");
    prov_remote_init(p);
    p->runner = prov_runner_new(p);
    if (!prov_runner_start(p->runner)) {
        oi_log_error(&(oi_log_ctx_t){.action = "starting job runners"}, "cannot create runner threads");
        return false;
    }
    p->rpc = oi_rpc_server_new(p->loop, methods, sizeof methods / sizeof methods[0], p);
    if (oi_rpc_server_bind(p->rpc, cfg->bind, &err)) {
        oi_log_error(&(oi_log_ctx_t){.action = "binding the RPC socket"}, "%s: %s", cfg->bind, err.message);
        return false;
    }
    return true;
}

static oi_ops_readiness_t prov_ready(void *ud, char *detail, size_t n)
{
    prov_t *p = ud;
    if (p->draining) {
        snprintf(detail, n, "draining");
        return OI_OPS_UNREADY;
    }
    if (!oi_pg_pool_healthy(p->pg)) {
        snprintf(detail, n, "postgresql unreachable");
        return OI_OPS_UNREADY;
    }
    return OI_OPS_READY;
}

prov_t *prov_start(oi_service_t *svc)
{
    setenv("UV_THREADPOOL_SIZE", "64", 0); /* WaitJob calls park a threadpool thread each */
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
    oi_log_info(&(oi_log_ctx_t){.action = "starting"}, "serving %s with %d job runners as %s (buys on %s)", cfg.bind,
                p->workers, p->owner, p->purchase_carrier);
    return p;
}

/* --- drain: RPC server (in-flight calls answered) → runners finish their job → free ---------- */

typedef struct {
    uv_timer_t timer;
    prov_t *p;
    bool rpc_done;
} drain_t;

static void on_drain_timer_closed(uv_handle_t *h) { free(h->data); }

static void finish(drain_t *d)
{
    prov_t *p = d->p;
    prov_runner_destroy(&p->runner);
    oi_rpc_server_destroy(&p->rpc);
    prov_remote_shutdown(p); /* threadpool threads' clients, before zmq_ctx_term waits on them */
    oi_pg_pool_destroy(&p->pg_jobs);
    oi_pg_pool_destroy(&p->pg);
    oi_crypto_destroy(&p->crypto);
    oi_service_t *svc = p->svc;
    free(p);
    uv_close((uv_handle_t *)&d->timer, on_drain_timer_closed);
    oi_log_info(&(oi_log_ctx_t){.action = "draining"}, "drained");
    oi_service_drained(svc);
}

static void on_drain_poll(uv_timer_t *t)
{
    drain_t *d = t->data;
    if (d->rpc_done && prov_runner_alive(d->p->runner) == 0) {
        uv_timer_stop(t);
        finish(d);
    }
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
    drain_t *d = oi_xcalloc(1, sizeof *d);
    d->p = p;
    uv_timer_init(p->loop, &d->timer);
    d->timer.data = d;
    prov_runner_stop(p->runner);
    oi_rpc_server_drain(p->rpc, oi_service_grace_ms(svc), on_rpc_drained, d);
    uv_timer_start(&d->timer, on_drain_poll, DRAIN_POLL_MS, DRAIN_POLL_MS);
}
