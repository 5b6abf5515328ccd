/* params.c: query-string / form-body decoding with limits. */
#include "params.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "oi/http_server.h"
#include "oi/mem.h"

static char *decode(const char *s, size_t len)
{
    char buf[SIM_PARAM_VALUE_MAX + 1];
    if (len > SIM_PARAM_VALUE_MAX || memchr(s, '\0', len))
        return NULL;
    /* an encoded NUL would silently cut the value short: refuse it */
    for (size_t i = 0; i + 2 < len; i++)
        if (s[i] == '%' && s[i + 1] == '0' && s[i + 2] == '0')
            return NULL;
    if (!oi_http_url_decode(s, len, buf, sizeof buf, true))
        return NULL;
    json_t *utf8 = json_string(buf); /* NULL when the bytes are not valid UTF-8 */
    if (!utf8)
        return NULL;
    json_decref(utf8);
    return oi_xstrdup(buf);
}

static bool add_pair(sim_params_t *p, const char *s, size_t len, char *why, size_t n)
{
    if (len == 0)
        return true; /* "a=1&&b=2": empty pieces are ignored, as browsers do */
    if (p->n == SIM_PARAMS_MAX) {
        snprintf(why, n, "more than %d parameters", SIM_PARAMS_MAX);
        return false;
    }
    const char *eq = memchr(s, '=', len);
    size_t nl = eq ? (size_t)(eq - s) : len;
    char *name = decode(s, nl);
    char *value = decode(eq ? eq + 1 : "", eq ? len - nl - 1 : 0);
    if (!name || !value || !*name) {
        free(name);
        free(value);
        snprintf(why, n, "malformed parameter near \"%.*s\"", (int)(nl > 40 ? 40 : nl), s);
        return false;
    }
    p->items[p->n].name = name;
    p->items[p->n].value = value;
    p->n++;
    return true;
}

bool sim_params_parse(sim_params_t *p, const char *text, size_t len, char *why, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '&')
            continue;
        if (!add_pair(p, text + start, i - start, why, n)) {
            sim_params_cleanup(p);
            return false;
        }
        start = i + 1;
    }
    return true;
}

void sim_params_cleanup(sim_params_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        OI_FREE(p->items[i].name);
        OI_FREE(p->items[i].value);
    }
    p->n = 0;
}

const char *sim_params_get(const sim_params_t *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->items[i].name, name))
            return p->items[i].value;
    return NULL;
}

bool sim_params_long(const sim_params_t *p, const char *name, long min, long max, long def, long *val)
{
    const char *v = sim_params_get(p, name);
    *val = def;
    if (!v)
        return true;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        return false;
    *val = n;
    return true;
}
