/* sim.c: configuration and lifecycle of oi-carrier-sim. */
#define OI_LOG_TAG "sim.main"
#include "sim.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "oi/log.h"
#include "oi/mem.h"
#include "server.h"

struct sim_app {
    oi_service_t *svc;     /* borrowed */
    sim_server_t *server;  /* owned */
};

static bool sid_valid(const char *s)
{
    if (strlen(s) != 34 || strncmp(s, "AC", 2))
        return false;
    for (size_t i = 2; i < 34; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

void sim_config_read(oi_config_t *c, sim_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->host = oi_config_str(c, "OI_SIM_HOST", "127.0.0.1");
    cfg->port = (int)oi_config_int(c, "OI_SIM_PORT", 8901, 0, 65535);
    cfg->seed = (uint64_t)oi_config_int(c, "OI_SIM_SEED", 42, 0, INT64_MAX);
    cfg->twilio_account_sid = oi_config_str(c, "OI_SIM_TWILIO_ACCOUNT_SID", SIM_DEFAULT_TWILIO_ACCOUNT_SID);
    cfg->twilio_auth_token = oi_config_str(c, "OI_SIM_TWILIO_AUTH_TOKEN", SIM_DEFAULT_TWILIO_AUTH_TOKEN);
    cfg->telnyx_api_key = oi_config_str(c, "OI_SIM_TELNYX_API_KEY", SIM_DEFAULT_TELNYX_API_KEY);
    cfg->telnyx_pending_polls = (int)oi_config_int(c, "OI_SIM_TELNYX_PENDING_POLLS", 0, 0, 1000);
    cfg->twilio_caps_upper = oi_config_bool(c, "OI_SIM_TWILIO_CAPS_UPPER", true);
    if (!sid_valid(cfg->twilio_account_sid))
        oi_config_fail(c, "OI_SIM_TWILIO_ACCOUNT_SID", "must be AC followed by 32 hex digits");
    if (strlen(cfg->twilio_auth_token) > 128 || strlen(cfg->telnyx_api_key) > 256)
        oi_config_fail(c, "OI_SIM_TWILIO_AUTH_TOKEN/OI_SIM_TELNYX_API_KEY", "too long");
    const char *pub = oi_config_str(c, "OI_SIM_PUBLIC_URL", NULL);
    int w = pub ? snprintf(cfg->base_url, sizeof cfg->base_url, "%s", pub)
                : snprintf(cfg->base_url, sizeof cfg->base_url, "http://%s:%d", cfg->host, cfg->port);
    if (w < 0 || (size_t)w >= sizeof cfg->base_url)
        oi_config_fail(c, "OI_SIM_PUBLIC_URL", "too long");
}

sim_app_t *sim_app_start(oi_service_t *svc)
{
    sim_config_t cfg;
    sim_config_read(oi_service_config(svc), &cfg);
    if (!oi_config_check(oi_service_config(svc)))
        return NULL;
    sim_app_t *app = oi_xcalloc(1, sizeof *app);
    app->svc = svc;
    app->server = sim_server_new(oi_service_loop(svc), &cfg);
    int rc = sim_server_listen(app->server);
    if (rc) {
        oi_log_error(&(oi_log_ctx_t){.action = "binding the HTTP port"}, "cannot listen on %s:%d: %s", cfg.host,
                     cfg.port, uv_strerror(rc));
        sim_app_destroy(&app);
        return NULL;
    }
    oi_log_info(&(oi_log_ctx_t){.action = "starting"}, "simulating Twilio and Telnyx on %s:%d (seed %llu, account %s)",
                cfg.host, sim_server_port(app->server), (unsigned long long)cfg.seed, cfg.twilio_account_sid);
    return app;
}

static void on_server_closed(void *ud)
{
    sim_app_t *app = ud;
    oi_service_drained(app->svc);
}

void sim_app_on_drain(oi_service_t *svc, bool force, void *ud)
{
    (void)svc;
    sim_app_t *app = ud;
    if (!force)
        sim_server_close(app->server, on_server_closed, app);
}

void sim_app_destroy(sim_app_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sim_server_destroy(&(*self_p)->server);
    OI_FREE(*self_p);
}
