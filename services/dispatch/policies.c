/* policies.c: the parsed-policy table (see policies.h). */
#define OI_LOG_TAG "dsp.policies"
#include "policies.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oi/log.h"
#include "oi/hash.h"
#include "oi/mem.h"

typedef struct {
    char *json;                 /* owned, NULL = empty slot */
    oi_policy_t *policy;        /* owned */
} slot_t;

struct dsp_policies {
    slot_t *slots;
    size_t n;
};

dsp_policies_t *dsp_policies_new(size_t slots)
{
    dsp_policies_t *m = oi_xcalloc(1, sizeof *m);
    m->n = slots ? slots : 1;
    m->slots = oi_xcalloc(m->n, sizeof *m->slots);
    return m;
}

static void slot_clear(slot_t *s)
{
    OI_FREE(s->json);
    oi_policy_free(&s->policy);
}

void dsp_policies_destroy(dsp_policies_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dsp_policies_t *m = *self_p;
    for (size_t i = 0; i < m->n; i++)
        slot_clear(&m->slots[i]);
    free(m->slots);
    OI_FREE(*self_p);
}

const oi_policy_t *dsp_policies_get(dsp_policies_t *m, const char *json)
{
    if (!json || !*json)
        return NULL;
    slot_t *s = &m->slots[oi_fnv1a_str(OI_FNV1A_SEED, json) % m->n];
    if (s->json && strcmp(s->json, json) == 0)
        return s->policy;
    oi_policy_t *p = NULL;
    oi_error_t err;
    oi_error_init(&err);
    if (oi_policy_parse(json, &p, &err)) {
        oi_log_warn(&(oi_log_ctx_t){.action = "reading a routing policy"}, "ignored: %s", err.message);
        return NULL;
    }
    slot_clear(s);
    s->json = oi_xstrdup(json);
    s->policy = p;
    return p;
}
