/* numbers_rpc.c: reading phone numbers (Get, List) and searching the carrier's inventory. */
#define OI_LOG_TAG "prov.numbers"
#include "jobs_rpc.h"

#include <stdio.h>
#include <stdlib.h>

#include "numbers_db.h"
#include "oi/ids.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "prov.h"
#include "remote.h"

#define LIST_MAX 100
#define LIST_DEFAULT 20

PROV_RPC(prov_rpc_get_number)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__NumberIdRequest *r = (const Oneinbox__V1__NumberIdRequest *)req;
    if (!oi_uuid_valid(ctx->workspace_id) || !oi_uuid_valid(r->id))
        return oi_error_set(err, OI_NUMBER_NOT_FOUND, NULL);
    PGconn *c = NULL;
    PGresult *res = NULL;
    oi_status_t rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = prov_number_load(c, ctx->workspace_id, r->id, true, &res, err);
    if (!rc)
        *reply = &prov_number_to_proto(res, 0)->base;
    PQclear(res);
    prov_db_release(p, &c);
    return rc;
}

static Oneinbox__V1__ListNumbersReply *list_reply(const PGresult *res, int limit)
{
    Oneinbox__V1__ListNumbersReply *out = oi_xmalloc(sizeof *out);
    oneinbox__v1__list_numbers_reply__init(out);
    int n = PQntuples(res);
    int take = n > limit ? limit : n;
    out->numbers = oi_xcalloc((size_t)take + 1, sizeof *out->numbers);
    for (int i = 0; i < take; i++)
        out->numbers[out->n_numbers++] = prov_number_to_proto(res, i);
    out->next_cursor = oi_xstrdup(n > limit ? oi_pg_get(res, take - 1, "id") : "");
    return out;
}

PROV_RPC(prov_rpc_list_numbers)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__ListNumbersRequest *r = (const Oneinbox__V1__ListNumbersRequest *)req;
    int limit = r->limit <= 0 ? LIST_DEFAULT : r->limit;
    if (limit > LIST_MAX)
        return oi_error_set(err, OI_INVALID, "limit must be between 1 and %d", LIST_MAX);
    if (!oi_uuid_valid(ctx->workspace_id))
        return oi_error_set(err, OI_UNAUTHORIZED, "no workspace");
    if (r->cursor[0] && !oi_uuid_valid(r->cursor)) {
        oi_error_set(err, OI_INVALID, "invalid cursor");
        oi_error_set_loc(err, "query.cursor");
        return OI_INVALID;
    }
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *params[] = {ctx->workspace_id, r->cursor[0] ? r->cursor : NULL, lim};
    PGconn *c = NULL;
    PGresult *res = NULL;
    oi_status_t rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = oi_pg_exec(c,
                        "SELECT " PROV_NUMBER_COLS " FROM provisioning.phone_numbers WHERE workspace_id = $1::uuid "
                        "AND deleted_at IS NULL AND status IN ('active', 'inactive') AND ($2::uuid IS NULL OR "
                        "(created_at, id) > (SELECT created_at, id FROM provisioning.phone_numbers WHERE id = "
                        "$2::uuid)) ORDER BY created_at, id LIMIT $3::int",
                        3, params, &res, err);
    if (!rc)
        *reply = &list_reply(res, limit)->base;
    PQclear(res);
    prov_db_release(p, &c);
    return rc;
}

PROV_RPC(prov_rpc_search_numbers)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__SearchNumbersRequest *r = (const Oneinbox__V1__SearchNumbersRequest *)req;
    Oneinbox__V1__CarrierSearchRequest q = ONEINBOX__V1__CARRIER_SEARCH_REQUEST__INIT;
    q.provider = (char *)p->purchase_carrier;
    q.country = r->country;
    q.area_code = r->area_code;
    q.contains = r->contains;
    q.limit = r->limit;
    return prov_remote_call(p, PROV_PEER_CARRIER, "carrier.Search", ctx->request_id, ctx->workspace_id, &q.base,
                            &oneinbox__v1__carrier_search_reply__descriptor, reply, err);
}
