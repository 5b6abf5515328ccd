/* integrations.h: integrations (carrier credentials of a workspace). The api_key and any SIP
 * password found in metadata are sealed with OI_SECRET_KEY; they are never returned or logged. */
#ifndef PROV_INTEGRATIONS_H
#define PROV_INTEGRATIONS_H

#include <libpq-fe.h>

#include "oi/pg_pipeline.h"
#include "oi/rpc.h"
#include "prov.h"

/* RPC methods (loop). */
void prov_integration_create(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);
void prov_integration_get(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);
void prov_integration_list(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);
void prov_integration_delete(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);

/* SIP settings an integration contributes to a registration. */
typedef struct {
    char *trunk_address;   /* owned; metadata.sip_trunk */
    char *auth_username;   /* owned; metadata sip_username | auth_username | username */
    char *auth_password;   /* owned secret (wiped on cleanup) */
} prov_integration_sip_t;

/* Reads integration id of workspace ws (metadata, sealed password); cb gets the row. */
void prov_integration_sip_load(prov_t *p, const char *ws, const char *id, oi_pg_done_cb cb, void *ud);
/* The SIP settings of that row (res may be NULL or empty: OI_INTEGRATION_NOT_FOUND, absent,
 * deleted or another workspace's). out must be cleaned on every path. */
oi_status_t prov_integration_sip_from_row(prov_t *p, const PGresult *res, prov_integration_sip_t *out,
                                          oi_error_t *err);
void prov_integration_sip_cleanup(prov_integration_sip_t *s);

#endif
