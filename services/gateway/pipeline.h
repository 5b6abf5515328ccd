/* pipeline.h: the generic phases every request goes through, in order:
 * parse → route → auth → rate → idempotency → body/JSON → handler → respond/log.
 * Each asynchronous phase calls the next one through these entry points. */
#ifndef GW_PIPELINE_H
#define GW_PIPELINE_H

#include "oi/reseal.h"
#include "gw.h"

/* auth.c: authenticates r per its route flags, then calls gw_phase_rate or, for the platform's
 * own tokens, gw_phase_idempotency (or responds 401). */
void gw_phase_auth(gw_req_t *r);
/* rate_phase.c: a workspace caller (API key, JWT) takes its rate limit tokens, then
 * gw_phase_idempotency (or 429). */
void gw_phase_rate(gw_req_t *r);
/* idempotency.c: claims/replays the Idempotency-Key, then calls gw_phase_body. */
void gw_phase_idempotency(gw_req_t *r);
/* server.c: parses the JSON body if the route wants one, then runs the handler. */
void gw_phase_body(gw_req_t *r);
/* idempotency.c: an owning request's end: its final answer kept, or (a 5xx, a 202) its record
 * forgotten; then done(r, ud), whatever became of the record (a failure is logged). */
typedef void (*gw_idempotency_done_fn)(gw_req_t *r, void *ud);
void gw_idempotency_finish(gw_req_t *r, int status, const char *headers, const char *body,
                           gw_idempotency_done_fn done, void *ud);
/* idempotency.c: what a record's sealed column ("headers", "body") is bound to (new string). */
char *gw_idempotency_binding(const char *column, const char *workspace, const char *key);
/* idempotency.c: those two columns, for the re-seal at start (oi/reseal.h): bound in SQL exactly
 * as gw_idempotency_binding binds them. */
#define GW_SEALED_ANSWER_COLUMNS 2
extern const oi_reseal_column_t GW_SEALED_ANSWERS[GW_SEALED_ANSWER_COLUMNS];

#endif
