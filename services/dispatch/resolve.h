/* resolve.h: dispatch.Resolve and dispatch.ReportFailure (loop-side handlers).
 *
 * Resolve reads Redis first (one MGET); on a miss, concurrent lookups of the same number and
 * cache tag share one database query (single-flight on the loop); when the cache is not
 * usable, every request still shares the snapshot query and reads its call's failures from
 * PostgreSQL. Per-call failures are applied after the cache. */
#ifndef DSP_RESOLVE_H
#define DSP_RESOLVE_H

#include "dsp.h"
#include "oi/rpc.h"
#include "oneinbox/v1/dispatch.pb-c.h"

dsp_flights_t *dsp_flights_new(void);
/* Only once no flight is left (after the RPC server drained). */
void dsp_flights_destroy(dsp_flights_t **self_p);
size_t dsp_flights_count(const dsp_flights_t *f);

void dsp_resolve_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);
/* A decision as Resolve answers it: the packed reply (oi_route_render_fn). */
uint8_t *dsp_resolve_pack(const Oneinbox__V1__ResolveReply *rep, size_t *len);

#endif
