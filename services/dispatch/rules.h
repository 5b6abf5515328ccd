/* rules.h: dispatch rules (one per phone number), mutations that invalidate routing. */
#ifndef DSP_RULES_H
#define DSP_RULES_H

#include "oi/rpc.h"

void dsp_rule_put_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);
void dsp_rule_delete_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);

#endif
