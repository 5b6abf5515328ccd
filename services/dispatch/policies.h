/* policies.h: parsed routing policies kept by their canonical text, so a resolve parses a policy
 * once, not per call. A fixed table (one entry per slot, the newest wins a slot): bounded memory,
 * never stale (the key is the whole text). Loop thread only. */
#ifndef DSP_POLICIES_H
#define DSP_POLICIES_H

#include <stddef.h>

#include "oi/routing_policy.h"

typedef struct dsp_policies dsp_policies_t;

dsp_policies_t *dsp_policies_new(size_t slots);
void dsp_policies_destroy(dsp_policies_t **self_p);
/* The parsed policy of json, or NULL when json is NULL, "" or not a valid policy (logged).
 * Borrowed: valid until the next call. */
const oi_policy_t *dsp_policies_get(dsp_policies_t *m, const char *json);

#endif
