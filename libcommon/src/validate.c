/* validate.c: FastAPI/pydantic-v2 shaped validation errors (HTTP 422). */
#include "oi/validate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oi/e164.h"
#include "oi/ids.h"
#include "oi/mem.h"

struct oi_validation {
    json_t *errors; /* owned array */
};

oi_loc_t oi_loc_root(const char *first)
{
    oi_loc_t l = {.n = 1};
    l.seg[0].s = first;
    return l;
}

oi_loc_t oi_loc_key(const oi_loc_t *base, const char *key)
{
    oi_loc_t l = *base;
    if (l.n < OI_LOC_MAX) {
        l.seg[l.n].s = key;
        l.seg[l.n].is_int = false;
        l.n++;
    }
    return l;
}

oi_loc_t oi_loc_index(const oi_loc_t *base, int i)
{
    oi_loc_t l = *base;
    if (l.n < OI_LOC_MAX) {
        l.seg[l.n].s = NULL;
        l.seg[l.n].i = i;
        l.seg[l.n].is_int = true;
        l.n++;
    }
    return l;
}

oi_validation_t *oi_validation_new(void)
{
    oi_validation_t *v = oi_xcalloc(1, sizeof *v);
    v->errors = json_array();
    return v;
}

void oi_validation_destroy(oi_validation_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    json_decref((*self_p)->errors);
    OI_FREE(*self_p);
}

size_t oi_validation_count(const oi_validation_t *v) { return json_array_size(v->errors); }

/* Secret-bearing member names: their values never travel back in an error's "input". */
static bool secret_name(const char *k)
{
    return strcasestr(k, "password") || strcasestr(k, "secret") || strcasestr(k, "token") ||
           strcasecmp(k, "api_key") == 0 || strcasecmp(k, "apikey") == 0;
}

#define REDACTED "[redacted]"

/* A copy of value with every secret-named member replaced (objects and arrays, recursively). */
static json_t *redacted_copy(json_t *value)
{
    if (json_is_object(value)) {
        json_t *out = json_object();
        const char *k;
        json_t *m;
        json_object_foreach(value, k, m)
            json_object_set_new(out, k, secret_name(k) ? json_string(REDACTED) : redacted_copy(m));
        return out;
    }
    if (json_is_array(value)) {
        json_t *out = json_array();
        size_t i;
        json_t *m;
        json_array_foreach(value, i, m)
            json_array_append_new(out, redacted_copy(m));
        return out;
    }
    return json_incref(value);
}

static json_t *safe_input(const oi_loc_t *loc, json_t *input)
{
    if (loc->n > 0 && !loc->seg[loc->n - 1].is_int && secret_name(loc->seg[loc->n - 1].s))
        return json_string(REDACTED);
    return redacted_copy(input);
}

void oi_validation_add(oi_validation_t *v, const oi_loc_t *loc, const char *type, const char *msg, json_t *input,
                       json_t *ctx)
{
    json_t *e = json_object();
    json_object_set_new(e, "type", json_string(type));
    json_t *l = json_array();
    for (int i = 0; i < loc->n; i++)
        json_array_append_new(l, loc->seg[i].is_int ? json_integer(loc->seg[i].i) : json_string(loc->seg[i].s));
    json_object_set_new(e, "loc", l);
    json_object_set_new(e, "msg", json_string(msg));
    if (input)
        json_object_set_new(e, "input", safe_input(loc, input));
    if (ctx)
        json_object_set_new(e, "ctx", ctx);
    json_array_append_new(v->errors, e);
}

char *oi_validation_render(const oi_validation_t *v)
{
    json_t *root = json_pack("{sO}", "detail", v->errors);
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return s ? s : oi_xstrdup("{\"detail\":[]}");
}

static json_t *input_or_null(json_t *value) { return value ? value : json_null(); }

bool oi_v_object(oi_validation_t *v, const oi_loc_t *loc, json_t *value)
{
    if (json_is_object(value))
        return true;
    json_t *in = input_or_null(value);
    oi_validation_add(v, loc, "model_attributes_type", "Input should be a valid dictionary or object to extract fields from",
                      in, NULL);
    return false;
}

json_t *oi_v_member(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key, int flags, bool *present,
                    bool *is_null)
{
    json_t *m = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (present)
        *present = m != NULL;
    if (is_null)
        *is_null = m != NULL && json_is_null(m);
    if (!m) {
        if (flags & OI_V_REQUIRED) {
            oi_loc_t l = oi_loc_key(loc, key);
            oi_validation_add(v, &l, "missing", "Field required", obj, NULL);
        }
        return NULL;
    }
    return m;
}

/* Number of UTF-8 code points (pydantic counts characters, not bytes). */
static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Common prefix of the string checkers: member lookup, null handling, type check. */
static const char *string_member(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key, int flags,
                                 bool *present, json_t **out_m, oi_loc_t *out_loc)
{
    bool is_null = false;
    json_t *m = oi_v_member(v, loc, obj, key, flags, present, &is_null);
    *out_loc = oi_loc_key(loc, key);
    *out_m = m;
    if (!m)
        return NULL;
    if (is_null) {
        if (!(flags & OI_V_NULLABLE))
            oi_validation_add(v, out_loc, "string_type", "Input should be a valid string", m, NULL);
        return NULL;
    }
    if (!json_is_string(m)) {
        oi_validation_add(v, out_loc, "string_type", "Input should be a valid string", m, NULL);
        return NULL;
    }
    return json_string_value(m);
}

const char *oi_v_string(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key, int flags,
                        size_t min_len, size_t max_len, bool *present)
{
    json_t *m;
    oi_loc_t l;
    const char *s = string_member(v, loc, obj, key, flags, present, &m, &l);
    if (!s)
        return NULL;
    size_t n = utf8_len(s);
    if (strlen(s) != json_string_length(m)) {
        oi_validation_add(v, &l, "string_type", "Input should be a valid string without NUL characters", m, NULL);
        return NULL;
    }
    if (max_len && n > max_len) {
        char msg[96];
        snprintf(msg, sizeof msg, "String should have at most %zu character%s", max_len, max_len == 1 ? "" : "s");
        oi_validation_add(v, &l, "string_too_long", msg, m, json_pack("{sI}", "max_length", (json_int_t)max_len));
        return NULL;
    }
    if (min_len && n < min_len) {
        char msg[96];
        snprintf(msg, sizeof msg, "String should have at least %zu character%s", min_len, min_len == 1 ? "" : "s");
        oi_validation_add(v, &l, "string_too_short", msg, m, json_pack("{sI}", "min_length", (json_int_t)min_len));
        return NULL;
    }
    return s;
}

#define E164_PATTERN "^\\+[1-9]\\d{1,14}$"

const char *oi_v_e164(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key, int flags, bool *present)
{
    json_t *m;
    oi_loc_t l;
    const char *s = string_member(v, loc, obj, key, flags, present, &m, &l);
    if (!s)
        return NULL;
    if (strlen(s) != json_string_length(m) || !oi_e164_valid(s)) {
        oi_validation_add(v, &l, "string_pattern_mismatch", "String should match pattern '" E164_PATTERN "'", m,
                          json_pack("{ss}", "pattern", E164_PATTERN));
        return NULL;
    }
    return s;
}

/* pydantic's uuid_parsing wording for the two common failures. */
static void uuid_error(oi_validation_t *v, const oi_loc_t *l, json_t *m, const char *s)
{
    size_t n = strlen(s);
    char msg[160];
    size_t hex = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '-')
            hex++;
    const char *bad = NULL;
    for (const char *p = s; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') || *p == '-')) {
            bad = p;
            break;
        }
    }
    if (bad)
        snprintf(msg, sizeof msg,
                 "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` "
                 "followed by [0-9a-fA-F-], found `%c` at %zu",
                 *bad, (size_t)(bad - s) + 1);
    else if (hex != 32)
        snprintf(msg, sizeof msg, "Input should be a valid UUID, invalid length: expected length 32 for simple format, "
                                  "found %zu", hex);
    else
        snprintf(msg, sizeof msg, "Input should be a valid UUID, invalid group count: expected 5, found more or fewer");
    oi_validation_add(v, l, "uuid_parsing", msg, m, json_pack("{ss}", "error", msg + strlen("Input should be a valid UUID, ")));
}

bool oi_v_uuid(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key, int flags, bool *present,
               char out[37])
{
    bool is_null = false;
    json_t *m = oi_v_member(v, loc, obj, key, flags, present, &is_null);
    oi_loc_t l = oi_loc_key(loc, key);
    out[0] = '\0';
    if (!m)
        return false;
    if (is_null) {
        if (!(flags & OI_V_NULLABLE))
            oi_validation_add(v, &l, "uuid_type", "UUID input should be a string, bytes or UUID object", m, NULL);
        return false;
    }
    if (!json_is_string(m)) {
        oi_validation_add(v, &l, "uuid_type", "UUID input should be a string, bytes or UUID object", m, NULL);
        return false;
    }
    const char *s = json_string_value(m);
    if (strlen(s) != json_string_length(m) || !oi_uuid_normalize(s, out)) {
        uuid_error(v, &l, m, s);
        out[0] = '\0';
        return false;
    }
    return true;
}

const char *oi_v_enum(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key, int flags,
                      const char *const *choices, bool *present)
{
    bool is_null = false;
    json_t *m = oi_v_member(v, loc, obj, key, flags, present, &is_null);
    oi_loc_t l = oi_loc_key(loc, key);
    if (!m || (is_null && (flags & OI_V_NULLABLE)))
        return NULL;
    if (json_is_string(m))
        for (int i = 0; choices[i]; i++)
            if (strcmp(json_string_value(m), choices[i]) == 0)
                return choices[i];
    char expected[256] = "";
    size_t off = 0;
    for (int i = 0; choices[i]; i++) {
        const char *sep = !choices[i + 1] && i > 0 ? " or " : (i ? ", " : "");
        int w = snprintf(expected + off, sizeof expected - off, "%s'%s'", sep, choices[i]);
        if (w < 0 || (size_t)w >= sizeof expected - off)
            break;
        off += (size_t)w;
    }
    char msg[300];
    snprintf(msg, sizeof msg, "Input should be %s", expected);
    oi_validation_add(v, &l, "enum", msg, m, json_pack("{ss}", "expected", expected));
    return NULL;
}

json_t *oi_v_subobject(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, const char *key, int flags, bool *present,
                       bool *is_null)
{
    bool nul = false;
    json_t *m = oi_v_member(v, loc, obj, key, flags, present, &nul);
    if (is_null)
        *is_null = nul;
    if (!m)
        return NULL;
    oi_loc_t l = oi_loc_key(loc, key);
    if (nul) {
        if (!(flags & OI_V_NULLABLE))
            oi_v_object(v, &l, m);
        return NULL;
    }
    return oi_v_object(v, &l, m) ? m : NULL;
}

json_t *oi_v_parse_body(oi_validation_t *v, const char *body, size_t len)
{
    json_error_t jerr;
    json_t *root = json_loadb(body ? body : "", len, JSON_DECODE_ANY, &jerr);
    if (root)
        return root;
    oi_loc_t l = oi_loc_root("body");
    l = oi_loc_index(&l, jerr.position > 0 ? jerr.position : 0);
    oi_validation_add(v, &l, "json_invalid", "JSON decode error", NULL, json_pack("{ss}", "error", jerr.text));
    return NULL;
}

bool oi_v_query_int(oi_validation_t *v, const char *name, const char *raw, long min, long max, long *out)
{
    oi_loc_t l = oi_loc_root("query");
    l = oi_loc_key(&l, name);
    char *end = NULL;
    errno = 0;
    long n = strtol(raw, &end, 10);
    json_t *in = json_string(raw);
    bool ok = false;
    if (errno || !end || end == raw || *end) {
        oi_validation_add(v, &l, "int_parsing", "Input should be a valid integer, unable to parse string as an integer",
                          in, NULL);
    } else if (n < min) {
        char msg[96];
        snprintf(msg, sizeof msg, "Input should be greater than or equal to %ld", min);
        oi_validation_add(v, &l, "greater_than_equal", msg, in, json_pack("{sI}", "ge", (json_int_t)min));
    } else if (n > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "Input should be less than or equal to %ld", max);
        oi_validation_add(v, &l, "less_than_equal", msg, in, json_pack("{sI}", "le", (json_int_t)max));
    } else {
        *out = n;
        ok = true;
    }
    json_decref(in);
    return ok;
}
