/* oi/config.h: configuration from OI_* environment variables only.
 *
 * Each getter validates and records the first problem in the config's error list; after
 * reading everything, a service calls oi_config_check(), which logs every problem on one
 * line each and returns false, so a misconfigured service refuses to start with a clear
 * message instead of running half-configured. */
#ifndef OI_CONFIG_H
#define OI_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct oi_config oi_config_t;

oi_config_t *oi_config_new(void);
void oi_config_destroy(oi_config_t **self_p);

/* Returned strings are borrowed from the environment and live for the process. */
const char *oi_config_str(oi_config_t *c, const char *name, const char *def);
const char *oi_config_str_required(oi_config_t *c, const char *name);
int64_t oi_config_int(oi_config_t *c, const char *name, int64_t def, int64_t min, int64_t max);
bool oi_config_bool(oi_config_t *c, const char *name, bool def);
/* Records a custom problem (e.g. cross-field validation). */
void oi_config_fail(oi_config_t *c, const char *name, const char *why);
/* Logs every problem; true when none. */
bool oi_config_check(oi_config_t *c);

#endif
