/* drift.c: checks of the carrier accounts (drift.h). */
#define OI_LOG_TAG "prov.drift"
#include "drift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "drift_db.h"
#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/periodic.h"
#include "oi/pg.h"
#include "oneinbox/v1/carrier.pb-c.h"

#define GAUGE "oi_provisioning_drift_findings"
#define WAITERS_MAX 64
#define PAGES_MAX 10000 /* 10 million numbers: past it the listing is not ours to trust */

static const char *const providers[] = {"twilio", "telnyx"};
#define N_PROVIDERS (sizeof providers / sizeof providers[0])
static const char *const kinds[] = {"orphan", "missing", "trunk_mismatch", "origination_mismatch"};
#define ORIGINATION_BATCH 50 /* trunks a ListOrigination call */
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static void gauge_set(const char *provider, const char *kind, long long n)
{
    char labels[96];
    snprintf(labels, sizeof labels, "provider=\"%s\",kind=\"%s\"", provider, kind);
    oi_metric_set(GAUGE, labels, n);
}

struct prov_drift {
    prov_t *p;                             /* borrowed */
    oi_periodic_t *rounds;                 /* owned; NULL: checks only when asked */
    bool running, closing;
    oi_periodic_t *round;                  /* the round in flight, by the handle it was given; or NULL */
    bool claiming;                         /* that round is asking whether this period is ours */
    int period_ms;
    size_t at;                             /* the provider being checked */
    json_t *seen;                          /* owned: what its account holds so far */
    json_t *trunks;                        /* owned: our trunks on it (ids), then... */
    size_t trunk_at;                       /* ...how many of them are read so far, into */
    json_t *origination;                   /* owned: trunk id -> {found, reaches, uris} */
    char ingress[512];                     /* where they should send calls (oi-carrier's) */
    char token[1032];                      /* the next page */
    int64_t started_ms;
    Oneinbox__V1__DriftCarrierReport reports[N_PROVIDERS];
    char errors[N_PROVIDERS][OI_ERROR_MSG_MAX + 40];
    oi_rpc_call_t *waiting[WAITERS_MAX];
    size_t n_waiting;
};

static void next_provider(prov_drift_t *d);

static void answer_all(prov_drift_t *d, oi_status_t st)
{
    Oneinbox__V1__DriftCarrierReport *ptrs[N_PROVIDERS];
    for (size_t i = 0; i < N_PROVIDERS; i++)
        ptrs[i] = &d->reports[i];
    Oneinbox__V1__DriftReport report = ONEINBOX__V1__DRIFT_REPORT__INIT;
    report.carriers = ptrs;
    report.n_carriers = N_PROVIDERS;
    for (size_t i = 0; i < d->n_waiting; i++)
        oi_rpc_call_reply(&d->waiting[i], st, NULL, st ? NULL : &report.base);
    d->n_waiting = 0;
}

static void provider_reset(prov_drift_t *d)
{
    json_decref(d->seen);
    json_decref(d->trunks);
    json_decref(d->origination);
    d->seen = d->trunks = d->origination = NULL;
    d->trunk_at = 0;
    d->ingress[0] = '\0';
}

static void on_rounds_closed(void *ud)
{
    prov_drift_t *d = ud;
    provider_reset(d);
    free(d);
}

static void release(prov_drift_t *d)
{
    if (d->rounds)
        oi_periodic_close(&d->rounds, on_rounds_closed);
    else
        on_rounds_closed(d);
}

static void round_end(prov_drift_t *d)
{
    oi_periodic_t *round = d->round;
    d->round = NULL;
    if (round)
        oi_periodic_done(round, false);
}

static void run_ended(prov_drift_t *d)
{
    d->running = false;
    provider_reset(d);
    answer_all(d, d->closing ? OI_UNAVAILABLE : OI_OK);
    if (d->claiming) /* the round's claim is still out: its answer ends the round */
        return;
    round_end(d);
    if (d->closing)
        release(d);
}

static void provider_failed(prov_drift_t *d, const char *why)
{
    snprintf(d->errors[d->at], sizeof d->errors[d->at], "%s", why);
    d->reports[d->at].error = d->errors[d->at];
    oi_log_warn(&(oi_log_ctx_t){.action = "checking carrier drift"}, "%s: %s", providers[d->at], why);
    d->at++;
    next_provider(d);
}

static void on_compared(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    prov_drift_t *d = ud;
    if (st || n != 1 || PQntuples(res[0]) != 1) {
        provider_failed(d, st && err ? err->message : "the comparison failed");
        return;
    }
    Oneinbox__V1__DriftCarrierReport *r = &d->reports[d->at];
    int32_t *counts[N_KINDS] = {&r->orphan, &r->missing, &r->trunk_mismatch, &r->origination_mismatch};
    for (size_t k = 0; k < N_KINDS; k++) {
        *counts[k] = (int32_t)strtol(oi_pg_get(res[0], 0, kinds[k]), NULL, 10);
        gauge_set(providers[d->at], kinds[k], *counts[k]);
    }
    oi_log_info(&(oi_log_ctx_t){.action = "checking carrier drift"},
                "%s: %d numbers on the account, %d orphans, %d missing, %d on another trunk, %d of %d trunks not "
                "sending calls to us", providers[d->at], r->numbers_on_account, r->orphan, r->missing,
                r->trunk_mismatch, r->origination_mismatch, r->trunks_checked);
    d->at++;
    next_provider(d);
}

static void list_page(prov_drift_t *d);
static void on_trunks(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud);

static void on_page(oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    prov_drift_t *d = ud;
    if (d->closing) {
        run_ended(d);
        return;
    }
    if (st) {
        char why[OI_ERROR_MSG_MAX + 40];
        snprintf(why, sizeof why, "the account could not be listed: %s", err ? err->message : oi_status_code(st));
        provider_failed(d, why);
        return;
    }
    const Oneinbox__V1__CarrierNumberPage *page = (const Oneinbox__V1__CarrierNumberPage *)reply;
    Oneinbox__V1__DriftCarrierReport *r = &d->reports[d->at];
    r->pages++;
    for (size_t i = 0; i < page->n_numbers; i++) {
        const Oneinbox__V1__CarrierOwnedNumber *o = page->numbers[i];
        json_array_append_new(d->seen, json_pack("{s:s, s:s, s:s}", "phone_number", o->phone_number,
                                                 "carrier_number_id", o->carrier_number_id, "trunk_id", o->trunk_id));
    }
    r->numbers_on_account = (int32_t)json_array_size(d->seen);
    if (page->next_page_token[0] && r->pages < PAGES_MAX) {
        snprintf(d->token, sizeof d->token, "%s", page->next_page_token);
        list_page(d);
        return;
    }
    prov_drift_trunks(d->p, providers[d->at], on_trunks, d);
}

static void compare(prov_drift_t *d)
{
    char *seen = json_dumps(d->seen, JSON_COMPACT);
    char *origination = json_dumps(d->origination, JSON_COMPACT);
    prov_drift_compare(d->p, providers[d->at], seen, origination, d->ingress, d->started_ms, on_compared, d);
    free(origination);
    free(seen);
}

static void read_origination(prov_drift_t *d);

static void on_origination(oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    prov_drift_t *d = ud;
    if (d->closing) {
        run_ended(d);
        return;
    }
    if (st) {
        char why[OI_ERROR_MSG_MAX + 48];
        snprintf(why, sizeof why, "the trunks' origination could not be read: %s",
                 err ? err->message : oi_status_code(st));
        provider_failed(d, why);
        return;
    }
    const Oneinbox__V1__CarrierOriginationReply *o = (const Oneinbox__V1__CarrierOriginationReply *)reply;
    for (size_t i = 0; i < o->n_trunks; i++) {
        const Oneinbox__V1__CarrierTrunkOrigination *t = o->trunks[i];
        json_t *uris = json_array();
        for (size_t u = 0; u < t->n_uris; u++)
            json_array_append_new(uris, json_string(t->uris[u]));
        json_object_set_new(d->origination, t->trunk_id,
                            json_pack("{s:b, s:b, s:o}", "found", t->found, "reaches", t->reaches_ingress, "uris", uris));
    }
    snprintf(d->ingress, sizeof d->ingress, "%s", o->ingress_uri);
    d->reports[d->at].trunks_checked += (int32_t)o->n_trunks;
    d->trunk_at += o->n_trunks ? o->n_trunks : ORIGINATION_BATCH; /* a reply of none cannot stall the walk */
    read_origination(d);
}

/* The next batch of our trunks' origination, or the comparison once all are read. */
static void read_origination(prov_drift_t *d)
{
    size_t n = json_array_size(d->trunks);
    if (d->trunk_at >= n) {
        compare(d);
        return;
    }
    const char *ids[ORIGINATION_BATCH];
    size_t k = 0;
    for (size_t i = d->trunk_at; i < n && k < ORIGINATION_BATCH; i++)
        ids[k++] = json_string_value(json_array_get(d->trunks, i));
    Oneinbox__V1__CarrierOriginationRequest q = ONEINBOX__V1__CARRIER_ORIGINATION_REQUEST__INIT;
    q.provider = prov_provider_parse(providers[d->at]);
    q.trunk_ids = (char **)ids;
    q.n_trunk_ids = k;
    char request_id[40];
    snprintf(request_id, sizeof request_id, "drift-%lld", (long long)d->started_ms);
    if (oi_rpc_client_call(d->p->carrier, &oneinbox__v1__carrier__descriptor, "ListOrigination", request_id, "",
                           &q.base, d->p->carrier_timeout_ms, on_origination, d) != 0)
        on_origination(OI_UNAVAILABLE, NULL, NULL, d);
}

static void on_trunks(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    prov_drift_t *d = ud;
    if (d->closing) {
        run_ended(d);
        return;
    }
    if (st || n != 1) {
        provider_failed(d, st && err ? err->message : "our trunks could not be read");
        return;
    }
    d->trunks = json_array();
    d->origination = json_object();
    for (int i = 0; i < PQntuples(res[0]); i++)
        json_array_append_new(d->trunks, json_string(oi_pg_get(res[0], i, "carrier_trunk_id")));
    read_origination(d);
}

static void list_page(prov_drift_t *d)
{
    prov_t *p = d->p;
    Oneinbox__V1__CarrierAccountRequest q = ONEINBOX__V1__CARRIER_ACCOUNT_REQUEST__INIT;
    q.provider = prov_provider_parse(providers[d->at]);
    q.page_token = d->token;
    char request_id[40];
    snprintf(request_id, sizeof request_id, "drift-%lld", (long long)d->started_ms);
    if (oi_rpc_client_call(p->carrier, &oneinbox__v1__carrier__descriptor, "ListNumbers", request_id, "", &q.base,
                           p->carrier_timeout_ms, on_page, d) != 0)
        on_page(OI_UNAVAILABLE, NULL, NULL, d);
}

static void next_provider(prov_drift_t *d)
{
    if (d->at >= N_PROVIDERS || d->closing || d->p->draining) {
        run_ended(d);
        return;
    }
    provider_reset(d);
    d->seen = json_array();
    d->token[0] = '\0';
    d->started_ms = oi_clock_now_ms();
    list_page(d);
}

static void run_start(prov_drift_t *d)
{
    d->running = true;
    d->at = 0;
    for (size_t i = 0; i < N_PROVIDERS; i++) {
        oneinbox__v1__drift_carrier_report__init(&d->reports[i]);
        d->reports[i].provider = prov_provider_parse(providers[i]);
    }
    next_provider(d);
}

/* Another replica checked this period: the gauges say what its check found. */
static void on_counted(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)err;
    prov_drift_t *d = ud;
    d->claiming = false;
    if (!st && n == 1) { /* every kind to 0, then the counts of those with open findings */
        for (size_t pi = 0; pi < N_PROVIDERS; pi++)
            for (size_t k = 0; k < N_KINDS; k++)
                gauge_set(providers[pi], kinds[k], 0);
        for (int row = 0; row < PQntuples(res[0]); row++)
            gauge_set(oi_pg_get(res[0], row, "provider"), oi_pg_get(res[0], row, "kind"),
                      strtoll(oi_pg_get(res[0], row, "n"), NULL, 10));
    }
    round_end(d);
    if (d->closing && !d->running)
        release(d);
}

/* This period's check is ours (claimed) unless another replica took it, or one is running. */
static void on_claimed(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    prov_drift_t *d = ud;
    d->claiming = false;
    bool ours = !st && n == 1 && PQntuples(res[0]) == 1;
    if (st)
        oi_log_warn(&(oi_log_ctx_t){.action = "checking carrier drift"}, "this period's check not claimed: %s",
                    err ? err->message : oi_status_code(st));
    if (st || d->closing || d->running || d->p->draining) {
        round_end(d);
        if (d->closing && !d->running)
            release(d);
    } else if (!ours) {
        d->claiming = true;
        prov_drift_counts(d->p, on_counted, d);
    } else {
        run_start(d);
    }
}

static void round_start(oi_periodic_t *rounds, void *ud)
{
    prov_drift_t *d = ud;
    if (d->running || d->p->draining || !d->p->carrier) {
        oi_periodic_done(rounds, false);
        return;
    }
    d->round = rounds;
    d->claiming = true;
    prov_drift_claim(d->p, d->period_ms, on_claimed, d);
}

void prov_drift_check(prov_drift_t *d, oi_rpc_call_t *call)
{
    if (d->n_waiting >= WAITERS_MAX || d->closing) {
        oi_rpc_call_reply(&call, OI_UNAVAILABLE, NULL, NULL);
        return;
    }
    d->waiting[d->n_waiting++] = call;
    if (!d->running)
        run_start(d);
}

prov_drift_t *prov_drift_new(prov_t *p, int interval_ms)
{
    oi_metric_help(GAUGE, "gauge", "open carrier drift findings after the last check (orphan, missing, trunk_mismatch, "
                                    "origination_mismatch)");
    prov_drift_t *d = oi_xcalloc(1, sizeof *d);
    d->p = p;
    d->period_ms = interval_ms;
    if (interval_ms > 0)
        d->rounds = oi_periodic_new(p->loop, (uint64_t)interval_ms, round_start, d);
    return d;
}

void prov_drift_close(prov_drift_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    prov_drift_t *d = *self_p;
    *self_p = NULL;
    d->closing = true;
    answer_all(d, OI_UNAVAILABLE);
    if (!d->running && !d->claiming) /* else the pending callback ends it, and frees */
        release(d);
}
