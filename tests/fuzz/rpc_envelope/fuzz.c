/* Fuzzes what a service unpacks from the RPC plane (oi/proto_unpack.h, as the RPC layer does):
 * any bytes as a request Envelope (as every server reads a frame) and its payload as the request
 * of the method it names, in each service; and the same bytes as a Reply and its payload as each
 * method's answer (as every client reads one). What unpacks packs back and unpacks again (a job
 * keeps its request packed: found here, a field numbered 0 did not). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oi/proto_unpack.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "oneinbox/v1/provisioning.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ProtobufCServiceDescriptor *const services[] = {
    &oneinbox__v1__provisioning__descriptor, &oneinbox__v1__dispatch__descriptor, &oneinbox__v1__carrier__descriptor};

/* m unpacked: it packs to as many bytes as it says, and those unpack again. */
static void repack(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (protobuf_c_message_pack(m, buf) != n)
        abort();
    ProtobufCMessage *again = oi_proto_unpack(m->descriptor, n, buf);
    if (!again)
        abort();
    protobuf_c_message_free_unpacked(again, NULL);
    free(buf);
}

static void payload_as(const ProtobufCMessageDescriptor *d, const ProtobufCBinaryData *p)
{
    ProtobufCMessage *m = oi_proto_unpack(d, p->len, p->data);
    if (!m)
        return;
    repack(m);
    protobuf_c_message_free_unpacked(m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Oneinbox__V1__Envelope *env =
        (Oneinbox__V1__Envelope *)oi_proto_unpack(&oneinbox__v1__envelope__descriptor, size, data);
    if (env) {
        repack(&env->base);
        for (size_t s = 0; s < sizeof services / sizeof services[0]; s++) {
            const ProtobufCMethodDescriptor *md =
                protobuf_c_service_descriptor_get_method_by_name(services[s], env->method);
            if (md)
                payload_as(md->input, &env->payload);
        }
        oneinbox__v1__envelope__free_unpacked(env, NULL);
    }
    Oneinbox__V1__Reply *rep = (Oneinbox__V1__Reply *)oi_proto_unpack(&oneinbox__v1__reply__descriptor, size, data);
    if (rep) {
        repack(&rep->base);
        for (size_t s = 0; s < sizeof services / sizeof services[0]; s++)
            for (unsigned i = 0; i < services[s]->n_methods; i++)
                payload_as(services[s]->methods[i].output, &rep->payload);
        oneinbox__v1__reply__free_unpacked(rep, NULL);
    }
    return 0;
}
