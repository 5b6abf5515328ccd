/* car.h: the oi-carrier service state shared by its modules (one per process). */
#ifndef CAR_CAR_H
#define CAR_CAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "http_client.h"
#include "oi/rpc.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "oi/service.h"
#include "policy.h"

typedef enum { CAR_TWILIO = 0, CAR_TELNYX, CAR__COUNT } car_kind_t;

typedef struct car_exchange car_exchange_t;

/* One carrier: its platform account, base URLs, concurrency limit and breaker. */
typedef struct {
    car_kind_t kind;
    Oneinbox__V1__Provider provider;
    const char *name;             /* "twilio" | "telnyx" */
    const char *account;          /* Twilio Account SID ("" for Telnyx) */
    const char *secret;           /* Twilio Auth Token / Telnyx API key (never logged) */
    const char *api_base;         /* Twilio https://api.twilio.com, Telnyx https://api.telnyx.com/v2 */
    const char *trunking_base;    /* Twilio https://trunking.twilio.com */
    car_breaker_t breaker;
    int inflight, max_inflight;
    car_exchange_t *wait_head, *wait_tail; /* waiting for a concurrency slot */
    size_t waiting;
} car_carrier_t;

typedef struct car {
    uv_loop_t *loop;
    oi_service_t *svc;
    car_http_t *http;
    oi_rpc_server_t *rpc;
    car_carrier_t carriers[CAR__COUNT];
    const char *purchase_carrier;
    const char *ingress_uri;      /* sip:host[:port] */
    uint32_t request_timeout_ms;  /* one HTTP attempt */
    int max_attempts;
    int64_t backoff_base_ms, backoff_cap_ms;
    size_t max_waiting;
    int order_poll_ms;            /* Telnyx order polling interval */
    int order_wait_ms;            /* how long a purchase polls a pending order before answering */
    bool draining;
} car_t;

/* The carrier of `provider` (unspecified = the purchase carrier); NULL when unknown. */
car_carrier_t *car_carrier(car_t *car, Oneinbox__V1__Provider provider);

#endif
