/* rate_phase.c: the rate phase, between auth and idempotency (pipeline.h): an API key's or a
 * dashboard JWT's request takes a token from its key's bucket, its workspace's and, for a
 * purchase, its workspace's purchase budget (rate_limit.h); refused: 429 with Retry-After and the
 * RateLimit-* headers (draft-ietf-httpapi-ratelimit-headers), nothing else done. */
#define OI_LOG_TAG "gw.rate"
#include <stdio.h>

#include "gw.h"
#include "pipeline.h"
#include "rate_limit.h"

static void on_verdict(const gw_rate_verdict_t *v, void *ud)
{
    gw_req_t *r = ud;
    if (v->allowed) {
        gw_phase_idempotency(r);
        return;
    }
    const gw_rate_rule_t *rule = v->rule;
    const char *what = rule == &r->gw->rate_purchase    ? "purchases per workspace"
                       : rule == &r->gw->rate_workspace ? "requests per workspace"
                                                        : "requests per API key";
    char headers[160];
    snprintf(headers, sizeof headers, "Retry-After: %d\r\nRateLimit-Limit: %.0f\r\nRateLimit-Remaining: 0\r\n"
             "RateLimit-Reset: %d\r\n", v->retry_after_s, rule->burst, v->retry_after_s);
    oi_error_t e;
    oi_error_init(&e);
    oi_error_set(&e, OI_RATE_LIMITED, "rate limit exceeded: %.0f %s per second (bursts of %.0f); retry after %d s",
                 rule->rps, what, rule->burst, v->retry_after_s);
    gw_respond_error_with(r, headers, &e);
}

void gw_phase_rate(gw_req_t *r)
{
    gw_t *gw = r->gw;
    char key[48], ws[48], buy[48];
    gw_rate_want_t wants[GW_RATE_WANTS_MAX];
    size_t n = 0;
    if (r->caller == GW_CALLER_KEY) {
        snprintf(key, sizeof key, "key:%s", r->api_key_id);
        wants[n++] = (gw_rate_want_t){key, &gw->rate_key};
    }
    snprintf(ws, sizeof ws, "ws:%s", r->workspace_id);
    wants[n++] = (gw_rate_want_t){ws, &gw->rate_workspace};
    if (r->route->handler == gw_numbers_purchase) {
        snprintf(buy, sizeof buy, "buy:%s", r->workspace_id);
        wants[n++] = (gw_rate_want_t){buy, &gw->rate_purchase};
    }
    gw_rate_take(gw->rate, wants, n, on_verdict, r);
}
