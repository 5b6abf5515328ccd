/* test_contract.c: oi-carrier serves every method of the Carrier service in proto/, each once. */
#include <criterion/criterion.h>

#include "rpc.h"
#include "oneinbox/v1/carrier.pb-c.h"

Test(contract, the_table_serves_the_whole_carrier_service)
{
    size_t n = 0;
    const oi_rpc_method_t *m = car_methods(&n);
    cr_assert(oi_rpc_table_complete(&oneinbox__v1__carrier__descriptor, m, n));
}
