/* test_contract.c: oi-dispatch serves every method of the Dispatch service in proto/, each once. */
#include <criterion/criterion.h>

#include "dispatch.h"
#include "oneinbox/v1/dispatch.pb-c.h"

Test(contract, the_table_serves_the_whole_dispatch_service)
{
    size_t n = 0;
    const oi_rpc_method_t *m = dsp_methods(&n);
    cr_assert(oi_rpc_table_complete(&oneinbox__v1__dispatch__descriptor, m, n));
}
