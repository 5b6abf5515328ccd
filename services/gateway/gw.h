/* gw.h: the gateway's shared state and the per-request context every phase works on. */
#ifndef GW_H
#define GW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "oi/crypto.h"
#include "oi/http_server.h"
#include "oi/near_bus.h"
#include "oi/redis.h"
#include "rate_limit.h"
#include "oi/near_cache.h"
#include "render.h"
#include "oi/pg.h"
#include "oi/route_memo.h"
#include "oi/rpc.h"
#include "oi/status.h"
#include "oi/validate.h"
#include "query.h"

typedef struct gw_auth_cache gw_auth_cache_t;
typedef struct gw_health gw_health_t;
typedef struct gw_purge gw_purge_t;
typedef struct gw_jwt gw_jwt_t;
typedef struct gw_audit gw_audit_t;
typedef struct gw_audit_writer gw_audit_writer_t;
typedef struct gw_audit_pending gw_audit_pending_t;
typedef struct gw_idem_db gw_idem_db_t;
typedef struct gw_access_metrics gw_access_metrics_t;

typedef struct {
    uv_loop_t *loop;                 /* borrowed */
    oi_http_server_t *http;          /* owned */
    oi_pg_pool_t *pg;                /* owned */
    oi_rpc_client_t *provisioning;   /* owned */
    oi_rpc_client_t *dispatch;       /* owned */
    oi_rpc_client_t *carrier;        /* owned; health only */
    gw_auth_cache_t *auth;           /* owned */
    gw_health_t *health;             /* owned */
    gw_access_metrics_t *access;     /* owned: requests counted and timed per route (access_metrics.h) */
    oi_near_bus_t *near_bus;         /* owned, NULL when near caches are off */
    oi_near_cache_t *near_numbers;   /* owned: GET /v1/phone-numbers/{id} bodies, tagged with the workspace */
    oi_near_cache_t *near_routes;    /* owned: GET /v1/routing/resolve bodies by number (no call id), or
                                      * the number's snapshot when its decision depends on the call */
    oi_route_memo_t *route_memo;     /* owned with near_routes: those snapshots parsed, bodies per branch */
    oi_near_cache_t *near_routes_form; /* owned: the same as form text (resolve?format=form, the SIP edge's) */
    oi_route_memo_t *route_memo_form;  /* owned with near_routes_form */
    oi_crypto_t *crypto;             /* owned: seals what idempotency records keep (OI_SECRET_KEY) */
    gw_idem_db_t *idem_db;           /* owned: claims and keeps idempotency records (idem_db.h) */
    gw_purge_t *idem_purge;          /* owned: drops idempotency records past their retention */
    gw_purge_t *audit_purge;         /* owned: drops audit events past theirs */
    gw_audit_writer_t *audit_writer; /* owned: writes audit events before their answers leave */
    gw_audit_pending_t *audit_pending; /* owned: finishes the events of 202 answers as their jobs end */
    gw_jwt_t *jwt;                   /* owned; NULL when dashboard JWTs are not configured */
    oi_redis_t *redis;               /* owned: commands (the rate limiter's buckets) */
    gw_rate_t *rate;                 /* owned: per key, workspace and purchase token buckets */
    gw_rate_rule_t rate_key, rate_workspace, rate_purchase;
    gw_rate_rule_t rate_key_lookup;  /* API key lookups that miss the cache, per replica */
    gw_local_bucket_t key_lookups;
    const char *admin_token;         /* borrowed (environment) */
    const char *internal_token;      /* borrowed (environment) */
    uint32_t sync_wait_ms;
    uint32_t rpc_timeout_ms;
    bool draining;
} gw_t;

typedef enum {
    GW_AUTH_NONE = 0,
    GW_AUTH_KEY = 1 << 0,       /* workspace API key */
    GW_AUTH_ADMIN = 1 << 1,     /* OI_ADMIN_TOKEN */
    GW_AUTH_INTERNAL = 1 << 2,  /* OI_INTERNAL_TOKEN */
    GW_IDEMPOTENT = 1 << 3,     /* honours Idempotency-Key */
    GW_JSON_BODY = 1 << 4,      /* body parsed as JSON before the handler */
} gw_route_flags_t;

typedef struct gw_req gw_req_t;
typedef void (*gw_handler_fn)(gw_req_t *r);
typedef void (*gw_rpc_done_fn)(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply);

typedef struct {
    const char *method;
    const char *pattern;          /* "/v1/phone-numbers/{id}" */
    gw_handler_fn handler;
    unsigned flags;
    const char *name;             /* metrics label */
} gw_route_t;

/* GW_CALLER_JWT: a dashboard JWT, with the workspace and rights of an API key of its workspace */
typedef enum { GW_CALLER_NONE = 0, GW_CALLER_KEY, GW_CALLER_ADMIN, GW_CALLER_INTERNAL, GW_CALLER_JWT } gw_caller_t;

/* One HTTP request's context. Created by the pipeline, freed by gw_req_finish. */
struct gw_req {
    gw_t *gw;                      /* borrowed */
    oi_http_req_t *http;           /* borrowed until responded */
    const gw_route_t *route;       /* borrowed (static table) */
    char request_id[32];
    char path_id[40];              /* the {id} path parameter, raw (validated by handlers) */
    gw_caller_t caller;
    char workspace_id[37];         /* "" for admin/internal */
    char api_key_id[37];
    char jwt_sub[256];             /* GW_CALLER_JWT: the token's subject */
    json_t *body;                  /* owned; parsed JSON when GW_JSON_BODY */
    oi_validation_t *v;            /* owned; lazily created */
    /* idempotency */
    char idem_key[256];
    char idem_hash[65];
    bool idem_owner;               /* this request inserted the record and must complete it */
    /* handler scratch */
    char job_id[37];
    int success_status;            /* HTTP status when the job succeeds (201/200/204) */
    void *scratch;                 /* owned by the handler that set it, freed via scratch_free */
    void (*scratch_free)(void *);
    int list_limit;                /* page size of a list request (for the Link header) */
    char list_query[192];          /* a list's filters, "&name=value"..., carried into its Link */
    gw_rpc_done_fn rpc_done;       /* the call in flight's continuation */
    bool answer_form;              /* GET /v1/routing/resolve?format=form: the decision as form text */
    gw_audit_t *audit;             /* owned: the change this request makes, recorded with its answer */
    gw_render_memo_t render_memo;  /* owned: policy members its number documents share (render.h) */
    oi_near_cache_t *near;         /* the near cache this request fills (borrowed), with its ticket */
    oi_near_ticket_t near_ticket;
    uint64_t start_ns;
    bool responded;
};

/* --- pipeline (server.c) --- */
void gw_http_on_request(oi_http_req_t *http, void *ud);
/* Sends a JSON response and finishes the request (records idempotency, logs, frees r). */
void gw_respond_json(gw_req_t *r, int status, const char *extra_headers, json_t *body /* stolen, may be NULL */);
/* Sends a JSON text already encoded (copied) and finishes the request. */
void gw_respond_text(gw_req_t *r, int status, const char *body, size_t len);
/* The same with extra header lines ("Name: value\r\n"...), NULL for none. */
void gw_respond_text_with(gw_req_t *r, int status, const char *extra_headers, const char *body, size_t len);
/* 200 with a document of another type (the API's own description, its reference page). */
void gw_respond_document(gw_req_t *r, const char *content_type, const char *extra_headers, const char *body,
                         size_t len);
/* A number answer's ETag header line ("ETag: \"<version>\"\r\n"); "" for version 0. */
#define GW_ETAG_HEADER_MAX 48
#define GW_REDIS_TIMEOUT_MS 200 /* a rate check waits this long for Redis, then lets the request through */
void gw_etag_header(long long version, char out[GW_ETAG_HEADER_MAX]);
/* If-Match of a PATCH or DELETE into *version (0: none or "*"). false when it was answered:
 * 412 for a tag that can never match one of ours, 400 for a list of several. */
bool gw_if_match(gw_req_t *r, long long *version);
/* {"detail":{"code","message"}} with the status's HTTP code. */
void gw_respond_error(gw_req_t *r, const oi_error_t *err);
/* The same with extra header lines ("Retry-After: 1\r\n"), NULL for none. */
void gw_respond_error_with(gw_req_t *r, const char *extra_headers, const oi_error_t *err);
void gw_respond_status(gw_req_t *r, oi_status_t s, const char *message /* NULL = default */);
/* FastAPI 422 from r->v. */
void gw_respond_validation(gw_req_t *r);
oi_validation_t *gw_req_validation(gw_req_t *r);
/* Who made the request, for records: "admin", "internal", "api_key:<id>" or "jwt:<sub>". */
void gw_caller_name(const gw_req_t *r, char *out, size_t n);
/* Validates the {id} path parameter as a UUID (loc ["path", name]); false → responded 422. */
bool gw_req_path_uuid(gw_req_t *r, const char *name, char out[37]);

/* --- near caches (near.c) --- */
/* Answers 200 with the body kept for key in c when there is one (and its tag is tag, or tag is
 * NULL); true when answered. Otherwise r fills c's key from what its RPC returns: see
 * gw_near_keep. Does nothing (false) when c is NULL. */
bool gw_near_answer(gw_req_t *r, oi_near_cache_t *c, const char *key, const char *tag);
/* The value kept for key in c, if any (after the bus is synced); otherwise r begins filling it,
 * as gw_near_answer does. false also when c is NULL. */
bool gw_near_lookup(gw_req_t *r, oi_near_cache_t *c, const char *key, oi_near_value_t *v);
/* The body a filling request got from the source (NULL: nothing to keep); ends the fill. */
void gw_near_keep(gw_req_t *r, const char *tag, const char *body, size_t len);

/* --- RPC from handlers (rpc_call.c) --- */
typedef enum { GW_PEER_PROVISIONING = 0, GW_PEER_DISPATCH, GW_PEER_CARRIER } gw_peer_t;
/* The service a peer serves (its proto service descriptor), and the gateway's client of it. */
const ProtobufCServiceDescriptor *gw_peer_service(gw_peer_t peer);
oi_rpc_client_t *gw_peer_client(const gw_t *gw, gw_peer_t peer);
/* Calls method ("GetNumber") of peer for r (its request id and workspace); done runs once on the
 * loop with the reply (borrowed). timeout_ms 0: OI_RPC_TIMEOUT_MS. One call at a time per r. */
void gw_rpc(gw_req_t *r, gw_peer_t peer, const char *method, const ProtobufCMessage *msg, uint32_t timeout_ms,
            gw_rpc_done_fn done);

/* --- database work on the threadpool (db_work.c) --- */
typedef oi_status_t (*gw_db_fn)(gw_req_t *r, PGconn *c, void *arg, oi_error_t *err);
typedef void (*gw_db_done_fn)(gw_req_t *r, oi_status_t st, const oi_error_t *err, void *arg);
/* Runs fn(r, conn, arg) on the threadpool with a pooled connection, then done on the loop. */
void gw_db(gw_req_t *r, gw_db_fn fn, void *arg, gw_db_done_fn done);

/* --- jobs: answer from a provisioning job (job_wait.c) --- */
/* reply is the Job returned by a submit RPC (which waited for it); success_status is 201/200/204:
 * the result when it ended, 202 with the job while it goes on. */
void gw_job_answer(gw_req_t *r, const ProtobufCMessage *job, int success_status);
/* A Job (provisioning.pb-c.h) that ended: succeeded, failed or cancelled. */
bool gw_job_finished(const ProtobufCMessage *job);
/* What is left of OI_SYNC_WAIT_MS for this request, less the time answering takes: the
 * submission's wait_ms. */
int32_t gw_job_wait_ms(const gw_req_t *r);
/* The submission's RPC deadline: its wait plus the time to answer. */
uint32_t gw_job_rpc_timeout_ms(const gw_req_t *r);

/* --- list helpers (numbers.c) --- */
/* limit (1..100, default 20) and an opaque cursor; false → already answered (422/400). */
/* A list's cursor that must be an id: copied into out ("" when none); a 422 error is recorded
 * in r's validation when it is not a UUID. */
void gw_list_uuid_cursor(gw_req_t *r, const char *cursor, char out[37]);
bool gw_list_params(gw_req_t *r, int *limit, char *cursor, size_t n);
/* "Link: <path?limit=N&cursor=C>; rel=\"next\"\r\n" (relative: the API gateway in front owns the
 * host), or NULL at the end. New string. */
char *gw_link_next(const gw_req_t *r, int limit, const char *next_cursor);
/* 200 with the JSON array (stolen) and the Link header for the next page, if any. */
void gw_respond_list(gw_req_t *r, json_t *arr, const char *next_cursor);

/* --- handlers --- */
void gw_api_keys_create(gw_req_t *r);
void gw_api_keys_delete(gw_req_t *r);
void gw_agents_create(gw_req_t *r);
void gw_agents_list(gw_req_t *r);
void gw_agents_get(gw_req_t *r);
void gw_agents_update(gw_req_t *r);
void gw_agents_delete(gw_req_t *r);
void gw_integrations_create(gw_req_t *r);
void gw_integrations_list(gw_req_t *r);
void gw_integrations_get(gw_req_t *r);
void gw_integrations_delete(gw_req_t *r);
void gw_numbers_register(gw_req_t *r);
void gw_numbers_purchase(gw_req_t *r);
void gw_numbers_search(gw_req_t *r);
void gw_numbers_list(gw_req_t *r);
void gw_numbers_get(gw_req_t *r);
void gw_numbers_update(gw_req_t *r);
void gw_numbers_delete(gw_req_t *r);
void gw_numbers_restore(gw_req_t *r);
void gw_jobs_list(gw_req_t *r);
/* openapi.c */
void gw_openapi_load_assets(const char *dir);
void gw_openapi_document(gw_req_t *r);
void gw_docs_page(gw_req_t *r);
void gw_docs_asset(gw_req_t *r);
void gw_drift_list(gw_req_t *r);
void gw_drift_check(gw_req_t *r);
void gw_drift_resolve(gw_req_t *r);
void gw_jobs_get(gw_req_t *r);
void gw_jobs_retry(gw_req_t *r);
void gw_jobs_cancel(gw_req_t *r);
void gw_routing_resolve(gw_req_t *r);
void gw_routing_explain(gw_req_t *r);
void gw_routing_failure(gw_req_t *r);
void gw_routing_outbound(gw_req_t *r);
void gw_api_keys_list(gw_req_t *r);
void gw_health_http(gw_req_t *r);

#endif
