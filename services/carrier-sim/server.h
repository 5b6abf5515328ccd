/* server.h: the simulator's HTTP front: oi_http_server → route → auth → input → fault → handler.
 *
 * Requests delayed by a latency fault or held by a timeout fault wait on a uv_timer (the loop
 * never blocks). A held request is answered (504) after SIM_FAULT_TIMEOUT_HOLD_MS; the HTTP core
 * discards the answer if the client has already gone. On close every waiting request is answered
 * at once (latency: handled now; timeout: 503), then the listener closes. Loop thread only. */
#ifndef SIM_SERVER_H
#define SIM_SERVER_H

#include <uv.h>

#include "state.h"

typedef struct sim_server sim_server_t;

/* cfg is copied into the server's state. */
sim_server_t *sim_server_new(uv_loop_t *loop, const sim_config_t *cfg);
/* Listens on cfg host:port. 0 or a negative uv error. */
int sim_server_listen(sim_server_t *s);
int sim_server_port(const sim_server_t *s);
/* Answers waiting requests, stops accepting; on_closed runs once the listener is closed. */
void sim_server_close(sim_server_t *s, void (*on_closed)(void *ud), void *ud);
/* After close (or once the loop has stopped). NULL-safe, nulls *self_p. */
void sim_server_destroy(sim_server_t **self_p);

#endif
