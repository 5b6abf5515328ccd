/* rpc_contract.c: methods and wire names from the proto `service` descriptors. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "oi/assert.h"
#include "rpc_internal.h"

const ProtobufCMethodDescriptor *oi_rpc_method(const ProtobufCServiceDescriptor *svc, const char *name)
{
    const ProtobufCMethodDescriptor *m = protobuf_c_service_descriptor_get_method_by_name(svc, name);
    OI_ASSERT(m != NULL);
    return m;
}

void oi_rpc_wire_name(const ProtobufCServiceDescriptor *svc, const char *method, char *out, size_t n)
{
    size_t len = 0;
    for (const char *p = svc->short_name; *p && len + 1 < n; p++)
        out[len++] = (char)tolower((unsigned char)*p);
    snprintf(out + len, n - len, ".%s", method);
}

bool oi_rpc_table_complete(const ProtobufCServiceDescriptor *svc, const oi_rpc_method_t *methods, size_t n)
{
    if (n != svc->n_methods)
        return false;
    for (unsigned i = 0; i < svc->n_methods; i++) {
        int seen = 0;
        for (size_t k = 0; k < n; k++)
            seen += strcmp(methods[k].method, svc->methods[i].name) == 0 && (!methods[k].work != !methods[k].on_loop);
        if (seen != 1)
            return false;
    }
    return true;
}
