/* prov.h: the oi-provisioning service state shared by its modules (one per process).
 *
 * Everything runs on the one loop: RPC handlers, jobs (their steps call oi-dispatch and
 * oi-carrier asynchronously and reach PostgreSQL through the pipeline), waiters and the engine's
 * timers. No thread is parked on anything. */
#ifndef PROV_PROV_H
#define PROV_PROV_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "job_policy.h"
#include "oi/crypto.h"
#include "oi/pg_coalesce.h"
#include "oi/pg_listen.h"
#include "oi/pg_pipeline.h"
#include "oi/rpc.h"
#include "oi/service.h"

typedef struct prov_engine prov_engine_t;
typedef struct prov_waiters prov_waiters_t;
typedef struct prov_announcer prov_announcer_t;
typedef struct prov_retention prov_retention_t;
typedef struct prov_quarantine prov_quarantine_t;
typedef struct prov_drift prov_drift_t;
typedef struct prov_row_cache prov_row_cache_t;

typedef struct prov {
    uv_loop_t *loop;                /* borrowed from the service */
    oi_service_t *svc;              /* borrowed */
    oi_pg_pipeline_t *pg;           /* owned: every statement of the service */
    oi_pg_coalesce_t *number_reads; /* owned: PATCH's reads of the number, many per statement */
    oi_pg_coalesce_t *update_writes;/* owned: PATCH's writes (row + job), many per statement */
    prov_row_cache_t *rows;         /* owned: the rows PATCHes read and wrote last (a hint) */
    struct oi_near_bus *near_bus;   /* owned: other replicas' announcements drop rows kept here */
    oi_pg_coalesce_t *activations;  /* owned: numbers made active with their jobs' success */
    oi_pg_coalesce_t *registrations;/* owned: registrations' jobs and reservations */
    oi_pg_listener_t *listener;     /* owned: LISTEN oi_jobs (other replicas' wake-ups) */
    oi_crypto_t *crypto;            /* owned */
    oi_rpc_server_t *rpc;           /* owned */
    oi_rpc_client_t *dispatch;      /* owned: calls to oi-dispatch */
    oi_rpc_client_t *carrier;       /* owned: calls to oi-carrier */
    prov_engine_t *engine;          /* owned: lanes, claims, leases */
    prov_waiters_t *waiters;        /* owned: calls waiting for jobs to end */
    prov_announcer_t *announcer;    /* owned: number changes told to every replica's near caches */
    prov_retention_t *retention;    /* owned: clears what finished jobs keep past OI_JOB_RETENTION_DAYS */
    struct oi_pg_analyze *analyze;  /* owned: statistics of tables that grew fast (oi/pg_analyze.h) */
    int retention_days, retention_purge_ms;
    prov_quarantine_t *quarantine;  /* owned: releases purchased numbers whose quarantine ended */
    int quarantine_hours;           /* OI_RELEASE_QUARANTINE_HOURS: 0 releases at once */
    int quarantine_sweep_ms;
    prov_drift_t *drift;            /* owned: carrier accounts compared with our rows */
    int drift_check_ms;             /* OI_DRIFT_CHECK_MS: 0 checks only when asked */
    const char *secret_key;         /* borrowed (environ): keys the idempotency hashes */
    const char *secret_key_previous; /* borrowed (environ): OI_SECRET_KEY_PREVIOUS, still opens */
    const char *purchase_carrier;   /* "twilio" | "telnyx" */
    char owner[96];                 /* lease owner: host/pid/random, unique per process */
    uint32_t rpc_timeout_ms;        /* calls to oi-dispatch */
    uint32_t carrier_timeout_ms;    /* calls to oi-carrier: long, a slow carrier is not a failure */
    int lease_ms;
    int max_attempts;
    int backoff_base_ms;
    int backoff_cap_ms;
    int pending_max_s;              /* how long a carrier order may stay pending */
    int sweep_ms;                   /* how often idle replicas look for orphaned or due jobs */
    int lane_cap[PROV_LANE__COUNT]; /* jobs run at once per lane */
    int search_max;                 /* searches in flight per carrier */
    int quota_numbers;              /* numbers a workspace may hold (quota.h), 0: no quota */
    int quota_purchases_per_day;    /* purchases per workspace per 24 h, 0: no quota */
    int search_inflight[PROV_LANE__COUNT];
    bool draining;
} prov_t;

#define PROV_PG_STATEMENT_TIMEOUT_MS 5000
/* Shared statements out at once per kind (oi/pg_coalesce.h): one. The other kinds keep the other
 * connections busy, and the rows that gather while it runs go out together next: an execution
 * costs PostgreSQL about 0.1-0.3 ms however few its rows (the executor start of a writable CTE,
 * its parameters, its commit), so a PATCH load spent an eighth more of the database's CPU with
 * four out at once, for smaller batches and a longer tail. */
#define PROV_COALESCE_IN_FLIGHT 1
/* A busy moment's rows linger for others (oi_pg_coalesce_config_t.linger_ms, oi/linger.h): under a
 * PATCH load at 64 connections, 2 ms / 20 rows took the PATCH statements from ~12 rows an
 * execution to ~20-27 and PostgreSQL's CPU per PATCH down by a tenth, p99 unchanged (~18 ms). */
#define PROV_COALESCE_LINGER_MS 2
#define PROV_COALESCE_LINGER_ROWS 20
/* What every coalesced statement of the service is given (oi_pg_coalesce_config_t members). */
#define PROV_COALESCE_TUNING                                                                           \
    .max_in_flight = PROV_COALESCE_IN_FLIGHT, .linger_ms = PROV_COALESCE_LINGER_MS,                    \
    .linger_rows = PROV_COALESCE_LINGER_ROWS
#define PROV_NOTIFY_CHANNEL "oi_jobs"

#endif
