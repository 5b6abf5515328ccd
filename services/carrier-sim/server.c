/* server.c: HTTP glue of the simulator: one pipeline for every route, delayed and held calls. */
#define OI_LOG_TAG "sim.server"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "oi/clock.h"
#include "oi/http_server.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "handlers.h"
#include "route.h"

typedef struct sim_call sim_call_t;

struct sim_server {
    uv_loop_t *loop;            /* borrowed */
    oi_http_server_t *http;     /* owned */
    sim_state_t *st;            /* owned */
    sim_call_t *waiting;        /* calls on a timer (latency or timeout fault) */
    bool closing;
    void (*on_closed)(void *ud);
    void *closed_ud;
};

struct sim_call {
    sim_server_t *srv;
    oi_http_req_t *req;         /* borrowed until answered */
    const sim_route_t *route;
    sim_req_t rq;
    sim_params_t params;
    json_t *json;               /* owned */
    sim_fault_t fault;          /* copy of the applied fault (body owned) */
    bool has_fault;
    uv_timer_t timer;
    sim_call_t *prev, *next;    /* in srv->waiting while the timer runs */
};

static void call_free(sim_call_t *c)
{
    sim_params_cleanup(&c->params);
    json_decref(c->json);
    sim_fault_cleanup(&c->fault);
    free(c);
}

static void on_timer_closed(uv_handle_t *h) { call_free(h->data); }

static void respond(sim_call_t *c, sim_reply_t *r)
{
    size_t len = 0;
    char *body = sim_reply_render(r, &len);
    oi_log_debug(&(oi_log_ctx_t){.action = "answering"}, "%s %s → %d (%s)", oi_http_req_method(c->req),
                 oi_http_req_path(c->req), r->status, c->route ? c->route->name : "unrouted");
    oi_http_respond(c->req, r->status, len ? "application/json" : NULL, r->headers[0] ? r->headers : NULL, body,
                    len);
    free(body);
    sim_reply_cleanup(r);
    c->req = NULL;
}

/* The error answer of a carrier (or of the admin API) for a generic status. */
static void carrier_error(sim_reply_t *r, sim_carrier_t carrier, int status, const char *msg)
{
    if (carrier == SIM_CARRIER_TWILIO) {
        sim_reply_twilio_error(r, status, sim_twilio_code_for(status), "%s", msg);
    } else if (carrier == SIM_CARRIER_TELNYX) {
        const char *title = NULL, *code = sim_telnyx_code_for(status, &title);
        sim_reply_telnyx_error(r, status, code, title, msg, NULL, NULL);
    } else {
        sim_reply_json(r, status, json_pack("{s:s}", "error", msg));
    }
}

/* An injected error: the fault's body when given (object verbatim, string as the message). */
static void fault_reply(const sim_call_t *c, sim_reply_t *r)
{
    const sim_fault_t *f = &c->fault;
    const char *msg = json_is_string(f->body) ? json_string_value(f->body) : "Injected fault";
    if (f->status == 429 && !json_is_string(f->body))
        msg = c->route->carrier == SIM_CARRIER_TELNYX ? "You have exceeded the maximum number of allowed requests."
                                                      : "Too Many Requests";
    carrier_error(r, c->route->carrier, f->status, msg);
    if (json_is_object(f->body))
        sim_reply_json(r, f->status, json_deep_copy(f->body));
    if (f->retry_after > 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", f->retry_after);
        sim_reply_header(r, "Retry-After", v);
        if (c->route->carrier == SIM_CARRIER_TELNYX && f->status == 429) {
            sim_reply_header(r, "x-ratelimit-remaining", "0");
            sim_reply_header(r, "x-ratelimit-reset", v);
        }
    }
}

static void run(sim_call_t *c)
{
    sim_reply_t r = {0};
    if (c->has_fault && c->fault.status) {
        fault_reply(c, &r);
    } else {
        c->rq.now_ms = oi_clock_now_ms();
        c->rq.pending_seconds = c->has_fault ? c->fault.pending_seconds : 0;
        c->route->fn(c->srv->st, &c->rq, &r);
        if (!r.status) /* a handler that forgot to answer is a bug; never leave the client hanging */
            carrier_error(&r, c->route->carrier, 500, "internal simulator error");
    }
    respond(c, &r);
}

static void unlink_waiting(sim_call_t *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->waiting = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void on_wait_done(uv_timer_t *t)
{
    sim_call_t *c = t->data;
    unlink_waiting(c);
    if (c->fault.timeout) {
        sim_reply_t r = {0};
        carrier_error(&r, c->route->carrier, 504, "held by a timeout fault");
        respond(c, &r);
    } else {
        run(c);
    }
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

static void wait_then_run(sim_call_t *c)
{
    uint64_t ms = c->fault.timeout ? SIM_FAULT_TIMEOUT_HOLD_MS : c->fault.latency_ms;
    uv_timer_init(c->srv->loop, &c->timer);
    c->timer.data = c;
    c->next = c->srv->waiting;
    if (c->next)
        c->next->prev = c;
    c->srv->waiting = c;
    uv_timer_start(&c->timer, on_wait_done, ms, 0);
}

static bool authorized(const sim_call_t *c)
{
    const sim_config_t *cfg = &c->srv->st->cfg;
    const char *h = oi_http_req_header(c->req, "Authorization");
    if (c->route->carrier == SIM_CARRIER_TELNYX)
        return sim_auth_telnyx(cfg, h);
    if (c->route->carrier != SIM_CARRIER_TWILIO)
        return true;
    bool in_account_path = !strncmp(c->route->pattern, "/2010-04-01/Accounts/", 21);
    return sim_auth_twilio(cfg, h) && (!in_account_path || !strcmp(c->rq.cap[0], cfg->twilio_account_sid));
}

static void unauthorized(sim_call_t *c, sim_reply_t *r)
{
    if (c->route->carrier == SIM_CARRIER_TWILIO) {
        sim_reply_twilio_error(r, 401, 20003, "Authenticate");
        sim_reply_header(r, "WWW-Authenticate", "Basic realm=\"Twilio API\"");
    } else {
        sim_reply_telnyx_error(r, 401, "10009", "Authentication failed",
                               "Could not understand the provided credentials.", NULL, NULL);
    }
}

/* Query, form body (Twilio POST) or JSON body (Telnyx, admin) into the call. */
static bool parse_input(sim_call_t *c, sim_reply_t *r)
{
    char why[160];
    const char *q = oi_http_req_query(c->req);
    size_t blen = 0;
    const char *body = oi_http_req_body(c->req, &blen);
    sim_carrier_t carrier = c->route->carrier;
    c->rq.params = &c->params;
    c->rq.method = oi_http_req_method(c->req);
    if (!sim_params_parse(&c->params, q, strlen(q), why, sizeof why) ||
        (carrier == SIM_CARRIER_TWILIO && blen && !sim_params_parse(&c->params, body, blen, why, sizeof why))) {
        carrier_error(r, carrier, 400, why);
        return false;
    }
    if (carrier == SIM_CARRIER_TWILIO || !blen)
        return true;
    json_error_t jerr;
    c->json = json_loadb(body, blen, JSON_REJECT_DUPLICATES, &jerr);
    if (!c->json) {
        if (carrier == SIM_CARRIER_TELNYX)
            sim_reply_telnyx_error(r, 400, "10015", "Bad Request",
                                   "The request failed because it was not well-formed.", NULL, NULL);
        else
            carrier_error(r, carrier, 400, "body is not valid JSON");
        return false;
    }
    c->rq.json = c->json;
    return true;
}

static void unrouted(sim_call_t *c, sim_match_t m, sim_reply_t *r)
{
    const char *path = oi_http_req_path(c->req);
    sim_carrier_t carrier = sim_route_carrier_of(path);
    char msg[300];
    if (m == SIM_MATCH_BAD_METHOD && carrier == SIM_CARRIER_TWILIO) {
        sim_reply_twilio_error(r, 405, 20004, "Method not allowed");
    } else if (m == SIM_MATCH_BAD_METHOD) {
        carrier_error(r, carrier, 405, "Method not allowed");
    } else if (carrier == SIM_CARRIER_TWILIO) {
        snprintf(msg, sizeof msg, "%.200s", path);
        sim_tw_not_found(r, msg);
    } else {
        carrier_error(r, carrier, 404, "The requested resource could not be found.");
    }
}

static void on_request(oi_http_req_t *req, void *ud)
{
    sim_server_t *s = ud;
    sim_call_t *c = oi_xcalloc(1, sizeof *c);
    c->srv = s;
    c->req = req;
    sim_reply_t r = {0};
    sim_match_t m = sim_route_match(oi_http_req_method(req), oi_http_req_path(req), c->rq.cap, &c->route);
    if (m != SIM_MATCH_OK) {
        unrouted(c, m, &r);
        goto answer;
    }
    if (c->route->carrier != SIM_CARRIER_ADMIN)
        sim_state_bump(s->st->calls, c->route->name);
    if (!authorized(c)) {
        unauthorized(c, &r);
        goto answer;
    }
    if (!parse_input(c, &r))
        goto answer;
    if (c->route->carrier != SIM_CARRIER_ADMIN)
        c->has_fault = sim_faults_take(&s->st->faults, c->route->name, &c->fault);
    if (c->has_fault)
        oi_log_info(&(oi_log_ctx_t){.action = "applying a fault"}, "%s: status %d latency %u ms%s", c->route->name,
                    c->fault.status, c->fault.latency_ms, c->fault.timeout ? " timeout" : "");
    if (c->has_fault && (c->fault.timeout || c->fault.latency_ms) && !s->closing) {
        wait_then_run(c);
        return;
    }
    run(c);
    call_free(c);
    return;
answer:
    respond(c, &r);
    call_free(c);
}

sim_server_t *sim_server_new(uv_loop_t *loop, const sim_config_t *cfg)
{
    sim_server_t *s = oi_xcalloc(1, sizeof *s);
    s->loop = loop;
    s->st = sim_state_new(cfg);
    s->http = oi_http_server_new(loop, NULL, on_request, s);
    return s;
}

int sim_server_listen(sim_server_t *s) { return oi_http_server_listen(s->http, s->st->cfg.host, s->st->cfg.port); }

int sim_server_port(const sim_server_t *s) { return oi_http_server_port(s->http); }

static void on_http_closed(void *ud)
{
    sim_server_t *s = ud;
    if (s->on_closed)
        s->on_closed(s->closed_ud);
}

void sim_server_close(sim_server_t *s, void (*on_closed)(void *ud), void *ud)
{
    if (s->closing)
        return;
    s->closing = true;
    s->on_closed = on_closed;
    s->closed_ud = ud;
    while (s->waiting) {
        sim_call_t *c = s->waiting;
        uv_timer_stop(&c->timer);
        unlink_waiting(c);
        if (c->fault.timeout) {
            sim_reply_t r = {0};
            carrier_error(&r, c->route->carrier, 503, "simulator shutting down");
            respond(c, &r);
        } else {
            run(c);
        }
        uv_close((uv_handle_t *)&c->timer, on_timer_closed);
    }
    oi_http_server_close(s->http, on_http_closed, s);
}

void sim_server_destroy(sim_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sim_server_t *s = *self_p;
    oi_http_server_destroy(&s->http);
    sim_state_destroy(&s->st);
    OI_FREE(*self_p);
}
