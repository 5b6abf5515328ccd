/* mutate.h: running a routing-relevant mutation: database work on the threadpool, then cache
 * invalidation on the loop, then the reply — so a mutation never returns before every
 * replica's cached decision for the touched numbers is dead. */
#ifndef DSP_MUTATE_H
#define DSP_MUTATE_H

#include <stddef.h>

#include "dsp.h"
#include "numbers.h"
#include "oi/rpc.h"


/* Work on the threadpool (may block on libpq). ctx strings and req are owned by the runner
 * for the whole mutation. Adds every phone number whose routing may have changed to touched. */
typedef oi_status_t (*dsp_mutate_fn)(dsp_t *d, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage **reply, dsp_numbers_t *touched, oi_error_t *err);

/* Loop thread. Copies ctx and req, runs fn on the threadpool, invalidates, replies. */
void dsp_mutate_run(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, dsp_mutate_fn fn);

/* Shared by work functions: the caller's workspace as a canonical uuid (OI_BAD_REQUEST, loc
 * "workspace_id", when the envelope carries none). out >= 37 bytes. */
oi_status_t dsp_workspace(const oi_rpc_ctx_t *ctx, char *out, oi_error_t *err);

#endif
