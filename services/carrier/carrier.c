/* carrier.c: configuration → carriers, HTTP client and RPC server; readiness; drain. */
#define OI_LOG_TAG "car.main"
#include "carrier.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/log.h"
#include "oi/mem.h"
#include "oi/proto_enum.h"
#include "oi/metrics.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "rpc.h"

#define MAX_BODY (4u << 20)

car_carrier_t *car_carrier(car_t *car, Oneinbox__V1__Provider provider)
{
    const char *name = provider ? oi_enum_str(&oneinbox__v1__provider__descriptor, (int)provider) : car->purchase_carrier;
    for (int i = 0; i < CAR__COUNT; i++)
        if (strcmp(car->carriers[i].name, name) == 0)
            return &car->carriers[i];
    return NULL;
}

typedef struct {
    const char *bind;
    int ops_port;
} car_config_t;

static void read_carriers(oi_config_t *c, car_t *car)
{
    int max = (int)oi_config_int(c, "OI_CARRIER_MAX_CONCURRENCY", 32, 1, 1024);
    int threshold = (int)oi_config_int(c, "OI_CARRIER_BREAKER_THRESHOLD", 5, 1, 1000);
    int cooldown = (int)oi_config_int(c, "OI_CARRIER_BREAKER_COOLDOWN_MS", 10000, 10, 600000);
    car_carrier_t *tw = &car->carriers[CAR_TWILIO], *tx = &car->carriers[CAR_TELNYX];
    *tw = (car_carrier_t){.kind = CAR_TWILIO, .provider = ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO, .name = "twilio",
                          .max_inflight = max};
    *tx = (car_carrier_t){.kind = CAR_TELNYX, .provider = ONEINBOX__V1__PROVIDER__PROVIDER_TELNYX, .name = "telnyx",
                          .max_inflight = max};
    tw->account = oi_config_str(c, "OI_TWILIO_ACCOUNT_SID", "");
    tw->secret = oi_config_str(c, "OI_TWILIO_AUTH_TOKEN", "");
    tw->api_base = oi_config_str(c, "OI_TWILIO_API_BASE", "https://api.twilio.com");
    tw->trunking_base = oi_config_str(c, "OI_TWILIO_TRUNKING_BASE", "https://trunking.twilio.com");
    tx->account = "";
    tx->secret = oi_config_str(c, "OI_TELNYX_API_KEY", "");
    tx->api_base = oi_config_str(c, "OI_TELNYX_API_BASE", "https://api.telnyx.com/v2");
    tx->trunking_base = tx->api_base;
    car_breaker_init(&tw->breaker, threshold, cooldown);
    car_breaker_init(&tx->breaker, threshold, cooldown);
}

static void read_config(oi_config_t *c, car_t *car, car_config_t *cfg)
{
    cfg->bind = oi_config_str(c, "OI_RPC_BIND", "tcp://127.0.0.1:7401");
    cfg->ops_port = (int)oi_config_int(c, "OI_OPS_PORT", 9401, 0, 65535);
    car->purchase_carrier = oi_config_str(c, "OI_PURCHASE_CARRIER", "twilio");
    if (strcmp(car->purchase_carrier, "twilio") != 0 && strcmp(car->purchase_carrier, "telnyx") != 0)
        oi_config_fail(c, "OI_PURCHASE_CARRIER", "must be twilio or telnyx");
    car->ingress_uri = oi_config_str(c, "OI_SIP_INGRESS_URI", "sip:voice.oneinbox.ai:5060");
    if (strncmp(car->ingress_uri, "sip:", 4) != 0 && strncmp(car->ingress_uri, "sips:", 5) != 0)
        oi_config_fail(c, "OI_SIP_INGRESS_URI", "must be a sip: URI");
    car->request_timeout_ms = (uint32_t)oi_config_int(c, "OI_CARRIER_TIMEOUT_MS", 30000, 50, 120000);
    car->max_attempts = (int)oi_config_int(c, "OI_CARRIER_MAX_ATTEMPTS", 4, 1, 20);
    car->backoff_base_ms = oi_config_int(c, "OI_CARRIER_BACKOFF_BASE_MS", 200, 1, 60000);
    car->backoff_cap_ms = oi_config_int(c, "OI_CARRIER_BACKOFF_CAP_MS", 5000, 1, 600000);
    car->max_waiting = (size_t)oi_config_int(c, "OI_CARRIER_MAX_QUEUE", 1000, 0, 100000);
    car->order_poll_ms = (int)oi_config_int(c, "OI_TELNYX_ORDER_POLL_MS", 250, 10, 60000);
    car->order_wait_ms = (int)oi_config_int(c, "OI_TELNYX_ORDER_WAIT_MS", 3000, 0, 600000);
    read_carriers(c, car);
}

static oi_ops_readiness_t car_ready(void *ud, char *detail, size_t n)
{
    car_t *car = ud;
    if (car->draining) {
        snprintf(detail, n, "draining");
        return OI_OPS_UNREADY;
    }
    for (int i = 0; i < CAR__COUNT; i++) {
        if (car->carriers[i].breaker.state != CAR_BREAKER_CLOSED) {
            snprintf(detail, n, "%s circuit breaker open", car->carriers[i].name);
            return OI_OPS_DEGRADED;
        }
    }
    return OI_OPS_READY;
}

car_t *car_start(oi_service_t *svc)
{
    car_t *car = oi_xcalloc(1, sizeof *car);
    car->svc = svc;
    car->loop = oi_service_loop(svc);
    car_config_t cfg;
    read_config(oi_service_config(svc), car, &cfg);
    if (!oi_config_check(oi_service_config(svc))) {
        free(car);
        return NULL;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    oi_metric_help("oi_carrier_calls_total", "counter", "carrier operations by carrier, operation and outcome");
    car->http = car_http_new(car->loop, MAX_BODY);
    size_t n = 0;
    const oi_rpc_method_t *m = car_methods(&n);
    car->rpc = oi_rpc_server_new(car->loop, &oneinbox__v1__carrier__descriptor, m, n, car);
    oi_error_t err;
    oi_error_init(&err);
    if (oi_rpc_server_bind(car->rpc, cfg.bind, &err)) {
        oi_log_error(&(oi_log_ctx_t){.action = "binding the RPC socket"}, "%s: %s", cfg.bind, err.message);
        return NULL; /* the process exits: the OS reclaims what was opened */
    }
    if (!oi_service_start_ops(svc, cfg.ops_port, car_ready, car))
        return NULL;
    oi_log_info(&(oi_log_ctx_t){.action = "starting"}, "serving %s (buys on %s; twilio %s, telnyx %s)", cfg.bind,
                car->purchase_carrier, car->carriers[CAR_TWILIO].api_base, car->carriers[CAR_TELNYX].api_base);
    return car;
}

static void on_rpc_drained(void *ud)
{
    car_t *car = ud;
    oi_service_t *svc = car->svc;
    oi_rpc_server_destroy(&car->rpc);
    car_http_destroy(&car->http);
    free(car);
    curl_global_cleanup();
    oi_log_info(&(oi_log_ctx_t){.action = "draining"}, "drained");
    oi_service_drained(svc);
}

void car_on_drain(oi_service_t *svc, bool force, void *ud)
{
    car_t *car = ud;
    if (force || car->draining)
        return;
    car->draining = true;
    oi_rpc_server_drain(car->rpc, oi_service_grace_ms(svc), on_rpc_drained, car);
}
