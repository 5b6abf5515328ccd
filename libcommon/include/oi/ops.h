/* oi/ops.h: each service's small ops HTTP port: /healthz, /readyz, /metrics.
 *
 * /healthz is 200 while the process runs its loop. /readyz asks the service's readiness
 * callback: 200 {"status":"ready"}, 200 {"status":"degraded","detail":…} (still serving,
 * e.g. Redis down with a PostgreSQL fallback), or 503 {"status":"unready","detail":…}. */
#ifndef OI_OPS_H
#define OI_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef enum { OI_OPS_READY = 0, OI_OPS_DEGRADED, OI_OPS_UNREADY } oi_ops_readiness_t;
/* Writes a short reason into detail (size n) when not ready. Loop thread. */
typedef oi_ops_readiness_t (*oi_ops_ready_cb)(void *ud, char *detail, size_t n);

typedef struct oi_ops oi_ops_t;

oi_ops_t *oi_ops_new(uv_loop_t *loop, const char *host, int port, oi_ops_ready_cb ready, void *ud);
/* Marks the service as draining: /readyz answers 503 from now on. */
void oi_ops_set_draining(oi_ops_t *o);
/* The bound port (useful with port 0); 0 if o is NULL. */
int oi_ops_port(const oi_ops_t *o);
void oi_ops_close(oi_ops_t *o, void (*on_closed)(void *ud), void *ud);
void oi_ops_destroy(oi_ops_t **self_p);

#endif
