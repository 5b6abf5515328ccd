/* prov.h: the oi-provisioning service state shared by its modules (one per process). */
#ifndef PROV_PROV_H
#define PROV_PROV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "oi/crypto.h"
#include "oi/pg.h"
#include "oi/rpc.h"
#include "oi/service.h"

typedef struct prov_runner prov_runner_t;
typedef struct prov_remote prov_remote_t;

typedef struct prov {
    uv_loop_t *loop;                /* borrowed from the service */
    oi_service_t *svc;              /* borrowed */
    oi_pg_pool_t *pg;               /* owned: RPC handlers' connections (OI_PG_POOL_SIZE) */
    oi_pg_pool_t *pg_jobs;          /* owned: the runners' own (workers + heartbeat), so jobs
                                     * and requests never starve each other */
    oi_crypto_t *crypto;            /* owned */
    oi_rpc_server_t *rpc;           /* owned */
    prov_runner_t *runner;          /* owned */
    const char *secret_key;         /* borrowed (environ): keys the idempotency hashes */
    const char *dispatch_endpoints; /* borrowed (environ) */
    const char *carrier_endpoints;  /* borrowed (environ) */
    const char *purchase_carrier;   /* "twilio" | "telnyx" */
    char owner[96];                 /* lease owner: host/pid/random, unique per process */
    int pg_acquire_ms;
    uint32_t rpc_timeout_ms;
    int workers;                    /* runner threads */
    int lease_ms;
    int max_attempts;
    int poll_ms;
    int backoff_base_ms;
    int backoff_cap_ms;
    int pending_max_s;              /* how long a carrier order may stay pending */
    pthread_key_t remote_key;       /* per-thread blocking RPC clients */
    pthread_mutex_t remote_mu;      /* guards remotes */
    prov_remote_t *remotes;         /* every thread's clients, closed at drain */
    bool draining;
} prov_t;

#define PROV_PG_STATEMENT_TIMEOUT_MS 5000

/* Pooled connection for RPC handlers (threadpool threads). */
oi_status_t prov_db_acquire(prov_t *p, PGconn **out, oi_error_t *err);
void prov_db_release(prov_t *p, PGconn **c);
/* Pooled connection for runner threads, from their own pool. */
oi_status_t prov_db_acquire_runner(prov_t *p, PGconn **out, oi_error_t *err);
void prov_db_release_runner(prov_t *p, PGconn **c);

#endif
