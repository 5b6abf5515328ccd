/* dsp.h: the oi-dispatch service state shared by its modules (one per process). */
#ifndef DSP_DSP_H
#define DSP_DSP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "oi/crypto.h"
#include "oi/near_bus.h"
#include "oi/pg.h"
#include "oi/pg_coalesce.h"
#include "oi/pg_pipeline.h"
#include "oi/redis.h"
#include "oi/rpc.h"
#include "oi/service.h"

typedef struct dsp_cache dsp_cache_t;
typedef struct dsp_flights dsp_flights_t;
typedef struct dsp_policies dsp_policies_t;
typedef struct oi_route_memo oi_route_memo_t;

typedef struct dsp {
    uv_loop_t *loop;           /* borrowed from the service */
    oi_service_t *svc;         /* borrowed */
    oi_pg_pool_t *pg;          /* owned: blocking, for threadpool work (agents, trunk and rule Put/Delete) */
    oi_pg_pipeline_t *pipeline; /* owned: on the loop (ApplyNumber, Resolve, failures) */
    oi_pg_coalesce_t *apply_many; /* owned: ApplyNumber calls sharing statements (apply.h) */
    struct oi_pg_analyze *analyze; /* owned: statistics of tables that grew fast (oi/pg_analyze.h) */
    oi_redis_t *redis;         /* owned */
    oi_crypto_t *crypto;       /* owned */
    oi_rpc_server_t *rpc;      /* owned */
    dsp_cache_t *cache;        /* owned: routing snapshots in Redis, shared by the replicas */
    oi_near_bus_t *near_bus;   /* owned, NULL when near caches are off */
    oi_near_cache_t *near;     /* owned: Resolve answers (packed ResolveReply) by number, in memory;
                                * for a number whose decision depends on the call, its snapshot */
    oi_route_memo_t *memo;    /* owned with near: those snapshots parsed, and their replies */
    dsp_flights_t *flights;    /* owned */
    dsp_policies_t *policies;  /* owned: parsed routing policies by their text */
    uint32_t cache_ttl_s;
    int pg_acquire_ms;         /* how long work waits for a pooled connection */
    int busy;                  /* our own work in flight: threadpool items, pipeline batches (loop thread) */
    bool draining;
} dsp_t;

#define DSP_PG_STATEMENT_TIMEOUT_MS 5000
#define DSP_PIPELINE_CONNECTIONS_MAX 4 /* the pipeline opens min(OI_PG_POOL_SIZE, this) */
#define DSP_FAILURE_TTL_S 3600
#define DSP_POLICY_SLOTS 1024

#endif
