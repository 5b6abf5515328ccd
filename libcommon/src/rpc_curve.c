/* rpc_curve.c: ZeroMQ CURVE on every RPC socket, and the ZAP handler that admits clients.
 *
 * The keys come from the environment (Kubernetes Secrets; deploy/local/stack.sh makes them), Z85
 * text of 40 characters:
 *   OI_RPC_CURVE_SERVER_SECRET_KEY   servers: their own key
 *   OI_RPC_CURVE_PROVISIONING_SERVER_KEY, OI_RPC_CURVE_DISPATCH_SERVER_KEY,
 *   OI_RPC_CURVE_CARRIER_SERVER_KEY  clients: the key each service's servers hold
 *   OI_RPC_CURVE_SERVER_PUBLIC_KEY   clients: the servers' key when they all share one
 *   OI_RPC_CURVE_CLIENT_PUBLIC_KEY, OI_RPC_CURVE_CLIENT_SECRET_KEY   clients: who they are
 *   OI_RPC_CURVE_CLIENT_KEYS         servers: the client public keys admitted, comma-separated
 * With none of them, RPC runs in the clear (a warning at start says so); with some but not all
 * that a role needs, the process refuses to start. A server admits a client only when the ZAP
 * handler finds its key in its list: every other peer's handshake fails and it never sends a
 * call. The handler is a thread of its own on the process's context (inproc://zeromq.zap.01). */
#define OI_LOG_TAG "common.rpc"
#include "rpc_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "oi/log.h"
#include "oi/mem.h"

#define KEY_LEN 40
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

/* A variable's value, NULL when unset or empty (getenv with the name spelled out: the manifest
 * checks read the names from here). */
static const char *given(const char *v) { return v && *v ? v : NULL; }

static bool key_ok(const char *k) { return k && strlen(k) == KEY_LEN; }

bool rpc_curve_configured(void)
{
    return given(getenv("OI_RPC_CURVE_SERVER_PUBLIC_KEY")) || given(getenv("OI_RPC_CURVE_SERVER_SECRET_KEY")) ||
           given(getenv("OI_RPC_CURVE_PROVISIONING_SERVER_KEY")) || given(getenv("OI_RPC_CURVE_DISPATCH_SERVER_KEY")) ||
           given(getenv("OI_RPC_CURVE_CARRIER_SERVER_KEY")) ||
           given(getenv("OI_RPC_CURVE_CLIENT_PUBLIC_KEY")) || given(getenv("OI_RPC_CURVE_CLIENT_SECRET_KEY")) ||
           given(getenv("OI_RPC_CURVE_CLIENT_KEYS"));
}

/* --- the ZAP handler ------------------------------------------------------------------------------- */

static pthread_once_t zap_once = PTHREAD_ONCE_INIT;
static int zap_rc = -1;

/* The client key (32 bytes) in OI_RPC_CURVE_CLIENT_KEYS? */
static bool admitted(const uint8_t *key)
{
    char z85[KEY_LEN + 1];
    if (!zmq_z85_encode(z85, key, 32))
        return false;
    const char *list = given(getenv("OI_RPC_CURVE_CLIENT_KEYS"));
    for (const char *p = list; p && *p;) {
        p += strspn(p, ", ");
        size_t n = strcspn(p, ", ");
        if (n == KEY_LEN && memcmp(p, z85, KEY_LEN) == 0)
            return true;
        p += n;
    }
    return false;
}

/* One ZAP request (RFC 27): version, request id, domain, address, identity, mechanism,
 * credentials; answered 200 or 400. */
static bool zap_serve(void *sock)
{
    zmq_msg_t part[7];
    int n = 0;
    int more = 1;
    while (more && n < 7) {
        zmq_msg_init(&part[n]);
        if (zmq_msg_recv(&part[n], sock, 0) < 0) {
            zmq_msg_close(&part[n]);
            for (int i = 0; i < n; i++)
                zmq_msg_close(&part[i]);
            return false; /* the context is ending */
        }
        more = zmq_msg_more(&part[n]);
        n++;
    }
    bool ok = n == 7 && !more && zmq_msg_size(&part[5]) == 5 && memcmp(zmq_msg_data(&part[5]), "CURVE", 5) == 0 &&
              zmq_msg_size(&part[6]) == 32 && admitted(zmq_msg_data(&part[6]));
    const char *status = ok ? "200" : "400", *text = ok ? "OK" : "client key not admitted";
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    if (n > 1)
        zmq_send(sock, zmq_msg_data(&part[1]), zmq_msg_size(&part[1]), ZMQ_SNDMORE);
    else
        zmq_send(sock, "", 0, ZMQ_SNDMORE);
    zmq_send(sock, status, 3, ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
    if (!ok)
        oi_log_warn(&(oi_log_ctx_t){.action = "admitting an RPC client"}, "refused: %s", text);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&part[i]);
    while (more) { /* a malformed request's remaining frames */
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        if (zmq_msg_recv(&extra, sock, 0) < 0)
            return false;
        more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
    }
    return true;
}

static void *zap_thread(void *arg)
{
    void *sock = arg;
    while (zap_serve(sock)) {
    }
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(sock);
    return NULL;
}

static void zap_start(void)
{
    void *sock = zmq_socket(oi_rpc_zctx(), ZMQ_REP);
    if (!sock || zmq_bind(sock, ZAP_ENDPOINT) != 0) {
        if (sock)
            zmq_close(sock);
        return;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, zap_thread, sock) != 0) {
        zmq_close(sock);
        return;
    }
    pthread_detach(t);
    zap_rc = 0;
}

/* --- sockets ------------------------------------------------------------------------------------ */

int rpc_curve_server(void *sock, oi_error_t *err)
{
    if (!rpc_curve_configured())
        return 0;
    const char *secret = given(getenv("OI_RPC_CURVE_SERVER_SECRET_KEY"));
    if (!key_ok(secret) || !given(getenv("OI_RPC_CURVE_CLIENT_KEYS"))) {
        oi_error_set(err, OI_INTERNAL, "RPC CURVE: a server needs OI_RPC_CURVE_SERVER_SECRET_KEY (40 Z85 characters) "
                     "and OI_RPC_CURVE_CLIENT_KEYS");
        return -1;
    }
    pthread_once(&zap_once, zap_start);
    if (zap_rc != 0) {
        oi_error_set(err, OI_INTERNAL, "RPC CURVE: the ZAP handler could not start");
        return -1;
    }
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, KEY_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, "oneinbox", 8) != 0) {
        oi_error_set(err, OI_INTERNAL, "RPC CURVE: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

/* The server key a client of svc expects: that service's own, else the shared one. */
static const char *server_key_of(const ProtobufCServiceDescriptor *svc)
{
    const char *name = svc ? svc->short_name : "", *own = NULL;
    if (strcmp(name, "Provisioning") == 0)
        own = getenv("OI_RPC_CURVE_PROVISIONING_SERVER_KEY");
    else if (strcmp(name, "Dispatch") == 0)
        own = getenv("OI_RPC_CURVE_DISPATCH_SERVER_KEY");
    else if (strcmp(name, "Carrier") == 0)
        own = getenv("OI_RPC_CURVE_CARRIER_SERVER_KEY");
    return given(own) ? own : given(getenv("OI_RPC_CURVE_SERVER_PUBLIC_KEY"));
}

int rpc_curve_client(void *sock, const ProtobufCServiceDescriptor *svc, oi_error_t *err)
{
    if (!rpc_curve_configured())
        return 0;
    const char *server = server_key_of(svc);
    const char *pub = given(getenv("OI_RPC_CURVE_CLIENT_PUBLIC_KEY"));
    const char *secret = given(getenv("OI_RPC_CURVE_CLIENT_SECRET_KEY"));
    if (!key_ok(server) || !key_ok(pub) || !key_ok(secret)) {
        oi_error_set(err, OI_INTERNAL, "RPC CURVE: a client of %s needs its server key "
                     "(OI_RPC_CURVE_%s_SERVER_KEY or OI_RPC_CURVE_SERVER_PUBLIC_KEY), "
                     "OI_RPC_CURVE_CLIENT_PUBLIC_KEY and OI_RPC_CURVE_CLIENT_SECRET_KEY (40 Z85 characters each)",
                     svc ? svc->short_name : "a service", svc ? svc->short_name : "<SERVICE>");
        return -1;
    }
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server, KEY_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, KEY_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, KEY_LEN) != 0) {
        oi_error_set(err, OI_INTERNAL, "RPC CURVE: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}
