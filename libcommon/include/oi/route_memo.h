/* oi/route_memo.h: numbers with a routing policy, parsed once and kept with their near-cache
 * value.
 *
 * A decision that depends on the caller or the moment cannot be kept by number, so the near
 * cache keeps such a number's routing snapshot (DR3) instead, and this memo keeps what that
 * snapshot parses to as the value's derived form (oi_near_cache_keep_derived): found by the
 * same lookup that found the value, gone the moment the value goes, and counted against the
 * cache's bytes. With it, the packed reply of each branch a call took (oi_route_decide_key),
 * rendered as the service answers (a packed reply in oi-dispatch, the JSON body in the
 * gateway), so a call costs the branch choice (caller rules, the local time) and a copy. One
 * memo per near cache, one thread. */
#ifndef OI_ROUTE_MEMO_H
#define OI_ROUTE_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oi/near_cache.h"
#include "oneinbox/v1/dispatch.pb-c.h"

typedef struct oi_route_memo oi_route_memo_t;

/* A decision as the service answers it (heap, *len set). */
typedef uint8_t *(*oi_route_render_fn)(const Oneinbox__V1__ResolveReply *rep, size_t *len);

/* The memo of near's snapshots (near outlives it; the parsed forms are near's to free). */
oi_route_memo_t *oi_route_memo_new(oi_near_cache_t *near, oi_route_render_fn render);
void oi_route_memo_destroy(oi_route_memo_t **self_p);

/* Whether a hit v of the memo's cache is a snapshot to decide from (else: the answer itself). */
bool oi_route_memo_applies(const oi_near_value_t *v);

/* The rendered answer for a call from `from` at at_ms, decided from v: a hit of
 * oi_near_cache_get on the memo's cache, no other call on the cache since, that
 * oi_route_memo_applies to. NULL when v does not decode or its policy does not parse: the
 * caller then reads the source. Borrowed until the next call on the cache or the memo. */
const uint8_t *oi_route_memo_answer(oi_route_memo_t *m, const oi_near_value_t *v, const char *from, int64_t at_ms,
                                     size_t *len);

#endif
