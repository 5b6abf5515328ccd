/* test_contract.c: oi-provisioning serves every method of the Provisioning service in proto/, each once. */
#include <criterion/criterion.h>

#include "provisioning.h"
#include "oneinbox/v1/provisioning.pb-c.h"

Test(contract, the_table_serves_the_whole_provisioning_service)
{
    size_t n = 0;
    const oi_rpc_method_t *m = prov_methods(&n);
    cr_assert(oi_rpc_table_complete(&oneinbox__v1__provisioning__descriptor, m, n));
}
