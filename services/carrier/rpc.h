/* rpc.h: the carrier.* method table (handlers run on the loop). */
#ifndef CAR_RPC_H
#define CAR_RPC_H

#include <stddef.h>

#include "oi/rpc.h"

const oi_rpc_method_t *car_methods(size_t *n);

#endif
