/* state.h: configuration and the whole in-memory world of the simulator.
 *
 * One Twilio account and one Telnyx account share one number inventory: a number bought on
 * either carrier leaves it, and a release returns it. Resources are kept as jansson objects
 * keyed by their sid/id, in creation order; keys starting with '_' are internal and never sent
 * (sim_public). Counters record calls per route, purchases and releases per number.
 * Loop thread only. */
#ifndef SIM_STATE_H
#define SIM_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faults.h"
#include "inventory.h"
#include "rng.h"

/* Defaults, shared with oi-carrier through the suite's environment (OI_TWILIO_ACCOUNT_SID =
 * OI_SIM_TWILIO_ACCOUNT_SID, …). Made-up values, valid in shape only. */
#define SIM_DEFAULT_TWILIO_ACCOUNT_SID "AC5f2c9e0d1b7a48e6a3c4d5e6f7a8b9c0"
#define SIM_DEFAULT_TWILIO_AUTH_TOKEN "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
#define SIM_DEFAULT_TELNYX_API_KEY "KEYsim0000000000000000000000000000_simtelnyxsecret"

typedef struct {
    const char *host;               /* OI_SIM_HOST, borrowed from the environment */
    int port;                       /* OI_SIM_PORT */
    uint64_t seed;                  /* OI_SIM_SEED */
    const char *twilio_account_sid; /* OI_SIM_TWILIO_ACCOUNT_SID */
    const char *twilio_auth_token;  /* OI_SIM_TWILIO_AUTH_TOKEN (secret: never logged) */
    const char *telnyx_api_key;     /* OI_SIM_TELNYX_API_KEY (secret: never logged) */
    int telnyx_pending_polls;       /* OI_SIM_TELNYX_PENDING_POLLS: GETs an order stays pending */
    bool twilio_caps_upper;         /* OI_SIM_TWILIO_CAPS_UPPER: "SMS"/"MMS" in search results */
    char base_url[128];             /* absolute base of v1 URLs: OI_SIM_PUBLIC_URL or http://host:port */
} sim_config_t;

typedef struct {
    sim_config_t cfg;
    sim_inventory_t *inv;   /* owned */
    sim_rng_t ids;          /* sids, ids, uuids */
    /* Twilio */
    json_t *tw_numbers;     /* PN sid → incoming phone number */
    json_t *tw_credlists;   /* CL sid → credential list */
    json_t *tw_creds;       /* CR sid → credential (with _list) */
    json_t *tw_trunks;      /* TK sid → trunk */
    json_t *tw_origs;       /* OU sid → origination URL */
    json_t *tw_trunk_cls;   /* "TK…/CL…" → trunk credential-list association */
    /* Telnyx */
    json_t *tx_numbers;     /* id → phone number */
    json_t *tx_orders;      /* uuid → number order */
    json_t *tx_conns;       /* id → credential or fqdn connection */
    json_t *tx_fqdns;       /* id → fqdn */
    /* counters */
    json_t *purchases;      /* e164 → n */
    json_t *releases;       /* e164 → n */
    json_t *calls;          /* route name → n */
    sim_faults_t faults;
} sim_state_t;

/* cfg is copied (its strings stay borrowed). */
sim_state_t *sim_state_new(const sim_config_t *cfg);
void sim_state_destroy(sim_state_t **self_p);
/* Back to the seed: fresh inventory and id stream, no resources, counters or faults. */
void sim_state_reset(sim_state_t *st);
/* counter[key] += 1 */
void sim_state_bump(json_t *counter, const char *key);
void sim_state_sid(sim_state_t *st, const char *prefix, char *out, size_t n);
/* Is e164 currently owned by the Twilio or the Telnyx account (any non-deleted record)? */
bool sim_state_owned(const sim_state_t *st, const char *e164);
/* A number leaves / returns to the inventory (no-op for numbers outside it, e.g. magic ones). */
void sim_state_number_bought(sim_state_t *st, const char *e164);
void sim_state_number_released(sim_state_t *st, const char *e164);
/* JSON array of owned numbers (new reference). */
json_t *sim_state_owned_json(const sim_state_t *st);

/* "Mon, 03 Mar 2025 17:02:11 +0000" (2010 API) and "2025-03-03T17:02:11Z" (v1, Telnyx). */
void sim_time_rfc2822(int64_t unix_ms, char *out, size_t n);
void sim_time_iso(int64_t unix_ms, char *out, size_t n);

#endif
