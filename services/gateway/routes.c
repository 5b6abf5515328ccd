/* routes.c: one static table (method, path, handler, flags); the pipeline does the rest. */
#include "routes.h"

#include <string.h>

#include "audit.h"

#define KEY (GW_AUTH_KEY)
#define ADMIN (GW_AUTH_ADMIN)
#define JSONB (GW_JSON_BODY)
#define IDEM (GW_IDEMPOTENT)

static const gw_route_t routes[] = {
    {"GET", "/healthz", gw_health_http, GW_AUTH_NONE, "healthz"},
    {"GET", "/openapi.json", gw_openapi_document, GW_AUTH_NONE, "openapi"},
    {"GET", "/docs", gw_docs_page, GW_AUTH_NONE, "docs"},
    {"GET", "/docs/redoc.standalone.js", gw_docs_asset, GW_AUTH_NONE, "docs_asset"},
    {"POST", "/v1/api-keys", gw_api_keys_create, KEY | ADMIN | JSONB | IDEM, "api_keys_create"},
    {"GET", "/v1/api-keys", gw_api_keys_list, KEY | ADMIN, "api_keys_list"},
    {"DELETE", "/v1/api-keys/{id}", gw_api_keys_delete, KEY | ADMIN, "api_keys_delete"},
    {"POST", "/v1/agents", gw_agents_create, KEY | JSONB | IDEM, "agents_create"},
    {"GET", "/v1/agents", gw_agents_list, KEY, "agents_list"},
    {"GET", "/v1/agents/{id}", gw_agents_get, KEY, "agents_get"},
    {"PATCH", "/v1/agents/{id}", gw_agents_update, KEY | JSONB, "agents_update"},
    {"DELETE", "/v1/agents/{id}", gw_agents_delete, KEY, "agents_delete"},
    {"POST", "/v1/integrations", gw_integrations_create, KEY | JSONB | IDEM, "integrations_create"},
    {"GET", "/v1/integrations", gw_integrations_list, KEY, "integrations_list"},
    {"GET", "/v1/integrations/{id}", gw_integrations_get, KEY, "integrations_get"},
    {"DELETE", "/v1/integrations/{id}", gw_integrations_delete, KEY, "integrations_delete"},
    {"POST", "/v1/phone-numbers", gw_numbers_register, KEY | JSONB | IDEM, "numbers_register"},
    {"GET", "/v1/phone-numbers", gw_numbers_list, KEY, "numbers_list"},
    {"GET", "/v1/phone-numbers/search", gw_numbers_search, KEY, "numbers_search"},
    {"POST", "/v1/phone-numbers/purchase", gw_numbers_purchase, KEY | JSONB | IDEM, "numbers_purchase"},
    {"GET", "/v1/phone-numbers/{id}", gw_numbers_get, KEY, "numbers_get"},
    {"PATCH", "/v1/phone-numbers/{id}", gw_numbers_update, KEY | JSONB, "numbers_update"},
    {"DELETE", "/v1/phone-numbers/{id}", gw_numbers_delete, KEY, "numbers_delete"},
    {"POST", "/v1/phone-numbers/{id}/restore", gw_numbers_restore, KEY | IDEM, "numbers_restore"},
    {"GET", "/v1/phone-numbers/{id}/routing/explain", gw_routing_explain, KEY, "numbers_routing_explain"},
    {"GET", "/v1/audit-events", gw_audit_list, KEY, "audit_events_list"},
    {"GET", "/v1/jobs", gw_jobs_list, ADMIN, "jobs_list"},
    {"GET", "/v1/jobs/{id}", gw_jobs_get, KEY | ADMIN, "jobs_get"},
    {"POST", "/v1/jobs/{id}/retry", gw_jobs_retry, ADMIN, "jobs_retry"},
    {"POST", "/v1/jobs/{id}/cancel", gw_jobs_cancel, ADMIN, "jobs_cancel"},
    {"GET", "/v1/ops/drift", gw_drift_list, ADMIN, "drift_list"},
    {"POST", "/v1/ops/drift/check", gw_drift_check, ADMIN, "drift_check"},
    {"POST", "/v1/ops/drift/{id}/resolve", gw_drift_resolve, ADMIN | JSONB, "drift_resolve"},
    {"GET", "/v1/routing/resolve", gw_routing_resolve, GW_AUTH_INTERNAL, "routing_resolve"},
    {"POST", "/v1/routing/failures", gw_routing_failure, GW_AUTH_INTERNAL | JSONB, "routing_failures"},
    {"GET", "/v1/routing/outbound", gw_routing_outbound, GW_AUTH_INTERNAL, "routing_outbound"},
};

const gw_route_t *gw_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

/* Matches one pattern segment by segment; "{id}" takes one non-empty segment. */
static bool path_matches(const char *pattern, const char *path, char *id, size_t n)
{
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '{') {
            const char *end = strchr(s, '/');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (len == 0 || len >= n)
                return false;
            memcpy(id, s, len);
            id[len] = '\0';
            s += len;
            p = strchr(p, '}');
            if (!p)
                return false;
            p++;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    /* a trailing slash is not the same path (FastAPI would redirect; we answer 404) */
    return *p == '\0' && *s == '\0';
}

gw_match_t gw_route_match(const char *method, const char *path, const gw_route_t **route, char *id, size_t n)
{
    bool path_seen = false;
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        char tmp[64] = "";
        if (!path_matches(routes[i].pattern, path, tmp, sizeof tmp < n ? sizeof tmp : n))
            continue;
        path_seen = true;
        if (strcmp(routes[i].method, m) == 0) {
            *route = &routes[i];
            if (n)
                memcpy(id, tmp, strlen(tmp) + 1);
            return GW_MATCH_OK;
        }
    }
    return path_seen ? GW_MATCH_BAD_METHOD : GW_MATCH_NOT_FOUND;
}
