/* metadata_secrets.c: splitting an integration's metadata (metadata_secrets.h). */
#include "metadata_secrets.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "oi/crypto.h"
#include "oi/mem.h"
#include "oi/secret_names.h"

#define DEPTH_MAX 32

/* name escaped as a JSON Pointer token (RFC 6901: ~ → ~0, / → ~1) after path. */
static char *pointer(const char *path, const char *name)
{
    size_t n = strlen(name);
    char *tok = oi_xmalloc(2 * n + 1), *o = tok;
    for (const char *c = name; *c; c++) {
        if (*c == '~' || *c == '/') {
            *o++ = '~';
            *o++ = *c == '~' ? '0' : '1';
        } else {
            *o++ = *c;
        }
    }
    *o = '\0';
    char *out = oi_xasprintf("%s/%s", path, tok);
    free(tok);
    return out;
}

static void take_secrets(json_t *v, const char *path, json_t *secrets, int depth);

static void take_from_object(json_t *obj, const char *path, json_t *secrets, int depth)
{
    const char *k;
    json_t *m;
    void *tmp;
    json_object_foreach_safe(obj, tmp, k, m)
    {
        char *p = pointer(path, k);
        if (oi_secret_name(k)) {
            json_object_set(secrets, p, m);
            json_object_del(obj, k);
        } else {
            take_secrets(m, p, secrets, depth + 1);
        }
        free(p);
    }
}

static void take_secrets(json_t *v, const char *path, json_t *secrets, int depth)
{
    if (depth > DEPTH_MAX) /* deeper than anyone's metadata: kept out entirely, as a secret */
        return;
    if (json_is_object(v)) {
        take_from_object(v, path, secrets, depth);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            char *p = pointer(path, idx);
            take_secrets(json_array_get(v, i), p, secrets, depth + 1);
            free(p);
        }
    }
}

static char *sip_password_of(const json_t *j)
{
    static const char *const keys[] = {"sip_password", "auth_password", "password"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = json_string_value(json_object_get(j, keys[i]));
        if (v && v[0])
            return oi_xstrdup(v);
    }
    return NULL;
}

oi_status_t prov_metadata_split(const char *metadata, char **public_json, char **secrets_json, char **sip_password,
                                oi_error_t *err)
{
    *public_json = *secrets_json = *sip_password = NULL;
    json_t *j = metadata && metadata[0] ? json_loads(metadata, 0, NULL) : json_object();
    if (!json_is_object(j)) {
        json_decref(j);
        oi_error_set(err, OI_INVALID, "metadata must be a JSON object");
        oi_error_set_loc(err, "body.metadata");
        return OI_INVALID;
    }
    *sip_password = sip_password_of(j);
    json_t *secrets = json_object();
    take_secrets(j, "", secrets, 0);
    *public_json = json_dumps(j, JSON_COMPACT);
    if (json_object_size(secrets) > 0)
        *secrets_json = json_dumps(secrets, JSON_COMPACT);
    json_decref(secrets);
    json_decref(j);
    return OI_OK;
}
