/* test_sim_roundtrip.c: the real oi-carrier binary against the real oi-carrier-sim over HTTP,
 * driven through its ZeroMQ RPC: both drivers, Telnyx pending orders, taken numbers. */
#include <criterion/criterion.h>

#include <curl/curl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oi/proto_enum.h"
#include "oi/rpc.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"

static pid_t sim_pid, car_pid;
static char endpoint[64], sim_url[64];

static pid_t spawn(const char *bin, char *const envp_extra[])
{
    char self[PATH_MAX] = "";
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    cr_assert(n > 0);
    self[n] = 0;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dirname(self), bin);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; envp_extra[i]; i++)
            putenv(envp_extra[i]);
        execl(path, bin, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void stop(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        waitpid(*pid, NULL, 0);
    }
    *pid = 0;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static long sim_post(const char *path, const char *body)
{
    char url[128];
    snprintf(url, sizeof url, "%s%s", sim_url, path);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* "twilio" → PROVIDER_TWILIO; a name the contract does not have → a value no carrier has (as a
 * newer client could send). */
static Oneinbox__V1__Provider provider_of(const char *name)
{
    int v = 0;
    return oi_enum_parse(&oneinbox__v1__provider__descriptor, name, &v) ? (Oneinbox__V1__Provider)v
                                                                          : (Oneinbox__V1__Provider)77;
}

/* A call of carrier's method (its reply type follows from the contract). */
static oi_status_t call(const char *method, const ProtobufCMessage *req, ProtobufCMessage **out, oi_error_t *err)
{
    oi_rpc_sync_t *s = oi_rpc_sync_new(endpoint, err);
    oi_error_init(err);
    oi_status_t st = oi_rpc_sync_call(s, &oneinbox__v1__carrier__descriptor, method, "req_test", "", req, 15000, out, err);
    oi_rpc_sync_destroy(&s);
    return st;
}

static void setup(void)
{
    int base = 24000 + (int)(getpid() % 2500) * 3; /* below the ephemeral range (32768+) */
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", base);
    snprintf(sim_url, sizeof sim_url, "http://127.0.0.1:%d", base + 1);
    static char e[12][160];
    snprintf(e[0], sizeof e[0], "OI_SIM_PORT=%d", base + 1);
    snprintf(e[1], sizeof e[1], "OI_OPS_PORT=%d", base + 2);
    char *sim_env[] = {e[0], "OI_LOG_LEVEL=warn", NULL};
    sim_pid = spawn("oi-carrier-sim", sim_env);
    snprintf(e[2], sizeof e[2], "OI_RPC_BIND=%s", endpoint);
    snprintf(e[3], sizeof e[3], "OI_TWILIO_API_BASE=%s", sim_url);
    snprintf(e[4], sizeof e[4], "OI_TWILIO_TRUNKING_BASE=%s", sim_url);
    snprintf(e[5], sizeof e[5], "OI_TELNYX_API_BASE=%s/v2", sim_url);
    char *car_env[] = {e[1], e[2], e[3], e[4], e[5], "OI_LOG_LEVEL=warn",
                       "OI_TWILIO_ACCOUNT_SID=AC5f2c9e0d1b7a48e6a3c4d5e6f7a8b9c0",
                       "OI_TWILIO_AUTH_TOKEN=0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
                       "OI_TELNYX_API_KEY=KEYsim0000000000000000000000000000_simtelnyxsecret",
                       "OI_TELNYX_ORDER_WAIT_MS=300", "OI_SIP_INGRESS_URI=sip:voice.example.net:5060", NULL};
    car_pid = spawn("oi-carrier", car_env);
    for (int i = 0; i < 100 && sim_post("/sim/reset", "{}") != 200; i++)
        usleep(50 * 1000);
}

static void teardown(void)
{
    stop(&car_pid);
    stop(&sim_pid);
}

TestSuite(sim_roundtrip, .init = setup, .fini = teardown, .timeout = 60);

static Oneinbox__V1__CarrierSearchReply *search(const char *provider, const char *area)
{
    Oneinbox__V1__CarrierSearchRequest q = ONEINBOX__V1__CARRIER_SEARCH_REQUEST__INIT;
    Oneinbox__V1__OptString ac = ONEINBOX__V1__OPT_STRING__INIT;
    ac.value = (char *)area;
    q.provider = provider_of(provider);
    q.country = "US";
    q.area_code = &ac;
    q.limit = 2;
    ProtobufCMessage *out = NULL;
    oi_error_t err;
    oi_status_t st = call("Search", &q.base, &out, &err);
    cr_assert_eq(st, OI_OK, "%s %s", oi_status_code(err.status), err.message);
    return (Oneinbox__V1__CarrierSearchReply *)out;
}

static oi_status_t purchase(const char *provider, const char *number, Oneinbox__V1__CarrierNumber **n,
                            oi_error_t *err)
{
    Oneinbox__V1__CarrierPurchaseRequest q = ONEINBOX__V1__CARRIER_PURCHASE_REQUEST__INIT;
    q.provider = provider_of(provider);
    q.phone_number = (char *)number;
    q.reference = "job-test";
    return call("Purchase", &q.base, (ProtobufCMessage **)n, err);
}

static Oneinbox__V1__CarrierLookupReply *lookup(const char *provider, const char *number, const char *order)
{
    Oneinbox__V1__CarrierLookupRequest q = ONEINBOX__V1__CARRIER_LOOKUP_REQUEST__INIT;
    q.provider = provider_of(provider);
    q.phone_number = (char *)number;
    q.order_id = (char *)order;
    ProtobufCMessage *out = NULL;
    oi_error_t err;
    cr_assert_eq(call("Lookup", &q.base, &out, &err), OI_OK,
                 "%s", err.message);
    return (Oneinbox__V1__CarrierLookupReply *)out;
}

static void trunk_and_release(const char *provider, const Oneinbox__V1__CarrierNumber *n)
{
    oi_error_t err;
    Oneinbox__V1__CarrierTrunkRequest t = ONEINBOX__V1__CARRIER_TRUNK_REQUEST__INIT;
    t.provider = provider_of(provider);
    char name[64];
    snprintf(name, sizeof name, "oi-test-trunk-%s", n->carrier_number_id);
    t.name = name;
    t.carrier_number_id = n->carrier_number_id;
    t.first_attempt = true; /* creates without looking */
    ProtobufCMessage *out = NULL;
    cr_assert_eq(call("EnsureTrunk", &t.base, &out, &err), OI_OK,
                 "%s", err.message);
    Oneinbox__V1__CarrierTrunk *trunk = (Oneinbox__V1__CarrierTrunk *)out;
    cr_assert(trunk->trunk_id[0]);
    /* a retried call (as after a crash) finds the trunk, its ingress and the number on it */
    t.first_attempt = false;
    ProtobufCMessage *again = NULL;
    cr_assert_eq(call("EnsureTrunk", &t.base, &again, &err), OI_OK,
                 "%s", err.message);
    cr_assert_str_eq(((Oneinbox__V1__CarrierTrunk *)again)->trunk_id, trunk->trunk_id, "%s retried: a second trunk",
                     provider);
    protobuf_c_message_free_unpacked(again, NULL);
    /* lookup_only (compensation) finds it, and finds nothing for a name never used */
    t.lookup_only = true;
    cr_assert_eq(call("EnsureTrunk", &t.base, &again, &err), OI_OK,
                 "%s", err.message);
    cr_assert_str_eq(((Oneinbox__V1__CarrierTrunk *)again)->trunk_id, trunk->trunk_id);
    protobuf_c_message_free_unpacked(again, NULL);
    t.name = "oi-never-made";
    cr_assert_eq(call("EnsureTrunk", &t.base, &again, &err), OI_OK,
                 "%s", err.message);
    cr_assert_str_eq(((Oneinbox__V1__CarrierTrunk *)again)->trunk_id, "", "%s: lookup_only created a trunk", provider);
    protobuf_c_message_free_unpacked(again, NULL);
    Oneinbox__V1__CarrierReleaseRequest r = ONEINBOX__V1__CARRIER_RELEASE_REQUEST__INIT;
    r.provider = provider_of(provider);
    r.carrier_number_id = n->carrier_number_id;
    r.phone_number = n->phone_number;
    cr_assert_eq(call("Release", &r.base, &out, &err), OI_OK, "%s",
                 err.message);
    protobuf_c_message_free_unpacked(out, NULL);
    Oneinbox__V1__CarrierTrunkDeleteRequest d = ONEINBOX__V1__CARRIER_TRUNK_DELETE_REQUEST__INIT;
    d.provider = provider_of(provider);
    d.trunk_id = trunk->trunk_id;
    cr_assert_eq(call("DeleteTrunk", &d.base, &out, &err), OI_OK, "%s",
                 err.message);
    protobuf_c_message_free_unpacked(out, NULL);
    protobuf_c_message_free_unpacked(&trunk->base, NULL);
}

static void buy_cycle(const char *provider)
{
    Oneinbox__V1__CarrierSearchReply *s = search(provider, "415");
    cr_assert_geq(s->n_numbers, 1);
    Oneinbox__V1__CarrierNumber *n = NULL;
    oi_error_t err;
    cr_assert_eq(purchase(provider, s->numbers[0]->phone_number, &n, &err), OI_OK, "%s", err.message);
    cr_assert_str_eq(n->state, "active");
    cr_assert(n->carrier_number_id[0]);
    Oneinbox__V1__CarrierLookupReply *l = lookup(provider, n->phone_number, "");
    cr_assert(l->found);
    protobuf_c_message_free_unpacked(&l->base, NULL);
    trunk_and_release(provider, n);
    l = lookup(provider, n->phone_number, "");
    cr_assert_not(l->found);
    protobuf_c_message_free_unpacked(&l->base, NULL);
    protobuf_c_message_free_unpacked(&n->base, NULL);
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

Test(sim_roundtrip, twilio_search_buy_trunk_release) { buy_cycle("twilio"); }

Test(sim_roundtrip, telnyx_search_buy_trunk_release) { buy_cycle("telnyx"); }

Test(sim_roundtrip, telnyx_pending_order_finishes_through_lookup)
{
    cr_assert_eq(sim_post("/sim/faults", "{\"route\":\"telnyx.order\",\"pending_seconds\":1,\"count\":1}"), 201);
    Oneinbox__V1__CarrierSearchReply *s = search("telnyx", "212");
    Oneinbox__V1__CarrierNumber *n = NULL;
    oi_error_t err;
    cr_assert_eq(purchase("telnyx", s->numbers[0]->phone_number, &n, &err), OI_OK, "%s", err.message);
    cr_assert_str_eq(n->state, "pending");
    cr_assert(n->order_id[0]);
    sleep(2);
    Oneinbox__V1__CarrierLookupReply *l = lookup("telnyx", n->phone_number, n->order_id);
    cr_assert(l->found);
    cr_assert_str_eq(l->number->state, "active");
    cr_assert(l->number->carrier_number_id[0]);
    protobuf_c_message_free_unpacked(&l->base, NULL);
    protobuf_c_message_free_unpacked(&n->base, NULL);
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

Test(sim_roundtrip, taken_number_and_unknown_carrier)
{
    Oneinbox__V1__CarrierSearchReply *s = search("twilio", "305");
    char body[96];
    snprintf(body, sizeof body, "{\"phone_number\":\"%s\"}", s->numbers[0]->phone_number);
    cr_assert_eq(sim_post("/sim/take", body), 200);
    Oneinbox__V1__CarrierNumber *n = NULL;
    oi_error_t err;
    cr_assert_eq(purchase("twilio", s->numbers[0]->phone_number, &n, &err), OI_NUMBER_NOT_AVAILABLE, "%s",
                 err.message);
    cr_assert_null(n);
    cr_assert_eq(purchase("bandwidth", "+14155550100", &n, &err), OI_CARRIER_ERROR);
    cr_assert_eq(purchase("twilio", "not-a-number", &n, &err), OI_INVALID);
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

Test(sim_roundtrip, breaker_opens_under_persistent_5xx)
{
    cr_assert_eq(sim_post("/sim/faults", "{\"route\":\"telnyx.search\",\"status\":503,\"count\":-1}"), 201);
    Oneinbox__V1__CarrierSearchRequest q = ONEINBOX__V1__CARRIER_SEARCH_REQUEST__INIT;
    q.provider = ONEINBOX__V1__PROVIDER__PROVIDER_TELNYX;
    q.country = "US";
    oi_error_t err;
    ProtobufCMessage *out = NULL;
    for (int i = 0; i < 3; i++)
        cr_assert_eq(call("Search", &q.base, &out, &err),
                     OI_CARRIER_UNAVAILABLE);
    cr_assert(strstr(err.message, "circuit breaker") != NULL, "%s", err.message);
}

/* A carrier slower than the caller can wait fails that call (the caller's deadline), but slowness
 * is not failure: the breaker stays closed and the next call, once the carrier is quick again,
 * goes through at once. */
Test(sim_roundtrip, slowness_below_the_carrier_limit_never_opens_the_breaker)
{
    cr_assert_eq(sim_post("/sim/faults", "{\"route\":\"telnyx.search\",\"latency_ms\":600,\"count\":-1}"), 201);
    Oneinbox__V1__CarrierSearchRequest q = ONEINBOX__V1__CARRIER_SEARCH_REQUEST__INIT;
    q.provider = ONEINBOX__V1__PROVIDER__PROVIDER_TELNYX;
    q.country = "US";
    oi_error_t err;
    ProtobufCMessage *out = NULL;
    oi_rpc_sync_t *s = oi_rpc_sync_new(endpoint, &err);
    for (int i = 0; i < 8; i++) { /* more than the breaker's threshold (5) */
        oi_error_init(&err);
        oi_status_t st = oi_rpc_sync_call(s, &oneinbox__v1__carrier__descriptor, "Search", "req_slow", "", &q.base, 300,
                                          &out, &err);
        cr_assert_neq(st, OI_OK, "a 600 ms carrier cannot answer a 300 ms caller");
    }
    oi_rpc_sync_destroy(&s);
    cr_assert_eq(sim_post("/sim/reset", "{}"), 200);
    usleep(700 * 1000); /* the slow requests still in flight end */
    cr_assert_eq(call("Search", &q.base, &out, &err), OI_OK,
                 "the breaker opened on slowness: %s", err.message);
    protobuf_c_message_free_unpacked(out, NULL);
}
