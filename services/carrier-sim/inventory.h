/* inventory.h: the simulator's deterministic stock of available numbers.
 *
 * sim_inventory_new(seed) builds, from the seed alone, a few hundred numbers in each of the
 * areas of a fixed table (24 US area codes, 3 CA, and GB +44, DE +49, AU +61), sorted by number
 * within an area, each with locality/region/rate centre and capabilities (every number has
 * voice; some have no SMS). The same seed always gives the same numbers in the same order.
 * Numbers change state as they are bought (OWNED), taken by the fault "take number" (TAKEN)
 * or released (AVAILABLE again). Pure data; no I/O; not thread-safe (loop thread only). */
#ifndef SIM_INVENTORY_H
#define SIM_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pattern.h"

enum { SIM_CAP_VOICE = 1, SIM_CAP_SMS = 2, SIM_CAP_MMS = 4, SIM_CAP_FAX = 8 };

typedef enum { SIM_NUM_AVAILABLE = 0, SIM_NUM_OWNED, SIM_NUM_TAKEN } sim_num_state_t;

typedef struct {
    const char *iso;          /* "US" */
    const char *cc;           /* country calling code "1" */
    const char *ndc;          /* area code / national destination code "415" */
    int subscriber_len;       /* digits after the NDC */
    const char *locality;     /* "San Francisco" */
    const char *region;       /* "CA" */
    const char *rate_center;  /* "SNFC" */
    const char *lata;         /* "722" ("" outside NANP) */
    const char *postal_code;  /* "94107" */
    double latitude, longitude;
} sim_area_t;

typedef struct {
    char e164[17];            /* "+14155550142" */
    const sim_area_t *area;   /* borrowed from the static table */
    unsigned caps;            /* SIM_CAP_* */
    sim_num_state_t state;
} sim_number_t;

typedef struct sim_inventory sim_inventory_t;

/* Search filters; NULL/0 = no filter. Strings are borrowed for the call. */
typedef struct {
    const char *iso;                 /* required: ISO alpha-2, case-insensitive */
    const char *ndc;                 /* area code */
    const sim_pattern_t *contains;   /* Twilio Contains, matched on the E.164 digits */
    /* Telnyx filter[phone_number][contains|starts_with|ends_with]: digits only (anything else
     * matches nothing), on the national number, or on the part after the NDC when ndc is set. */
    const char *digits_contains, *digits_starts, *digits_ends;
    const char *locality;            /* case-insensitive exact */
    const char *region;              /* state / province, case-insensitive exact */
    unsigned caps;                   /* every bit must be present */
    size_t limit;                    /* max results (0 = no limit beyond the out array) */
} sim_search_t;

sim_inventory_t *sim_inventory_new(uint64_t seed);
void sim_inventory_destroy(sim_inventory_t **self_p);
size_t sim_inventory_count(const sim_inventory_t *inv);
/* i-th number (0 <= i < count) in generation order; borrowed. */
sim_number_t *sim_inventory_at(sim_inventory_t *inv, size_t i);
/* Exact E.164 lookup (whatever the state); NULL when the number is not in the stock. */
sim_number_t *sim_inventory_find(sim_inventory_t *inv, const char *e164);
/* First available number in an area; NULL if none. */
sim_number_t *sim_inventory_first_in_area(sim_inventory_t *inv, const char *iso, const char *ndc);
/* Available numbers matching q, in inventory order, into out (cap entries). Returns the count. */
size_t sim_inventory_search(sim_inventory_t *inv, const sim_search_t *q, sim_number_t **out, size_t cap);
/* Is there an area with this ISO code (and NDC, when ndc is not NULL)? */
bool sim_inventory_has_area(const sim_inventory_t *inv, const char *iso, const char *ndc);
/* "(415) 555-0142" for NANP, "+44 20 7946 0018"-style otherwise. */
void sim_number_friendly(const sim_number_t *n, char *out, size_t len);
/* The static area table. */
const sim_area_t *sim_areas(size_t *n);

#endif
