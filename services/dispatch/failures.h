/* failures.h: dispatch.ReportFailure — "the worker could not reach this agent for this call".
 * Recorded in PostgreSQL (durable, expired after an hour) and in Redis (read by Resolve with
 * the cached snapshot), then answered. Loop-side handler. */
#ifndef DSP_FAILURES_H
#define DSP_FAILURES_H

#include "oi/rpc.h"

void dsp_report_failure_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);

#endif
