/* test_redis.c: the libuv hiredis wrapper against a real redis-server on a private port. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <hiredis/hiredis.h>

#include "oi/near_bus.h"
#include "oi/near_publisher.h"
#include "oi/redis.h"
#include "redis_server.h"

static test_redis_t server;
#define server_port server.port

static void server_start(void) { test_redis_start(&server, 20000); }

static void server_stop(void) { test_redis_stop(&server); }

static void setup(void)
{
    if (!test_redis_start(&server, 20000))
        cr_skip_test("redis-server is not installed");
}

TestSuite(redis, .init = setup, .fini = server_stop, .timeout = 30);

typedef struct {
    int calls;
    oi_status_t st;
    char value[64];
    int ups, downs;
} seen_t;

static void on_reply(oi_status_t st, const redisReply *reply, void *ud)
{
    seen_t *s = ud;
    s->calls++;
    s->st = st;
    s->value[0] = 0;
    if (reply && reply->type == REDIS_REPLY_STRING)
        snprintf(s->value, sizeof s->value, "%.*s", (int)reply->len, reply->str);
}

static void on_state(bool up, void *ud)
{
    seen_t *s = ud;
    if (up)
        s->ups++;
    else
        s->downs++;
}

static void run_until(uv_loop_t *loop, const int *counter, int want, int max_ms)
{
    for (int waited = 0; *counter < want && waited < max_ms; waited += 10) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(10 * 1000);
    }
}

static void cmd(oi_redis_t *r, seen_t *s, int argc, const char **argv)
{
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    oi_redis_command(r, argc, argv, lens, on_reply, s);
}

Test(redis, round_trip_timeout_reconnect_close)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    seen_t state = {0}, s = {0};
    oi_redis_t *r = oi_redis_new(&loop, "127.0.0.1", server_port, 200);
    oi_redis_on_state(r, on_state, &state);
    run_until(&loop, &state.ups, 1, 3000);
    cr_assert(oi_redis_connected(r));

    cmd(r, &s, 3, (const char *[]){"SET", "k", "v1"});
    run_until(&loop, &s.calls, 1, 2000);
    cmd(r, &s, 2, (const char *[]){"GET", "k"});
    run_until(&loop, &s.calls, 2, 2000);
    cr_assert_eq(s.st, OI_OK);
    cr_assert_str_eq(s.value, "v1");

    cmd(r, &s, 3, (const char *[]){"DEBUG", "SLEEP", "0.6"});
    run_until(&loop, &s.calls, 3, 2000);
    cr_assert_eq(s.st, OI_TIMEOUT);
    run_until(&loop, &s.calls, 99, 700); /* the late reply arrives: no second callback */
    cr_assert_eq(s.calls, 3);

    server_stop();
    run_until(&loop, &state.downs, 1, 3000);
    cr_assert_not(oi_redis_connected(r));
    cmd(r, &s, 2, (const char *[]){"GET", "k"});
    cr_assert_eq(s.calls, 4);
    cr_assert_eq(s.st, OI_UNAVAILABLE);

    server_start();
    run_until(&loop, &state.ups, 2, 5000);
    cr_assert(oi_redis_connected(r));

    cmd(r, &s, 3, (const char *[]){"DEBUG", "SLEEP", "0.3"});
    oi_redis_close(&r);
    cr_assert_eq(s.calls, 5);
    cr_assert_eq(s.st, OI_UNAVAILABLE);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

typedef struct {
    int messages, lives, deaths;
    char last_channel[32], last[64];
} sub_seen_t;

static void on_message(const char *channel, const char *payload, size_t len, void *ud)
{
    sub_seen_t *s = ud;
    s->messages++;
    snprintf(s->last_channel, sizeof s->last_channel, "%s", channel);
    snprintf(s->last, sizeof s->last, "%.*s", (int)len, payload);
}

static void on_live(bool live, void *ud)
{
    sub_seen_t *s = ud;
    if (live)
        s->lives++;
    else
        s->deaths++;
}

Test(redis, a_subscriber_hears_every_channel_and_says_when_it_may_have_missed_some)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    seen_t pub_state = {0}, s = {0};
    sub_seen_t sub = {0};
    oi_redis_t *pub = oi_redis_new(&loop, "127.0.0.1", server_port, 500);
    oi_redis_on_state(pub, on_state, &pub_state);
    oi_redis_t *r = oi_redis_new(&loop, "127.0.0.1", server_port, 500);
    static const char *const channels[] = {"oi:a", "oi:b"};
    oi_redis_subscribe(r, channels, 2, on_message, on_live, &sub);
    run_until(&loop, &sub.lives, 1, 3000);
    run_until(&loop, &pub_state.ups, 1, 3000);
    cr_assert(oi_redis_live(r));

    cmd(pub, &s, 3, (const char *[]){"PUBLISH", "oi:b", "k1 k2"});
    run_until(&loop, &sub.messages, 1, 2000);
    cr_assert_str_eq(sub.last_channel, "oi:b");
    cr_assert_str_eq(sub.last, "k1 k2");

    /* a subscriber connection takes no command */
    seen_t refused = {0};
    cmd(r, &refused, 2, (const char *[]){"GET", "k"});
    cr_assert_eq(refused.st, OI_UNAVAILABLE);

    /* poll: what already arrived is delivered without running the loop (a blocking publisher:
     * once it has its reply, the message is on its way to the subscriber's socket) */
    redisContext *blocking = redisConnect("127.0.0.1", server_port);
    cr_assert(blocking && !blocking->err);
    redisReply *rep = redisCommand(blocking, "PUBLISH oi:a k3");
    cr_assert(rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 1);
    freeReplyObject(rep);
    redisFree(blocking);
    usleep(20 * 1000);
    cr_assert_eq(sub.messages, 1, "nothing ran the loop yet");
    oi_redis_poll(r);
    cr_assert_eq(sub.messages, 2);
    cr_assert_str_eq(sub.last, "k3");

    server_stop();
    run_until(&loop, &sub.deaths, 1, 3000);
    cr_assert_not(oi_redis_live(r));
    server_start();
    run_until(&loop, &sub.lives, 2, 5000);
    run_until(&loop, &pub_state.ups, 2, 5000);
    cmd(pub, &s, 3, (const char *[]){"PUBLISH", "oi:a", "k4"});
    run_until(&loop, &sub.messages, 3, 2000);
    cr_assert_str_eq(sub.last, "k4", "subscribed again after the reconnect");

    oi_redis_close(&r);
    oi_redis_close(&pub);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

/* --- one PUBLISH per loop turn ----------------------------------------------------------------- */

typedef struct {
    oi_near_publisher_t *p;
    seen_t *seen;
} burst_t;

/* Three changes answered in one loop turn (as a coalesced statement's callbacks are). */
static void on_burst(uv_timer_t *t)
{
    burst_t *b = t->data;
    oi_near_publisher_add(b->p, (const char *[]){"n1"}, 1, on_reply, &b->seen[0]);
    oi_near_publisher_add(b->p, (const char *[]){"n2", "n3"}, 2, on_reply, &b->seen[1]);
    oi_near_publisher_add(b->p, (const char *[]){"n4"}, 1, on_reply, &b->seen[2]);
    cr_assert_eq(b->seen[0].calls, 0, "a callback never runs from inside add");
}

Test(redis, the_changes_of_one_loop_turn_go_out_in_one_publish)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    seen_t pub_state = {0}, seen[4] = {0};
    sub_seen_t sub = {0};
    oi_redis_t *pub = oi_redis_new(&loop, "127.0.0.1", server_port, 500);
    oi_redis_on_state(pub, on_state, &pub_state);
    oi_redis_t *r = oi_redis_new(&loop, "127.0.0.1", server_port, 500);
    static const char *const channels[] = {"oi:p"};
    oi_redis_subscribe(r, channels, 1, on_message, on_live, &sub);
    run_until(&loop, &sub.lives, 1, 3000);
    run_until(&loop, &pub_state.ups, 1, 3000);
    oi_near_publisher_t *p = oi_near_publisher_new(&loop, pub, "oi:p");

    burst_t b = {p, seen};
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &b;
    uv_timer_start(&t, on_burst, 0, 0);
    run_until(&loop, &seen[2].calls, 1, 2000);
    run_until(&loop, &sub.messages, 1, 2000);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(seen[i].calls, 1, "callback %d", i);
        cr_assert_eq(seen[i].st, OI_OK);
    }
    cr_assert_eq(sub.messages, 1, "one message for the turn");
    cr_assert_str_eq(sub.last, "n1 n2 n3 n4");

    /* a later turn: its own message; one added and closed at once still goes out */
    oi_near_publisher_add(p, (const char *[]){"n5"}, 1, on_reply, &seen[3]);
    oi_near_publisher_close(&p);
    cr_assert_null(p);
    run_until(&loop, &sub.messages, 2, 2000);
    cr_assert_str_eq(sub.last, "n5");
    cr_assert_eq(seen[3].calls, 1);
    cr_assert_eq(seen[3].st, OI_OK);

    /* Redis gone: every caller of the turn hears it failed (and may announce again) */
    seen_t lost[2] = {0};
    p = oi_near_publisher_new(&loop, pub, "oi:p");
    server_stop();
    run_until(&loop, &pub_state.downs, 1, 3000);
    oi_near_publisher_add(p, (const char *[]){"n6"}, 1, on_reply, &lost[0]);
    oi_near_publisher_add(p, (const char *[]){"n7"}, 1, on_reply, &lost[1]);
    run_until(&loop, &lost[1].calls, 1, 3000);
    cr_assert_eq(lost[0].calls, 1);
    cr_assert_neq(lost[0].st, OI_OK);
    cr_assert_neq(lost[1].st, OI_OK);

    oi_near_publisher_close(&p);
    uv_close((uv_handle_t *)&t, NULL);
    oi_redis_close(&r);
    oi_redis_close(&pub);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

/* --- the near caches' bus --------------------------------------------------------------------- */

static bool cache_has(oi_near_cache_t *c, const char *key)
{
    oi_near_value_t v;
    return oi_near_cache_get(c, key, 0, &v);
}

static void cache_fill(oi_near_cache_t *c, const char *key)
{
    oi_near_ticket_t t = oi_near_cache_begin(c, key);
    oi_near_cache_end(c, &t, "ws", "v", 1, 0);
}

static void run_until_true(uv_loop_t *loop, bool (*cond)(void *), void *arg, int max_ms)
{
    for (int waited = 0; !cond(arg) && waited < max_ms; waited += 10) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(10 * 1000);
    }
}

static bool usable(void *c) { return oi_near_cache_usable(c); }
static bool not_usable(void *c) { return !oi_near_cache_usable(c); }

Test(redis, near_caches_of_two_replicas_drop_what_a_writer_published)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_near_cache_t *a = oi_near_cache_new("numbers", 1 << 20, 0), *b = oi_near_cache_new("numbers", 1 << 20, 0);
    oi_near_cache_t *routes = oi_near_cache_new("routes", 1 << 20, 0);
    oi_near_bus_t *ba = oi_near_bus_new(&loop, "127.0.0.1", server_port);
    oi_near_bus_t *bb = oi_near_bus_new(&loop, "127.0.0.1", server_port);
    oi_near_bus_attach(ba, OI_NEAR_CHANNEL_NUMBERS, a);
    oi_near_bus_attach(ba, OI_NEAR_CHANNEL_ROUTES, routes);
    oi_near_bus_attach(bb, OI_NEAR_CHANNEL_NUMBERS, b);
    cr_assert_not(oi_near_cache_usable(a), "usable before the subscription is confirmed");
    oi_near_bus_start(ba);
    oi_near_bus_start(bb);
    run_until_true(&loop, usable, a, 3000);
    run_until_true(&loop, usable, b, 3000);
    run_until_true(&loop, usable, routes, 3000);
    cr_assert(oi_near_cache_usable(a) && oi_near_cache_usable(b));

    seen_t pub_state = {0}, s = {0};
    oi_redis_t *pub = oi_redis_new(&loop, "127.0.0.1", server_port, 500);
    oi_redis_on_state(pub, on_state, &pub_state);
    run_until(&loop, &pub_state.ups, 1, 3000);

    cache_fill(a, "n1");
    cache_fill(a, "n2");
    cache_fill(b, "n1");
    cache_fill(routes, "n1");
    oi_near_publish(pub, OI_NEAR_CHANNEL_NUMBERS, (const char *[]){"n1", "n3"}, 2, on_reply, &s);
    run_until(&loop, &s.calls, 1, 2000); /* the writer's acknowledgement */
    cr_assert_eq(s.st, OI_OK);
    usleep(20 * 1000);
    oi_near_bus_sync(ba); /* what a reader does before it serves a hit */
    oi_near_bus_sync(bb);
    cr_assert_not(cache_has(a, "n1"));
    cr_assert_not(cache_has(b, "n1"));
    cr_assert(cache_has(a, "n2"));
    cr_assert(cache_has(routes, "n1"), "another channel's key was dropped");

    oi_near_publish(pub, OI_NEAR_CHANNEL_NUMBERS, (const char *[]){OI_NEAR_ALL}, 1, on_reply, &s);
    run_until(&loop, &s.calls, 2, 2000);
    usleep(20 * 1000);
    oi_near_bus_sync(ba);
    cr_assert_not(cache_has(a, "n2"));

    /* the channel goes away: nothing is served until it is back, then filling works again */
    cache_fill(b, "n4");
    server_stop();
    run_until_true(&loop, not_usable, b, 3000);
    cr_assert_not(cache_has(b, "n4"));
    server_start();
    run_until_true(&loop, usable, b, 5000);
    cr_assert_not(cache_has(b, "n4"), "a value from before the outage came back");
    cache_fill(b, "n4");
    cr_assert(cache_has(b, "n4"));

    oi_redis_close(&pub);
    oi_near_bus_close(&ba);
    oi_near_bus_close(&bb);
    uv_run(&loop, UV_RUN_DEFAULT);
    oi_near_cache_destroy(&a);
    oi_near_cache_destroy(&b);
    oi_near_cache_destroy(&routes);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

/* A writer's own cache, attached with the writer's origin, keeps what the writer announced; the
 * other replicas' caches drop it, and the origin token itself is no key. */
Test(redis, a_writer_s_own_cache_ignores_its_announcements)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    oi_near_cache_t *own = oi_near_cache_new("rows", 1 << 20, 0), *other = oi_near_cache_new("numbers", 1 << 20, 0);
    oi_near_bus_t *bus = oi_near_bus_new(&loop, "127.0.0.1", server_port);
    oi_near_bus_attach_origin(bus, OI_NEAR_CHANNEL_NUMBERS, own, "host/7/ab");
    oi_near_bus_attach(bus, OI_NEAR_CHANNEL_NUMBERS, other);
    oi_near_bus_start(bus);
    run_until_true(&loop, usable, own, 3000);
    run_until_true(&loop, usable, other, 3000);
    seen_t pub_state = {0}, s = {0};
    oi_redis_t *pub = oi_redis_new(&loop, "127.0.0.1", server_port, 500);
    oi_redis_on_state(pub, on_state, &pub_state);
    run_until(&loop, &pub_state.ups, 1, 3000);
    oi_near_publisher_t *p = oi_near_publisher_new(&loop, pub, OI_NEAR_CHANNEL_NUMBERS);
    oi_near_publisher_set_origin(p, "host/7/ab");

    const char *keys[] = {"n1", "n2", "@host/7/ab", "@host/7/abc"};
    for (size_t i = 0; i < 4; i++) {
        cache_fill(own, keys[i]);
        cache_fill(other, keys[i]);
    }
    oi_near_publisher_add(p, (const char *[]){"n1"}, 1, on_reply, &s);
    run_until(&loop, &s.calls, 1, 2000);
    usleep(20 * 1000);
    oi_near_bus_sync(bus);
    cr_assert(cache_has(own, "n1"), "its own announcement dropped the writer's row");
    cr_assert_not(cache_has(other, "n1"));
    cr_assert(cache_has(other, "@host/7/ab"), "the origin token was taken for a key");

    /* another writer (a longer name with the same start, then none at all) drops it everywhere */
    oi_near_publish(pub, OI_NEAR_CHANNEL_NUMBERS, (const char *[]){"@host/7/abc", "n1"}, 2, on_reply, &s);
    oi_near_publish(pub, OI_NEAR_CHANNEL_NUMBERS, (const char *[]){"n2"}, 1, on_reply, &s);
    run_until(&loop, &s.calls, 3, 2000);
    usleep(20 * 1000);
    oi_near_bus_sync(bus);
    cr_assert_not(cache_has(own, "n1"));
    cr_assert_not(cache_has(own, "n2"));
    cr_assert(cache_has(own, "@host/7/abc"));

    oi_near_publisher_close(&p);
    oi_redis_close(&pub);
    oi_near_bus_close(&bus);
    uv_run(&loop, UV_RUN_DEFAULT);
    oi_near_cache_destroy(&own);
    oi_near_cache_destroy(&other);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

Test(redis, a_password_protected_server_is_used_with_OI_REDIS_PASSWORD)
{
    server_stop();
    pid_t pid = fork();
    if (pid == 0) {
        char port[16];
        snprintf(port, sizeof port, "%d", server_port);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly",
               "no", "--requirepass", "unit-test-redis-pw", (char *)NULL);
        _exit(127);
    }
    server.pid = pid;
    usleep(300 * 1000);
    uv_loop_t loop;
    uv_loop_init(&loop);
    setenv("OI_REDIS_PASSWORD", "wrong-password", 1);
    oi_redis_t *bad = oi_redis_new(&loop, "127.0.0.1", server_port, 200);
    for (int waited = 0; waited < 700; waited += 10) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(10 * 1000);
    }
    cr_assert_not(oi_redis_connected(bad), "a refused AUTH is not a connection");
    oi_redis_close(&bad);
    setenv("OI_REDIS_PASSWORD", "unit-test-redis-pw", 1);
    oi_redis_t *r = oi_redis_new(&loop, "127.0.0.1", server_port, 200);
    seen_t s = {0};
    const char *argv[] = {"SET", "k", "v"};
    for (int waited = 0; waited < 2000 && !oi_redis_connected(r); waited += 10) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(10 * 1000);
    }
    cr_assert(oi_redis_connected(r));
    cmd(r, &s, 3, argv);
    run_until(&loop, &s.calls, 1, 2000);
    cr_assert_eq(s.st, OI_OK);
    unsetenv("OI_REDIS_PASSWORD");
    oi_redis_close(&r);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}
