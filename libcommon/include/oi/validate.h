/* oi/validate.h: request validation that reports like FastAPI/pydantic v2 (HTTP 422).
 *
 * Every problem is collected (not just the first) as
 *   {"type": "...", "loc": ["body", "inbound_routing", "agent_id"], "msg": "...",
 *    "input": <value>, "ctx": {...}}
 * and oi_validation_render() produces {"detail": [ ... ]}. */
#ifndef OI_VALIDATE_H
#define OI_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define OI_LOC_MAX 8

/* A location path: segments are strings, or integers when is_int. */
typedef struct {
    struct { const char *s; int i; bool is_int; } seg[OI_LOC_MAX];
    int n;
} oi_loc_t;

/* Returns a copy of base with one more string (or int) segment. */
oi_loc_t oi_loc_root(const char *first);             /* ("body") */
oi_loc_t oi_loc_key(const oi_loc_t *base, const char *key);
oi_loc_t oi_loc_index(const oi_loc_t *base, int i);

typedef struct oi_validation oi_validation_t;

oi_validation_t *oi_validation_new(void);
void oi_validation_destroy(oi_validation_t **self_p);
size_t oi_validation_count(const oi_validation_t *v);
/* Adds one error. input is borrowed (copied; NULL = omit "input"); ctx is stolen (may be NULL). */
void oi_validation_add(oi_validation_t *v, const oi_loc_t *loc, const char *type, const char *msg,
                       json_t *input, json_t *ctx);
/* {"detail":[…]} as a new string. */
char *oi_validation_render(const oi_validation_t *v);

/* --- field checkers: each returns the value when valid, else NULL and records the error. --- */
enum {
    OI_V_REQUIRED = 1 << 0,   /* absent → "missing" */
    OI_V_NULLABLE = 1 << 1,   /* JSON null accepted (returns NULL without error; see *is_null) */
};

/* The body must be a JSON object: "model_attributes_type" otherwise. */
bool oi_v_object(oi_validation_t *v, const oi_loc_t *loc, json_t *value);
/* Looks key up in obj; absent + REQUIRED → "missing". *present says whether the key exists;
 * *is_null whether it is JSON null (which NULLABLE accepts). */
json_t *oi_v_member(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key,
                    int flags, bool *present, bool *is_null);
/* String with optional max_len (0 = none, counted in code points) and min_len. */
const char *oi_v_string(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key,
                        int flags, size_t min_len, size_t max_len, bool *present);
/* String matching ^\+[1-9]\d{1,14}$ (type "string_pattern_mismatch"). */
const char *oi_v_e164(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key,
                      int flags, bool *present);
/* UUID string (type "uuid_parsing" / "uuid_type"); out gets the normalised lowercase form. */
bool oi_v_uuid(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key, int flags,
               bool *present, char out[37]);
/* String that must equal one of the NULL-terminated choices (type "enum"). */
const char *oi_v_enum(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key,
                      int flags, const char *const *choices, bool *present);
/* Nested object (type "model_attributes_type"); returns it or NULL. */
json_t *oi_v_subobject(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key,
                       int flags, bool *present, bool *is_null);

/* Parses a request body. On a syntax error records FastAPI's
 * {"type":"json_invalid","loc":["body",<pos>],"msg":"JSON decode error","ctx":{"error":…}}
 * and returns NULL. The caller owns the returned value (json_decref). */
json_t *oi_v_parse_body(oi_validation_t *v, const char *body, size_t len);

/* Query parameter integer in [min, max] ("int_parsing", "greater_than_equal", "less_than_equal"). */
bool oi_v_query_int(oi_validation_t *v, const char *name, const char *raw, long min, long max,
                    long *out);

#endif
