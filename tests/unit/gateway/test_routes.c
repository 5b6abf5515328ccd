#include <criterion/criterion.h>
#include <string.h>

#include "routes.h"

TestSuite(routes);

Test(routes, matches_static_and_parameterised_paths)
{
    const gw_route_t *r = NULL;
    char id[64];
    cr_assert_eq(gw_route_match("GET", "/v1/phone-numbers/search", &r, id, sizeof id), GW_MATCH_OK);
    cr_assert_eq(r->handler, gw_numbers_search);
    cr_assert_eq(gw_route_match("GET", "/v1/phone-numbers/abc", &r, id, sizeof id), GW_MATCH_OK);
    cr_assert_eq(r->handler, gw_numbers_get);
    cr_assert_str_eq(id, "abc");
    cr_assert_eq(gw_route_match("POST", "/v1/jobs/j1/retry", &r, id, sizeof id), GW_MATCH_OK);
    cr_assert_eq(r->handler, gw_jobs_retry);
    cr_assert_str_eq(id, "j1");
}

Test(routes, unknown_paths_and_methods)
{
    const gw_route_t *r = NULL;
    char id[64];
    cr_assert_eq(gw_route_match("GET", "/v1/nothing", &r, id, sizeof id), GW_MATCH_NOT_FOUND);
    cr_assert_eq(gw_route_match("GET", "/v1/phone-numbers/", &r, id, sizeof id), GW_MATCH_NOT_FOUND);
    cr_assert_eq(gw_route_match("PUT", "/v1/phone-numbers", &r, id, sizeof id), GW_MATCH_BAD_METHOD);
    cr_assert_eq(gw_route_match("GET", "/v1/phone-numbers/a/b", &r, id, sizeof id), GW_MATCH_NOT_FOUND);
    cr_assert_eq(gw_route_match("HEAD", "/v1/agents", &r, id, sizeof id), GW_MATCH_OK);
}

Test(routes, every_mutating_route_is_authenticated_and_every_post_with_body_is_idempotent_or_internal)
{
    size_t n;
    const gw_route_t *t = gw_routes(&n);
    for (size_t i = 0; i < n; i++) {
        if (!(t[i].flags & (GW_AUTH_KEY | GW_AUTH_ADMIN | GW_AUTH_INTERNAL))) { /* public: reads of these only */
            static const char *const open[] = {"/healthz", "/openapi.json", "/docs", "/docs/redoc.standalone.js"};
            bool known = false;
            for (size_t k = 0; k < sizeof open / sizeof open[0]; k++)
                known = known || strcmp(t[i].pattern, open[k]) == 0;
            cr_assert(known && strcmp(t[i].method, "GET") == 0, "%s %s is open", t[i].method, t[i].pattern);
            continue;
        }
        cr_assert(t[i].flags & (GW_AUTH_KEY | GW_AUTH_ADMIN | GW_AUTH_INTERNAL), "%s %s", t[i].method, t[i].pattern);
        cr_assert_not_null(t[i].name);
        if (!strcmp(t[i].method, "POST") && (t[i].flags & GW_AUTH_KEY))
            cr_assert(t[i].flags & GW_IDEMPOTENT, "%s %s", t[i].method, t[i].pattern);
    }
}
