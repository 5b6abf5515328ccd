/* admin.c: the simulator's own API under /sim/ (and /healthz). JSON in, JSON out; errors are
 * {"error": "…"} with 400/404/409. Not authenticated: the simulator listens on loopback. */
#define OI_LOG_TAG "sim.admin"
#include "handlers.h"

#include <stdio.h>
#include <string.h>

#include "oi/log.h"

static void admin_error(sim_reply_t *out, int status, const char *msg)
{
    sim_reply_json(out, status, json_pack("{s:s}", "error", msg));
}

SIM_HANDLER(sim_admin_healthz)
{
    (void)st;
    (void)rq;
    sim_reply_json(out, 200, json_pack("{s:s}", "status", "ok"));
}

SIM_HANDLER(sim_admin_faults_add)
{
    sim_fault_t f;
    char why[160];
    if (!sim_fault_parse(rq->json, &f, why, sizeof why)) {
        admin_error(out, 400, why);
        return;
    }
    if (!sim_route_name_valid(f.route)) {
        snprintf(why, sizeof why, "unknown route \"%.60s\" (see route.h for the names)", f.route);
        sim_fault_cleanup(&f);
        admin_error(out, 400, why);
        return;
    }
    oi_log_info(&(oi_log_ctx_t){.action = "injecting a fault"}, "route %s status %d count %d latency %u ms%s",
                f.route, f.status, f.count, f.latency_ms, f.timeout ? " timeout" : "");
    if (!sim_faults_add(&st->faults, &f)) {
        admin_error(out, 409, "too many active faults; DELETE /sim/faults first");
        return;
    }
    sim_reply_json(out, 201, json_pack("{s:o}", "faults", sim_faults_json(&st->faults)));
}

SIM_HANDLER(sim_admin_faults_list)
{
    (void)rq;
    sim_reply_json(out, 200, json_pack("{s:o}", "faults", sim_faults_json(&st->faults)));
}

SIM_HANDLER(sim_admin_faults_clear)
{
    (void)rq;
    size_t n = st->faults.n;
    sim_faults_clear(&st->faults);
    sim_reply_json(out, 200, json_pack("{s:I}", "cleared", (json_int_t)n));
}

SIM_HANDLER(sim_admin_take)
{
    const char *pn = json_string_value(json_object_get(rq->json, "phone_number"));
    if (!pn) {
        admin_error(out, 400, "body must be {\"phone_number\": \"+E164\"}");
        return;
    }
    sim_number_t *n = sim_inventory_find(st->inv, pn);
    if (!n) {
        admin_error(out, 404, "number is not in the inventory");
        return;
    }
    if (n->state == SIM_NUM_OWNED) {
        admin_error(out, 409, "number is owned by an account; release it first");
        return;
    }
    n->state = SIM_NUM_TAKEN;
    sim_reply_json(out, 200, json_pack("{s:s, s:b}", "phone_number", n->e164, "taken", 1));
}

SIM_HANDLER(sim_admin_counters)
{
    (void)rq;
    sim_reply_json(out, 200,
                   json_pack("{s:O, s:O, s:O, s:o}", "purchases", st->purchases, "releases", st->releases, "calls",
                             st->calls, "owned", sim_state_owned_json(st)));
}

SIM_HANDLER(sim_admin_reset)
{
    (void)rq;
    sim_state_reset(st);
    oi_log_info(&(oi_log_ctx_t){.action = "resetting"}, "state reset to seed %llu",
                (unsigned long long)st->cfg.seed);
    sim_reply_json(out, 200, json_pack("{s:s, s:I}", "status", "reset", "seed", (json_int_t)st->cfg.seed));
}
