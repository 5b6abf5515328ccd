/* auth.h: the carriers' credential checks (carriers.md §1, §5).
 *
 * Twilio: HTTP Basic, user = Account SID, password = Auth Token. Telnyx: "Bearer <API key>".
 * Secrets are compared in constant time and never logged. Pure functions. */
#ifndef SIM_AUTH_H
#define SIM_AUTH_H

#include <stdbool.h>

#include "state.h"

/* authorization: the Authorization header value (NULL when absent). */
bool sim_auth_twilio(const sim_config_t *cfg, const char *authorization);
bool sim_auth_telnyx(const sim_config_t *cfg, const char *authorization);

#endif
