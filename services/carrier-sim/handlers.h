/* handlers.h: every route handler (route.h) and the helpers they share.
 *
 * A handler validates its input, changes the state and fills the reply; it never blocks and
 * never touches HTTP. Twilio handlers answer Twilio error bodies, Telnyx handlers Telnyx ones. */
#ifndef SIM_HANDLERS_H
#define SIM_HANDLERS_H

#include <stdbool.h>

#include "route.h"

#define SIM_HANDLER(name) void name(sim_state_t *st, const sim_req_t *rq, sim_reply_t *out)

/* twilio_numbers.c */
SIM_HANDLER(sim_tw_search);
SIM_HANDLER(sim_tw_buy);
SIM_HANDLER(sim_tw_number_list);
SIM_HANDLER(sim_tw_number_get);
SIM_HANDLER(sim_tw_number_update);
SIM_HANDLER(sim_tw_release);
/* twilio_sip.c */
SIM_HANDLER(sim_tw_cl_create);
SIM_HANDLER(sim_tw_cl_list);
SIM_HANDLER(sim_tw_cl_get);
SIM_HANDLER(sim_tw_cl_delete);
SIM_HANDLER(sim_tw_cred_create);
SIM_HANDLER(sim_tw_cred_list);
SIM_HANDLER(sim_tw_cred_delete);
/* twilio_trunks.c */
SIM_HANDLER(sim_tw_trunk_create);
SIM_HANDLER(sim_tw_trunk_list);
SIM_HANDLER(sim_tw_trunk_get);
SIM_HANDLER(sim_tw_trunk_update);
SIM_HANDLER(sim_tw_trunk_delete);
/* twilio_trunk_links.c */
SIM_HANDLER(sim_tw_ou_create);
SIM_HANDLER(sim_tw_ou_list);
SIM_HANDLER(sim_tw_ou_get);
SIM_HANDLER(sim_tw_ou_delete);
SIM_HANDLER(sim_tw_tcl_attach);
SIM_HANDLER(sim_tw_tcl_list);
SIM_HANDLER(sim_tw_tcl_detach);
SIM_HANDLER(sim_tw_tpn_attach);
SIM_HANDLER(sim_tw_tpn_list);
SIM_HANDLER(sim_tw_tpn_detach);
/* telnyx_numbers.c */
SIM_HANDLER(sim_tx_search);
SIM_HANDLER(sim_tx_number_list);
SIM_HANDLER(sim_tx_number_get);
SIM_HANDLER(sim_tx_number_update);
SIM_HANDLER(sim_tx_release);
/* telnyx_orders.c */
SIM_HANDLER(sim_tx_order_create);
SIM_HANDLER(sim_tx_order_get);
/* telnyx_conns.c */
SIM_HANDLER(sim_tx_cred_conn_create);
SIM_HANDLER(sim_tx_cred_conn_get);
SIM_HANDLER(sim_tx_cred_conn_delete);
SIM_HANDLER(sim_tx_fqdn_conn_create);
SIM_HANDLER(sim_tx_fqdn_conn_get);
SIM_HANDLER(sim_tx_fqdn_conn_list);
SIM_HANDLER(sim_tx_cred_conn_list);
SIM_HANDLER(sim_tx_fqdn_conn_delete);
SIM_HANDLER(sim_tx_fqdn_create);
SIM_HANDLER(sim_tx_fqdn_get);
SIM_HANDLER(sim_tx_fqdn_list);
SIM_HANDLER(sim_tx_fqdn_delete);
/* admin.c */
SIM_HANDLER(sim_admin_healthz);
SIM_HANDLER(sim_admin_faults_add);
SIM_HANDLER(sim_admin_faults_list);
SIM_HANDLER(sim_admin_faults_clear);
SIM_HANDLER(sim_admin_take);
SIM_HANDLER(sim_admin_counters);
SIM_HANDLER(sim_admin_reset);

/* --- twilio_common.c --- */
/* Twilio's "invalid parameter" answer: 400 with code 20001 (simulator choice, see carriers.md §11). */
#define SIM_TW_INVALID 20001
/* 404 / 20404 naming the resource path. */
void sim_tw_not_found(sim_reply_t *out, const char *what);
/* Optional Twilio boolean param ("true"/"false", any case). false (reply filled) when invalid. */
bool sim_tw_bool(const sim_req_t *rq, const char *name, bool def, bool *val, sim_reply_t *out);
/* Optional string param of at most max chars. false (reply filled) when too long. */
bool sim_tw_str(const sim_req_t *rq, const char *name, size_t max, const char **val, sim_reply_t *out);
/* 2010-API list page: items (stolen) under key, with uri/first/next/previous_page_uri, page,
 * page_size, start, end. path: the list's URI without query. Reads Page, PageSize, PageToken. */
void sim_tw_page_2010(const sim_req_t *rq, const char *key, const char *path, json_t *items, sim_reply_t *out);
/* v1 (trunking) list page: {key: [...], "meta": {...}} with absolute URLs. */
void sim_tw_page_v1(const sim_state_t *st, const sim_req_t *rq, const char *key, const char *path, json_t *items,
                    sim_reply_t *out);
/* "/2010-04-01/Accounts/AC…" + rest into out. */
void sim_tw_uri(const sim_state_t *st, char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* --- telnyx_common.c --- */
/* Telnyx 422 for a body field: code 10004 when missing, 10015 when invalid. */
void sim_tx_bad_field(sim_reply_t *out, bool missing, const char *field, const char *detail);
void sim_tx_not_found(sim_reply_t *out, const char *what);
/* The request must carry a JSON object body; false (reply filled) otherwise. */
bool sim_tx_need_object(const sim_req_t *rq, sim_reply_t *out);
/* Reply {"data": public(obj)} with status. */
void sim_tx_data(sim_reply_t *out, int status, const json_t *obj);
/* Is s a non-empty string of decimal digits? */
bool sim_digits(const char *s);
/* Settles pending number orders that are due by time alone (no polls left, pending time over). */
void sim_tx_orders_tick(sim_state_t *st, int64_t now_ms);
/* A bounded integer query parameter (def when absent); false (Telnyx 400 filled) otherwise. */
bool sim_tx_int_param(const sim_req_t *rq, const char *name, long min, long max, long def, long *val,
                      sim_reply_t *out);
/* page[number] (from 1) and page[size] (1..250, default 20). */
bool sim_tx_page_params(const sim_req_t *rq, long *page, long *size, sim_reply_t *out);
/* Is the index-th matching item on the page? */
bool sim_tx_page_wants(long page, long size, size_t index);
/* {"data": data, "meta": {page_number, page_size, total_pages, total_results}}; takes data. */
void sim_tx_page_reply(sim_reply_t *out, json_t *data, long page, long size, size_t total);
/* Telnyx "…Z" time with microseconds, as Telnyx writes them. */
void sim_tx_time(int64_t unix_ms, char *out, size_t n);

#endif
