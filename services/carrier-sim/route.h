/* route.h: the simulator's route table and the request a handler sees.
 *
 * One static table row per (method, path pattern): the route name (used by faults and the
 * calls counter), the carrier (which auth and which error shape) and the handler. Pattern
 * segments: a literal, "*" (captures the segment) or "*.json" (captures it without ".json").
 * Route names (documented for POST /sim/faults):
 *   twilio.search twilio.buy twilio.number_list twilio.number_get twilio.number_update
 *   twilio.release twilio.credential_list_create twilio.credential_list_list
 *   twilio.credential_list_get twilio.credential_list_delete twilio.credential_create
 *   twilio.credential_list_credentials twilio.credential_delete twilio.trunk_create
 *   twilio.trunk_list twilio.trunk_get twilio.trunk_update twilio.trunk_delete
 *   twilio.origination_url_create twilio.origination_url_list twilio.origination_url_get
 *   twilio.origination_url_delete twilio.trunk_credential_list_attach
 *   twilio.trunk_credential_list_list twilio.trunk_credential_list_detach
 *   twilio.trunk_number_attach twilio.trunk_number_list twilio.trunk_number_detach
 *   telnyx.search telnyx.order telnyx.order_get telnyx.number_list telnyx.number_get
 *   telnyx.number_update telnyx.release telnyx.credential_connection_create
 *   telnyx.credential_connection_get telnyx.credential_connection_list
 *   telnyx.credential_connection_delete
 *   telnyx.fqdn_connection_create telnyx.fqdn_connection_get telnyx.fqdn_connection_delete
 *   telnyx.fqdn_create telnyx.fqdn_get telnyx.fqdn_delete
 *   admin routes (never faulted): sim.faults_add sim.faults_list sim.faults_clear sim.take
 *   sim.counters sim.reset sim.healthz */
#ifndef SIM_ROUTE_H
#define SIM_ROUTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "params.h"
#include "reply.h"
#include "state.h"

#define SIM_CAPS 3
#define SIM_CAP_LEN 128

typedef enum { SIM_CARRIER_ADMIN = 0, SIM_CARRIER_TWILIO, SIM_CARRIER_TELNYX } sim_carrier_t;

/* What a handler gets; everything borrowed for the call. */
typedef struct {
    const char *method;
    char cap[SIM_CAPS][SIM_CAP_LEN]; /* path captures, in order */
    const sim_params_t *params;      /* Twilio: query (GET/DELETE) or form body (POST); Telnyx: query */
    const json_t *json;              /* Telnyx and admin: parsed JSON body, NULL when empty */
    int64_t now_ms;                  /* wall clock */
    int pending_seconds;             /* from an applied fault; 0 = none */
} sim_req_t;

typedef void (*sim_handler_fn)(sim_state_t *st, const sim_req_t *rq, sim_reply_t *out);

typedef struct {
    const char *method;
    const char *pattern;
    const char *name;
    sim_carrier_t carrier;
    sim_handler_fn fn;
} sim_route_t;

typedef enum { SIM_MATCH_OK = 0, SIM_MATCH_NO_PATH, SIM_MATCH_BAD_METHOD } sim_match_t;

/* Finds the row for method + path (no query), filling cap. */
sim_match_t sim_route_match(const char *method, const char *path, char cap[SIM_CAPS][SIM_CAP_LEN],
                            const sim_route_t **out);
/* Which carrier owns a path prefix ("/2010-04-01", "/v1" → Twilio, "/v2" → Telnyx). */
sim_carrier_t sim_route_carrier_of(const char *path);
/* Is name a carrier route name, "twilio.*", "telnyx.*" or "*"? */
bool sim_route_name_valid(const char *name);

#endif
