/* near.c: answers from the gateway's near caches, and filling them from what RPCs return. */
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "oi/near_cache.h"

bool gw_near_answer(gw_req_t *r, oi_near_cache_t *c, const char *key, const char *tag)
{
    if (!c)
        return false;
    oi_near_bus_sync(r->gw->near_bus); /* never older than a change acknowledged before we read r */
    oi_near_value_t v;
    if (oi_near_cache_get(c, key, uv_now(r->gw->loop), &v) && (!tag || strcmp(v.tag, tag) == 0)) {
        gw_respond_text(r, 200, v.data, v.len);
        return true;
    }
    r->near = c;
    r->near_ticket = oi_near_cache_begin(c, key);
    return false;
}

void gw_near_keep(gw_req_t *r, const char *tag, const char *body, size_t len)
{
    if (!r->near)
        return;
    oi_near_cache_end(r->near, &r->near_ticket, tag, body, len, uv_now(r->gw->loop));
    r->near = NULL;
}
