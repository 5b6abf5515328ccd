/* op.h: one carrier operation answering one RPC call, run as a small state machine.
 *
 * A driver's step function is called first with resp == NULL and then once per finished
 * exchange (or timer); it sends the next request or finishes the op. */
#ifndef CAR_OP_H
#define CAR_OP_H

#include <jansson.h>

#include "car.h"
#include "exchange.h"

typedef struct car_op car_op_t;
/* resp NULL: first call or a car_op_wait timer. st != OI_OK: the exchange failed without an
 * answer (breaker, deadline, transport after retries). */
typedef void (*car_step_fn)(car_op_t *op, const car_http_resp_t *resp, oi_status_t st, const char *why);

#define CAR_SCRATCH 160

struct car_op {
    car_t *car;
    car_carrier_t *cc;
    oi_rpc_call_t *call;
    const ProtobufCMessage *req;  /* borrowed until the reply */
    const char *op_name;          /* "purchase" (metrics) */
    char request_id[64];
    int64_t deadline_ms;
    uint64_t start_ns;
    const char *account, *secret; /* platform account or the caller's own (borrowed) */
    car_step_fn step;
    int state;
    int tries;                    /* driver-level attempts (purchase → lookup → purchase) */
    bool fresh;                   /* the op created its resource: nothing can hang off it yet */
    char a[CAR_SCRATCH], b[CAR_SCRATCH], c[CAR_SCRATCH]; /* ids found on the way */
    ProtobufCMessage *result;     /* owned: kept between steps until done */
    uv_timer_t timer;
};

/* Starts an op for an RPC call (replies CARRIER_ERROR at once for an unknown provider). */
void car_op_start(car_t *car, oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req,
                  Oneinbox__V1__Provider provider, const char *op_name, car_step_fn twilio, car_step_fn telnyx);
/* Sends a request: method, full URL, body (NULL; JSON for Telnyx, form for Twilio). */
void car_op_send(car_op_t *op, const char *method, const char *url, const char *body, bool retry);
/* Calls the step again (resp NULL) after ms. */
void car_op_wait(car_op_t *op, uint32_t ms);
/* Finishes: replies with reply (borrowed; may be op->result) and frees the op. */
void car_op_done(car_op_t *op, const ProtobufCMessage *reply);
void car_op_fail(car_op_t *op, oi_status_t st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Fails with the status an exchange failure or an unexpected HTTP answer maps to. */
void car_op_fail_http(car_op_t *op, const car_http_resp_t *resp, oi_status_t st, const char *why,
                      oi_status_t (*driver_map)(int status, const char *body, char *msg, size_t n));

/* Percent-encodes s (form values, query values); caller frees. */
char *car_escape(const char *s);
/* Parses a response body as JSON; NULL when it is not. */
json_t *car_json(const car_http_resp_t *resp);

#endif
