"""The RPC plane's least privilege (CURVE, libcommon/src/rpc_curve.c): each service calls with
its own key, each server holds its own key, and each server admits only its own callers. The tools key (the benchmarks' load
generator, OI_RPC_CURVE_CLIENT_* in the run directory's env file) reaches oi-dispatch and no
other service: its handshake with oi-provisioning or oi-carrier fails, so its call never arrives
and runs out its deadline, where an admitted caller of an unknown method is answered at once."""
import os
import re
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def curve_env(stack):
    env = dict(os.environ)
    with open(os.path.join(stack["OI_RUN_DIR"], "env")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            if k.startswith("OI_RPC_CURVE_"):
                env[k] = v
    return env


def loadgen():
    for d in (os.environ.get("OI_BUILD_DIR", ""), os.path.join(ROOT, "build")):
        p = os.path.join(d, "bench_loadgen")
        if d and os.access(p, os.X_OK):
            return p
    pytest.skip("bench_loadgen is not built")


def resolve_once(stack, service, number):
    """One dispatch.Resolve from the tools key to service's RPC port, expecting that service's
    server key (so only its admission decides): (errors, latency in ms)."""
    env = curve_env(stack)
    env["OI_RPC_CURVE_DISPATCH_SERVER_KEY"] = env["OI_RPC_CURVE_%s_SERVER_KEY" % service]
    port = stack["OI_%s_RPC_PORT" % service]
    with tempfile.NamedTemporaryFile("w", suffix=".numbers", delete=False) as f:
        f.write(number + "\n")
    try:
        r = subprocess.run([loadgen(), "zmq", "tcp://127.0.0.1:%s" % port, f.name, "1", "0"], capture_output=True,
                           text=True, timeout=60, env=env)
    finally:
        os.unlink(f.name)
    m = dict(re.findall(r"(\w+)=([0-9.]+)", r.stdout))
    assert "errors" in m, r.stdout + r.stderr
    return int(m["errors"]), float(m["p50_ms"])


@pytest.fixture
def number(client, agents):
    from oiclient import path_c_body
    return client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json


def test_the_tools_key_reaches_dispatch(stack, number):
    if "OI_RPC_CURVE_CLIENT_SECRET_KEY" not in curve_env(stack):
        pytest.skip("the stack runs without CURVE")
    errors, ms = resolve_once(stack, "DISPATCH", number["phone_number"])
    assert errors == 0 and ms < 1000, (errors, ms)


@pytest.mark.parametrize("service", ["PROVISIONING", "CARRIER"])
def test_the_tools_key_reaches_no_other_service(stack, number, service):
    if "OI_RPC_CURVE_CLIENT_SECRET_KEY" not in curve_env(stack):
        pytest.skip("the stack runs without CURVE")
    errors, ms = resolve_once(stack, service, number["phone_number"])
    assert errors == 1 and ms >= 4000, (errors, ms)  # never answered: refused at the handshake
