/* oi/route_memo.h: numbers with a routing policy, parsed once, beside a near cache.
 *
 * A decision that depends on the caller or the moment cannot be kept by number, so the near
 * cache keeps such a number's routing snapshot (DR3) instead, and this memo keeps what that
 * snapshot parses to, checked against the near cache's value number (seq): a value the near
 * cache dropped or replaced is never used. Per entry, the packed reply of each branch a call
 * took (oi_route_decide_key) is kept too, rendered as the service answers (a packed reply in
 * oi-dispatch, the JSON body in the gateway), so a call costs the branch choice (caller rules,
 * the local time) and a copy. Bounded: at most max entries, the oldest out first. One thread. */
#ifndef OI_ROUTE_MEMO_H
#define OI_ROUTE_MEMO_H

#include <stddef.h>
#include <stdint.h>

#include "oi/near_cache.h"
#include "oneinbox/v1/dispatch.pb-c.h"

typedef struct oi_route_memo oi_route_memo_t;

/* A decision as the service answers it (heap, *len set). */
typedef uint8_t *(*oi_route_render_fn)(const Oneinbox__V1__ResolveReply *rep, size_t *len);

oi_route_memo_t *oi_route_memo_new(size_t max, oi_route_render_fn render);
void oi_route_memo_destroy(oi_route_memo_t **self_p);
/* The rendered answer for a call from `from` at at_ms to `to`, whose near-cached value is v
 * (a routing snapshot). NULL when v does not decode or its policy does not parse: the caller
 * then reads the source. Borrowed until the next call. */
const uint8_t *oi_route_memo_answer(oi_route_memo_t *m, const char *to, const oi_near_value_t *v, const char *from,
                                     int64_t at_ms, size_t *len);
size_t oi_route_memo_count(const oi_route_memo_t *m);

#endif
