/* params.h: a decoded "a=b&c=d" list (query strings and form bodies).
 *
 * sim_params_parse() decodes every pair with oi_http_url_decode ('+' is a space) and refuses
 * bad percent escapes, too many pairs or over-long names/values, so a handler never sees
 * half-decoded input. Names are kept as sent after decoding ("filter[country_code]"). */
#ifndef SIM_PARAMS_H
#define SIM_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#define SIM_PARAMS_MAX 64
#define SIM_PARAM_VALUE_MAX 2048

typedef struct {
    char *name;  /* owned */
    char *value; /* owned */
} sim_param_t;

typedef struct {
    sim_param_t items[SIM_PARAMS_MAX];
    size_t n;
} sim_params_t;

/* Parses text (len bytes, need not be NUL-terminated) into p, which must be zeroed or cleaned.
 * false on malformed input, with a one-line reason in why (size n); p is then cleaned. */
bool sim_params_parse(sim_params_t *p, const char *text, size_t len, char *why, size_t n);
void sim_params_cleanup(sim_params_t *p);
/* First value of name; NULL when absent. Borrowed from p. */
const char *sim_params_get(const sim_params_t *p, const char *name);
/* Integer value of name in [min, max]; absent -> def. false when not a clean integer in range. */
bool sim_params_long(const sim_params_t *p, const char *name, long min, long max, long def, long *val);

#endif
