"""Fixtures: the running test stack (deploy/local/stack.sh up, see deploy/local/test.sh),
clients for the admin and internal tokens, and a fresh workspace per test."""
import os
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oiclient  # noqa: E402
from stackctl import Stack  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STACK_ENV = os.environ.get("OI_STACK_ENV", os.path.join(ROOT, ".run", "test", "stack.env"))


def _stack():
    if not os.path.exists(STACK_ENV):
        pytest.exit("the test stack is not up (%s missing): start it with deploy/local/test.sh "
                    "integration, or OI_RUN_DIR=.run/test OI_PORT_OFFSET=50 deploy/local/stack.sh up"
                    % STACK_ENV, returncode=3)
    return oiclient.load_stack_env(STACK_ENV)


def pytest_sessionstart(session):
    env = _stack()
    anon = oiclient.Client(env["OI_GATEWAY_URL"], timeout=5)
    deadline = time.time() + 30
    last = None
    while time.time() < deadline:
        try:
            last = anon.get("/healthz")
            if last.status == 200:
                return
        except OSError as e:
            last = e
        time.sleep(0.5)
    pytest.exit("the gateway at %s is not healthy: %r" % (env["OI_GATEWAY_URL"], last), returncode=3)


@pytest.fixture(scope="session")
def stack():
    return _stack()


def pytest_configure(config):
    config.addinivalue_line("markers", "replicas: the module stops and starts replicas (needs OI_REPLICAS >= 2)")


@pytest.fixture(scope="module")
def ctl(stack, request):
    """Starts and stops pieces of the test stack. A module marked `replicas` is skipped when the
    stack runs one replica of each service."""
    s = Stack(stack)
    if request.node.get_closest_marker("replicas") and s.replicas < 2:
        pytest.skip("%s needs OI_REPLICAS >= 2 (deploy/local/test.sh sets it)" % request.module.__name__)
    return s


@pytest.fixture(scope="session")
def base_url(stack):
    return stack["OI_GATEWAY_URL"]


@pytest.fixture(scope="session")
def anon(base_url):
    return oiclient.Client(base_url)


@pytest.fixture(scope="session")
def admin(base_url, stack):
    return oiclient.Client(base_url, stack["OI_ADMIN_TOKEN"])


@pytest.fixture(scope="session")
def internal(base_url, stack):
    return oiclient.Client(base_url, stack["OI_INTERNAL_TOKEN"])


@pytest.fixture(scope="session")
def new_workspace(admin):
    """Factory: a client holding a key of a brand-new workspace (body of the key in .key_info)."""

    def make():
        r = admin.post("/v1/api-keys", {"name": "it", "workspace": "ws-" + uuid.uuid4().hex})
        assert r.status == 201, r
        c = admin.with_token(r.json["key"])
        c.key_info = r.json
        return c

    return make


@pytest.fixture
def client(new_workspace):
    return new_workspace()


@pytest.fixture
def other(new_workspace):
    """A second workspace, for isolation checks."""
    return new_workspace()


@pytest.fixture(scope="session")
def edge(stack):
    """The SIP edge's (host, port) on UDP."""
    if "OI_SIP_PORT" not in stack:
        pytest.skip("the stack has no SIP edge")
    return ("127.0.0.1", int(stack["OI_SIP_PORT"]))


@pytest.fixture
def agents(client):
    """Three agents of the caller's workspace: primary, routing, fallback."""
    return {k: client.agent(k)["id"] for k in ("primary", "routing", "fallback")}
