/* agents.h: dispatch.*Agent* methods. Work functions run on the threadpool (oi_rpc work);
 * update and delete are mutations (mutate.h) because routing depends on agent state. */
#ifndef DSP_AGENTS_H
#define DSP_AGENTS_H

#include "mutate.h"
#include "oi/rpc.h"

oi_status_t dsp_agent_create(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                             oi_error_t *err);
oi_status_t dsp_agent_get(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                          oi_error_t *err);
oi_status_t dsp_agent_list(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                           oi_error_t *err);
oi_status_t dsp_agent_check(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                            oi_error_t *err);
void dsp_agent_update_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);
void dsp_agent_delete_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);

#endif
