/* test_rpc.c: the ZeroMQ RPC server, async client and sync client, over real TCP sockets.
 *
 * The server runs on its own uv loop in a thread; async calls run on a loop in the test thread
 * and sync calls block the test thread. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "oi/mem.h"
#include "oi/rpc.h"
#include "oneinbox/test/echo.pb-c.h"
#include "oneinbox/test/impostor/echo.pb-c.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"

typedef struct {
    uv_loop_t loop;
    uv_async_t stop;
    pthread_t thread;
    oi_rpc_server_t *srv;
    char endpoint[64];
} fx_t;

static fx_t fx;

static oi_status_t echo_work(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                             oi_error_t *err)
{
    const Oneinbox__V1__OptString *in = (const Oneinbox__V1__OptString *)req;
    if (strcmp(in->value, "fail") == 0)
        return oi_error_set(err, OI_CONFLICT, "nope for %s", ctx->workspace_id);
    if (strcmp(in->value, "sleep") == 0)
        usleep(300 * 1000);
    Oneinbox__V1__OptString *out = oi_xmalloc(sizeof *out);
    oneinbox__v1__opt_string__init(out);
    if (strcmp(in->value, "scope") == 0) /* who the server thinks called */
        out->value = oi_xasprintf("ws=%s admin=%d", ctx->workspace_id, ctx->admin);
    else
        out->value = oi_xasprintf("%s:%s", in->value, ctx->request_id);
    *reply = &out->base;
    return OI_OK;
}

static void ping_loop(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    (void)ctx;
    (void)req;
    Oneinbox__V1__Empty e = ONEINBOX__V1__EMPTY__INIT;
    oi_rpc_call_reply(&call, OI_OK, NULL, &e.base);
}

static const oi_rpc_method_t methods[] = {
    {"Echo", echo_work, NULL},
    {"Ping", NULL, ping_loop},
};

static void on_stop(uv_async_t *a)
{
    fx_t *f = a->data;
    oi_rpc_server_destroy(&f->srv);
    uv_close((uv_handle_t *)&f->stop, NULL);
}

static void *server_thread(void *arg)
{
    uv_run(&((fx_t *)arg)->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* A server on its own loop thread at 127.0.0.1:port; drain_first: as after SIGTERM. */
static void server_start(fx_t *f, int port, bool drain_first)
{
    snprintf(f->endpoint, sizeof f->endpoint, "tcp://127.0.0.1:%d", port);
    cr_assert_eq(uv_loop_init(&f->loop), 0);
    uv_async_init(&f->loop, &f->stop, on_stop);
    f->stop.data = f;
    f->srv = oi_rpc_server_new(&f->loop, &oneinbox__test__echo__descriptor, methods, 2, NULL);
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(oi_rpc_server_bind(f->srv, f->endpoint, &err), 0, "%s", err.message);
    if (drain_first)
        oi_rpc_server_drain(f->srv, 1000, NULL, NULL);
    pthread_create(&f->thread, NULL, server_thread, f);
}

static void server_stop(fx_t *f)
{
    uv_async_send(&f->stop);
    pthread_join(f->thread, NULL);
    uv_loop_close(&f->loop);
}

/* ports below the ephemeral range (32768+) */
static void setup(void) { server_start(&fx, 12000 + (int)(getpid() % 4000), false); }

static void teardown(void) { server_stop(&fx); }

TestSuite(rpc, .init = setup, .fini = teardown, .timeout = 20);

static Oneinbox__V1__OptString *sync_echo(oi_rpc_sync_t *s, const char *value, uint32_t timeout_ms,
                                          oi_status_t *st, oi_error_t *err)
{
    Oneinbox__V1__OptString in = ONEINBOX__V1__OPT_STRING__INIT;
    in.value = (char *)value;
    ProtobufCMessage *out = NULL;
    oi_error_init(err);
    *st = oi_rpc_sync_call(s, &oneinbox__test__echo__descriptor, "Echo", "req_1", "ws_9", &in.base, timeout_ms,
                           &out, err);
    return (Oneinbox__V1__OptString *)out;
}

Test(rpc, sync_round_trip_and_remote_error)
{
    oi_error_t err;
    oi_error_init(&err);
    oi_rpc_sync_t *s = oi_rpc_sync_new(fx.endpoint, &err);
    cr_assert_not_null(s);
    oi_status_t st;
    Oneinbox__V1__OptString *out = sync_echo(s, "hello", 2000, &st, &err);
    cr_assert_eq(st, OI_OK, "%s", err.message);
    cr_assert_str_eq(out->value, "hello:req_1");
    protobuf_c_message_free_unpacked(&out->base, NULL);

    out = sync_echo(s, "fail", 2000, &st, &err);
    cr_assert_null(out);
    cr_assert_eq(st, OI_CONFLICT);
    cr_assert_str_eq(oi_status_code(err.status), "CONFLICT");
    cr_assert_str_eq(err.message, "nope for ws_9");
    oi_rpc_sync_destroy(&s);
    cr_assert_null(s);
}

Test(rpc, sync_timeout_then_late_reply_is_discarded)
{
    oi_error_t err;
    oi_rpc_sync_t *s = oi_rpc_sync_new(fx.endpoint, &err);
    oi_status_t st;
    Oneinbox__V1__OptString *out = sync_echo(s, "sleep", 100, &st, &err);
    cr_assert_null(out);
    cr_assert_eq(st, OI_TIMEOUT);
    usleep(400 * 1000); /* the late reply is now waiting in the socket */
    out = sync_echo(s, "next", 2000, &st, &err);
    cr_assert_eq(st, OI_OK, "%s", err.message);
    cr_assert_str_eq(out->value, "next:req_1");
    protobuf_c_message_free_unpacked(&out->base, NULL);
    oi_rpc_sync_destroy(&s);
}

Test(rpc, unknown_method_and_garbage_payload)
{
    oi_error_t err;
    oi_error_init(&err);
    oi_rpc_sync_t *s = oi_rpc_sync_new(fx.endpoint, &err);
    Oneinbox__V1__Empty e = ONEINBOX__V1__EMPTY__INIT;
    ProtobufCMessage *out = NULL;
    oi_status_t st = oi_rpc_sync_call(s, &oneinbox__test__absent__descriptor, "Ping", NULL, NULL, &e.base, 2000, &out,
                                      &err);
    cr_assert_eq(st, OI_NOT_FOUND);
    cr_assert(strstr(err.message, "absent.Ping") != NULL, "%s", err.message);

    /* An OptBool's field 1 is a varint: not a valid OptString (whose field 1 is a string). */
    Oneinbox__V1__OptBool bogus = ONEINBOX__V1__OPT_BOOL__INIT;
    bogus.value = true;
    oi_error_init(&err);
    st = oi_rpc_sync_call(s, &oneinbox__test__impostor__echo__descriptor, "Echo", NULL, NULL, &bogus.base, 2000,
                          &out, &err);
    cr_assert_eq(st, OI_BAD_REQUEST, "got %d %s", st, err.message);
    oi_rpc_sync_destroy(&s);
}

Test(rpc, no_server_is_unavailable_not_a_hang)
{
    oi_error_t err;
    oi_error_init(&err);
    oi_rpc_sync_t *s = oi_rpc_sync_new("tcp://127.0.0.1:1", &err);
    cr_assert_not_null(s);
    oi_status_t st;
    Oneinbox__V1__OptString *out = sync_echo(s, "x", 200, &st, &err);
    cr_assert_null(out);
    cr_assert_eq(st, OI_UNAVAILABLE);
    oi_rpc_sync_destroy(&s);
    cr_assert_null(oi_rpc_sync_new("not an endpoint", &err));
}

/* --- async client ------------------------------------------------------------------------ */

typedef struct {
    int done;
    int ok;
    int timeouts;
    int unavailable;
    char last[64];
} tally_t;

static void on_reply(oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    tally_t *t = ud;
    t->done++;
    if (st == OI_OK) {
        t->ok++;
        cr_assert_null(err);
        if (reply && reply->descriptor == &oneinbox__v1__opt_string__descriptor)
            snprintf(t->last, sizeof t->last, "%s", ((const Oneinbox__V1__OptString *)reply)->value);
    } else {
        cr_assert_not_null(err);
        t->timeouts += st == OI_TIMEOUT;
        t->unavailable += st == OI_UNAVAILABLE;
    }
}

static void run_until(uv_loop_t *loop, const tally_t *t, int want)
{
    while (t->done < want)
        uv_run(loop, UV_RUN_ONCE);
}

Test(rpc, async_many_calls_and_timeouts)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_error_t err;
    oi_rpc_client_t *c = oi_rpc_client_new(&loop, fx.endpoint, &err);
    cr_assert_not_null(c);
    tally_t t = {0};
    Oneinbox__V1__OptString in = ONEINBOX__V1__OPT_STRING__INIT;
    in.value = "a";
    for (int i = 0; i < 200; i++)
        cr_assert_eq(oi_rpc_client_call(c, &oneinbox__test__echo__descriptor, "Echo", "r", NULL, &in.base, 5000, on_reply, &t), 0);
    Oneinbox__V1__Empty e = ONEINBOX__V1__EMPTY__INIT;
    oi_rpc_client_call(c, &oneinbox__test__echo__descriptor, "Ping", NULL, NULL, &e.base, 5000, on_reply, &t);
    run_until(&loop, &t, 201);
    cr_assert_eq(t.ok, 201);

    in.value = "sleep";
    oi_rpc_client_call(c, &oneinbox__test__echo__descriptor, "Echo", "r", NULL, &in.base, 50, on_reply, &t);
    run_until(&loop, &t, 202);
    cr_assert_eq(t.timeouts, 1);

    in.value = "z";
    oi_rpc_client_call(c, &oneinbox__test__echo__descriptor, "Echo", "q", NULL, &in.base, 5000, on_reply, &t);
    run_until(&loop, &t, 203);
    cr_assert_str_eq(t.last, "z:q");

    /* the admin scope is its own field: an empty workspace is not it */
    in.value = "scope";
    oi_rpc_client_call(c, &oneinbox__test__echo__descriptor, "Echo", "q", "", &in.base, 5000, on_reply, &t);
    run_until(&loop, &t, 204);
    cr_assert_str_eq(t.last, "ws= admin=0");
    oi_rpc_client_call_admin(c, &oneinbox__test__echo__descriptor, "Echo", "q", &in.base, 5000, on_reply, &t);
    run_until(&loop, &t, 205);
    cr_assert_str_eq(t.last, "ws= admin=1");

    in.value = "sleep";
    oi_rpc_client_call(c, &oneinbox__test__echo__descriptor, "Echo", "r", NULL, &in.base, 5000, on_reply, &t);
    oi_rpc_client_close(&c);
    cr_assert_eq(t.done, 206);
    cr_assert_eq(t.unavailable, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

/* --- a draining replica ------------------------------------------------------------------ */

Test(rpc, a_draining_replica_refuses_and_the_clients_resend_elsewhere)
{
    fx_t b;
    server_start(&b, 16000 + (int)(getpid() % 4000), true); /* a second replica, already draining */
    oi_error_t err;
    oi_error_init(&err);
    char both[160];
    snprintf(both, sizeof both, "%s,%s", b.endpoint, fx.endpoint);

    /* alone, the draining replica answers at once, and with a code that says "not run" */
    oi_rpc_sync_t *only = oi_rpc_sync_new(b.endpoint, &err);
    oi_status_t st;
    usleep(100 * 1000); /* connected */
    Oneinbox__V1__OptString *out = sync_echo(only, "x", 3000, &st, &err);
    cr_assert_null(out);
    cr_assert_eq(st, OI_DRAINING, "%s", err.message);
    cr_assert_str_eq(oi_status_code(err.status), "SERVICE_DRAINING");
    oi_rpc_sync_destroy(&only);

    /* next to a live replica, every call is answered by it: refused ones are resent */
    oi_rpc_sync_t *s = oi_rpc_sync_new(both, &err);
    usleep(100 * 1000);
    for (int i = 0; i < 10; i++) {
        out = sync_echo(s, "y", 3000, &st, &err);
        cr_assert_eq(st, OI_OK, "call %d: %s", i, err.message);
        cr_assert_str_eq(out->value, "y:req_1");
        protobuf_c_message_free_unpacked(&out->base, NULL);
    }
    oi_rpc_sync_destroy(&s);

    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_rpc_client_t *c = oi_rpc_client_new(&loop, both, &err);
    usleep(100 * 1000);
    tally_t t = {0};
    Oneinbox__V1__OptString in = ONEINBOX__V1__OPT_STRING__INIT;
    in.value = "a";
    for (int i = 0; i < 50; i++)
        cr_assert_eq(oi_rpc_client_call(c, &oneinbox__test__echo__descriptor, "Echo", "r", NULL, &in.base, 3000, on_reply, &t), 0);
    run_until(&loop, &t, 50);
    cr_assert_eq(t.ok, 50, "%d of 50 answered OK", t.ok);
    oi_rpc_client_close(&c);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
    server_stop(&b);
}

typedef struct {
    const char *endpoint;
    oi_status_t st;
} slow_call_t;

static void *slow_call(void *arg)
{
    slow_call_t *c = arg;
    oi_error_t err;
    oi_rpc_sync_t *s = oi_rpc_sync_new(c->endpoint, &err);
    Oneinbox__V1__OptString *out = sync_echo(s, "sleep", 3000, &c->st, &err);
    if (out)
        protobuf_c_message_free_unpacked(&out->base, NULL);
    oi_rpc_sync_destroy(&s);
    return NULL;
}

Test(rpc, calls_beyond_the_in_flight_cap_are_refused_at_once)
{
    server_stop(&fx);
    setenv("OI_RPC_MAX_INFLIGHT", "1", 1);
    server_start(&fx, 12000 + (int)(getpid() % 4000) + 1, false);
    unsetenv("OI_RPC_MAX_INFLIGHT");
    slow_call_t slow = {.endpoint = fx.endpoint};
    pthread_t t;
    pthread_create(&t, NULL, slow_call, &slow);
    usleep(100 * 1000); /* the slow call holds the only place */
    oi_error_t err;
    oi_rpc_sync_t *s = oi_rpc_sync_new(fx.endpoint, &err);
    oi_status_t st;
    Oneinbox__V1__OptString *out = sync_echo(s, "hello", 2000, &st, &err);
    cr_assert_null(out);
    cr_assert_eq(st, OI_UNAVAILABLE, "%s", err.message);
    cr_assert(strstr(err.message, "in flight") != NULL, "%s", err.message);
    pthread_join(t, NULL);
    cr_assert_eq(slow.st, OI_OK);
    out = sync_echo(s, "again", 2000, &st, &err); /* a place again */
    cr_assert_eq(st, OI_OK, "%s", err.message);
    protobuf_c_message_free_unpacked(&out->base, NULL);
    oi_rpc_sync_destroy(&s);
}

Test(rpc, an_oversized_message_drops_its_sender_only)
{
    server_stop(&fx);
    setenv("OI_RPC_MAX_MSG_BYTES", "2048", 1);
    server_start(&fx, 12000 + (int)(getpid() % 4000) + 2, false);
    oi_error_t err;
    oi_rpc_sync_t *big = oi_rpc_sync_new(fx.endpoint, &err);
    unsetenv("OI_RPC_MAX_MSG_BYTES");
    char *huge = malloc(8192);
    memset(huge, 'x', 8191);
    huge[8191] = '\0';
    oi_status_t st;
    Oneinbox__V1__OptString *out = sync_echo(big, huge, 500, &st, &err);
    cr_assert_null(out);
    cr_assert_neq(st, OI_OK);
    free(huge);
    oi_rpc_sync_destroy(&big);
    oi_rpc_sync_t *s = oi_rpc_sync_new(fx.endpoint, &err); /* the server goes on for everyone else */
    out = sync_echo(s, "small", 2000, &st, &err);
    cr_assert_eq(st, OI_OK, "%s", err.message);
    cr_assert_str_eq(out->value, "small:req_1");
    protobuf_c_message_free_unpacked(&out->base, NULL);
    oi_rpc_sync_destroy(&s);
}

/* --- the wire: one frame per message; the older three-frame form still served ---------------- */

/* An Echo Envelope packed by hand, as a client of another build would send it. */
static size_t raw_envelope(const char *value, uint8_t *out, size_t cap)
{
    Oneinbox__V1__OptString in = ONEINBOX__V1__OPT_STRING__INIT;
    in.value = (char *)value;
    uint8_t payload[64];
    size_t plen = protobuf_c_message_pack(&in.base, payload);
    Oneinbox__V1__Envelope env = ONEINBOX__V1__ENVELOPE__INIT;
    env.method = "echo.Echo";
    env.request_id = "raw";
    env.payload.data = payload;
    env.payload.len = plen;
    cr_assert_leq(protobuf_c_message_get_packed_size(&env.base), cap);
    return protobuf_c_message_pack(&env.base, out);
}

/* Receives one whole message from a raw DEALER (2 s at most); its frame count, frames in f. */
static int raw_recv(void *sock, zmq_msg_t f[4])
{
    zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
    if (zmq_poll(&item, 1, 2000) != 1)
        return 0;
    int n = 0;
    for (;;) {
        zmq_msg_init(&f[n]);
        cr_assert_geq(zmq_msg_recv(&f[n], sock, 0), 0);
        n++;
        if (!zmq_msg_more(&f[n - 1]) || n == 4)
            return n;
    }
}

static void raw_close(zmq_msg_t *f, int n)
{
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

/* The reply's OptString value, decoded from a Reply's bytes. */
static char *reply_value(const uint8_t *data, size_t len)
{
    Oneinbox__V1__Reply *r = oneinbox__v1__reply__unpack(NULL, len, data);
    cr_assert_not_null(r);
    cr_assert_eq(r->status, (Oneinbox__V1__Status)OI_OK, "%s", r->error_message);
    Oneinbox__V1__OptString *v = oneinbox__v1__opt_string__unpack(NULL, r->payload.len, r->payload.data);
    cr_assert_not_null(v);
    char *out = oi_xstrdup(v->value);
    oneinbox__v1__opt_string__free_unpacked(v, NULL);
    oneinbox__v1__reply__free_unpacked(r, NULL);
    return out;
}

Test(rpc, one_frame_requests_and_the_older_three_frame_form_both_answered_in_kind)
{
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    cr_assert_eq(zmq_connect(sock, fx.endpoint), 0);
    uint8_t frame[256];
    const uint8_t id[8] = {0, 0, 0, 0, 0, 0, 0, 42};

    /* garbage first: too short for a call id, a three-frame message without its empty delimiter */
    zmq_send(sock, "abc", 3, 0);
    zmq_send(sock, "x", 1, ZMQ_SNDMORE);
    zmq_send(sock, id, 8, ZMQ_SNDMORE);
    zmq_send(sock, "y", 1, 0);

    /* the older form: [empty][call id][Envelope] is answered as [empty][call id][Reply] */
    size_t n = raw_envelope("old", frame, sizeof frame);
    zmq_send(sock, "", 0, ZMQ_SNDMORE);
    zmq_send(sock, id, 8, ZMQ_SNDMORE);
    zmq_send(sock, frame, n, 0);
    zmq_msg_t f[4];
    int got = raw_recv(sock, f);
    cr_assert_eq(got, 3, "the malformed messages got an answer, or the old form none (%d frames)", got);
    cr_assert_eq(zmq_msg_size(&f[0]), 0);
    cr_assert_eq(memcmp(zmq_msg_data(&f[1]), id, 8), 0);
    char *v = reply_value(zmq_msg_data(&f[2]), zmq_msg_size(&f[2]));
    cr_assert_str_eq(v, "old:raw");
    free(v);
    raw_close(f, got);

    /* today's form: one frame, call id then Envelope, answered in one frame */
    memcpy(frame, id, 8);
    n = raw_envelope("new", frame + 8, sizeof frame - 8);
    zmq_send(sock, frame, 8 + n, 0);
    got = raw_recv(sock, f);
    cr_assert_eq(got, 1, "%d frames", got);
    cr_assert_geq(zmq_msg_size(&f[0]), 8);
    cr_assert_eq(memcmp(zmq_msg_data(&f[0]), id, 8), 0);
    v = reply_value((const uint8_t *)zmq_msg_data(&f[0]) + 8, zmq_msg_size(&f[0]) - 8);
    cr_assert_str_eq(v, "new:raw");
    free(v);
    raw_close(f, got);
    zmq_close(sock);
    zmq_ctx_term(ctx);
}

/* --- CURVE: only the admitted client keys get a call through -------------------------------- */

static void curve_env(const char *server_pub, const char *server_secret, const char *client_pub,
                      const char *client_secret, const char *admitted)
{
    setenv("OI_RPC_CURVE_SERVER_PUBLIC_KEY", server_pub, 1);
    setenv("OI_RPC_CURVE_SERVER_SECRET_KEY", server_secret, 1);
    setenv("OI_RPC_CURVE_CLIENT_PUBLIC_KEY", client_pub, 1);
    setenv("OI_RPC_CURVE_CLIENT_SECRET_KEY", client_secret, 1);
    setenv("OI_RPC_CURVE_CLIENT_KEYS", admitted, 1);
}

static oi_status_t echo_from(const char *endpoint, const char *value)
{
    oi_error_t err;
    oi_error_init(&err);
    oi_rpc_sync_t *s = oi_rpc_sync_new(endpoint, &err);
    cr_assert_not_null(s, "%s", err.message);
    oi_status_t st;
    Oneinbox__V1__OptString *out = sync_echo(s, value, 700, &st, &err);
    if (out)
        protobuf_c_message_free_unpacked(&out->base, NULL);
    oi_rpc_sync_destroy(&s);
    return st;
}

Test(rpc_curve, only_admitted_client_keys_are_served)
{
    char spub[41], ssec[41], cpub[41], csec[41], xpub[41], xsec[41];
    cr_assert_eq(zmq_curve_keypair(spub, ssec), 0, "libzmq without CURVE");
    zmq_curve_keypair(cpub, csec);
    zmq_curve_keypair(xpub, xsec);
    curve_env(spub, ssec, cpub, csec, cpub);
    fx_t f = {0};
    server_start(&f, 16000 + (int)(getpid() % 4000), false);
    cr_assert_eq(echo_from(f.endpoint, "hello"), OI_OK, "the admitted client");
    curve_env(spub, ssec, xpub, xsec, cpub);
    cr_assert_neq(echo_from(f.endpoint, "hello"), OI_OK, "a key the server does not admit");
    curve_env(xpub, xsec, cpub, csec, cpub);
    cr_assert_neq(echo_from(f.endpoint, "hello"), OI_OK, "a client expecting another server");
    const char *names[] = {"OI_RPC_CURVE_SERVER_PUBLIC_KEY", "OI_RPC_CURVE_SERVER_SECRET_KEY",
                           "OI_RPC_CURVE_CLIENT_PUBLIC_KEY", "OI_RPC_CURVE_CLIENT_SECRET_KEY",
                           "OI_RPC_CURVE_CLIENT_KEYS"};
    for (size_t i = 0; i < 5; i++)
        unsetenv(names[i]);
    cr_assert_neq(echo_from(f.endpoint, "hello"), OI_OK, "a client in the clear");
    setenv("OI_RPC_CURVE_CLIENT_PUBLIC_KEY", cpub, 1); /* half a configuration: refused at once */
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_null(oi_rpc_sync_new(f.endpoint, &err));
    cr_assert(strstr(err.message, "OI_RPC_CURVE_SERVER_PUBLIC_KEY") != NULL, "%s", err.message);
    unsetenv("OI_RPC_CURVE_CLIENT_PUBLIC_KEY");
    server_stop(&f);
}

/* One echo through an async client made for svc's servers: its status. */
static oi_status_t echo_to(const char *endpoint, const ProtobufCServiceDescriptor *svc)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_error_t err;
    oi_error_init(&err);
    oi_rpc_client_t *c = oi_rpc_client_new_to(&loop, endpoint, svc, &err);
    cr_assert_not_null(c, "%s", err.message);
    tally_t t = {0};
    Oneinbox__V1__OptString in = ONEINBOX__V1__OPT_STRING__INIT;
    in.value = "to";
    oi_rpc_client_call(c, &oneinbox__test__echo__descriptor, "Echo", "r", NULL, &in.base, 700, on_reply, &t);
    run_until(&loop, &t, 1);
    oi_rpc_client_close(&c);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return t.ok ? OI_OK : OI_TIMEOUT;
}

Test(rpc_curve, a_client_expects_the_key_of_the_service_it_calls)
{
    char spub[41], ssec[41], cpub[41], csec[41], xpub[41], xsec[41];
    cr_assert_eq(zmq_curve_keypair(spub, ssec), 0, "libzmq without CURVE");
    zmq_curve_keypair(cpub, csec);
    zmq_curve_keypair(xpub, xsec);
    curve_env(xpub, ssec, cpub, csec, cpub); /* the shared key names another server */
    setenv("OI_RPC_CURVE_DISPATCH_SERVER_KEY", spub, 1);
    setenv("OI_RPC_CURVE_CARRIER_SERVER_KEY", xpub, 1);
    fx_t f = {0};
    server_start(&f, 16000 + (int)((getpid() + 7) % 4000), false);
    cr_expect_eq(echo_to(f.endpoint, &oneinbox__v1__dispatch__descriptor), OI_OK, "its own server key");
    cr_expect_neq(echo_to(f.endpoint, &oneinbox__v1__carrier__descriptor), OI_OK, "another service's key");
    cr_expect_neq(echo_to(f.endpoint, NULL), OI_OK, "the shared key, which is not this server's");
    server_stop(&f);
    const char *names[] = {"OI_RPC_CURVE_SERVER_PUBLIC_KEY", "OI_RPC_CURVE_SERVER_SECRET_KEY",
                           "OI_RPC_CURVE_CLIENT_PUBLIC_KEY", "OI_RPC_CURVE_CLIENT_SECRET_KEY",
                           "OI_RPC_CURVE_CLIENT_KEYS", "OI_RPC_CURVE_DISPATCH_SERVER_KEY",
                           "OI_RPC_CURVE_CARRIER_SERVER_KEY"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
}
