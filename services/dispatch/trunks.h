/* trunks.h: SIP trunks (upsert by caller-chosen id; deleting an absent id succeeds).
 * Outbound trunk passwords are sealed with OI_SECRET_KEY and never returned. Work functions. */
#ifndef DSP_TRUNKS_H
#define DSP_TRUNKS_H

#include "oi/rpc.h"

oi_status_t dsp_outbound_trunk_put(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                                   oi_error_t *err);
oi_status_t dsp_outbound_trunk_delete(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req,
                                      ProtobufCMessage **reply, oi_error_t *err);
oi_status_t dsp_inbound_trunk_put(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                                  oi_error_t *err);
oi_status_t dsp_inbound_trunk_delete(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage **reply, oi_error_t *err);

#endif
