/* oi/reseal.h: moving what a service keeps sealed onto the current key (oi/crypto.h).
 *
 * After a rotation (the new OI_SECRET_KEY, the old one as OI_SECRET_KEY_PREVIOUS) and for values
 * of the first format ("v1:"), each service re-seals the columns it owns: at start-up, once, on
 * the threadpool with a connection of its own, in batches of OI_RESEAL_BATCH rows walked in
 * physical order (ctid, a TID range scan: every row read once, so each start reads each such
 * table once whether or not anything is left to move). Each value is opened with whichever key
 * sealed it, sealed again with the current one, and written back only if the row still holds the
 * value read (a change made meanwhile wins). A value no key
 * of this service opens is left as it is, counted and logged. Metrics:
 * oi_sealed_values_resealed_total, oi_sealed_values_unreadable, oi_sealed_values_old (what is
 * still under another key or format after the pass: 0 when the previous key may go). */
#ifndef OI_RESEAL_H
#define OI_RESEAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <uv.h>

#include "oi/crypto.h"
#include "oi/status.h"

#define OI_RESEAL_BATCH 500

/* One sealed column (all strings static SQL). */
typedef struct {
    const char *what;          /* for logs and metrics, e.g. "integrations.sip_password_sealed" */
    const char *table;         /* schema-qualified */
    const char *value_sql;     /* the sealed text, e.g. "sip_password_sealed" or "payload->>'x'" */
    const char *binding_sql;   /* what the value is bound to, e.g. "id::text || '/sip_password_sealed'" */
    const char *set_sql;       /* the assignment with $3 the new value, e.g. "sip_password_sealed = $3" */
    oi_seal_purpose_t purpose;
} oi_reseal_column_t;

typedef struct {
    long resealed;
    long unreadable;
    long old;      /* still not under the current key afterwards: the unreadable ones (a value
                    * changed by the service meanwhile is sealed under the current key) */
} oi_reseal_counts_t;

/* Re-seals every value of cols not under c's current key (blocking: a thread of its own). */
oi_status_t oi_reseal_columns(PGconn *conn, const oi_crypto_t *c, const oi_reseal_column_t *cols, size_t n,
                              oi_reseal_counts_t *out, oi_error_t *err);
/* The same once on loop's threadpool, with a connection of its own (conninfo) and a crypto of its
 * own made from the keys (static strings: the environment's), so it needs nothing the service
 * frees; logs the outcome and sets the metrics. It runs at every start, previous key or not:
 * "v1:" values need none. */
void oi_reseal_start(uv_loop_t *loop, const char *conninfo, const char *key_hex, const char *previous_hex,
                     const oi_reseal_column_t *cols, size_t n);

#endif
