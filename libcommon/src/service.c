/* service.c: process wiring shared by every binary (Scalable C: main only starts this). */
#define OI_LOG_TAG "common.service"
#include "oi/service.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/crypto.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/rpc.h"
#include "oi/sched.h"

struct oi_service {
    const char *name;         /* borrowed (string literal) */
    uv_loop_t loop;
    oi_config_t *config;      /* owned */
    oi_ops_t *ops;            /* owned */
    uv_signal_t sigterm, sigint;
    uv_timer_t grace;
    uint32_t grace_ms;
    oi_service_drain_cb drain;
    void *drain_ud;
    bool draining;
    bool drained;
    bool forced; /* the grace expired before the modules drained */
};

/* Before anything starts a thread, so that every thread of the service inherits the policy. */
static void sched_threads(oi_config_t *config)
{
    if (!oi_config_bool(config, "OI_SCHED_BATCH", true))
        return;
    int rc = oi_sched_batch();
    if (rc != 0)
        oi_log_warn(&(oi_log_ctx_t){.action = "starting"}, "SCHED_BATCH refused (%s): threads keep the default policy",
                    strerror(rc));
}

oi_service_t *oi_service_new(const char *name)
{
    oi_service_t *s = oi_xcalloc(1, sizeof *s);
    s->name = name;
    oi_log_level_t level = OI_LOG_INFO;
    const char *lv = getenv("OI_LOG_LEVEL");
    if (lv && *lv && !oi_log_level_parse(lv, &level)) {
        fprintf(stderr, "{\"level\":\"error\",\"msg\":\"OI_LOG_LEVEL must be debug|info|warn|error\"}\n");
        exit(2);
    }
    oi_log_init(name, level);
    signal(SIGPIPE, SIG_IGN);
    if (!oi_crypto_global_init()) {
        oi_log_error(NULL, "libsodium failed to initialise");
        exit(2);
    }
    s->config = oi_config_new();
    sched_threads(s->config);
    uv_loop_init(&s->loop);
    s->grace_ms = (uint32_t)oi_config_int(s->config, "OI_SHUTDOWN_GRACE_MS", 10000, 0, 600000);
    return s;
}

uv_loop_t *oi_service_loop(oi_service_t *s) { return &s->loop; }
oi_config_t *oi_service_config(oi_service_t *s) { return s->config; }
const char *oi_service_name(const oi_service_t *s) { return s->name; }
uint32_t oi_service_grace_ms(const oi_service_t *s) { return s->grace_ms; }

bool oi_service_start_ops(oi_service_t *s, int port, oi_ops_ready_cb ready, void *ud)
{
    if (port <= 0)
        return true;
    const char *host = oi_config_str(s->config, "OI_OPS_HOST", "127.0.0.1");
    s->ops = oi_ops_new(&s->loop, host, port, ready, ud);
    if (!s->ops) {
        oi_log_error(NULL, "cannot listen on ops port %s:%d", host, port);
        return false;
    }
    return true;
}

void oi_service_set_drain(oi_service_t *s, oi_service_drain_cb cb, void *ud)
{
    s->drain = cb;
    s->drain_ud = ud;
}

static void on_grace_expired(uv_timer_t *t)
{
    oi_service_t *s = t->data;
    if (s->drained)
        return;
    oi_log_warn(NULL, "shutdown grace of %u ms expired; forcing", s->grace_ms);
    s->forced = true;
    if (s->drain)
        s->drain(s, true, s->drain_ud);
    oi_service_drained(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
    oi_service_t *s = h->data;
    if (s->draining)
        return;
    s->draining = true;
    oi_log_info(&(oi_log_ctx_t){.action = "shutting down"}, "signal %d: draining", signum);
    if (s->ops)
        oi_ops_set_draining(s->ops);
    uv_timer_start(&s->grace, on_grace_expired, s->grace_ms, 0);
    if (s->drain)
        s->drain(s, false, s->drain_ud);
    else
        oi_service_drained(s);
}

static void on_ops_closed(void *ud) { (void)ud; }

void oi_service_drained(oi_service_t *s)
{
    if (s->drained)
        return;
    s->drained = true;
    uv_timer_stop(&s->grace);
    uv_close((uv_handle_t *)&s->grace, NULL);
    uv_signal_stop(&s->sigterm);
    uv_signal_stop(&s->sigint);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->sigint, NULL);
    if (s->ops)
        oi_ops_close(s->ops, on_ops_closed, NULL);
}

static void on_walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int oi_service_run(oi_service_t **self_p)
{
    oi_service_t *s = *self_p;
    if (!oi_config_check(s->config)) {
        oi_log_error(NULL, "refusing to start with invalid configuration");
        return 2;
    }
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_init(&s->loop, &s->sigint);
    uv_timer_init(&s->loop, &s->grace);
    s->sigterm.data = s->sigint.data = s->grace.data = s;
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    oi_log_info(&(oi_log_ctx_t){.action = "starting"}, "%s running", s->name);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    /* anything a module forgot: close it so the loop can be closed (libuv's MAKE_VALGRIND_HAPPY) */
    uv_walk(&s->loop, on_walk_close, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    oi_ops_destroy(&s->ops);
    oi_config_destroy(&s->config);
    oi_log_info(NULL, "%s stopped", s->name);
    bool forced = s->forced;
    OI_FREE(*self_p);
    /* After a forced drain a thread may still hold a socket: zmq_ctx_term would wait for it
     * forever, and the process is about to exit anyway. */
    if (!forced)
        oi_rpc_zctx_term();
    return 0;
}
