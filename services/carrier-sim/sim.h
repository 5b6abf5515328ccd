/* sim.h: oi-carrier-sim wiring: configuration → server → drain. main.c only calls these.
 *
 * Configuration (environment, read through oi/config.h):
 *   OI_SIM_HOST (127.0.0.1), OI_SIM_PORT (8901), OI_SIM_SEED (42),
 *   OI_SIM_TWILIO_ACCOUNT_SID (SIM_DEFAULT_TWILIO_ACCOUNT_SID: "AC" + 32 hex),
 *   OI_SIM_TWILIO_AUTH_TOKEN (SIM_DEFAULT_TWILIO_AUTH_TOKEN),
 *   OI_SIM_TELNYX_API_KEY (SIM_DEFAULT_TELNYX_API_KEY),
 *   OI_SIM_TELNYX_PENDING_POLLS (0), OI_SIM_TWILIO_CAPS_UPPER (true),
 *   OI_SIM_PUBLIC_URL (http://OI_SIM_HOST:OI_SIM_PORT; base of absolute URLs in v1 bodies). */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>

#include "oi/config.h"
#include "oi/service.h"
#include "state.h"

typedef struct sim_app sim_app_t;

/* Reads and validates every variable into cfg; problems are recorded in c (oi_config_check). */
void sim_config_read(oi_config_t *c, sim_config_t *cfg);
/* Reads the configuration, starts listening. NULL (after logging why) on failure. */
sim_app_t *sim_app_start(oi_service_t *svc);
/* oi_service drain callback: answers waiting requests, closes the listener, then drained. */
void sim_app_on_drain(oi_service_t *svc, bool force, void *ud);
/* After oi_service_run returned. NULL-safe, nulls *self_p. */
void sim_app_destroy(sim_app_t **self_p);

#endif
