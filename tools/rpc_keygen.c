/* oi-rpc-keygen: prints a new ZeroMQ CURVE key pair, "<public> <secret>" in Z85 (40 characters
 * each), for the OI_RPC_CURVE_* variables (see libcommon/src/rpc_curve.c). */
#include <stdio.h>
#include <zmq.h>

int main(void)
{
    char pub[41], secret[41];
    if (zmq_curve_keypair(pub, secret) != 0) {
        fprintf(stderr, "oi-rpc-keygen: this libzmq has no CURVE support\n");
        return 1;
    }
    printf("%s %s\n", pub, secret);
    return 0;
}
