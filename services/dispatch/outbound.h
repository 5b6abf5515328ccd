/* outbound.h: dispatch.OutboundRoute — the trunk an agent's outbound call leaves through.
 *
 * The SIP edge asks, for an INVITE from an agent endpoint, for the outbound trunk of the number
 * the call is from: its address and credentials, the password opened for this reply only. The
 * agent names the workspace: a number of another workspace, or one without an outbound trunk,
 * is FORBIDDEN, and so is an unknown or deleted agent (the answers do not say which). */
#ifndef DSP_OUTBOUND_H
#define DSP_OUTBOUND_H

#include "oi/reseal.h"
#include "oi/rpc.h"

/* Threadpool handler (blocking pool). */
oi_status_t dsp_outbound_route(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                               oi_error_t *err);

/* dispatch.SuspendOutbound: the trunk's calls held back or let through (fenced by version). */
oi_status_t dsp_outbound_suspend(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                                 oi_error_t *err);

/* The trunk passwords this service keeps (sealed to their trunk's id), for the re-seal at start. */
extern const oi_reseal_column_t DSP_SEALED_PASSWORD;

#endif
