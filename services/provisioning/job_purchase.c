/* job_purchase.c: buy a number from the platform's carrier (Paths A and B).
 *
 * The number row is reserved BEFORE buying: the unique live-number index then guarantees that two
 * jobs never buy (or adopt) the same number, and a job that finds the number already on our account
 * (Lookup, after a crash or timeout) knows it is its own purchase. A search-picked number that the
 * carrier refuses (taken meanwhile) is released from the reservation and the next match tried.
 * Every carrier call is asynchronous: a job waiting on a slow carrier holds no thread. */
#define OI_LOG_TAG "prov.purchase"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp_sync.h"
#include "job_activate.h"
#include "jobs.h"
#include "numbers_db.h"
#include "oi/crypto.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "sipcfg.h"
#include "trunk_creds.h"

#define REQ(r) ((const Oneinbox__V1__PurchaseNumberRequest *)(r)->req)
#define S(x) ((char *)(uintptr_t)((x) ? (x) : ""))
#define SEARCH_LIMIT 20
#define MAX_PICKS 5

static const char *opt(const Oneinbox__V1__OptString *o) { return o && o->value[0] ? o->value : NULL; }

/* What one acquire step keeps between its calls. */
typedef struct {
    int tries;
    char phone[40];                 /* the number being bought */
    char cand[SEARCH_LIMIT][40];    /* a search's matches, in order */
    bool cand_sms[SEARCH_LIMIT];
    size_t n_cand, next_cand;
} buy_t;

static void buy_free(void *b) { free(b); }

static buy_t *buy_state(prov_run_t *r)
{
    if (!r->scratch) {
        r->scratch = oi_xcalloc(1, sizeof(buy_t));
        r->scratch_free = buy_free;
    }
    return r->scratch;
}

static void fail(prov_run_t *r, oi_status_t st, const char *msg)
{
    oi_error_t e;
    oi_error_init(&e);
    oi_error_set(&e, st, "%s", msg);
    prov_run_step_done(r, st, &e);
}

/* --- exclusions: numbers the carrier refused this job ------------------------------------------- */

static bool excluded(prov_run_t *r, const char *phone)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r->job->payload, "excluded"), i, v)
    {
        if (json_string_value(v) && strcmp(json_string_value(v), phone) == 0)
            return true;
    }
    return false;
}

static void exclude(prov_run_t *r, const char *phone)
{
    json_t *ex = json_object_get(r->job->payload, "excluded");
    if (!json_is_array(ex)) {
        ex = json_array();
        json_object_set_new(r->job->payload, "excluded", ex);
    }
    json_array_append_new(ex, json_string(phone));
}

/* --- buying: look up (a resumed job must not buy twice), else purchase --------------------------- */

static void try_pick(prov_run_t *r);

static void take_number(prov_run_t *r, const Oneinbox__V1__CarrierNumber *n)
{
    r->job->charged = true;
    prov_run_set(r, "carrier_number_id", n->carrier_number_id[0] ? n->carrier_number_id : NULL);
    const char *listed = prov_run_get(r, "search_sms");
    bool sms = n->capabilities_unknown && listed ? strcmp(listed, "true") == 0 : n->sms;
    prov_run_set(r, "sms", sms ? "true" : "false");
    bool pending = strcmp(n->state, "pending") == 0;
    if (pending && n->order_id[0])
        prov_run_set(r, "order_id", n->order_id);
    prov_run_set(r, "pending", pending ? "true" : NULL);
}

static void bought(prov_run_t *r)
{
    if (prov_run_get(r, "pending"))
        fail(r, OI_ACCEPTED, "carrier order pending");
    else
        prov_run_step_done(r, OI_OK, NULL);
}

static void on_unreserved_refused(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res,
                                  size_t n)
{
    (void)res;
    (void)n;
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    buy_t *b = buy_state(r);
    exclude(r, b->phone);
    prov_run_set(r, "phone_number", NULL);
    b->tries++;
    try_pick(r);
}

static void on_purchased(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    buy_t *b = buy_state(r);
    if (st == OI_NUMBER_NOT_AVAILABLE && !opt(REQ(r)->phone_number)) {
        /* taken between search and purchase: free the reservation and try the next match */
        prov_number_unreserve(r->p, prov_run_get(r, "number_id"), PROV_RUN_SQL(r, on_unreserved_refused));
        return;
    }
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    take_number(r, (const Oneinbox__V1__CarrierNumber *)reply);
    oi_log_info(&(oi_log_ctx_t){.request_id = r->job->id, .action = "buying a number"}, "bought %s on %s", b->phone,
                prov_run_get(r, "provider"));
    prov_run_save(r, "number_bought", bought); /* the charge is durable before anything else */
}

static void on_looked_up(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    const Oneinbox__V1__CarrierLookupReply *lr = (const Oneinbox__V1__CarrierLookupReply *)reply;
    if (lr->found && lr->number) {
        take_number(r, lr->number);
        prov_run_save(r, "number_bought", bought);
        return;
    }
    prov_run_set(r, "order_id", NULL);
    prov_run_set(r, "pending", NULL);
    Oneinbox__V1__CarrierPurchaseRequest pq = ONEINBOX__V1__CARRIER_PURCHASE_REQUEST__INIT;
    pq.provider = prov_provider_parse(prov_run_get(r, "provider"));
    pq.phone_number = buy_state(r)->phone;
    pq.friendly_name = S(opt(REQ(r)->friendly_name));
    pq.reference = r->job->id;
    prov_run_call(r, PROV_PEER_CARRIER, "Purchase", &pq.base, on_purchased);
}

static void buy(prov_run_t *r)
{
    if (prov_run_get(r, "carrier_number_id") && !prov_run_get(r, "pending")) {
        prov_run_step_done(r, OI_OK, NULL);
        return;
    }
    Oneinbox__V1__CarrierLookupRequest lq = ONEINBOX__V1__CARRIER_LOOKUP_REQUEST__INIT;
    lq.provider = prov_provider_parse(prov_run_get(r, "provider"));
    lq.phone_number = buy_state(r)->phone;
    lq.order_id = S(prov_run_get(r, "order_id"));
    prov_run_call(r, PROV_PEER_CARRIER, "Lookup", &lq.base, on_looked_up);
}

/* --- picking and reserving a number ------------------------------------------------------------- */

static void reserved(prov_run_t *r)
{
    buy_t *b = buy_state(r);
    snprintf(b->phone, sizeof b->phone, "%s", prov_run_get(r, "phone_number"));
    prov_run_save(r, "number_reserved", buy);
}

static void reserve(prov_run_t *r, const char *phone, prov_run_sql_fn cb)
{
    const Oneinbox__V1__PurchaseNumberRequest *q = REQ(r);
    prov_routing_t routing;
    prov_routing_from_proto(&routing, q->inbound_routing);
    prov_number_row_t row = {
        .id = prov_run_get(r, "number_id"),
        .workspace_id = r->job->workspace_id,
        .phone_number = phone,
        .friendly_name = opt(q->friendly_name),
        .provider = prov_run_get(r, "provider"),
        .agent_id = q->agent_id,
        .origin = "purchased",
        .inbound_trunk_id = prov_run_get(r, "inbound_trunk_id"),
        .outbound_trunk_id = prov_run_get(r, "outbound_trunk_id"),
        .dispatch_rule_id = prov_run_get(r, "dispatch_rule_id"),
        .routing = &routing,
        .job_id = r->job->id,
    };
    snprintf(buy_state(r)->phone, sizeof buy_state(r)->phone, "%s", phone);
    prov_number_reserve(r->p, &row, PROV_RUN_SQL(r, cb));
    prov_routing_cleanup(&routing);
}

static void reserve_next_candidate(prov_run_t *r);

static void on_candidate_reserved(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res,
                                  size_t n)
{
    buy_t *b = buy_state(r);
    if (prov_number_taken(st, err) || (!st && (n != 1 || PQntuples(res[0]) != 1))) {
        reserve_next_candidate(r);
        return;
    }
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    prov_run_set(r, "phone_number", b->phone);
    /* the search lists capabilities some carriers' number records lack */
    prov_run_set(r, "search_sms", b->cand_sms[b->next_cand - 1] ? "true" : "false");
    reserved(r);
}

static void reserve_next_candidate(prov_run_t *r)
{
    buy_t *b = buy_state(r);
    while (b->next_cand < b->n_cand && excluded(r, b->cand[b->next_cand]))
        b->next_cand++;
    if (b->next_cand >= b->n_cand) {
        fail(r, OI_NO_NUMBERS_FOUND, "no available number matches the search");
        return;
    }
    reserve(r, b->cand[b->next_cand++], on_candidate_reserved);
}

static void on_searched(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    const Oneinbox__V1__CarrierSearchReply *rep = (const Oneinbox__V1__CarrierSearchReply *)reply;
    buy_t *b = buy_state(r);
    b->n_cand = b->next_cand = 0;
    for (size_t i = 0; i < rep->n_numbers && b->n_cand < SEARCH_LIMIT; i++) {
        const char *phone = rep->numbers[i]->phone_number;
        if (!phone[0] || strlen(phone) >= sizeof b->cand[0])
            continue;
        snprintf(b->cand[b->n_cand], sizeof b->cand[0], "%s", phone);
        b->cand_sms[b->n_cand++] = rep->numbers[i]->sms;
    }
    reserve_next_candidate(r);
}

/* carrier.Search in the request's country on the job's carrier. */
static void search(prov_run_t *r, Oneinbox__V1__OptString *area_code, Oneinbox__V1__OptString *contains,
                   prov_run_reply_fn cb)
{
    Oneinbox__V1__CarrierSearchRequest q = ONEINBOX__V1__CARRIER_SEARCH_REQUEST__INIT;
    q.provider = prov_provider_parse(prov_run_get(r, "provider"));
    q.country = S(REQ(r)->country);
    q.area_code = area_code;
    q.contains = contains;
    q.limit = SEARCH_LIMIT;
    prov_run_call(r, PROV_PEER_CARRIER, "Search", &q.base, cb);
}

/* A named number's capabilities from the carrier's listing of it, before it is bought and leaves
 * the listing: some carriers' number records carry none (Telnyx). Best effort: a failed or
 * empty search only leaves them to what the purchase answers. */
static void on_probed(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)err;
    const char *phone = prov_run_get(r, "phone_number");
    const Oneinbox__V1__CarrierSearchReply *rep = (const Oneinbox__V1__CarrierSearchReply *)reply;
    for (size_t i = 0; !st && phone && i < rep->n_numbers; i++)
        if (strcmp(rep->numbers[i]->phone_number, phone) == 0)
            prov_run_set(r, "search_sms", rep->numbers[i]->sms ? "true" : "false");
    reserved(r);
}

static void on_wanted_reserved(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    const char *wanted = opt(REQ(r)->phone_number);
    if (prov_number_taken(st, err) || (!st && (n != 1 || PQntuples(res[0]) != 1))) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_PHONE_NUMBER_EXISTS, "phone number %s is already registered", wanted);
        oi_error_set_loc(&e, "body.phone_number");
        prov_run_step_done(r, OI_PHONE_NUMBER_EXISTS, &e);
        return;
    }
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    prov_run_set(r, "phone_number", wanted);
    size_t len = strlen(wanted);
    if (prov_run_get(r, "search_sms") || len < 8) {
        reserved(r);
        return;
    }
    Oneinbox__V1__OptString contains = ONEINBOX__V1__OPT_STRING__INIT;
    contains.value = (char *)(uintptr_t)(wanted + len - 7); /* the subscriber digits: every carrier matches them */
    search(r, NULL, &contains, on_probed);
}

static void try_pick(prov_run_t *r)
{
    buy_t *b = buy_state(r);
    if (b->tries >= MAX_PICKS) {
        fail(r, OI_NUMBER_NOT_AVAILABLE, "the matching numbers were taken meanwhile");
        return;
    }
    if (prov_run_get(r, "phone_number")) {
        reserved(r);
        return;
    }
    const char *wanted = opt(REQ(r)->phone_number);
    if (wanted)
        reserve(r, wanted, on_wanted_reserved);
    else
        search(r, REQ(r)->area_code, REQ(r)->contains, on_searched);
}

/* A reservation made by an attempt that died before recording it. */
static void on_adopted(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    (void)err;
    if (!st && n == 1 && PQntuples(res[0]) == 1 && !oi_pg_get(res[0], 0, "deleted_at"))
        prov_run_set(r, "phone_number", oi_pg_get(res[0], 0, "phone_number"));
    try_pick(r);
}

static void step_acquire(prov_run_t *r)
{
    buy_state(r)->tries = 0;
    if (prov_run_get(r, "phone_number")) {
        try_pick(r);
        return;
    }
    prov_number_load(r->p, prov_run_get(r, "number_id"), PROV_RUN_SQL(r, on_adopted));
}

/* --- the carrier trunk: inbound to our ingress, outbound with the credentials made for it ----------- */

static void on_trunk(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    const Oneinbox__V1__CarrierTrunk *t = (const Oneinbox__V1__CarrierTrunk *)reply;
    prov_run_set(r, "carrier_trunk_id", t->trunk_id[0] ? t->trunk_id : NULL);
    prov_run_set(r, "trunk_address", t->trunk_address[0] ? t->trunk_address : NULL);
    prov_run_step_done(r, OI_OK, NULL);
}

static void ensure_trunk(prov_run_t *r, bool first_attempt, bool lookup_only, prov_run_reply_fn cb)
{
    char name[PROV_TRUNK_NAME_MAX];
    prov_trunk_name(prov_run_get(r, "number_id"), name);
    char *password = lookup_only ? NULL : prov_trunk_password(r);
    Oneinbox__V1__CarrierTrunkRequest q = ONEINBOX__V1__CARRIER_TRUNK_REQUEST__INIT;
    q.provider = prov_provider_parse(prov_run_get(r, "provider"));
    q.name = name;
    q.carrier_number_id = S(prov_run_get(r, "carrier_number_id"));
    q.first_attempt = first_attempt;
    q.lookup_only = lookup_only;
    q.auth_username = password ? S(prov_run_get(r, "sip_username")) : "";
    q.auth_password = password ? password : "";
    prov_run_call(r, PROV_PEER_CARRIER, "EnsureTrunk", &q.base, cb); /* packed before it returns */
    oi_crypto_free_secret(password);
}

static void trunk_first(prov_run_t *r) { ensure_trunk(r, true, false, on_trunk); }

static void trunk_again(prov_run_t *r) { ensure_trunk(r, false, false, on_trunk); }

static void step_carrier_trunk(prov_run_t *r)
{
    if (prov_run_get(r, "carrier_trunk_id")) {
        prov_run_step_done(r, OI_OK, NULL);
        return;
    }
    /* the intent and the credentials are durable before the first call: only a call made after
     * it may find a trunk already there (a crash or timeout after the carrier created it), and
     * only that one looks; every call gives the carrier the same credentials */
    bool made = prov_trunk_creds_ensure(r);
    if (prov_run_get(r, "carrier_trunk_intent")) {
        if (made)
            prov_run_save(r, "trunk_credentials", trunk_again);
        else
            trunk_again(r);
        return;
    }
    char name[PROV_TRUNK_NAME_MAX];
    prov_trunk_name(prov_run_get(r, "number_id"), name);
    prov_run_set(r, "carrier_trunk_intent", name);
    prov_run_save(r, "carrier_trunk_intent", trunk_first);
}

/* --- oi-dispatch and activation ------------------------------------------------------------------- */

static void on_applied(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)reply;
    prov_run_step_done(r, st, err);
}

/* The outbound trunk is the one the carrier made with our credentials. A job whose trunk step ran
 * before trunks had credentials (resumed across an upgrade) keeps what such jobs stored: the
 * platform's environment trunk, else the carrier's host. */
static void step_dispatch(prov_run_t *r)
{
    const char *provider = prov_run_get(r, "provider");
    char *password = prov_run_get(r, "trunk_address") ? prov_trunk_password(r) : NULL;
    prov_sip_fields_t out = {prov_run_get(r, "trunk_address"), prov_run_get(r, "sip_username"), password};
    char legacy[PROV_TRUNK_NAME_MAX + 32];
    if (!password) {
        prov_sip_env(provider, &out);
        prov_trunk_name(prov_run_get(r, "number_id"), legacy);
        if (strcmp(S(provider), "telnyx") == 0)
            snprintf(legacy, sizeof legacy, "sip.telnyx.com");
        else
            strncat(legacy, ".pstn.twilio.com", sizeof legacy - strlen(legacy) - 1);
        if (!out.trunk_address || !out.trunk_address[0])
            out.trunk_address = legacy;
    }
    prov_routing_t routing;
    prov_routing_from_proto(&routing, REQ(r)->inbound_routing);
    prov_dsp_number_t n = {
        .number_id = prov_run_get(r, "number_id"),
        .phone_number = prov_run_get(r, "phone_number"),
        .provider = provider,
        .version = 1,
        .outbound_trunk_id = prov_run_get(r, "outbound_trunk_id"),
        .outbound = &out,
        .inbound_trunk_id = prov_run_get(r, "inbound_trunk_id"),
        .dispatch_rule_id = prov_run_get(r, "dispatch_rule_id"),
        .routing = &routing,
    };
    prov_dsp_apply(r, &n, on_applied);
    prov_routing_cleanup(&routing);
    oi_crypto_free_secret(password);
}

static void finish(prov_run_t *r)
{
    prov_number_activation_t a = {.number_id = prov_run_get(r, "number_id"),
                                  .sms = prov_run_get(r, "sms"),
                                  .carrier_number_id = prov_run_get(r, "carrier_number_id"),
                                  .carrier_trunk_id = prov_run_get(r, "carrier_trunk_id"),
                                  .job_id = r->job->id,
                                  .step = "activate"};
    prov_job_activate(r, &a);
}

/* --- compensation: release, trunk (even one whose id was never saved), dispatch, reservation ------- */

static void comp_done(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    (void)res;
    (void)n;
    if (!st) {
        static const char *const progress[] = {"phone_number", "carrier_number_id", "order_id", "pending",
                                               "carrier_trunk_id", "carrier_trunk_intent", "sms", "search_sms",
                                               "trunk_address", "sip_username", "sip_password_sealed"};
        for (size_t i = 0; i < sizeof progress / sizeof progress[0]; i++)
            prov_run_set(r, progress[i], NULL);
    }
    prov_run_step_done(r, st, err);
}

static void comp_dispatch_done(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)reply;
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    prov_number_unreserve(r->p, prov_run_get(r, "number_id"), PROV_RUN_SQL(r, comp_done));
}

static void comp_trunk_deleted(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)reply;
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    prov_dsp_remove(r, 2, comp_dispatch_done);
}

static void comp_delete_trunk(prov_run_t *r)
{
    if (!prov_run_get(r, "carrier_trunk_id")) {
        comp_trunk_deleted(r, OI_OK, NULL, NULL);
        return;
    }
    char name[PROV_TRUNK_NAME_MAX];
    prov_trunk_name(prov_run_get(r, "number_id"), name);
    Oneinbox__V1__CarrierTrunkDeleteRequest q = ONEINBOX__V1__CARRIER_TRUNK_DELETE_REQUEST__INIT;
    q.provider = prov_provider_parse(prov_run_get(r, "provider"));
    q.trunk_id = S(prov_run_get(r, "carrier_trunk_id"));
    q.name = name;
    prov_run_call(r, PROV_PEER_CARRIER, "DeleteTrunk", &q.base, comp_trunk_deleted);
}

static void comp_found_trunk(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    const Oneinbox__V1__CarrierTrunk *t = (const Oneinbox__V1__CarrierTrunk *)reply;
    prov_run_set(r, "carrier_trunk_id", t->trunk_id[0] ? t->trunk_id : NULL);
    comp_delete_trunk(r);
}

/* A trunk whose creation was cut off before its id was saved (a crash in the carrier_trunk
 * step): find it by name, so the compensation deletes it too. */
static void comp_released(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)reply;
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    if (prov_run_get(r, "carrier_trunk_intent") && !prov_run_get(r, "carrier_trunk_id")) {
        ensure_trunk(r, false, true, comp_found_trunk);
        return;
    }
    comp_delete_trunk(r);
}

static void compensate(prov_run_t *r)
{
    if (!prov_run_get(r, "carrier_number_id") && !prov_run_get(r, "order_id")) {
        comp_released(r, OI_OK, NULL, NULL);
        return;
    }
    Oneinbox__V1__CarrierReleaseRequest q = ONEINBOX__V1__CARRIER_RELEASE_REQUEST__INIT;
    q.provider = prov_provider_parse(prov_run_get(r, "provider"));
    q.carrier_number_id = S(prov_run_get(r, "carrier_number_id"));
    q.phone_number = S(prov_run_get(r, "phone_number"));
    prov_run_call(r, PROV_PEER_CARRIER, "Release", &q.base, comp_released);
}

static const prov_step_t steps[] = {
    {"acquire_number", step_acquire, true},
    {"carrier_trunk", step_carrier_trunk, true},
    {"dispatch_routing", step_dispatch, false},
};

const prov_job_ops_t prov_job_purchase_ops = {
    .request = &oneinbox__v1__purchase_number_request__descriptor,
    .steps = steps,
    .n_steps = sizeof steps / sizeof steps[0],
    .finish = finish,
    .compensate = compensate,
};
