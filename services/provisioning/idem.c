/* idem.c: request hashes for idempotency keys. */
#include "idem.h"

#include <stdlib.h>
#include <string.h>

#include "oi/buf.h"
#include "oi/crypto.h"
#include "oi/mem.h"

void prov_idem_hash(const char *key, const char *kind, const void *packed, size_t len,
                    char out[PROV_HASH_HEX_LEN + 1])
{
    size_t klen = key ? strlen(key) : 0;
    size_t kindlen = kind ? strlen(kind) : 0;
    size_t total = klen + 1 + kindlen + 1 + len;
    unsigned char *buf = oi_xmalloc(total + 1);
    size_t off = 0;
    if (klen)
        memcpy(buf, key, klen);
    off += klen;
    buf[off++] = 0;
    if (kindlen)
        memcpy(buf + off, kind, kindlen);
    off += kindlen;
    buf[off++] = 0;
    if (len)
        memcpy(buf + off, packed, len);
    oi_sha256_hex(buf, total, out);
    free(buf);
}

unsigned char *prov_idem_pack_without_key(const ProtobufCMessage *msg, size_t *len)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, "idempotency_key");
    const ProtobufCFieldDescriptor *w = protobuf_c_message_descriptor_get_field_by_name(d, "wait_ms");
    /* a shallow copy of the top-level struct with the key and the wait blanked (a retry may wait
     * longer or less: it is the same submission); sub-messages stay shared */
    void *copy = oi_xmalloc(d->sizeof_message);
    memcpy(copy, msg, d->sizeof_message);
    if (f && f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED) {
        const char **slot = (const char **)((char *)copy + f->offset);
        *slot = "";
    }
    if (w && w->type == PROTOBUF_C_TYPE_INT32 && w->label != PROTOBUF_C_LABEL_REPEATED)
        *(int32_t *)(void *)((char *)copy + w->offset) = 0;
    size_t n = protobuf_c_message_get_packed_size(copy);
    unsigned char *out = oi_xmalloc(n + 1);
    protobuf_c_message_pack(copy, out);
    free(copy);
    *len = n;
    return out;
}

bool prov_idem_same(const char *stored_hash, const char *hash)
{
    if (!stored_hash || !hash)
        return false;
    return oi_secure_streq(stored_hash, hash);
}

bool prov_idem_matches(const char *stored_hash, const char *key, const char *previous, const char *kind,
                       const void *packed, size_t len)
{
    char h[PROV_HASH_HEX_LEN + 1];
    prov_idem_hash(key, kind, packed, len, h);
    if (prov_idem_same(stored_hash, h))
        return true;
    if (!previous || !*previous)
        return false;
    prov_idem_hash(previous, kind, packed, len, h);
    return prov_idem_same(stored_hash, h);
}
