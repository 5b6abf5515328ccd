/* routes.h: the gateway's one static route table and its matcher. */
#ifndef GW_ROUTES_H
#define GW_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "gw.h"

typedef enum { GW_MATCH_OK = 0, GW_MATCH_NOT_FOUND, GW_MATCH_BAD_METHOD } gw_match_t;

/* Finds the route for (method, path). On GW_MATCH_OK *route is set and the {id} segment (if
 * any) is copied into id (size n, truncated paths never match). HEAD matches GET routes. */
gw_match_t gw_route_match(const char *method, const char *path, const gw_route_t **route, char *id, size_t n);
/* The table, for the consistency test. */
const gw_route_t *gw_routes(size_t *n);

#endif
