/* proto_enum.c: enum value names without their prefix, in lower case. */
#include "oi/proto_enum.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "oi/mem.h"

/* "JobKind" → "JOB_KIND_" */
static size_t prefix_of(const ProtobufCEnumDescriptor *d, char *out, size_t n)
{
    size_t len = 0;
    for (const char *p = d->short_name; *p && len + 3 < n; p++) {
        if (isupper((unsigned char)*p) && p != d->short_name)
            out[len++] = '_';
        out[len++] = (char)toupper((unsigned char)*p);
    }
    out[len++] = '_';
    out[len] = '\0';
    return len;
}

bool oi_enum_name(const ProtobufCEnumDescriptor *d, int value, char *out, size_t n)
{
    out[0] = '\0';
    const ProtobufCEnumValue *v = value ? protobuf_c_enum_descriptor_get_value(d, value) : NULL;
    char prefix[OI_ENUM_NAME_MAX];
    size_t plen = prefix_of(d, prefix, sizeof prefix);
    if (!v || strncmp(v->name, prefix, plen) != 0)
        return false;
    if (strlen(v->name + plen) >= n)
        return false; /* never a truncated name */
    size_t len = 0;
    for (const char *p = v->name + plen; *p; p++)
        out[len++] = (char)tolower((unsigned char)*p);
    out[len] = '\0';
    return true;
}

bool oi_enum_parse(const ProtobufCEnumDescriptor *d, const char *name, int *value)
{
    char full[OI_ENUM_NAME_MAX * 2];
    size_t len = prefix_of(d, full, sizeof full);
    if (!name || !*name || strlen(name) + len >= sizeof full)
        return false;
    for (const char *p = name; *p; p++) {
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
            return false; /* the API's names are lower case: "TWILIO" is not one */
        full[len++] = (char)toupper((unsigned char)*p);
    }
    full[len] = '\0';
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(d, full);
    if (!v || v->value == 0)
        return false;
    *value = v->value;
    return true;
}

/* interned names: (descriptor, value) → name, a short list (a few enums, a few values each) */
typedef struct interned {
    struct interned *next;
    const ProtobufCEnumDescriptor *d;
    int value;
    char name[OI_ENUM_NAME_MAX];
} interned_t;

static interned_t *names;
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

const char *oi_enum_str(const ProtobufCEnumDescriptor *d, int value)
{
    pthread_mutex_lock(&names_lock);
    interned_t *x = names;
    while (x && (x->d != d || x->value != value))
        x = x->next;
    if (!x) {
        x = oi_xcalloc(1, sizeof *x);
        x->d = d;
        x->value = value;
        oi_enum_name(d, value, x->name, sizeof x->name);
        x->next = names;
        names = x;
    }
    pthread_mutex_unlock(&names_lock);
    return x->name;
}
