/* near.c: answers from the gateway's near caches, and filling them from what RPCs return. */
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "oi/near_cache.h"

/* A kept tag is the owner's tag, then, for answers that have one, "/" and the answer's ETag
 * version. *version gets that version (0 when none). */
static bool tag_matches(const char *kept, const char *tag, long long *version)
{
    *version = 0;
    if (!tag)
        return true;
    if (!kept)
        return false;
    size_t n = strlen(tag);
    if (strncmp(kept, tag, n) != 0 || (kept[n] != '\0' && kept[n] != '/'))
        return false;
    if (kept[n] == '/')
        *version = strtoll(kept + n + 1, NULL, 10);
    return true;
}

bool gw_near_answer(gw_req_t *r, oi_near_cache_t *c, const char *key, const char *tag)
{
    if (!c)
        return false;
    oi_near_bus_sync(r->gw->near_bus); /* never older than a change acknowledged before we read r */
    oi_near_value_t v;
    long long version = 0;
    if (oi_near_cache_get(c, key, uv_now(r->gw->loop), &v) && tag_matches(v.tag, tag, &version)) {
        char etag[GW_ETAG_HEADER_MAX];
        gw_etag_header(version, etag);
        gw_respond_text_with(r, 200, etag, v.data, v.len);
        return true;
    }
    r->near = c;
    r->near_ticket = oi_near_cache_begin(c, key);
    return false;
}

bool gw_near_lookup(gw_req_t *r, oi_near_cache_t *c, const char *key, oi_near_value_t *v)
{
    if (!c)
        return false;
    oi_near_bus_sync(r->gw->near_bus);
    if (oi_near_cache_get(c, key, uv_now(r->gw->loop), v))
        return true;
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
