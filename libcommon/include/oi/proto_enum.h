/* oi/proto_enum.h: the names of the proto enums (provider, job state and kind, agent status) as
 * the API and the databases spell them: the value's name without the enum's prefix, in lower
 * case: PROVIDER_TWILIO is "twilio", JOB_KIND_UPDATE_ROUTING "update_routing". The prefix is the
 * enum's name in UPPER_SNAKE (JobKind → JOB_KIND_), so names follow the contract and never drift.
 * Value 0 (…_UNSPECIFIED) has no name: it is "not given". Pure; any thread. */
#ifndef OI_PROTO_ENUM_H
#define OI_PROTO_ENUM_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

#define OI_ENUM_NAME_MAX 48

/* The name of value into out (n ≥ OI_ENUM_NAME_MAX); "" and false when value is 0 or unknown
 * (or its name does not fit: never a truncated name). */
bool oi_enum_name(const ProtobufCEnumDescriptor *d, int value, char *out, size_t n);
/* The value named name ("twilio"); false when name names none (or names value 0). */
bool oi_enum_parse(const ProtobufCEnumDescriptor *d, const char *name, int *value);
/* The name of value as a static string ("" for 0 or unknown): built once per value, for the
 * hot paths that render enums. Thread-safe. */
const char *oi_enum_str(const ProtobufCEnumDescriptor *d, int value);

#endif
