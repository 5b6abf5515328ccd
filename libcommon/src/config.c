/* config.c: OI_* environment variables, validated, every problem reported at start-up. */
#define OI_LOG_TAG "common.config"
#include "oi/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/log.h"
#include "oi/mem.h"

#define CONFIG_MAX_PROBLEMS 32

struct oi_config {
    char *problems[CONFIG_MAX_PROBLEMS]; /* owned */
    int n;
};

oi_config_t *oi_config_new(void) { return oi_xcalloc(1, sizeof(oi_config_t)); }

void oi_config_destroy(oi_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (int i = 0; i < (*self_p)->n; i++)
        free((*self_p)->problems[i]);
    OI_FREE(*self_p);
}

void oi_config_fail(oi_config_t *c, const char *name, const char *why)
{
    if (c->n < CONFIG_MAX_PROBLEMS)
        c->problems[c->n++] = oi_xasprintf("%s: %s", name, why);
}

const char *oi_config_str(oi_config_t *c, const char *name, const char *def)
{
    const char *v = getenv(name);
    return (v && *v) ? v : def;
}

const char *oi_config_str_required(oi_config_t *c, const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        oi_config_fail(c, name, "is required");
        return "";
    }
    return v;
}

int64_t oi_config_int(oi_config_t *c, const char *name, int64_t def, int64_t min, int64_t max)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || !end || *end || n < min || n > max) {
        char why[128];
        snprintf(why, sizeof why, "must be an integer in [%lld, %lld]", (long long)min, (long long)max);
        oi_config_fail(c, name, why);
        return def;
    }
    return n;
}

bool oi_config_bool(oi_config_t *c, const char *name, bool def)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
        return true;
    if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
        return false;
    oi_config_fail(c, name, "must be true or false");
    return def;
}

bool oi_config_check(oi_config_t *c)
{
    for (int i = 0; i < c->n; i++)
        oi_log_error(&(oi_log_ctx_t){.action = "reading configuration"}, "invalid configuration: %s", c->problems[i]);
    return c->n == 0;
}
